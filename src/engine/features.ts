// The one feature-lookup path: a feature spec (input kind, combiner, max sequence length, weights,
// maxNorm) and a batch of its ids become the output tensor, optionally the provenance of every id
// (the inspector's view: held or not, where it lives, which output vector it adds into and with what
// factor), and one read on the training tape. The playground's inspector, its trainer, the demo
// and the TPU simulator all look features up here, on every backend (see feature-source.ts).
import * as tf from '@tensorflow/tfjs';
import {
  type DropReason,
  type FeatureBatch,
  type FeatureOp,
  type FeatureSpec,
  type FeaturePlan,
  planFeature,
} from './feature-plan.js';
import { type FeatureBackend, type FeatureTable, pooledTable, type RowSource, rowSource } from './feature-source.js';
import { withPoolRows } from './pool/variable.js';
import { gatherByIndex, segmentCombineRows } from './read.js';
import { pickKeys } from './table-keys.js';
import type { Id, Keys } from './tensor.js';

export type {
  DropReason,
  FeatureBatch,
  FeatureCombiner,
  FeatureInputKind,
  FeatureOp,
  FeatureSpec,
} from './feature-plan.js';
export { featureOp } from './feature-plan.js';
export type { FeatureBackend, FeatureTable } from './feature-source.js';

/** What the lookup did with one id of the batch (in batch order). */
export interface IdProvenance {
  /** The id as given. */
  id: Id;
  /**
   * 'hit': the table held the key; 'miss': it did not, the vector is the initializer's value and the
   * table is unchanged (TFRA lookup); 'inserted': it did not, and this lookup inserted it (insertOnLookup).
   */
  status: 'hit' | 'miss' | 'inserted';
  /** Null when the id was read; 'pruned': weight ≤ 0 with mean / sqrtn (safe lookup); 'cut': past maxSequenceLength. */
  dropped: DropReason | null;
  shard: number;
  /** The pool worker holding the shard, -1 off the pool. */
  worker: number;
  /** Slot in the shard's control bytes; -1 when not held, or on the pool (not read there). */
  slot: number;
  /** Row in the shard's value arena (a dense table: the id); -1 when not held, or on the pool. */
  row: number;
  /** The output vector this id adds into, row-major over the output's shape without `dim`; -1 when dropped. */
  cell: number;
  /** The factor its (clipped) vector is multiplied by there: 1, w, 1/n, w/Σw, 1/√n, w/√Σw²; 0 when dropped. */
  weight: number;
  /** The stored (or initializer) vector, before maxNorm. */
  vector: Float32Array;
  norm: number;
  /** maxNorm scales this vector down. */
  clipped: boolean;
}

/** What {@link featureLookup} returns. */
export interface FeatureLookupResult {
  /**
   * embedding: `shape(ids) + [dim]`; squashed: `[rows, dim]` (`[dim]` for a rank-1 batch); sparse:
   * `[rows, dim]`; sequence: `[rows, maxSequenceLength, dim]`.
   */
  output: tf.Tensor;
  op: FeatureOp;
  /** The equivalent engine call, in words (what the inspector shows). */
  call: string;
  backend: FeatureBackend;
  /** One entry per id of the batch, or null unless `{ provenance: true }`. */
  provenance: IdProvenance[] | null;
}

/** Options of {@link featureLookup}. */
export interface FeatureLookupOptions {
  /** Also report every id's provenance (costs a table peek and a find per id; off by default). */
  provenance?: boolean;
}

const round = (x: number) => String(Number(x.toPrecision(6)));

function callOf(src: RowSource, plan: FeaturePlan, batch: FeatureBatch, shape: readonly number[]): string {
  const { name, dim } = src;
  const mn = plan.maxNorm !== undefined ? `, { maxNorm: ${round(plan.maxNorm)} }` : '';
  const mn2 = plan.maxNorm !== undefined ? `, maxNorm: ${round(plan.maxNorm)}` : '';
  const rows =
    src.backend === 'webgl'
      ? `new de.gpu.GpuGather(${name}).lookup(ids${mn})`
      : src.backend === 'pool'
        ? `await ${name}.lookup(ids${mn}) (pooled)`
        : src.backend === 'dense'
          ? `tf.gather(table, ids)${plan.maxNorm !== undefined ? ` clipped to maxNorm ${round(plan.maxNorm)}` : ''}`
          : `de.embeddingLookup(${name}, ids${mn})`;
  switch (plan.op) {
    case 'embedding':
      return rows;
    case 'squashed': {
      const axes = shape.length === 1 ? [0] : Array.from({ length: shape.length - 1 }, (_, i) => i + 1);
      return `${rows} then tf.${plan.combiner === 'sum' ? 'sum' : 'mean'} over axes [${axes.join(', ')}]${plan.combiner === 'sqrtn' ? ' × √n' : ''}`;
    }
    case 'sparse': {
      const args = `spIds, ${batch.weights ? 'spWeights' : 'null'}, { combiner: '${plan.combiner}'${mn2} }`;
      if (src.backend === 'webgl') return `new de.gpu.GpuGather(${name}).lookupSparse(${args})`;
      if (src.backend === 'pool') return `await ${name}.safeLookupSparse(${args}) (pooled)`;
      if (src.backend === 'dense') return `tf.gather(table, ids), ${plan.combiner} per row`;
      return `de.safeEmbeddingLookupSparse(${name}, ${args})`;
    }
    case 'sequence': {
      const [B, L] = plan.outShape;
      return `${rows} padded with zero vectors to [${B}, ${L}, ${dim}] (TensorX Lookup, seqSize ${L})`;
    }
  }
}

