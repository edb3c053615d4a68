// Worker-pool section: lookup throughput of a table on a pool of 1, 2 and 4 worker_threads vs
// the same lookups in-process, with ids and results through SharedArrayBuffers and through
// transferables (each worker count is measured both ways).
//
// Timing: the wall clock (the pool's point is running on other threads, which this process's
// CPU time would add up rather than overlap). The in-process baseline is timed again next to
// every pool measurement and each ratio is against that neighbour, because the machine is shared
// and its load drifts. One lookup at a time measures the round trip (route, copy to the workers,
// gather, copy back, assemble); 4 lookups in flight is where workers can run in parallel.
import { availableParallelism, loadavg } from 'node:os';
import { gc, keysOfRanks, uniformRanks } from './lib.mjs';

const DIM = 16;
const BATCH = 16_384;
const WORKERS = [1, 2, 4];
const TRANSPORTS = [
  { shared: true, how: 'SharedArrayBuffer' },
  { shared: false, how: 'transferables' },
];

/** Median seconds per call of an async `fn`, run for at least `minMs` after one warm-up call. */
async function timeItAsync(fn, { minMs = 300, minRuns = 9, maxRuns = 100 } = {}) {
  await fn();
  const times = [];
  const start = performance.now();
  while (times.length < minRuns || (performance.now() - start < minMs && times.length < maxRuns)) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1] / 1000;
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
  const inProcess = () =>
    timeItAsync(
      async () => {
        local.gather(batches[k++ % batches.length], out);
      },
      { minMs },
    );
  const rows = [];
  const cores = availableParallelism();
  const base0 = await inProcess();
  rows.push({
    section: 'pool',
    name: `in-process lookup, ${n} keys, batch ${BATCH}, dim ${DIM}`,
    value: BATCH / base0,
    unit: 'keys/s',
    note: `${cores} logical cores (os.availableParallelism()), load average (1 min) ${loadavg()[0].toFixed(1)}; each pool row's baseline is this lookup timed again next to it`,
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
        let j = 0;
        const seq = await timeItAsync(() => t.gather(batches[j++ % batches.length]), { minMs, maxRuns: 50 });
        const inflight = await timeItAsync(
          () => Promise.all([0, 1, 2, 3].map((q) => t.gather(batches[(j + q) % batches.length]))),
          { minMs, maxRuns: 20 },
        );
        const base = await inProcess(); // the baseline again, next to this measurement
        for (const [mode, value] of [
          ['one lookup at a time', BATCH / seq],
          ['4 lookups in flight', (4 * BATCH) / inflight],
        ]) {
          rows.push({
            section: 'pool',
            name: `pool, ${w} worker${w > 1 ? 's' : ''}, ${mode}, ${tr.how}`,
            value,
            unit: 'keys/s',
            baseline: BATCH / base,
            ratio: value / (BATCH / base),
            note: `vs in-process timed next to it; ids and rows via ${tr.how}; load average (1 min) ${loadavg()[0].toFixed(1)}`,
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
