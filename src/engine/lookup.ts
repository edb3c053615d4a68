// The four TFRA lookups. Each one goes through `readUnique` (read.ts) and builds its output from
// the `[numUnique, dim]` rows with tfjs ops, so a training tape can differentiate through it.
import { optionsOf } from './options.js';
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, show } from './errors.js';
import { canLookupDense, denseLookup } from './dense-lookup.js';
import { checkMaxNorm, denseFromRows, readUnique, segmentCombineRows } from './read.js';
import { type IdsLike, type Keys, RaggedTensor, SparseTensor, toKeys, toSparse } from './tensor.js';
import { Variable, VARIABLE_VIEW, type VariableLike } from './variable.js';

/** How a sparse row's vectors are combined. */
export type SparseCombiner = 'sum' | 'mean' | 'sqrtn';

/** What `returnTrainable` hands back besides the embeddings (TFRA's TrainableWrapper). */
export interface TrainableWrapper {
  params: Variable;
  /** The unique keys read. */
  keys: Keys;
}

function checkParams(params: unknown, what: string): Variable {
  // a Variable placed on the worker pool reads through its in-process view
  const view = (params as { [VARIABLE_VIEW]?: unknown } | null)?.[VARIABLE_VIEW];
  if (view instanceof Variable) return view;
  if (!(params instanceof Variable)) {
    throw new InvalidArgumentError(`${what}: params must be a de.Variable, got ${show(params)}.`);
  }
  return params;
}

/**
 * Looks up ids of any shape in a Variable: shape `ids.shape + [dim]`. Never inserts (unless the
 * Variable has `insertOnLookup`); missing keys read the initializer. `maxNorm` clips each vector
 * to `v * maxNorm / max(‖v‖, maxNorm)`.
 *
 * @example
 * de.embeddingLookup(v, [[15, 2], [4, 92], [22, 4]]).shape; // [3, 2, v.dim]
 */
export function embeddingLookup(
  params: VariableLike,
  ids: IdsLike,
  options?: { name?: string; maxNorm?: number; returnTrainable?: false },
): tf.Tensor;
export function embeddingLookup(
  params: VariableLike,
  ids: IdsLike,
  options: { name?: string; maxNorm?: number; returnTrainable: true },
): { embeddings: tf.Tensor; trainable: TrainableWrapper };
export function embeddingLookup(
  params: VariableLike,
  ids: IdsLike,
  options?: { name?: string; maxNorm?: number; returnTrainable?: boolean },
): tf.Tensor | { embeddings: tf.Tensor; trainable: TrainableWrapper } {
  const what = 'embeddingLookup';
  options = optionsOf(options, what);
  const v = checkParams(params, what);
  const maxNorm = checkMaxNorm(options.maxNorm, what);
  const { keys, shape } = v.keysOf(ids, `${what} ids`);
  if (!options.returnTrainable && canLookupDense(v)) return denseLookup(v, keys, shape, maxNorm, false).values;
  let unique: Keys = keys;
  const embeddings = tf.tidy(() => {
    const r = readUnique(v, keys, { maxNorm });
    unique = r.unique;
    return denseFromRows(r, shape, v.dim);
  });
  return options.returnTrainable ? { embeddings, trainable: { params: v, keys: unique } } : embeddings;
}

/**
 * Same result as {@link embeddingLookup}, each distinct id read once (every lookup here is, and
 * unlike upstream TFRA, `maxNorm` is honoured).
 *
 * @example
 * de.embeddingLookupUnique(v, [7, 7, 7]).shape; // [3, dim], one table read
 */
export function embeddingLookupUnique(params: VariableLike, ids: IdsLike, options?: { maxNorm?: number }): tf.Tensor {
  return embeddingLookup(params, ids, { maxNorm: optionsOf(options, 'embeddingLookupUnique').maxNorm });
}

/** Checks a sparse combiner option. */
export function checkCombiner(c: unknown, what: string): SparseCombiner {
  if (c !== 'sum' && c !== 'mean' && c !== 'sqrtn') {
    throw new InvalidArgumentError(`${what}: combiner must be 'sum', 'mean' or 'sqrtn', got ${show(c)}.`);
  }
  return c;
}

function checkSameIndices(ids: SparseTensor, w: SparseTensor, what: string): void {
  if (w.denseShape.join(',') !== ids.denseShape.join(',') || w.nnz !== ids.nnz) {
    throw new InvalidArgumentError(
      `${what}: spWeights must have the indices and denseShape of spIds ([${ids.denseShape.join(', ')}], ${ids.nnz} values), got [${w.denseShape.join(', ')}] with ${w.nnz} values.`,
    );
  }
  for (let i = 0; i < ids.indices.length; i++) {
    if (ids.indices[i] !== w.indices[i]) {
      throw new InvalidArgumentError(
        `${what}: spWeights must have the same indices as spIds; they differ at flat position ${i}.`,
      );
    }
  }
}

