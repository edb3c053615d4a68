// The Lookup inspector: a batch looked up through a feature with the engine call the feature's
// input kind and combiner name (the TFRA Embedding / SquashedEmbedding, safe sparse lookup, or
// TensorX sequence Lookup), on the table's gather path; the output tensor, and for every id
// whether it was held (hit), missed, or inserted, its shard, slot, row, vector and norm.
// A table on the worker pool is read with the same calls, awaited.
import * as tf from '@tensorflow/tfjs';
import * as de from '../../engine/index.js';
import type { IdInfo, LookupReply, WorkerBatch, WorkerFeature, WorkerTable, GatherInfo } from '../protocol.js';
import { peek } from '../training/peek.js';
import type { GatherChoices } from './gather.js';
import { isPooled, type TableRegistry } from './tables.js';

/** Flat ids as the nested array `shape` describes. */
function nest(flat: unknown[], shape: number[]): unknown {
  if (shape.length === 0) return flat[0];
  let k = 0;
  const rec = (d: number): unknown[] => {
    const out: unknown[] = [];
    for (let i = 0; i < shape[d]; i++) out.push(d === shape.length - 1 ? flat[k++] : rec(d + 1));
    return out;
  };
  return rec(0);
}

/** A batch's row splits (a dense batch: rows of equal length). */
function rowSplitsOf(b: WorkerBatch): number[] {
  if (b.rowSplits) return b.rowSplits;
  const rows = b.shape[0];
  const n = b.shape.length > 1 ? b.ids.length / rows : 1;
  return Array.from({ length: rows + 1 }, (_, r) => r * n);
}

/**
 * Looks a batch up through a feature in one of the session's tables.
 *
 * @example
 * const reply = await new Inspector(tables, gather).lookup(tableSpec, feature, batch);
 * reply.shape; // [3, 2, 8] for a [3, 2] batch of a dim-8 table (embedding)
 */
export class Inspector {
  constructor(
    private readonly tables: TableRegistry,
    private readonly gather: GatherChoices,
  ) {}

