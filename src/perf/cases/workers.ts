// Worker-scaling section: lookups of a table on a pool of 1, 2 and 4 workers against the same
// lookups in-process, with ids and rows through SharedArrayBuffers and through transferables.
// Timed by the wall clock (a pool's point is running on other threads); every pool measurement
// alternates with the in-process lookup, so the ratio holds under drifting load.
import { fill, gc, type PerfContext, row, SIZES, type Stepper, values } from '../context.js';
import { keysFrom, keysOfRanks, uniformRanks } from '../ids.js';
import { timeIt, timePairAsync } from '../timing.js';

const POOL_WORKERS = [1, 2, 4];
/** Each worker count is measured with both transports (SharedArrayBuffer only when cross-origin isolated). */
const POOL_TRANSPORTS = [
  { shared: true, how: 'SharedArrayBuffer', short: 'SAB' },
  { shared: false, how: 'transferables', short: 'transferables' },
] as const;
const POOL_DIM = 16;
const FILL_BATCH = 65_536;

/** Progress steps of the section. */
export function workersSteps(): number {
  return 1 + POOL_WORKERS.length * POOL_TRANSPORTS.length;
}

export async function workers(ctx: PerfContext, st: Stepper): Promise<void> {
  const { de } = ctx;
  const S = SIZES[ctx.size];
  const n = S.poolKeys;
  const batch = S.poolBatch;
  await st.next(`worker scaling: filling an in-process table of ${n.toLocaleString('en-US')} keys`);
  const local = fill(ctx, n, POOL_DIM, FILL_BATCH, false).wasm;
  const batches = Array.from({ length: 8 }, (_, r) => keysOfRanks(uniformRanks(n, batch, 100 + r)));
  const out = new Float32Array(batch * POOL_DIM);
  const check = new Float32Array(batch * POOL_DIM);
  let k = 0;
  const inProcess = () => timeIt(() => local.gather(batches[k++ % batches.length], out), { minMs: S.minMs });
  const base0 = inProcess();
  ctx.emit({
    kind: 'row',
    row: row(
      'workers',
      `in-process lookup, ${n} keys, batch ${batch}, dim ${POOL_DIM}`,
      batch / base0,
      'keys/s',
      batch / base0,
      'in-process',
      {
        workers: 0,
        mode: 'in-process',
      },
    ),
  });
  const sab = de.pool.sharedMemoryAvailable();
  if (!sab) {
    ctx.emit({
      kind: 'note',
      section: 'workers',
      text: 'SharedArrayBuffer not measured: this page is not cross-origin isolated (COOP/COEP headers), so the pool can only use transferables.',
    });
  }
  try {
    for (const w of POOL_WORKERS) {
      for (const tr of POOL_TRANSPORTS) {
        const label = `worker scaling: ${w} worker${w > 1 ? 's' : ''}, ${tr.how}`;
        await st.next(tr.shared && !sab ? `${label} (not available here)` : label);
        if (tr.shared && !sab) continue;
        const pool = await de.pool.WorkerPool.create({
          size: w,
          spawn: ctx.spawn,
          callTimeoutMs: 120_000,
          shared: tr.shared,
        });
        try {
          if (pool.sharedMemory !== tr.shared) {
            throw new Error(`the pool's transport is not ${tr.how} (sharedMemory: ${pool.sharedMemory})`);
          }
          const t = await de.pool.PoolTable.create(pool, {
            keyDtype: 'int32',
            dim: POOL_DIM,
            partitions: w,
            initCapacity: n,
            recovery: false,
          });
          const chunk = FILL_BATCH; // as the in-process fill, so both tables hold the same rows
          const vals = values(chunk, POOL_DIM);
          for (let o = 0; o < n; o += chunk) {
            const c = Math.min(chunk, n - o);
            await t.upsert(keysFrom(o, c), vals.subarray(0, c * POOL_DIM));
          }
          // the pool must return what the in-process table does, or its speed means nothing
          const got = await t.gather(batches[0]);
          local.gather(batches[0], check);
          if (got.values.length !== check.length || got.values.some((x, i) => x !== check[i])) {
            throw new Error(`${w} pool workers (${tr.how}) returned rows that differ from the in-process table`);
          }
          // each pool measurement alternates with the in-process lookup (A, B, A, B, ...), so the
          // ratio holds under the load other jobs put on the machine; 4 in-process lookups pair
          // with 4 pooled lookups in flight
          let j = 0;
          const local4 = async () => {
            for (let q = 0; q < 4; q++) local.gather(batches[k++ % batches.length], out);
          };
          const one = await timePairAsync(
            () => t.gather(batches[j++ % batches.length]),
            async () => local.gather(batches[k++ % batches.length], out),
            { minMs: S.minMs, maxRuns: 50 },
            ctx.cpuSeconds,
          );
          const four = await timePairAsync(
            () => Promise.all([0, 1, 2, 3].map((q) => t.gather(batches[(j + q) % batches.length]))),
            local4,
            { minMs: S.minMs, maxRuns: 20 },
            ctx.cpuSeconds,
          );
          for (const [mode, m, keys] of [
            ['one lookup at a time', one, batch],
            ['4 lookups in flight', four, 4 * batch],
          ] as const) {
            // CPU per key, pool (every thread) over in-process: the pool's extra work (routing,
            // copies, messages); it bounds what more free cores could give
            const cpu =
              m.cpuA !== undefined && m.cpuB !== undefined
                ? `; CPU per key (all threads) ${(m.cpuA / m.cpuB).toFixed(2)}x in-process`
                : '';
            ctx.emit({
              kind: 'row',
              row: row(
                'workers',
                `pool, ${w} workers, ${mode}, ${tr.how}`,
                keys / m.a,
                'keys/s',
                keys / m.b,
                'in-process',
                {
                  workers: w,
                  mode: `${mode === 'one lookup at a time' ? 'one at a time' : '4 in flight'}, ${tr.short}`,
                  transport: tr.how,
                },
                { note: `ids and results via ${tr.how}${cpu}` },
              ),
            });
          }
          await t.dispose();
        } finally {
          await pool.terminate();
        }
        gc();
      }
    }
  } finally {
    local.dispose();
  }
}