function provenanceOf(
  src: RowSource,
  plan: FeaturePlan,
  ids: FeatureBatch['ids'],
  keys: Keys,
  before: { values: Float32Array; exists: Uint8Array },
): IdProvenance[] {
  const dim = src.dim;
  const places = src.locate(keys);
  const out: IdProvenance[] = [];
  for (let i = 0; i < keys.length; i++) {
    const vector = before.values.slice(i * dim, (i + 1) * dim);
    let sq = 0;
    for (const x of vector) sq += x * x;
    const norm = Math.sqrt(sq);
    const p = places[i];
    out.push({
      id: ids[i],
      status: before.exists[i] ? 'hit' : p.held ? 'inserted' : 'miss',
      dropped: plan.dropped[i],
      shard: p.shard,
      worker: p.worker,
      slot: p.slot,
      row: p.row,
      cell: plan.cellOf[i],
      weight: plan.weightOf[i],
      vector,
      norm,
      clipped: plan.maxNorm !== undefined && norm > plan.maxNorm,
    });
  }
  return out;
}

/**
 * Looks up one feature's batch: the single path from a feature spec and its ids to the output
 * tensor, the provenance of every id (with `{ provenance: true }`) and the read training sees
 * (inside `de.train.step` the read is taped, so the table gets gradients through it).
 *
 * - input 'dense', combiner 'none': `shape(ids) + [dim]`, one vector per id (TFRA `layers.Embedding`);
 * - input 'dense' with a combiner: each example combined to one vector (`SquashedEmbedding`);
 * - input 'sparse' / 'ragged' (rows): one vector per row with 'sum' | 'mean' | 'sqrtn' and optional
 *   weights, weights ≤ 0 pruned for mean / sqrtn, empty rows zeros (`safeEmbeddingLookupSparse`);
 * - `maxSequenceLength` L > 0: `[rows, L, dim]`, rows zero-padded, ids past L cut (TensorX `Lookup`).
 *
 * `table` is a `de.Variable` (WASM), a pooled Variable (inside `await de.train.step(..., { async: true })`;
 * outside one use {@link featureLookupAsync}), a `de.gpu.GpuGather` (WebGL) or a float32 tensor
 * `[vocabularySize, dim]` whose rows the ids name (a TPU table; differentiable with `tf.grads`).
 * A bad spec or batch throws an InvalidArgumentError before anything is read.
 *
 * @example
 * const v = new de.Variable({ name: 'tags', dim: 2 });
 * v.upsert([1, 2], [[1, 0], [0, 4]]);
 * const r = de.featureLookup(v, { input: 'ragged', combiner: 'mean' },
 *   { ids: [1, 2, 9], rowSplits: [0, 2, 2, 3], weights: [1, 3, 1] }, { provenance: true });
 * r.output.arraySync();           // [[0.25, 3], [0, 0], [0, 0]]: row 0 = (1·[1,0] + 3·[0,4]) / 4, row 1 empty, id 9 missing (zeros)
 * r.provenance![1];               // { id: 2, status: 'hit', cell: 0, weight: 0.75, row: 1, ... }
 * de.train.step(opt, () => tf.sum(de.featureLookup(v, spec, batch).output)); // trains rows 1, 2, 9
 */
export function featureLookup(
  table: FeatureTable,
  feature: FeatureSpec,
  batch: FeatureBatch,
  options: FeatureLookupOptions = {},
): FeatureLookupResult {
  const what = 'featureLookup';
  const plan = planFeature(feature, batch, what);
  const src = rowSource(table, what);
  const keys = src.keysOf(batch.ids, what);
  const withProvenance = options !== null && typeof options === 'object' && options.provenance === true;
  const before = withProvenance ? src.peek(keys) : null;
  const readKeys = plan.read.length === keys.length ? keys : pickKeys(keys, plan.read);
  const output = tf.tidy(() => {
    let flat: tf.Tensor2D;
    if (readKeys.length === 0) flat = tf.zeros([plan.numCells, src.dim]);
    else {
      const r = src.read(readKeys, plan.maxNorm);
      // one vector per id (embedding): a gather; otherwise a weighted sum into cells (zeros where none)
      flat =
        plan.op === 'embedding'
          ? gatherByIndex(r.rows, r.index)
          : segmentCombineRows(r.rows, r.index, plan.cells, plan.numCells, plan.scale);
    }
    return tf.reshape(flat, [...plan.outShape, src.dim]);
  });
  const shape = batch.shape ?? [batch.ids.length];
  return {
    output,
    op: plan.op,
    call: callOf(src, plan, batch, shape),
    backend: src.backend,
    provenance: before ? provenanceOf(src, plan, batch.ids, keys, before) : null,
  };
}

/**
 * {@link featureLookup} for any table, awaiting the rows of a Variable placed on the worker pool
 * first (outside a training step a pooled Variable's rows are only read asynchronously).
 *
 * @example
 * const r = await de.featureLookupAsync(pooled, { combiner: 'sum' }, { ids: [1, 2, 3, 4], shape: [2, 2] });
 * r.output.shape; // [2, dim]
 */
export async function featureLookupAsync(
  table: FeatureTable,
  feature: FeatureSpec,
  batch: FeatureBatch,
  options: FeatureLookupOptions = {},
): Promise<FeatureLookupResult> {
  const run = () => featureLookup(table, feature, batch, options);
  if (!pooledTable(table)) return run();
  return withPoolRows(run, run);
}
