// The inputs a TPU embedding lookup accepts, by structure rather than class, so that de.SparseTensor /
// de.RaggedTensor (src/engine/tensor.ts) and plain `{ indices, values, denseShape }` /
// `{ values, rowSplits }` objects both work; plus the contiguous batch split strategy.run uses.
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, show } from '../errors.js';

/** Values of a sparse or ragged input: ids (integers) or weights (floats). */
export type InputValues = ArrayLike<number> | ArrayLike<bigint> | ArrayLike<string>;

/** A COO sparse tensor (as tf.SparseTensor / de.SparseTensor). `indices` is `[nnz][rank]` or flat row-major. */
export interface SparseLike {
  indices: Int32Array | readonly (readonly number[])[];
  values: InputValues;
  denseShape: readonly number[];
}

/** A rank-2 ragged tensor (as tf.RaggedTensor / de.RaggedTensor). */
export interface RaggedLike {
  values: InputValues;
  rowSplits: ArrayLike<number>;
}

/** Nested rectangular arrays of numbers (dense ids or dense weights). */
export type NestedNumbers = number | bigint | readonly NestedNumbers[];

/** One feature's ids: dense (nested arrays or an int32 tf.Tensor), sparse or ragged. */
export type FeatureInput = tf.Tensor | readonly NestedNumbers[] | SparseLike | RaggedLike;

/** One feature's weights: the same kind as its ids (sparse/ragged with float values), or none. */
export type WeightInput = FeatureInput | null | undefined;

/** Which of the three TF input types a value is. */
export type InputKind = 'dense' | 'sparse' | 'ragged';

/** Classifies an input, or returns undefined when it is none of dense / sparse / ragged. */
export function inputKind(x: unknown): InputKind | undefined {
  if (x instanceof tf.Tensor || Array.isArray(x)) return 'dense';
  if (x !== null && typeof x === 'object') {
    if ('denseShape' in x && 'indices' in x && 'values' in x) return 'sparse';
    if ('rowSplits' in x && 'values' in x) return 'ragged';
  }
  return undefined;
}

/** The type name TF would print for an input. */
export function typeName(x: unknown): string {
  const kind = inputKind(x);
  if (kind === 'dense') return x instanceof tf.Tensor ? 'Tensor' : 'Tensor (nested array)';
  if (kind === 'sparse') return 'SparseTensor';
  if (kind === 'ragged') return 'RaggedTensor';
  return show(x);
}

/** Flat row-major sparse indices of a rank-`rank` sparse input. */
export function flatIndices(sp: SparseLike, what: string): Int32Array {
  const rank = sp.denseShape.length;
  const nnz = sp.values.length;
  if (sp.indices instanceof Int32Array) {
    if (sp.indices.length !== nnz * rank) {
      throw new InvalidArgumentError(
        `${what}: flat indices must have length nnz*rank = ${nnz * rank}, got ${sp.indices.length}.`,
      );
    }
    return sp.indices;
  }
  if (!Array.isArray(sp.indices) || sp.indices.length !== nnz) {
    throw new InvalidArgumentError(
      `${what}: indices must hold one [${rank}] index per value (${nnz}), got ${show(sp.indices)}.`,
    );
  }
  const out = new Int32Array(nnz * rank);
  sp.indices.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== rank) {
      throw new InvalidArgumentError(`${what}: indices[${i}] must be ${rank} integers, got ${show(row)}.`);
    }
    for (let j = 0; j < rank; j++) out[i * rank + j] = row[j];
  });
  return out;
}

/** The batch size (first dimension) of an input. */
export function batchSizeOf(x: FeatureInput, what: string): number {
  const kind = inputKind(x);
  if (kind === 'sparse') return (x as SparseLike).denseShape[0];
  if (kind === 'ragged') return (x as RaggedLike).rowSplits.length - 1;
  if (x instanceof tf.Tensor) {
    if (x.rank === 0) throw new InvalidArgumentError(`${what}: a scalar has no batch dimension to split.`);
    return x.shape[0];
  }
  if (Array.isArray(x)) return x.length;
  throw new InvalidArgumentError(`${what}: expected a Tensor, SparseTensor or RaggedTensor, got ${show(x)}.`);
}

