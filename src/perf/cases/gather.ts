// Gather section: lookup + gather bandwidth against memory.copy of the same bytes (the ceiling),
// from a cache-resident table and from one in main memory. Deep runs add lookup + gather against
// the plain-JS table, the gather of resolved rows, a dense random-row copy and tfjs tf.gather.
import type * as Engine from '../../engine/index.js';
import {
  fill,
  fillAs,
  gc,
  JS_BASELINE,
  JS_BASELINE_64,
  pair,
  type PerfContext,
  row,
  SIZES,
  type Stepper,
} from '../context.js';
import { keysOfRanks, keysOfRanks64, uniformRanks, zipfRanks } from '../ids.js';
import { lookupCases, lookupSteps } from './lookup.js';

const GATHER_DIM = 64;
/** A cache-resident table: its rows stay in cache, so this measures the kernels, not DRAM. */
const SMALL_KEYS = 4096;

/** Progress steps of the section. */
export function gatherSteps(ctx: Pick<PerfContext, 'deep' | 'size'>): number {
  return 3 + (ctx.deep ? 4 + lookupSteps(ctx) : 0);
}

/** A filled buffer in WASM memory: copying from untouched pages would read the zero page (2x too fast). */
function filled(heap: Engine.HashTable['heap'], bytes: number, what: string): number {
  const p = heap.alloc(bytes, what);
  heap.f32.fill(0.25, p >> 2, (p + bytes) >> 2);
  return p;
}

export async function gather(ctx: PerfContext, st: Stepper): Promise<void> {
  const S = SIZES[ctx.size];
  const batch = S.gatherBatch;
  const cases = [
    { n: SMALL_KEYS, dist: 'uniform' as const, what: 'cache-resident rows' },
    { n: S.gatherKeys, dist: 'uniform' as const, what: 'rows in main memory' },
    { n: S.gatherKeys, dist: 'zipf' as const, what: 'rows in main memory' },
  ];
  let table: { n: number; t: Engine.HashTable } | null = null;
  for (const c of cases) {
    await st.next(`gather: ${batch} ids, dim ${GATHER_DIM}, ${c.n.toLocaleString('en-US')} keys, ${c.dist}`);
    if (!table || table.n !== c.n) {
      table?.t.dispose();
      table = { n: c.n, t: fill(ctx, c.n, GATHER_DIM, 65_536, false).wasm };
    }
    const t = table.t;
    const heap = t.heap;
    const bytes = batch * GATHER_DIM * 4;
    const out = heap.alloc(bytes, 'bench output');
    const src = filled(heap, bytes, 'bench copy source');
    try {
      const ranks = c.dist === 'uniform' ? uniformRanks(c.n, batch, 11) : zipfRanks(c.n, batch, 1.1, 11);
      const keys = keysOfRanks(ranks);
      const view = () => heap.f32.subarray(out >> 2, (out >> 2) + batch * GATHER_DIM);
      const p = pair(
        ctx,
        () => t.gather(keys, view()),
        () => heap.exports.copyBytes(out, src, bytes),
        { minMs: S.minMs },
      );
      ctx.emit({
        kind: 'row',
        row: row(
          'gather',
          `lookup + gather, ${c.dist}, dim ${GATHER_DIM}, ${c.n} keys (${c.what})`,
          bytes / p.a / 1e9,
          'GB/s',
          bytes / p.b / 1e9,
          'memory.copy of the same bytes',
          { keys: c.n, dist: c.dist, label: `${c.n.toLocaleString('en-US')} keys, ${c.dist}` },
          { note: p.note(`${batch} ids into WASM memory; includes the hash lookups`) },
        ),
      });
    } finally {
      heap.free(out);
      heap.free(src);
    }
  }
  table?.t.dispose();
  if (ctx.deep) {
    await lookupCases(ctx, st);
    await gatherDeep(ctx, st);
  }
}