/**
 * Per-entry factors that turn a segment sum into the combiner: sum w, mean w/Σw, sqrtn w/√Σw²
 * (Σ over the entry's segment); 0 where that denominator is 0 (empty or zero-weight segments:
 * divNoNan's 0). Null for an unweighted sum.
 */
export function combinerScale(
  segments: Int32Array,
  weights: Float32Array | null,
  combiner: SparseCombiner,
  numSegments: number,
): Float32Array | null {
  if (combiner === 'sum') return weights;
  const acc = new Float64Array(numSegments);
  for (let i = 0; i < segments.length; i++) {
    const w = weights ? weights[i] : 1;
    acc[segments[i]] += combiner === 'mean' ? w : Math.fround(w * w);
  }
  const denom = Float64Array.from(acc, (x) => (combiner === 'mean' ? x : Math.sqrt(Math.fround(x))));
  const scale = new Float32Array(segments.length);
  for (let i = 0; i < segments.length; i++) {
    const d = denom[segments[i]];
    scale[i] = d === 0 ? 0 : (weights ? weights[i] : 1) / d;
  }
  return scale;
}

/**
 * Combines `rows[index[i]]` into segment `segments[i]` (in `[0, numSegments)`) with optional
 * weights: sum Σwv, mean Σwv/Σw, sqrtn Σwv/√Σw². Empty segments are 0, never NaN. One linear
 * pass forward and one backward (segmentCombineRows).
 */
export function combineSegments(
  rows: tf.Tensor2D,
  index: Int32Array,
  segments: Int32Array,
  weights: Float32Array | null,
  combiner: SparseCombiner,
  numSegments: number,
): tf.Tensor2D {
  return segmentCombineRows(
    rows,
    index,
    segments,
    numSegments,
    combinerScale(segments, weights, combiner, numSegments),
  );
}

// Reads the ids of a rank-2 sparse tensor and combines them per row (indices[:, 0]).
function sparseCombine(
  v: Variable,
  keys: Keys,
  rows: Int32Array,
  weights: Float32Array | null,
  combiner: SparseCombiner,
  numRows: number,
  maxNorm: number | undefined,
): tf.Tensor2D {
  return tf.tidy(() => {
    if (keys.length === 0) return tf.zeros([numRows, v.dim], 'float32') as tf.Tensor2D;
    const r = readUnique(v, keys, { maxNorm });
    return combineSegments(r.rows, r.index, rows, weights, combiner, numRows);
  });
}

/** Parses sparse ids (and optional weights with the same indices) into keys of `v`. */
export function sparseInputs(
  v: Variable,
  spIds: SparseTensor | RaggedTensor,
  spWeights: SparseTensor | RaggedTensor | null,
  what: string,
): { sp: SparseTensor; keys: Keys; weights: Float32Array | null } {
  const sp = toSparse(spIds, `${what} spIds`);
  const keys = toKeys(sp.valuesAsIds(`${what} spIds`), v.keyDtype, `${what} spIds`);
  let weights: Float32Array | null = null;
  if (spWeights !== null && spWeights !== undefined) {
    const w = toSparse(spWeights, `${what} spWeights`);
    checkSameIndices(sp, w, what);
    weights = w.valuesAsWeights(`${what} spWeights`);
  }
  return { sp, keys, weights };
}

/**
 * Looks up a sparse batch of rank >= 2 and combines each row: output `[maxRow + 1, dim]`, rows
 * from `indices[:, 0]` (as TF and TFRA: every entry of a rank-3 batch's row 0 lands in output
 * row 0). `spWeights` (same indices) weight the entries; `null` means 1.
 *
 * @example
 * const sp = new de.SparseTensor({ indices: [[0, 0], [0, 1], [2, 0]], values: [1, 2, 3], denseShape: [3, 2] });
 * de.embeddingLookupSparse(v, sp, null, { combiner: 'mean' }).shape; // [3, dim]; row 1 is zeros
 */
export function embeddingLookupSparse(
  params: VariableLike,
  spIds: SparseTensor | RaggedTensor,
  spWeights: SparseTensor | RaggedTensor | null,
  options?: { combiner?: SparseCombiner; maxNorm?: number; name?: string },
): tf.Tensor2D {
  const what = 'embeddingLookupSparse';
  options = optionsOf(options, what);
  const v = checkParams(params, what);
  const combiner = checkCombiner(options.combiner ?? 'mean', what);
  const maxNorm = checkMaxNorm(options.maxNorm, what);
  const { sp, keys, weights } = sparseInputs(v, spIds, spWeights, what);
  if (sp.rank < 2) {
    throw new InvalidArgumentError(`${what}: spIds must have rank >= 2, got denseShape [${sp.denseShape.join(', ')}].`);
  }
  if (sp.nnz === 0) {
    throw new InvalidArgumentError(`${what}: the batch is empty (spIds has no values); expected at least one id.`);
  }
  // segments from indices[:, 0] whatever the rank, as TF / TFRA
  const rank = sp.rank;
  const rows = new Int32Array(sp.nnz);
  let maxRow = 0;
  for (let i = 0; i < sp.nnz; i++) {
    rows[i] = sp.indices[rank * i];
    maxRow = Math.max(maxRow, rows[i]);
  }
  return sparseCombine(v, keys, rows, weights, combiner, maxRow + 1, maxNorm);
}