  async lookup(t: WorkerTable, f: WorkerFeature, b: WorkerBatch): Promise<LookupReply> {
    const t0 = performance.now();
    const held = this.tables.heldFor(t);
    const any = await held.ready;
    if (isPooled(any)) return pooledLookup(t, f, b, any, held.router!, this.tables.poolWorkers, t0);
    const v = any;
    const maxNorm = t.maxNorm > 0 ? t.maxNorm : undefined;
    let gather = await this.gather.choose(t.gather);
    // The GPU mirror serves dense reads of stored rows; a lookup that inserts, or a sparse one,
    // runs the WASM path.
    // The GPU mirror's lookupSparse is embeddingLookupSparse: it equals the safe lookup the
    // inspector runs when no row is empty and no weight is pruned (weight <= 0 with mean / sqrtn).
    const splitsAll = rowSplitsOf(b);
    const emptyRow = splitsAll.some((x, r) => r > 0 && x === splitsAll[r - 1]);
    const pruned = b.weights !== null && f.combiner !== 'sum' && b.weights.some((x) => x <= 0);
    if (gather.used === 'webgl' && (t.insertOnLookup || (f.op === 'sparse' && (emptyRow || pruned)))) {
      gather = {
        ...gather,
        used: 'wasm',
        fellBack: true,
        reason: t.insertOnLookup
          ? 'this table inserts on lookup, which the read-only GPU mirror cannot do, so this lookup gathers in WASM'
          : `this batch has ${emptyRow ? 'an empty row' : 'a weight <= 0, which the safe lookup prunes'}, which only safeEmbeddingLookupSparse handles (in WASM), so this lookup gathers in WASM`,
      };
    }
    const gpu = gather.used === 'webgl' ? new de.gpu.GpuGather(v) : null;
    // Rows of ids ([...ids.shape, dim], clipped to maxNorm) through the table's gather path.
    const gatherRows = (ids: de.NestedIds): tf.Tensor =>
      gpu ? gpu.lookup(ids, { maxNorm }) : (de.embeddingLookup(v, ids, { maxNorm }) as tf.Tensor);
    const rowsCall = gpu ? `new de.gpu.GpuGather(${t.name}).lookup` : 'de.embeddingLookup';
    const dense = nest(b.ids, b.shape) as de.NestedIds;
    // Which keys are held before the lookup (a lookup with insertOnLookup inserts the others).
    const { keys } = v.keysOf(b.ids as de.NestedIds, 'ids');
    const before = peek(v, keys);
    let engineCall: string;
    let out: tf.Tensor;
    try {
      out = tf.tidy(() => {
        if (f.op === 'embedding') {
          engineCall = gpu
            ? `${rowsCall}(ids${maxNorm ? `, { maxNorm: ${maxNorm} }` : ''})`
            : `de.embeddingLookup(${t.name}, ids${maxNorm ? `, { maxNorm: ${maxNorm} }` : ''})`;
          return gatherRows(dense);
        }
        if (f.op === 'squashed') {
          const e = gatherRows(dense);
          const axes = b.shape.length === 1 ? [0] : Array.from({ length: b.shape.length - 1 }, (_, i) => i + 1);
          engineCall = `${gpu ? rowsCall : `de.embeddingLookup(${t.name}, `}ids) then tf.${f.combiner === 'sum' ? 'sum' : 'mean'} over axes [${axes.join(', ')}]${f.combiner === 'sqrtn' ? ' × √n' : ''}`;
          if (f.combiner === 'sum') return tf.sum(e, axes);
          const n = axes.reduce((a, ax) => a * b.shape[ax], 1);
          if (f.combiner === 'mean') return tf.mean(e, axes);
          return tf.div(tf.sum(e, axes), Math.sqrt(n));
        }
        const splits = rowSplitsOf(b);
        const rows = splits.length - 1;
        let longest = 0;
        for (let r = 0; r < rows; r++) longest = Math.max(longest, splits[r + 1] - splits[r]);
        if (f.op === 'sparse') {
          const indices: number[][] = [];
          for (let r = 0; r < rows; r++) for (let j = 0; j < splits[r + 1] - splits[r]; j++) indices.push([r, j]);
          const denseShape = [rows, Math.max(1, longest)];
          const sp = new de.SparseTensor({ indices, values: b.ids as number[], denseShape });
          const w = b.weights ? new de.SparseTensor({ indices, values: b.weights, denseShape }) : null;
          if (gpu) {
            engineCall = `new de.gpu.GpuGather(${t.name}).lookupSparse(spIds, ${w ? 'spWeights' : 'null'}, { combiner: '${f.combiner}'${maxNorm ? `, maxNorm: ${maxNorm}` : ''} })`;
            return gpu.lookupSparse(sp, w, { combiner: f.combiner === 'none' ? 'mean' : f.combiner, maxNorm });
          }
          engineCall = `de.safeEmbeddingLookupSparse(${t.name}, spIds, ${w ? 'spWeights' : 'null'}, { combiner: '${f.combiner}'${maxNorm ? `, maxNorm: ${maxNorm}` : ''} })`;
          return de.safeEmbeddingLookupSparse(v, sp, w, {
            combiner: f.combiner === 'none' ? 'mean' : f.combiner,
            maxNorm,
          }) as tf.Tensor;
        }
        // sequence: every row's vectors, padded with zero vectors to maxSequenceLength (TensorX Lookup).
        const seq = f.maxSequenceLength;
        const flat = gatherRows(b.ids as de.NestedIds) as tf.Tensor2D;
        const gather: number[] = [];
        const mask: number[] = [];
        for (let r = 0; r < rows; r++) {
          for (let j = 0; j < seq; j++) {
            const k = splits[r] + j;
            const inRow = k < splits[r + 1];
            gather.push(inRow ? k : 0);
            mask.push(inRow ? 1 : 0);
          }
        }
        engineCall = `${gpu ? rowsCall : `de.embeddingLookup(${t.name}, `}ids) padded with zero vectors to [${rows}, ${seq}, ${t.dim}] (TensorX Lookup, seqSize ${seq})`;
        const g = tf.gather(flat, tf.tensor1d(gather, 'int32'));
        return tf.mul(g, tf.tensor2d(mask, [mask.length, 1])).reshape([rows, seq, t.dim]);
      });
    } finally {
      gpu?.dispose();
    }
    const output = out.dataSync() as Float32Array;
    const shape = out.shape.slice();
    out.dispose();

    // Per id: held before or not, where it lives now, and the vector the lookup read.
    const vectors = before.values;
    const shards = v.shardOf(keys);
    const slotOfRow = new Map<string, number>();
    const infos: IdInfo[] = [];
    for (let i = 0; i < b.ids.length; i++) {
      const s = shards[i];
      const table = v.shards[s];
      const one = (
        keys instanceof BigInt64Array
          ? BigInt64Array.of(keys[i])
          : keys instanceof Int32Array
            ? Int32Array.of(keys[i])
            : [keys[i]]
      ) as de.Keys;
      const found = table.find(one);
      const row = found.exists[0] ? found.rows[0] : -1;
      let slot = -1;
      if (row >= 0) {
        const cacheKey = `${s}:${row}`;
        if (!slotOfRow.has(cacheKey)) {
          const ins = table.inspect();
          for (let k = 0; k < ins.rows.length; k++) if (ins.rows[k] >= 0) slotOfRow.set(`${s}:${ins.rows[k]}`, k);
        }
        slot = slotOfRow.get(cacheKey) ?? -1;
      }
      const vector = vectors.slice(i * t.dim, (i + 1) * t.dim);
      let sq = 0;
      for (const x of vector) sq += x * x;
      const norm = Math.sqrt(sq);
      infos.push({
        id: typeof b.ids[i] === 'string' ? JSON.stringify(b.ids[i]) : String(b.ids[i]),
        status: before.exists[i] ? 'hit' : row >= 0 ? 'inserted' : 'miss',
        shard: s,
        worker: -1,
        slot,
        row,
        vector,
        norm,
        clipped: maxNorm !== undefined && norm > maxNorm,
      });
    }
    return {
      feature: f.name,
      table: t.name,
      engineCall: engineCall!,
      shape,
      output,
      ids: infos,
      tableSize: v.size(),
      insertOnLookup: v.insertOnLookup,
      gather,
      poolWorkers: null,
      ms: performance.now() - t0,
    };
  }
}

/**
 * The inspector's lookup of a table on the worker pool: the same engine calls, awaited (the
 * rows are fetched from the workers), and per id its shard and the worker holding it. Which ids
 * are held is read first (a pooled lookup never inserts).
 */
async function pooledLookup(
  t: WorkerTable,
  f: WorkerFeature,
  b: WorkerBatch,
  pv: de.pool.PooledVariable,
  router: de.Variable,
  poolWorkers: number,
  t0: number,
): Promise<LookupReply> {
  const maxNorm = t.maxNorm > 0 ? t.maxNorm : undefined;
  const gather: GatherInfo = {
    asked: t.gather,
    used: 'wasm',
    reason: `this table is on the worker pool: its rows are gathered in WASM on the ${poolWorkers} pool workers and assembled here`,
    fellBack: t.gather !== 'wasm',
  };
  const flatIds = b.ids as de.NestedIds;
  const before = await pv.lookup(flatIds, { returnExists: true });
  const vectors = (await before.values.data()) as Float32Array;
  before.values.dispose();
  const splits = rowSplitsOf(b);
  const rows = splits.length - 1;
  let engineCall: string;
  let out: tf.Tensor;
  if (f.op === 'sparse') {
    let longest = 0;
    const indices: number[][] = [];
    for (let r = 0; r < rows; r++) {
      longest = Math.max(longest, splits[r + 1] - splits[r]);
      for (let j = 0; j < splits[r + 1] - splits[r]; j++) indices.push([r, j]);
    }
    const denseShape = [rows, Math.max(1, longest)];
    const sp = new de.SparseTensor({ indices, values: b.ids as number[], denseShape });
    const w = b.weights ? new de.SparseTensor({ indices, values: b.weights, denseShape }) : null;
    engineCall = `await ${t.name}.safeLookupSparse(spIds, ${w ? 'spWeights' : 'null'}, { combiner: '${f.combiner}'${maxNorm ? `, maxNorm: ${maxNorm}` : ''} }) (pooled)`;
    out = await pv.safeLookupSparse(sp, w, { combiner: f.combiner === 'none' ? 'mean' : f.combiner, maxNorm });
  } else if (f.op === 'sequence') {
    const seq = f.maxSequenceLength;
    const flat = await pv.lookup(flatIds, { maxNorm });
    const idx: number[] = [];
    const mask: number[] = [];
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < seq; j++) {
        const k = splits[r] + j;
        const inRow = k < splits[r + 1];
        idx.push(inRow ? k : 0);
        mask.push(inRow ? 1 : 0);
      }
    }
    engineCall = `await ${t.name}.lookup(ids) (pooled) padded with zero vectors to [${rows}, ${seq}, ${t.dim}] (TensorX Lookup, seqSize ${seq})`;
    out = tf.tidy(() =>
      tf
        .mul(tf.gather(flat, tf.tensor1d(idx, 'int32')), tf.tensor2d(mask, [mask.length, 1]))
        .reshape([rows, seq, t.dim]),
    );
    flat.dispose();
  } else {
    const e = await pv.lookup(nest(b.ids, b.shape) as de.NestedIds, { maxNorm });
    const call = `await ${t.name}.lookup(ids${maxNorm ? `, { maxNorm: ${maxNorm} }` : ''}) (pooled)`;
    if (f.op === 'embedding') {
      engineCall = call;
      out = e;
    } else {
      const axes = b.shape.length === 1 ? [0] : Array.from({ length: b.shape.length - 1 }, (_, i) => i + 1);
      engineCall = `${call} then tf.${f.combiner === 'sum' ? 'sum' : 'mean'} over axes [${axes.join(', ')}]${f.combiner === 'sqrtn' ? ' × √n' : ''}`;
      out = tf.tidy(() => {
        if (f.combiner === 'sum') return tf.sum(e, axes);
        if (f.combiner === 'mean') return tf.mean(e, axes);
        const n = axes.reduce((a, ax) => a * b.shape[ax], 1);
        return tf.div(tf.sum(e, axes), Math.sqrt(n));
      });
      e.dispose();
    }
  }
  const output = (await out.data()) as Float32Array;
  const shape = out.shape.slice();
  out.dispose();
  const { keys } = router.keysOf(flatIds, 'ids');
  const shards = router.shardOf(keys);
  const infos: IdInfo[] = [];
  for (let i = 0; i < b.ids.length; i++) {
    const vector = vectors.slice(i * t.dim, (i + 1) * t.dim);
    let sq = 0;
    for (const x of vector) sq += x * x;
    const norm = Math.sqrt(sq);
    infos.push({
      id: typeof b.ids[i] === 'string' ? JSON.stringify(b.ids[i]) : String(b.ids[i]),
      status: before.exists[i] ? 'hit' : 'miss',
      shard: shards[i],
      worker: shards[i] % poolWorkers,
      slot: -1,
      row: -1,
      vector,
      norm,
      clipped: maxNorm !== undefined && norm > maxNorm,
    });
  }
  return {
    feature: f.name,
    table: t.name,
    engineCall: engineCall,
    shape,
    output,
    ids: infos,
    tableSize: await pv.size(),
    insertOnLookup: false,
    gather,
    poolWorkers,
    ms: performance.now() - t0,
  };
}
