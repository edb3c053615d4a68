// The public lookup (v.lookup + dataSync, a tensor out) beside the kernel figure: against the
// plain-JS Map<bigint> + Float32Array table, the kernel alone (HashTable.gather into WASM
// memory) and, where the host provides one (npm run bench: bench/native/lookup.cpp compiled
// with g++ -O3), a native C++ open-addressing table over the same keys and ids. int64 ids,
// dim 64, uniform and Zipf ids, 1 and 4 partitions; full runs add a 1e7-key x dim-16 table.
// Deep cases (npm run bench): a page would not wait for them.
import type * as Engine from '../../engine/index.js';
import { gc, JS_BASELINE_64, pair, type PerfContext, row, SIZES, type Stepper, values } from '../context.js';
import { keysOfRanks64, uniformRanks, zipfRanks } from '../ids.js';
import { JsTable } from '../js-table.js';

const DIM = 64;
const FILL_BATCH = 65_536;
const PARTITIONS = [1, 4] as const;

/** Progress steps of these cases. */
export function lookupSteps(ctx: Pick<PerfContext, 'size'>): number {
  return PARTITIONS.length + (ctx.size === 'full' ? 1 : 0);
}

/** A Variable and the plain-JS table, both holding ranks 0..n-1 as int64 keys. */
function fillVariable(ctx: PerfContext, n: number, dim: number, partitions: number) {
  const v = new ctx.de.Variable({
    name: `perf_lookup_${partitions}`,
    keyDtype: 'int64',
    dim,
    partitions,
    initCapacity: n,
  });
  const js = new JsTable(dim);
  const all = keysOfRanks64(Int32Array.from({ length: n }, (_, i) => i));
  const vals = values(FILL_BATCH, dim);
  for (let o = 0; o < n; o += FILL_BATCH) {
    const k = all.subarray(o, Math.min(n, o + FILL_BATCH));
    const val = vals.subarray(0, k.length * dim);
    v.upsert(ctx.de.ids(k), val);
    js.upsert(k, val);
  }
  return { v, js, all };
}

/** The public lookup of `x`, its tensor read and freed (what a caller of v.lookup pays). */
function publicLookup(v: Engine.Variable, x: Engine.Ids): () => void {
  return () => {
    const t = v.lookup(x);
    t.dataSync();
    t.dispose();
  };
}

/** The note and ratio of the native comparison, or why there is none. */
function nativeOf(ctx: PerfContext, all: BigInt64Array, keys: BigInt64Array, dim: number) {
  if (!ctx.native) return { note: 'no native reference in this host (npm run bench has one)' };
  const r = ctx.native(all, keys, dim, SIZES[ctx.size].minMs);
  if ('skipped' in r) return { note: `native C++ reference skipped: ${r.skipped}` };
  return { sec: r.cpuSec, note: `native: g++ -O3 open addressing, ${(r.cpuSec * 1000).toFixed(2)} ms per batch` };
}

