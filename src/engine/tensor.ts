// Ids in every form the API accepts, normalised to one flat typed array and a shape.
//
// Plain JS numbers stay untyped ('number') until they meet a table: the same `[[1, 2]]` is valid
// for an int32 and an int64 Variable. Everything is validated here, before any table is touched.
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, show } from './errors.js';

/** Key types a table can hold. */
export type KeyDtype = 'int32' | 'int64' | 'string';
/** Flat keys of one of the {@link KeyDtype}s. */
export type Keys = Int32Array | BigInt64Array | string[];
/** The dtype of parsed ids: a key dtype, or 'number' for plain (safe-integer) JS numbers. */
export type IdsDtype = KeyDtype | 'number';
/** One id as a JS value. */
export type Id = number | bigint | string;

/** A nested, rectangular JS array of ids (`[[15, 2], [4, 92]]`), or a single id. */
export type NestedIds = Id | readonly NestedIds[];

/** Everything a dense-ids argument may be. */
export type IdsLike = NestedIds | Ids | tf.Tensor;

/**
 * Dense ids: a flat row-major array and a shape. Create with {@link ids}.
 *
 * @example
 * const x = de.ids(new Int32Array([15, 2, 4, 92]), [2, 2]);
 * x.shape; // [2, 2]
 */
export class Ids {
  readonly dtype: IdsDtype;
  /** Row-major values. For dtype 'number' a Float64Array of safe integers. */
  readonly data: Int32Array | BigInt64Array | string[] | Float64Array;
  readonly shape: number[];

  constructor(data: Int32Array | BigInt64Array | string[] | Float64Array, shape: number[], dtype: IdsDtype) {
    this.data = data;
    this.shape = shape;
    this.dtype = dtype;
  }

  /** Number of ids. */
  get size(): number {
    return this.data.length;
  }

  /** The ids as plain JS values (numbers, bigints or strings), row-major. */
  toArray(): Id[] {
    return Array.from(this.data as ArrayLike<Id>);
  }
}

/**
 * True for a tfjs tensor, also one made by another copy of tfjs (a bundled app and this library
 * may each load their own), where `instanceof` would say no.
 *
 * @example
 * isTensor(tf.tensor([1])); // true
 */
export function isTensor(x: unknown): x is tf.Tensor {
  if (x instanceof tf.Tensor) return true;
  if (x === null || typeof x !== 'object') return false;
  const t = x as { dataSync?: unknown; shape?: unknown; dtype?: unknown };
  return typeof t.dataSync === 'function' && Array.isArray(t.shape) && typeof t.dtype === 'string';
}

function checkShape(shape: readonly number[], what: string): number[] {
  if (!Array.isArray(shape))
    throw new InvalidArgumentError(`${what}: shape must be an array of integers, got ${show(shape)}.`);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new InvalidArgumentError(`${what}: shape must hold integers >= 0, got [${shape.join(', ')}].`);
    }
  }
  return [...shape];
}

const product = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * Wraps typed ids with a shape (default: flat).
 *
 * @example
 * de.ids(new BigInt64Array([1n, 2n, 3n, 4n, 5n, 6n]), [2, 3]); // 2 rows of 3 int64 ids
 * de.ids(['a', 'b']);                                           // shape [2], dtype 'string'
 */
export function ids(data: Int32Array | BigInt64Array | string[], shape?: number[]): Ids {
  let dtype: KeyDtype;
  if (data instanceof Int32Array) dtype = 'int32';
  else if (data instanceof BigInt64Array) dtype = 'int64';
  else if (Array.isArray(data)) {
    data.forEach((s, i) => {
      if (typeof s !== 'string') {
        throw new InvalidArgumentError(`de.ids: a plain array must hold strings only; element ${i} is ${show(s)}.`);
      }
    });
    dtype = 'string';
  } else {
    throw new InvalidArgumentError(
      `de.ids expects an Int32Array, a BigInt64Array or an array of strings, got ${show(data)}.`,
    );
  }
  const s = shape === undefined ? [data.length] : checkShape(shape, 'de.ids');
  if (product(s) !== data.length) {
    throw new InvalidArgumentError(
      `de.ids: shape [${s.join(', ')}] holds ${product(s)} ids, but ${data.length} were given.`,
    );
  }
  return new Ids(dtype === 'string' ? [...(data as string[])] : data, s, dtype);
}

