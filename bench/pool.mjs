// Worker-pool section: lookup throughput of a table on a pool of 1, 2 and 4 worker_threads vs
// the same lookups in-process, with ids and results through SharedArrayBuffers and through
// transferables (each worker count is measured both ways).
//
// Timing: the wall clock (the pool's point is running on other threads, which this process's
// CPU time would add up rather than overlap). Every pool measurement alternates with the
// in-process lookup (A, B, A, B, ...) and its ratio is against those in-process times, because
// the machine is shared and its load drifts. One lookup at a time measures the round trip (route, copy to the workers,
// gather, copy back, assemble); 4 lookups in flight is where workers can run in parallel.
import { availableParallelism, loadavg } from 'node:os';
import { cpuSeconds, gc, keysOfRanks, uniformRanks } from './lib.mjs';

const DIM = 16;
const BATCH = 16_384;
const WORKERS = [1, 2, 4];
const TRANSPORTS = [
  { shared: true, how: 'SharedArrayBuffer' },
  { shared: false, how: 'transferables' },
];

/**
 * Awaits `a` and `b` alternately (A, B, A, B, ...) for at least `minMs` each after one warm-up
 * call of each, so the drifting load of a shared machine hits both alike. Returns the median
 * wall-clock seconds per call of each, and the median CPU seconds per call of each: the CPU
 * time of the whole process, so a pool's worker threads count too (the work a call costs,
 * whether or not it waited for a core).
 */
async function timePairAsync(a, b, { minMs = 300, minRuns = 9, maxRuns = 100 } = {}) {
  await a();
  await b();
  const wall = [[], []];
  const cpu = [[], []];
  const start = performance.now();
  while (wall[0].length < minRuns || (performance.now() - start < 2 * minMs && wall[0].length < maxRuns)) {
    for (const [i, f] of [a, b].entries()) {
      const c0 = cpuSeconds();
      const t0 = performance.now();
      await f();
      wall[i].push((performance.now() - t0) / 1000);
      cpu[i].push(cpuSeconds() - c0);
    }
  }
  const med = (xs) => xs.sort((x, y) => x - y)[xs.length >> 1];
  return { a: med(wall[0]), b: med(wall[1]), cpuA: med(cpu[0]), cpuB: med(cpu[1]) };
}

function rowValues(n) {
  const v = new Float32Array(n * DIM);
  for (let i = 0; i < v.length; i++) v[i] = (i % 97) / 97;
  return v;
}

export async function run({ de, quick, log }) {
  const n = quick ? 200_000 : 1_000_000;
  const minMs = quick ? 100 : 300;
  const chunk = 131_072;
  const vals = rowValues(chunk);
  const keysOf = (o, c) => keysOfRanks(Int32Array.from({ length: c }, (_, i) => o + i));

  log(`  pool: in-process table of ${n} keys`);
  const local = new de.HashTable({ keyDtype: 'int64', dim: DIM, initCapacity: n });
  for (let o = 0; o < n; o += chunk) {
    const c = Math.min(chunk, n - o);
    local.upsert(keysOf(o, c), vals.subarray(0, c * DIM));
  }
  const batches = Array.from({ length: 8 }, (_, r) => keysOfRanks(uniformRanks(n, BATCH, 100 + r)));
  const out = new Float32Array(BATCH * DIM);
  let k = 0;
  // async like the pool's calls, so both pay the same await per lookup
  const local1 = async () => {
    local.gather(batches[k++ % batches.length], out);
  };
  const local4 = async () => {
    for (let q = 0; q < 4; q++) local.gather(batches[k++ % batches.length], out);
  };
  const rows = [];
  const cores = availableParallelism();
  const { a: base0 } = await timePairAsync(local1, local1, { minMs });
  rows.push({
    section: 'pool',
    name: `in-process lookup, ${n} keys, batch ${BATCH}, dim ${DIM}`,
    value: BATCH / base0,
    unit: 'keys/s',
    note: `${cores} logical cores (os.availableParallelism()), load average (1 min) ${loadavg()[0].toFixed(1)}; each pool row's baseline is this lookup timed alternately with the pool's`,
  });

  const check = new Float32Array(BATCH * DIM);
  for (const w of WORKERS) {
    for (const tr of TRANSPORTS) {
      log(`  pool: ${w} worker${w > 1 ? 's' : ''}, ${tr.how}`);
      const pool = await de.pool.WorkerPool.create({ size: w, shared: tr.shared, callTimeoutMs: 120_000 });
      try {
        if (pool.sharedMemory !== tr.shared) {
          throw new Error(`bench pool: the pool's transport is not ${tr.how} (sharedMemory ${pool.sharedMemory})`);
        }
        const t = await de.pool.PoolTable.create(pool, {
          keyDtype: 'int64',
          dim: DIM,
          partitions: w,
          initCapacity: n,
          recovery: false,
        });
        for (let o = 0; o < n; o += chunk) {
          const c = Math.min(chunk, n - o);
          await t.upsert(keysOf(o, c), vals.subarray(0, c * DIM));
        }
        // the pool must return what the in-process table does, or its speed means nothing
        const got = await t.gather(batches[0]);
        local.gather(batches[0], check);
        if (got.values.length !== check.length || got.values.some((x, i) => x !== check[i])) {
          throw new Error(`bench pool: ${w} workers (${tr.how}) returned rows that differ from the in-process table`);
        }
        // each pool measurement alternates with the in-process lookup; 4 in-process lookups
        // pair with 4 pooled lookups in flight
        let j = 0;
        const one = await timePairAsync(() => t.gather(batches[j++ % batches.length]), local1, {
          minMs,
          maxRuns: 50,
        });
        const four = await timePairAsync(
          () => Promise.all([0, 1, 2, 3].map((q) => t.gather(batches[(j + q) % batches.length]))),
          local4,
          { minMs, maxRuns: 20 },
        );
        for (const [mode, m, keys] of [
          ['one lookup at a time', one, BATCH],
          ['4 lookups in flight', four, 4 * BATCH],
        ]) {
          const value = keys / m.a;
          const baseline = keys / m.b;
          // CPU per key, pool (every thread) over in-process: the pool's extra work (routing,
          // copies, messages); it bounds what more free cores could give: at most cores / this
          const cpuRatio = m.cpuA / m.cpuB;
          rows.push({
            section: 'pool',
            name: `pool, ${w} worker${w > 1 ? 's' : ''}, ${mode}, ${tr.how}`,
            value,
            unit: 'keys/s',
            baseline,
            ratio: value / baseline,
            cpuPerKeyRatio: cpuRatio,
            note: `vs in-process lookups timed alternately with it; ids and rows via ${tr.how}; CPU per key (all threads) ${cpuRatio.toFixed(2)}x in-process; load average (1 min) ${loadavg()[0].toFixed(1)}`,
          });
        }
        await t.dispose();
      } finally {
        await pool.terminate();
      }
      gc();
    }
  }
  local.dispose();
  return rows;
}