export async function lookupCases(ctx: PerfContext, st: Stepper): Promise<void> {
  const S = SIZES[ctx.size];
  const batch = S.gatherBatch;
  const n = S.gatherKeys;
  for (const partitions of PARTITIONS) {
    await st.next(`gather: public lookup, ${n.toLocaleString('en-US')} keys, ${partitions} partition(s)`);
    gc();
    const { v, js, all } = fillVariable(ctx, n, DIM, partitions);
    try {
      const outJs = new Float32Array(batch * DIM);
      const ex = new Uint8Array(batch);
      for (const dist of ['uniform', 'zipf'] as const) {
        const ranks = dist === 'uniform' ? uniformRanks(n, batch, 11) : zipfRanks(n, batch, 1.1, 11);
        const keys = keysOfRanks64(ranks);
        const pub = publicLookup(v, ctx.de.ids(keys, [batch]));
        const p = pair(ctx, pub, () => js.gather(keys, outJs, ex), { minMs: S.minMs });
        const what = `${batch} int64 ids, dim ${DIM}, ${n} keys, ${partitions} partition(s)`;
        const params = { keys: n, dist, partitions, label: `${partitions} partition(s), ${dist}` };
        const nat = nativeOf(ctx, all, keys, DIM);
        ctx.emit({
          kind: 'row',
          row: row(
            'gather',
            `public lookup (v.lookup + dataSync) ${dist}, ${what}`,
            batch / p.a,
            'ids/s',
            batch / p.b,
            JS_BASELINE_64,
            params,
            {
              target: '>= 5x plain JS',
              note: p.note(
                nat.sec ? `${(nat.sec / p.a).toFixed(2)}x native C++ (target >= 0.6x); ${nat.note}` : nat.note,
              ),
            },
          ),
        });
        if (nat.sec) {
          ctx.emit({
            kind: 'row',
            row: row(
              'gather',
              `public lookup ${dist}, ${what}, vs native C++`,
              batch / p.a,
              'ids/s',
              batch / nat.sec,
              'native C++ (g++ -O3, open addressing)',
              params,
              {
                target: '>= 0.6x native (moonshot 0.8x)',
                note: nat.note,
              },
            ),
          });
        }
        if (partitions !== 1) continue;
        // the kernel alone, rows into WASM memory: the figure the public one pays a tensor on top of
        const shard = v.shards[0];
        const heap = shard.heap;
        const op = heap.alloc(batch * DIM * 4, 'bench output');
        try {
          const view = () => heap.f32.subarray(op >> 2, (op >> 2) + batch * DIM);
          const k = pair(ctx, () => shard.gather(keys, view()), pub, { minMs: S.minMs });
          ctx.emit({
            kind: 'row',
            row: row(
              'gather',
              `kernel lookup + gather into WASM memory ${dist}, ${what}, vs the public lookup`,
              batch / k.a,
              'ids/s',
              batch / k.b,
              'the public lookup (a new tensor per call)',
              params,
              {
                note: k.note(nat.sec ? `kernel ${(nat.sec / k.a).toFixed(2)}x native C++` : undefined),
              },
            ),
          });
        } finally {
          heap.free(op);
        }
      }
    } finally {
      v.dispose();
    }
  }
  if (ctx.size === 'full') await lookupAtScale(ctx, st);
}

/** One table of 1e7 keys x dim 16 (about 850 MB with its plain-JS twin's keys): the public lookup vs plain JS. */
async function lookupAtScale(ctx: PerfContext, st: Stepper): Promise<void> {
  const big = 10_000_000;
  const dim = 16;
  const batch = SIZES[ctx.size].gatherBatch;
  await st.next(`gather: public lookup at ${big.toLocaleString('en-US')} keys, dim ${dim}`);
  gc();
  const { v, js, all } = fillVariable(ctx, big, dim, 1);
  try {
    const keys = keysOfRanks64(uniformRanks(big, batch, 13));
    const out = new Float32Array(batch * dim);
    const ex = new Uint8Array(batch);
    const p = pair(ctx, publicLookup(v, ctx.de.ids(keys, [batch])), () => js.gather(keys, out, ex), {
      minMs: SIZES[ctx.size].minMs,
    });
    const nat = nativeOf(ctx, all, keys, dim);
    const mib = (v.stats().bytes / 2 ** 20).toFixed(0);
    ctx.emit({
      kind: 'row',
      row: row(
        'gather',
        `public lookup uniform, ${batch} int64 ids, dim ${dim}, ${big} keys (${mib} MiB table)`,
        batch / p.a,
        'ids/s',
        batch / p.b,
        JS_BASELINE_64,
        { keys: big, deep: 1 },
        {
          note: p.note(nat.sec ? `${(nat.sec / p.a).toFixed(2)}x native C++; ${nat.note}` : nat.note),
        },
      ),
    });
  } finally {
    v.dispose();
  }
}