function leafKind(v: unknown): 'number' | 'bigint' | 'string' | undefined {
  const t = typeof v;
  return t === 'number' || t === 'bigint' || t === 'string' ? t : undefined;
}

function checkNumberId(v: number, path: string, what: string): void {
  if (!Number.isInteger(v)) {
    throw new InvalidArgumentError(`${what}: ids must be integers, got ${show(v)} at ${path}.`);
  }
  if (!Number.isSafeInteger(v)) {
    throw new InvalidArgumentError(
      `${what}: id ${show(v)} at ${path} is beyond 2^53 and cannot be exact as a number; pass it as a bigint (${BigInt(v)}n is what the number holds).`,
    );
  }
}

function parseNested(value: NestedIds, what: string): Ids {
  // Shape from the first path down; every other element must agree.
  const shape: number[] = [];
  let probe: unknown = value;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    if (probe.length === 0) break;
    probe = probe[0];
  }
  const kind = leafKind(probe);
  if (shape.length > 0 && shape[shape.length - 1] === 0) {
    throw new InvalidArgumentError(`${what}: the batch is empty (shape [${shape.join(', ')}]); give at least one id.`);
  }
  if (kind === undefined) {
    throw new InvalidArgumentError(`${what}: ids must be numbers, bigints or strings, got ${show(probe)}.`);
  }
  const n = product(shape);
  const out: Id[] = new Array(n);
  let k = 0;
  const walk = (v: unknown, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (Array.isArray(v)) {
        throw new InvalidArgumentError(
          `${what}: ragged nested array: ${path} is an array, expected a single id as at [${new Array(depth).fill(0).join('][')}]; pass ragged ids as a de.RaggedTensor.`,
        );
      }
      if (leafKind(v) !== kind) {
        throw new InvalidArgumentError(`${what}: all ids must be of one type (${kind}), got ${show(v)} at ${path}.`);
      }
      if (kind === 'number') checkNumberId(v as number, path, what);
      out[k++] = v as Id;
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw new InvalidArgumentError(
        `${what}: ragged nested array: ${path || 'the top level'} has ${Array.isArray(v) ? `length ${v.length}` : `a single id ${show(v)}`}, expected length ${shape[depth]} (shape inferred from the first element: [${shape.join(', ')}]); pass ragged ids as a de.RaggedTensor.`,
      );
    }
    for (let i = 0; i < v.length; i++) walk(v[i], depth + 1, `${path}[${i}]`);
  };
  walk(value, 0, '');
  if (kind === 'number') return new Ids(Float64Array.from(out as number[]), shape, 'number');
  if (kind === 'bigint') {
    const data = new BigInt64Array(n);
    for (let i = 0; i < n; i++) {
      const b = out[i] as bigint;
      if (b !== BigInt.asIntN(64, b)) {
        throw new InvalidArgumentError(`${what}: id ${show(b)} does not fit in a signed 64-bit integer.`);
      }
      data[i] = b;
    }
    return new Ids(data, shape, 'int64');
  }
  return new Ids(out as string[], shape, 'string');
}

/**
 * Parses dense ids in any accepted form: nested arrays of number / bigint / string, {@link Ids},
 * or a tfjs int32 / string tensor. Throws for ragged arrays, non-integers, unsafe numbers and
 * empty batches.
 *
 * @example
 * toIds([[15, 2], [4, 92]]).shape; // [2, 2]
 */