/** The deep gather cases: against the plain-JS table, resolved rows, dense rows, tf.gather. */
async function gatherDeep(ctx: PerfContext, st: Stepper): Promise<void> {
  const S = SIZES[ctx.size];
  const batch = S.gatherBatch;
  const n = S.gatherKeys;
  const opts = { minMs: S.minMs };
  const bytes = batch * GATHER_DIM * 4;
  const gbs = (sec: number) => bytes / sec / 1e9;
  const emit = (
    name: string,
    value: number,
    unit: string,
    baseline: number,
    baselineName: string,
    extra: { note?: string; target?: string },
  ) => ctx.emit({ kind: 'row', row: row('gather', name, value, unit, baseline, baselineName, { deep: 1 }, extra) });

  for (const keyDtype of ['int32', 'int64'] as const) {
    await st.next(`gather: lookup + gather vs the plain-JS table, ${keyDtype} ids, ${n.toLocaleString('en-US')} keys`);
    gc();
    const { wasm, js } = fillAs(ctx, keyDtype, n, GATHER_DIM, 65_536, true);
    if (!js) throw new Error('the plain-JS table was not filled');
    try {
      const outJs = new Float32Array(batch * GATHER_DIM);
      const ex = new Uint8Array(batch);
      for (const dist of ['uniform', 'zipf'] as const) {
        const ranks = dist === 'uniform' ? uniformRanks(n, batch, 11) : zipfRanks(n, batch, 1.1, 11);
        const keys = keyDtype === 'int64' ? keysOfRanks64(ranks) : keysOfRanks(ranks);
        const p = pair(
          ctx,
          () => wasm.gather(keys, outJs),
          () => js.gather(keys, outJs, ex),
          opts,
        );
        emit(
          `lookup + gather ${dist}, ${batch} ${keyDtype} ids, dim ${GATHER_DIM}, ${n} keys, into a JS Float32Array`,
          batch / p.a,
          'ids/s',
          batch / p.b,
          keyDtype === 'int64' ? JS_BASELINE_64 : JS_BASELINE,
          // the target is TFRA's int64 ids against the Map<bigint> a JS developer would hold them in
          { target: keyDtype === 'int64' ? '>= 10x plain JS' : undefined, note: p.note('timed alternately') },
        );
      }
    } finally {
      wasm.dispose();
    }
  }

  gc();
  const { wasm } = fill(ctx, n, GATHER_DIM, 65_536, false);
  const heap = wasm.heap;
  const out = heap.alloc(bytes, 'bench output');
  const src = filled(heap, bytes, 'bench copy source');
  const dense = filled(heap, n * GATHER_DIM * 4, 'bench dense matrix');
  const idx = heap.alloc(batch * 4, 'bench dense indices');
  try {
    const view = () => heap.f32.subarray(out >> 2, (out >> 2) + batch * GATHER_DIM);
    const copy = () => heap.exports.copyBytes(out, src, bytes);
    await st.next(`gather: resolved rows and dense rows vs memory.copy, ${n.toLocaleString('en-US')} keys`);
    const ranks = uniformRanks(n, batch, 11);
    const keys = keysOfRanks(ranks);
    const { rows: rowIdx } = wasm.find(keys);
    const r = pair(ctx, () => wasm.readRows(rowIdx, view()), copy, opts);
    emit(
      `gather of resolved rows (readRows), uniform, dim ${GATHER_DIM}, ${n}-key table`,
      gbs(r.a),
      'GB/s',
      gbs(r.b),
      'memory.copy of the same bytes',
      { target: '>= 0.5x memory.copy', note: r.note('row indices from find; no hash lookups') },
    );
    // the second ceiling: the same random rows copied out of a dense matrix, no hash table
    // (rows.ts gatherRows, the same copy loop), so DRAM/TLB latency of random rows is priced in
    heap.i32.set(ranks, idx >> 2);
    const denseCopy = () => heap.exports.gatherRows(dense, n, GATHER_DIM, idx, batch, out, 0);
    const d = pair(ctx, () => wasm.readRows(rowIdx, view()), denseCopy, opts);
    emit(
      `gather of resolved rows vs a random-row copy from a dense [${n}, ${GATHER_DIM}] matrix (same rows)`,
      gbs(d.a),
      'GB/s',
      gbs(d.b),
      'dense random-row copy (no hash table)',
      { note: d.note('the ceiling for random rows: cache + TLB misses') },
    );
    // the table's rows as a dense [n, dim] matrix (tf.gather reads rows by index, no hashing)
    const params = ctx.tf.tensor2d(wasm.export().values, [n, GATHER_DIM]);
    const tfIdx = ctx.tf.tensor1d(ranks, 'int32');
    try {
      const g = pair(
        ctx,
        () => wasm.gather(keys, view()),
        () => ctx.tf.gather(params, tfIdx).dispose(),
        opts,
      );
      emit(
        `lookup + gather, uniform, dim ${GATHER_DIM}: dynemb vs tfjs tf.gather (${ctx.tf.getBackend()}, dense indices)`,
        gbs(g.a),
        'GB/s',
        gbs(g.b),
        'tfjs tf.gather',
        { note: g.note('tf.gather has no hash lookup') },
      );
    } finally {
      params.dispose();
      tfIdx.dispose();
    }
  } finally {
    for (const p of [out, src, dense, idx]) heap.free(p);
    wasm.dispose();
  }

  await st.next(`gather: resolved rows of a cache-resident table vs memory.copy`);
  const { wasm: small } = fill(ctx, SMALL_KEYS, GATHER_DIM, 65_536, false);
  const h = small.heap;
  const o = h.alloc(bytes, 'bench output');
  const s = filled(h, bytes, 'bench copy source');
  try {
    const keys = keysOfRanks(uniformRanks(SMALL_KEYS, batch, 5));
    const { rows: rowIdx } = small.find(keys);
    const view = () => h.f32.subarray(o >> 2, (o >> 2) + batch * GATHER_DIM);
    const r = pair(
      ctx,
      () => small.readRows(rowIdx, view()),
      () => h.exports.copyBytes(o, s, bytes),
      opts,
    );
    emit(
      `gather of resolved rows, uniform, dim ${GATHER_DIM}, ${SMALL_KEYS}-key table (cache-resident)`,
      gbs(r.a),
      'GB/s',
      gbs(r.b),
      'memory.copy of the same bytes',
      { target: '>= 0.5x memory.copy', note: r.note() },
    );
  } finally {
    h.free(o);
    h.free(s);
    small.dispose();
  }
}
