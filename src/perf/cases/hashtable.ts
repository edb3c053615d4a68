// Hash-table section: insert / find / upsert throughput against the plain-JS table, at several
// table sizes, uniform and Zipf ids; deep runs add the bytes each key holds.
import {
  fill,
  gc,
  hashSizes,
  JS_BASELINE,
  pair,
  type PerfContext,
  row,
  SIZES,
  type Stepper,
  values,
} from '../context.js';
import { keysOfRanks, uniformRanks, zipfRanks } from '../ids.js';

const HASH_DIM = 8;
const BYTES_DIM = 16;

/** Progress steps of the section. */
export function hashtableSteps(ctx: Pick<PerfContext, 'size' | 'deep'>): number {
  const n = hashSizes(ctx).length;
  return n * 3 + (ctx.deep ? n : 0);
}

export async function hashtable(ctx: PerfContext, st: Stepper): Promise<void> {
  const S = SIZES[ctx.size];
  const batch = S.hashBatch;
  const opts = { minMs: S.minMs };
  for (const n of hashSizes(ctx)) {
    await st.next(`hash table: insert ${n.toLocaleString('en-US')} keys`);
    gc();
    // small tables fill in a blink: the median of several fills
    const fills: ReturnType<typeof fill>[] = [];
    for (let rep = 0; rep < (n <= 100_000 ? 5 : 1); rep++) fills.push(fill(ctx, n, HASH_DIM, batch, true));
    const order = (k: 'wasmSec' | 'jsSec') => [...fills].sort((a, b) => a[k] - b[k])[fills.length >> 1][k];
    const wasmSec = order('wasmSec');
    const jsSec = order('jsSec');
    const { wasm, js } = fills[fills.length - 1];
    for (const f of fills) if (f.wasm !== wasm) f.wasm.dispose();
    if (!js) throw new Error('the plain-JS table was not filled');
    ctx.emit({
      kind: 'row',
      row: row('hashtable', `insert ${n} new keys, dim ${HASH_DIM}`, n / wasmSec, 'keys/s', n / jsSec, JS_BASELINE, {
        op: 'insert',
        dist: 'new keys',
        keys: n,
      }),
    });
    for (const dist of ['uniform', 'zipf'] as const) {
      await st.next(`hash table: find and upsert, ${dist}, ${n.toLocaleString('en-US')} keys`);
      const ranks = dist === 'uniform' ? uniformRanks(n, batch, 7) : zipfRanks(n, batch, 1.1, 7);
      const keys = keysOfRanks(ranks);
      const jr = new Int32Array(batch);
      const je = new Uint8Array(batch);
      const f = pair(
        ctx,
        () => wasm.find(keys),
        () => js.find(keys, jr, je),
        opts,
      );
      ctx.emit({
        kind: 'row',
        row: row(
          'hashtable',
          `find ${dist}, ${n} keys`,
          batch / f.a,
          'keys/s',
          batch / f.b,
          JS_BASELINE,
          { op: 'find', dist, keys: n },
          { note: f.note() },
        ),
      });
      const v = values(batch, HASH_DIM);
      const u = pair(
        ctx,
        () => wasm.upsert(keys, v),
        () => js.upsert(keys, v),
        opts,
      );
      ctx.emit({
        kind: 'row',
        row: row(
          'hashtable',
          `upsert ${dist} (existing keys), ${n} keys`,
          batch / u.a,
          'keys/s',
          batch / u.b,
          JS_BASELINE,
          { op: 'upsert', dist, keys: n },
          { note: u.note() },
        ),
      });
    }
    wasm.dispose();
  }
  if (ctx.deep) for (const n of hashSizes(ctx)) await bytesPerKey(ctx, st, n);
}

/** Bytes the table holds per key at dim 16, against the raw key + value bytes. */
async function bytesPerKey(ctx: PerfContext, st: Stepper, n: number): Promise<void> {
  await st.next(`hash table: bytes per key, ${n.toLocaleString('en-US')} keys`);
  gc();
  const { wasm: t } = fill(ctx, n, BYTES_DIM, 65_536, false);
  try {
    const raw = n * (4 + BYTES_DIM * 4);
    const s = t.stats();
    ctx.emit({
      kind: 'row',
      row: {
        ...row(
          'hashtable',
          `bytes per key, ${n} int32 keys, dim ${BYTES_DIM} (load ${s.loadFactor.toFixed(2)})`,
          s.bytes / n,
          'B/key',
          raw / n,
          'raw key + value bytes',
          { op: 'bytes', keys: n },
          { target: '<= 1.5x raw' },
        ),
        // bytes: the figure is how many times the raw bytes the table takes (lower is better)
        ratio: s.bytes / raw,
      },
    });
  } finally {
    t.dispose();
  }
}