export function toIds(value: IdsLike, what = 'ids'): Ids {
  if (value instanceof Ids) {
    if (value.size === 0) {
      throw new InvalidArgumentError(
        `${what}: the batch is empty (shape [${value.shape.join(', ')}]); give at least one id.`,
      );
    }
    return value;
  }
  if (isTensor(value)) {
    if (value.size === 0) {
      throw new InvalidArgumentError(
        `${what}: the batch is empty (shape [${value.shape.join(', ')}]); give at least one id.`,
      );
    }
    if (value.dtype === 'int32') return new Ids(Int32Array.from(value.dataSync() as Int32Array), value.shape, 'int32');
    if (value.dtype === 'string') {
      const raw = value.dataSync() as unknown as ArrayLike<string | Uint8Array>;
      const dec = new TextDecoder();
      const strs = Array.from(raw, (s) => (typeof s === 'string' ? s : dec.decode(s)));
      return new Ids(strs, value.shape, 'string');
    }
    throw new InvalidArgumentError(`${what}: a tensor of ids must have dtype int32 or string, got ${value.dtype}.`);
  }
  if (value instanceof SparseTensor || value instanceof RaggedTensor) {
    throw new InvalidArgumentError(
      `${what}: expected dense ids (nested arrays, de.ids or a tensor), got a ${value.constructor.name}; use embeddingLookupSparse / safeEmbeddingLookupSparse for sparse ids.`,
    );
  }
  if (ArrayBuffer.isView(value)) {
    throw new InvalidArgumentError(
      `${what}: wrap a typed array with de.ids(data, shape) to say its shape, got ${show(value)}.`,
    );
  }
  return parseNested(value as NestedIds, what);
}

// String.prototype.isWellFormed (ES2024; Node 20, current browsers) with a regex fallback.
const LONE_SURROGATE = /\p{Cs}/u;
const wellFormed = (s: string): boolean => {
  const f = (s as unknown as { isWellFormed?: () => boolean }).isWellFormed;
  return f ? f.call(s) : !LONE_SURROGATE.test(s);
};

/**
 * Converts ids to the keys of a table of `keyDtype`. Lossless widenings are allowed
 * (numbers and int32 to int64); anything else is a dtype mismatch.
 *
 * @example
 * toKeys(toIds([1, 2]), 'int64'); // BigInt64Array [1n, 2n]
 */
export function toKeys(x: Ids, keyDtype: KeyDtype, what = 'ids'): Keys {
  const mismatch = (): InvalidArgumentError =>
    new InvalidArgumentError(
      `${what}: key dtype mismatch: the table holds ${keyDtype} keys, but the ids are ${x.dtype === 'number' ? 'numbers' : x.dtype}.`,
    );
  if (keyDtype === 'string') {
    if (x.dtype !== 'string') throw mismatch();
    const strs = x.data as string[];
    // Checked here, before any shard is written: a key with no UTF-8 form would fail in its shard.
    for (let i = 0; i < strs.length; i++) {
      if (!wellFormed(strs[i])) {
        throw new InvalidArgumentError(
          `${what}: string id ${i} contains a lone UTF-16 surrogate, which has no UTF-8 form; got ${show(strs[i])}.`,
        );
      }
    }
    return strs;
  }
  if (x.dtype === 'string') throw mismatch();
  if (keyDtype === 'int64') {
    if (x.dtype === 'int64') return x.data as BigInt64Array;
    const src = x.data as Int32Array | Float64Array;
    const out = new BigInt64Array(src.length);
    for (let i = 0; i < src.length; i++) out[i] = BigInt(src[i]);
    return out;
  }
  // int32
  if (x.dtype === 'int32') return x.data as Int32Array;
  if (x.dtype === 'int64') throw mismatch();
  const src = x.data as Float64Array;
  for (let i = 0; i < src.length; i++) {
    if (src[i] < -2147483648 || src[i] > 2147483647) {
      throw new InvalidArgumentError(
        `${what}: id ${show(src[i])} (element ${i}) does not fit the table's int32 keys; expected a value in [-2^31, 2^31).`,
      );
    }
  }
  return Int32Array.from(src);
}

/** Values a SparseTensor may hold: ids (number / bigint / string) or weights (numbers). */
export type SparseValues =
  readonly number[] | readonly bigint[] | readonly string[] | Int32Array | BigInt64Array | Float32Array | Float64Array;