/**
 * Sparse lookup for any rank ≥ 2: output `denseShape[:-1] + [dim]`. With a non-sum combiner,
 * entries of weight ≤ 0 are dropped; rows left empty read `defaultId`'s vector, or zeros.
 * Negative ids are ordinary keys. Never NaN.
 *
 * @example
 * const sp = new de.SparseTensor({ indices: [[0, 0, 0], [1, 1, 0]], values: [5, -1], denseShape: [2, 2, 3] });
 * de.safeEmbeddingLookupSparse(v, sp, null, { defaultId: 0 }).shape; // [2, 2, dim]
 */
export function safeEmbeddingLookupSparse(
  params: VariableLike,
  spIds: SparseTensor | RaggedTensor,
  spWeights: SparseTensor | RaggedTensor | null,
  options?: { combiner?: SparseCombiner; defaultId?: number | bigint | string; maxNorm?: number; name?: string },
): tf.Tensor {
  const what = 'safeEmbeddingLookupSparse';
  options = optionsOf(options, what);
  const v = checkParams(params, what);
  const combiner = checkCombiner(options.combiner ?? 'mean', what);
  const maxNorm = checkMaxNorm(options.maxNorm, what);
  const { sp, keys, weights } = sparseInputs(v, spIds, spWeights, what);
  if (sp.rank < 2) {
    throw new InvalidArgumentError(`${what}: spIds must have rank >= 2, got denseShape [${sp.denseShape.join(', ')}].`);
  }
  const outer = sp.denseShape.slice(0, -1);
  const numRows = outer.reduce((a, b) => a * b, 1);
  if (numRows === 0) {
    throw new InvalidArgumentError(
      `${what}: the batch is empty (denseShape [${sp.denseShape.join(', ')}]); expected at least one row.`,
    );
  }
  let defaultKey: Keys | undefined;
  if (options.defaultId !== undefined) {
    const d: unknown = options.defaultId;
    if (typeof d !== 'number' && typeof d !== 'bigint' && typeof d !== 'string') {
      throw new InvalidArgumentError(`${what}: defaultId must be one id (a number, bigint or string), got ${show(d)}.`);
    }
    defaultKey = v.keysOf([options.defaultId] as IdsLike, `${what} defaultId`).keys;
  }
  // Flatten the leading coordinates to one row index (reshape to 2-D, as TF).
  const rank = sp.rank;
  const rowOf = new Int32Array(sp.nnz);
  for (let i = 0; i < sp.nnz; i++) {
    let r = 0;
    for (let j = 0; j < rank - 1; j++) r = r * sp.denseShape[j] + sp.indices[i * rank + j];
    rowOf[i] = r;
  }
  let keep: number[] | undefined;
  if (weights && combiner !== 'sum') {
    keep = [];
    for (let i = 0; i < weights.length; i++) if (weights[i] > 0) keep.push(i);
  }
  const pick = <T extends Keys | Float32Array | Int32Array>(a: T): T =>
    (keep === undefined
      ? a
      : a instanceof Int32Array
        ? Int32Array.from(keep, (i) => a[i])
        : a instanceof Float32Array
          ? Float32Array.from(keep, (i) => a[i])
          : a instanceof BigInt64Array
            ? BigInt64Array.from(keep, (i) => a[i])
            : keep.map((i) => (a as string[])[i])) as T;
  const k = pick(keys);
  const rows = pick(rowOf);
  const w = weights ? pick(weights) : null;
  const hasEntry = new Uint8Array(numRows);
  for (const r of rows) hasEntry[r] = 1;
  return tf.tidy(() => {
    let out = sparseCombine(v, k, rows, w, combiner, numRows, maxNorm);
    const empty = hasEntry.indexOf(0) !== -1;
    if (empty && defaultKey !== undefined) {
      const r = readUnique(v, defaultKey, { maxNorm });
      const fill = tf.broadcastTo(r.rows, [numRows, v.dim]);
      const mask = tf.tensor2d(hasEntry, [numRows, 1], 'bool');
      out = tf.where(tf.broadcastTo(mask, [numRows, v.dim]), out, fill) as tf.Tensor2D;
    }
    return tf.reshape(out, [...outer, v.dim]);
  });
}
