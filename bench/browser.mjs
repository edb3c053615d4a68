// Browser benchmarks (npm run bench:browser): builds the app, serves it with vite preview
// (cross-origin isolated), and drives headless Chromium through window.dynemb:
//  - pool lookup throughput with 1, 2 and 4 workers vs in-process, 1e6-key table, dim 16,
//    with SharedArrayBuffers and with transferables;
//  - WebGL vs WASM gather at batch 4k / 64k and dim 16 / 64 (WebGL result kept on the GPU;
//    timed to `await data()` so the GPU work is finished).
// Prints JSON, then a markdown table. Ratios are against a baseline measured in the same run.
import { spawn, execSync } from 'node:child_process';
import { chromium } from '@playwright/test';

const PORT = 4179;
if (!process.argv.includes('--no-build')) execSync('npm run build:app', { stdio: 'inherit' });
const server = spawn('npx', ['vite', 'preview', '--host', '127.0.0.1', '--port', String(PORT), '--strictPort'], {
  stdio: 'ignore',
});
try {
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${PORT}/`)).ok) break;
    } catch {
      if (i > 100) throw new Error('vite preview did not start');
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--enable-unsafe-swiftshader', '--disable-background-networking'],
  });
  const page = await browser.newPage();
  page.setDefaultTimeout(600_000);
  await page.goto(`http://127.0.0.1:${PORT}/`);
  await page.waitForFunction(() => 'dynemb' in window);
  const result = await page.evaluate(async () => {
    const de = window.dynemb;
    await de.ready();
    const now = () => performance.now();
    const KEYS = 1_000_000;
    const DIM = 16;
    const BATCH = 16384;
    const REPS = 10;
    const keys = Int32Array.from({ length: KEYS }, (_, i) => i);
    const values = new Float32Array(KEYS * DIM).map((_, i) => (i % 101) / 101);
    const batches = Array.from({ length: REPS + 1 }, (_, r) =>
      Int32Array.from({ length: BATCH }, (_, i) => (Math.imul(i + r * BATCH, 2654435761) >>> 0) % KEYS),
    );
    const out = {
      crossOriginIsolated,
      hardwareConcurrency: navigator.hardwareConcurrency,
      pool: [],
      gather: [],
    };
    // in-process baseline
    const local = new de.HashTable({ keyDtype: 'int32', dim: DIM, initCapacity: KEYS });
    local.upsert(keys, values);
    const buf = new Float32Array(BATCH * DIM);
    local.gather(batches[0], buf);
    let t0 = now();
    for (let r = 1; r <= REPS; r++) local.gather(batches[r], buf);
    const localMs = (now() - t0) / REPS;
    out.pool.push({ mode: 'in-process', workers: 0, msPerBatch: localMs, keysPerSec: BATCH / (localMs / 1000) });
    for (const shared of [true, false]) {
      for (const workers of [1, 2, 4]) {
        const pool = await de.pool.WorkerPool.create({ size: workers, shared });
        const t = await de.pool.PoolTable.create(pool, {
          keyDtype: 'int32',
          dim: DIM,
          partitions: workers,
          initCapacity: KEYS,
          recovery: false,
        });
        for (let o = 0; o < KEYS; o += 250_000) {
          await t.upsert(keys.subarray(o, o + 250_000), values.subarray(o * DIM, (o + 250_000) * DIM));
        }
        await t.gather(batches[0]);
        t0 = now();
        for (let r = 1; r <= REPS; r++) await t.gather(batches[r]);
        const ms = (now() - t0) / REPS;
        // 4 lookups in flight at once (what a pipelined input loop does)
        t0 = now();
        await Promise.all(batches.slice(1, 5).map((b) => t.gather(b)));
        const msConcurrent = (now() - t0) / 4;
        out.pool.push({
          mode: shared ? 'pool, SharedArrayBuffer' : 'pool, transferables',
          workers,
          msPerBatch: ms,
          msPerBatchConcurrent4: msConcurrent,
          keysPerSec: BATCH / (ms / 1000),
          vsInProcess: localMs / ms,
        });
        await pool.terminate();
      }
    }
    local.dispose();
    // WebGL vs WASM gather
    for (const dim of [16, 64]) {
      const n = 262144;
      const v = new de.Variable({ name: `b${dim}`, keyDtype: 'int32', dim, initCapacity: n });
      v.upsert(de.ids(Int32Array.from({ length: n }, (_, i) => i)), new Float32Array(n * dim).fill(0.5));
      const g = new de.gpu.GpuGather(v);
      out.tfBackend = g.backend;
      for (const batch of [4096, 65536]) {
        const ids = de.ids(Int32Array.from({ length: batch }, (_, i) => (Math.imul(i, 2654435761) >>> 0) % n));
        const run = async (f) => {
          await f();
          const s = now();
          for (let r = 0; r < 5; r++) await f();
          return (now() - s) / 5;
        };
        const wasmMs = await run(async () => {
          const t = v.lookup(ids);
          t.dispose();
        });
        const webglMs = await run(async () => {
          const t = g.lookup(ids);
          await t.data();
          t.dispose();
        });
        out.gather.push({ dim, batch, wasmMs, webglMs, webglVsWasm: wasmMs / webglMs });
      }
      g.dispose();
      v.dispose();
    }
    out.auto = await de.gpu.chooseGather('auto');
    out.backendInfo = de.backendInfo();
    return out;
  });
  await browser.close();
  console.log(JSON.stringify(result, null, 2));
  console.log('\n| lookup path | workers | ms / 16k batch | keys/s | vs in-process | ms / batch, 4 in flight |');
  console.log('|---|---|---|---|---|---|');
  for (const r of result.pool) {
    console.log(
      `| ${r.mode} | ${r.workers} | ${r.msPerBatch.toFixed(2)} | ${(r.keysPerSec / 1e6).toFixed(2)}M | ${r.vsInProcess ? r.vsInProcess.toFixed(2) + 'x' : '1x'} | ${r.msPerBatchConcurrent4 ? r.msPerBatchConcurrent4.toFixed(2) : '-'} |`,
    );
  }
  console.log(`\n| gather (tfjs backend: ${result.tfBackend}) | dim | batch | WASM ms | WebGL ms | WebGL speed-up |`);
  console.log('|---|---|---|---|---|---|');
  for (const r of result.gather) {
    console.log(
      `| | ${r.dim} | ${r.batch} | ${r.wasmMs.toFixed(2)} | ${r.webglMs.toFixed(2)} | ${r.webglVsWasm.toFixed(2)}x |`,
    );
  }
  console.log(`\nauto: ${result.backendInfo.gather} — ${result.backendInfo.gatherReason}`);
} finally {
  server.kill();
}