/**
 * A sparse tensor (COO, as tf.SparseTensor): `indices` `[nnz][rank]` (nested arrays or a flat
 * row-major Int32Array), `values` of length nnz, `denseShape` of length rank.
 *
 * @example
 * const sp = new de.SparseTensor({ indices: [[0, 0], [0, 1], [2, 0]], values: [7, 8, 9], denseShape: [3, 2] });
 * sp.nnz; // 3
 */
export class SparseTensor {
  /** Flat row-major `[nnz * rank]`. */
  readonly indices: Int32Array;
  readonly values: SparseValues;
  readonly denseShape: number[];

  constructor(init: {
    indices: readonly (readonly number[])[] | Int32Array;
    values: SparseValues;
    denseShape: readonly number[];
  }) {
    const what = 'SparseTensor';
    if (init === null || typeof init !== 'object') {
      throw new InvalidArgumentError(`${what} expects { indices, values, denseShape }, got ${show(init)}.`);
    }
    const denseShape = checkShape(init.denseShape, `${what} denseShape`);
    const rank = denseShape.length;
    if (rank < 1) throw new InvalidArgumentError(`${what}: denseShape must have rank >= 1, got [].`);
    const values = init.values;
    if (!Array.isArray(values) && !ArrayBuffer.isView(values)) {
      throw new InvalidArgumentError(`${what}: values must be an array or a typed array, got ${show(values)}.`);
    }
    const nnz = values.length;
    let indices: Int32Array;
    if (init.indices instanceof Int32Array) {
      if (init.indices.length !== nnz * rank) {
        throw new InvalidArgumentError(
          `${what}: flat indices must have length nnz*rank = ${nnz}*${rank} = ${nnz * rank}, got ${init.indices.length}.`,
        );
      }
      indices = Int32Array.from(init.indices);
    } else if (Array.isArray(init.indices)) {
      if (init.indices.length !== nnz) {
        throw new InvalidArgumentError(
          `${what}: indices has ${init.indices.length} entries but values has ${nnz}; expected one index per value.`,
        );
      }
      indices = new Int32Array(nnz * rank);
      init.indices.forEach((row, i) => {
        if (!Array.isArray(row) || row.length !== rank) {
          throw new InvalidArgumentError(
            `${what}: indices[${i}] must be an array of ${rank} integers (the rank of denseShape), got ${show(row)}.`,
          );
        }
        for (let j = 0; j < rank; j++) indices[i * rank + j] = row[j];
        for (let j = 0; j < rank; j++) {
          if (!Number.isInteger(row[j])) {
            throw new InvalidArgumentError(`${what}: indices[${i}][${j}] must be an integer, got ${show(row[j])}.`);
          }
        }
      });
    } else {
      throw new InvalidArgumentError(
        `${what}: indices must be nested arrays or a flat Int32Array, got ${show(init.indices)}.`,
      );
    }
    for (let i = 0; i < nnz; i++) {
      for (let j = 0; j < rank; j++) {
        const v = indices[i * rank + j];
        if (v < 0 || v >= denseShape[j]) {
          throw new InvalidArgumentError(
            `${what}: indices[${i}][${j}] = ${v} is out of bounds; expected [0, ${denseShape[j]}) for denseShape [${denseShape.join(', ')}].`,
          );
        }
      }
    }
    this.indices = indices;
    this.values = values;
    this.denseShape = denseShape;
  }

  /** Number of stored values. */
  get nnz(): number {
    return this.values.length;
  }

  /** The rank of the dense tensor. */
  get rank(): number {
    return this.denseShape.length;
  }

  /** The values as ids (validated: integers or strings of one type). */
  valuesAsIds(what = 'sparse ids'): Ids {
    return valuesToIds(this.values, what);
  }

  /** The values as float32 weights (validated: finite numbers). */
  valuesAsWeights(what = 'sparse weights'): Float32Array {
    const v = this.values;
    const out = new Float32Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const w = v[i];
      if (typeof w !== 'number' || !Number.isFinite(w)) {
        throw new InvalidArgumentError(`${what}: values must be finite numbers, got ${show(w)} at ${i}.`);
      }
      out[i] = w;
    }
    return out;
  }
}