function pick<T extends InputValues>(values: T, from: number, to: number, keep?: number[]): T {
  // Keeps the container type (Int32Array stays Int32Array, plain arrays stay arrays).
  const v = values as unknown as { slice?: (a: number, b: number) => T };
  if (keep === undefined) {
    if (typeof v.slice === 'function') return v.slice(from, to);
    return Array.prototype.slice.call(values, from, to) as unknown as T;
  }
  if (ArrayBuffer.isView(values)) {
    const Ctor = (values as unknown as { constructor: new (n: number) => { [i: number]: unknown } }).constructor;
    const out = new Ctor(keep.length);
    keep.forEach((k, i) => {
      out[i] = (values as unknown as { [i: number]: unknown })[k];
    });
    return out as unknown as T;
  }
  return keep.map((k) => (values as ArrayLike<unknown>)[k]) as unknown as T;
}

/**
 * Rows `[core * B/n, (core+1) * B/n)` of an input, as the same kind of input (sparse rows are
 * renumbered from 0). The caller has checked that B is divisible by n.
 *
 * @example
 * sliceBatch([[1], [2], [3], [4]], 1, 2); // [[3], [4]]
 */
export function sliceBatch(x: FeatureInput, core: number, numCores: number): FeatureInput {
  const what = 'batch';
  const b = batchSizeOf(x, what) / numCores;
  const lo = core * b;
  const hi = lo + b;
  const kind = inputKind(x);
  if (x instanceof tf.Tensor) return tf.slice(x, [lo], [b]);
  if (kind === 'dense') return (x as readonly NestedNumbers[]).slice(lo, hi);
  if (kind === 'ragged') {
    const r = x as RaggedLike;
    const a = r.rowSplits[lo];
    const z = r.rowSplits[hi];
    const rowSplits = new Int32Array(b + 1);
    for (let i = 0; i <= b; i++) rowSplits[i] = r.rowSplits[lo + i] - a;
    return { values: pick(r.values, a, z), rowSplits };
  }
  const sp = x as SparseLike;
  const rank = sp.denseShape.length;
  const idx = flatIndices(sp, what);
  const keep: number[] = [];
  for (let i = 0; i < sp.values.length; i++) {
    const row = idx[i * rank];
    if (row >= lo && row < hi) keep.push(i);
  }
  const indices = new Int32Array(keep.length * rank);
  keep.forEach((k, i) => {
    indices[i * rank] = idx[k * rank] - lo;
    for (let j = 1; j < rank; j++) indices[i * rank + j] = idx[k * rank + j];
  });
  return { indices, values: pick(sp.values, 0, 0, keep), denseShape: [b, ...sp.denseShape.slice(1)] };
}

function isLeaf(x: unknown): x is FeatureInput {
  if (x instanceof tf.Tensor) return true;
  const kind = inputKind(x);
  if (kind === 'sparse' || kind === 'ragged') return true;
  if (!Array.isArray(x)) return false;
  // A nested array whose first leaf is a number is dense data; an array of inputs is a structure.
  let probe: unknown = x;
  while (Array.isArray(probe) && probe.length > 0) probe = probe[0];
  return typeof probe === 'number' || typeof probe === 'bigint' || Array.isArray(probe);
}

/** Visits every input leaf of a nested structure (records and arrays of inputs). */
export function forEachLeaf(x: unknown, path: string, fn: (leaf: FeatureInput, path: string) => void): void {
  if (x === null || x === undefined) return;
  if (isLeaf(x)) fn(x, path);
  else if (Array.isArray(x)) {
    x.forEach((v, i) => {
      forEachLeaf(v, `${path}[${i}]`, fn);
    });
  } else if (typeof x === 'object') {
    for (const [k, v] of Object.entries(x)) forEachLeaf(v, path ? `${path}.${k}` : k, fn);
  }
}

/** Maps every input leaf of a nested structure; other values are kept as they are. */
export function mapLeaves(x: unknown, fn: (leaf: FeatureInput) => unknown): unknown {
  if (x === null || x === undefined) return x;
  if (isLeaf(x)) return fn(x);
  if (Array.isArray(x)) return x.map((v) => mapLeaves(v, fn));
  if (typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) out[k] = mapLeaves(v, fn);
    return out;
  }
  return x;
}