function valuesToIds(v: SparseValues, what: string): Ids {
  if (v instanceof Int32Array) return new Ids(Int32Array.from(v), [v.length], 'int32');
  if (v instanceof BigInt64Array) return new Ids(BigInt64Array.from(v), [v.length], 'int64');
  if (v instanceof Float32Array || v instanceof Float64Array) {
    v.forEach((x, i) => {
      checkNumberId(x, `[${i}]`, what);
    });
    return new Ids(Float64Array.from(v), [v.length], 'number');
  }
  if (v.length === 0) return new Ids(new Float64Array(0), [0], 'number');
  return parseNested(v as NestedIds, what);
}

/**
 * A rank-2 ragged tensor (as tf.RaggedTensor): row i holds `values[rowSplits[i] .. rowSplits[i+1])`.
 *
 * @example
 * const r = new de.RaggedTensor({ values: [1, 2, 3], rowSplits: [0, 2, 2, 3] }); // rows [1,2], [], [3]
 * r.toSparse().denseShape; // [3, 2]
 */
export class RaggedTensor {
  readonly values: SparseValues;
  readonly rowSplits: Int32Array;

  constructor(init: { values: SparseValues; rowSplits: readonly number[] | Int32Array }) {
    const what = 'RaggedTensor';
    if (init === null || typeof init !== 'object') {
      throw new InvalidArgumentError(`${what} expects { values, rowSplits }, got ${show(init)}.`);
    }
    const { values, rowSplits } = init;
    if (!Array.isArray(values) && !ArrayBuffer.isView(values)) {
      throw new InvalidArgumentError(`${what}: values must be an array or a typed array, got ${show(values)}.`);
    }
    if (!Array.isArray(rowSplits) && !(rowSplits instanceof Int32Array)) {
      throw new InvalidArgumentError(`${what}: rowSplits must be an array of integers, got ${show(rowSplits)}.`);
    }
    if (rowSplits.length < 1 || rowSplits[0] !== 0 || rowSplits[rowSplits.length - 1] !== values.length) {
      throw new InvalidArgumentError(
        `${what}: rowSplits must start at 0 and end at values.length (${values.length}), got [${Array.from(rowSplits).join(', ')}].`,
      );
    }
    for (let i = 1; i < rowSplits.length; i++) {
      if (!Number.isInteger(rowSplits[i]) || rowSplits[i] < rowSplits[i - 1]) {
        throw new InvalidArgumentError(
          `${what}: rowSplits must be non-decreasing integers, got ${show(rowSplits[i])} after ${show(rowSplits[i - 1])} at ${i}.`,
        );
      }
    }
    this.values = values;
    this.rowSplits = Int32Array.from(rowSplits);
  }

  /** Number of rows. */
  get nrows(): number {
    return this.rowSplits.length - 1;
  }

  /** The same data as a SparseTensor of shape `[nrows, longest row]`. */
  toSparse(): SparseTensor {
    const n = this.values.length;
    const indices = new Int32Array(n * 2);
    let width = 0;
    for (let r = 0; r < this.nrows; r++) {
      const a = this.rowSplits[r];
      const b = this.rowSplits[r + 1];
      width = Math.max(width, b - a);
      for (let k = a; k < b; k++) {
        indices[2 * k] = r;
        indices[2 * k + 1] = k - a;
      }
    }
    return new SparseTensor({ indices, values: this.values, denseShape: [this.nrows, width] });
  }
}

/** A SparseTensor, or a RaggedTensor viewed as one. */
export function toSparse(x: SparseTensor | RaggedTensor, what: string): SparseTensor {
  if (x instanceof SparseTensor) return x;
  if (x instanceof RaggedTensor) return x.toSparse();
  throw new InvalidArgumentError(`${what}: expected a de.SparseTensor or de.RaggedTensor, got ${show(x)}.`);
}

/** Product of a shape's dimensions. */
export function sizeOf(shape: readonly number[]): number {
  return product(shape);
}
