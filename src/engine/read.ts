// The one path every embedding read takes: ids -> unique keys + index -> unique rows -> output.
//
// Lookups and layers never read a table another way, so a training tape only has to watch
// `readUnique`: it sees every (variable, unique keys) pair read, and may substitute a trainable
// `[numUnique, dim]` tensor for the rows read; outputs are built from that tensor with tfjs ops
// (gather, segment sums, reductions), so gradients flow back to the unique rows.
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, show } from './errors.js';
import type { Keys } from './tensor.js';
import type { Variable } from './variable.js';

/** One table read, as the tape sees it. */
export interface RowRead {
  variable: Variable;
  /** The distinct keys read, in first-seen order. */
  keys: Keys;
  /** `[keys.length, dim]` float32: stored rows, initializer values for missing keys. */
  rows: tf.Tensor2D;
  /** 1 where the key was stored. */
  exists: Uint8Array;
  /**
   * The same rows on the CPU, `[keys.length * dim]`, when the reader has them (the GPU gather
   * path): the tape takes the old values from here instead of reading `rows` back.
   */
  values?: Float32Array;
  /** The read's maxNorm: training clips the rows it writes back to it (TFRA). */
  maxNorm?: number;
  /** Write training updates as deltas through `accum` (TFRA bp_v2). */
  bpV2?: boolean;
}

/**
 * What training installs to watch reads. `onRead` may return a tensor of the same shape to use
 * instead of `read.rows` (a trainable stand-in the tape differentiates against).
 */
export interface ReadTape {
  onRead(read: RowRead): tf.Tensor2D | undefined;
}

let currentTape: ReadTape | undefined;

/**
 * Installs `tape` as the current tape and returns the previous one (restore it when done).
 * Internal hook for `de.train`; not part of the public API.
 *
 * @example
 * const prev = setReadTape({ onRead: (r) => { seen.push(r.keys); return undefined; } });
 * try { lossFn(); } finally { setReadTape(prev); }
 */
export function setReadTape(tape: ReadTape | undefined): ReadTape | undefined {
  const prev = currentTape;
  currentTape = tape;
  return prev;
}

/**
 * The tape installed now (a training step records reads), or undefined. For readers that build
 * their rows another way than {@link readUnique} (the GPU gather path) and must report them too.
 *
 * @example
 * if (currentReadTape()) { ...record the read... }
 */
export function currentReadTape(): ReadTape | undefined {
  return currentTape;
}

/**
 * Deduplicates keys: `unique` in first-seen order and `index[i]` = position of `keys[i]` in it.
 *
 * @example
 * uniqueKeys(new Int32Array([5, 3, 5])); // { unique: Int32Array [5, 3], index: Int32Array [0, 1, 0] }
 */
export function uniqueKeys(keys: Keys): { unique: Keys; index: Int32Array } {
  if (keys instanceof Int32Array) {
    const { first, index } = uniqueWords(keys, 1);
    const unique = new Int32Array(first.length);
    for (let j = 0; j < first.length; j++) unique[j] = keys[first[j]];
    return { unique, index };
  }
  if (keys instanceof BigInt64Array) {
    // a 64-bit key is two 32-bit words: hash and compare the words, never a BigInt
    const { first, index } = uniqueWords(new Int32Array(keys.buffer, keys.byteOffset, keys.length * 2), 2);
    const unique = new BigInt64Array(first.length);
    for (let j = 0; j < first.length; j++) unique[j] = keys[first[j]];
    return { unique, index };
  }
  const n = keys.length;
  const index = new Int32Array(n);
  const seen = new Map<string, number>();
  const unique: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = keys[i];
    let u = seen.get(k);
    if (u === undefined) {
      u = unique.length;
      seen.set(k, u);
      unique.push(k);
    }
    index[i] = u;
  }
  return { unique, index };
}

// Open-addressing scratch table of uniqueWords (slot = 1 + unique position, 0 = empty), reused.
let slots = new Int32Array(0);

/**
 * Deduplicates `words.length / stride` keys of `stride` 32-bit words each (1: int32, 2: int64 as
 * lo/hi). Returns the position of each unique key's first occurrence, in first-seen order, and
 * every key's unique index. Linear probing over a power-of-two table at most half full.
 */
function uniqueWords(words: Int32Array, stride: 1 | 2): { first: Int32Array; index: Int32Array } {
  const n = words.length / stride;
  const index = new Int32Array(n);
  let bits = 4;
  while (1 << bits < 2 * n) bits++;
  const cap = 1 << bits;
  const mask = cap - 1;
  const shift = 32 - bits;
  if (slots.length < cap) slots = new Int32Array(cap);
  else slots.fill(0, 0, cap);
  const t = slots;
  const first = new Int32Array(n);
  let count = 0;
  if (stride === 1) {
    for (let i = 0; i < n; i++) {
      const k = words[i];
      let h = Math.imul(k, 0x9e3779b1) >>> shift;
      for (;;) {
        const s = t[h];
        if (s === 0) {
          first[count] = i;
          t[h] = ++count;
          index[i] = count - 1;
          break;
        }
        if (words[first[s - 1]] === k) {
          index[i] = s - 1;
          break;
        }
        h = (h + 1) & mask;
      }
    }
  } else {
    for (let i = 0; i < n; i++) {
      const lo = words[2 * i];
      const hi = words[2 * i + 1];
      let h = Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> shift;
      for (;;) {
        const s = t[h];
        if (s === 0) {
          first[count] = i;
          t[h] = ++count;
          index[i] = count - 1;
          break;
        }
        const f = 2 * first[s - 1];
        if (words[f] === lo && words[f + 1] === hi) {
          index[i] = s - 1;
          break;
        }
        h = (h + 1) & mask;
      }
    }
  }
  return { first: first.subarray(0, count), index };
}

/** Checks a `maxNorm` option: undefined, or a finite number > 0. */
export function checkMaxNorm(maxNorm: unknown, what: string): number | undefined {
  if (maxNorm === undefined || maxNorm === null) return undefined;
  if (typeof maxNorm !== 'number' || !Number.isFinite(maxNorm) || maxNorm <= 0) {
    throw new InvalidArgumentError(`${what}: maxNorm must be a finite number > 0 or undefined, got ${show(maxNorm)}.`);
  }
  return maxNorm;
}

/**
 * Clips each row to L2 norm `maxNorm`: `v * maxNorm / max(‖v‖, maxNorm)` (differentiable).
 *
 * @example
 * clipByMaxNorm(tf.tensor2d([[3, 4]]), 1).arraySync(); // [[0.6, 0.8]]
 */
export function clipByMaxNorm(rows: tf.Tensor2D, maxNorm: number): tf.Tensor2D {
  return tf.tidy(() => {
    // sqrt's gradient at 0 is infinite: a zero row (TFRA's default initializer) would turn the
    // gradient into NaN. 1e-30 is absorbed by any squared norm above ~1e-23, and only rows far
    // below maxNorm see it, where max(norm, maxNorm) ignores the norm anyway.
    const norm = tf.sqrt(tf.add(tf.sum(tf.square(rows), 1, true), 1e-30));
    return tf.mul(rows, tf.div(tf.scalar(maxNorm), tf.maximum(norm, maxNorm))) as tf.Tensor2D;
  });
}

/** The result of {@link readUnique}. */
export interface UniqueRows {
  /** `[numUnique, dim]`, clipped to maxNorm when given; possibly the tape's trainable stand-in (before clipping). */
  rows: tf.Tensor2D;
  /** Position of every id's row in `rows`. */
  index: Int32Array;
  unique: Keys;
  exists: Uint8Array;
}

/**
 * Steps (a) and (b): maps keys to unique keys + index, reads the unique rows from the Variable's
 * shards (initializer values for missing keys), reports the read to the current tape, and clips
 * to `maxNorm`. With `dedupe: false` every key is read (TFRA `with_unique=False`).
 *
 * @example
 * const { rows, index } = readUnique(v, new BigInt64Array([4n, 4n, 9n]));
 * tf.gather(rows, Array.from(index)); // [3, dim]
 */
export function readUnique(
  variable: Variable,
  keys: Keys,
  options: { maxNorm?: number; dedupe?: boolean; bpV2?: boolean } = {},
): UniqueRows {
  const { unique, index } =
    options.dedupe === false
      ? { unique: keys, index: Int32Array.from({ length: keys.length }, (_, i) => i) }
      : uniqueKeys(keys);
  const { values, exists } = variable.read(unique);
  let rows = tf.tensor2d(values, [unique.length, variable.dim], 'float32');
  const sub = currentTape?.onRead({
    variable,
    keys: unique,
    rows,
    exists,
    maxNorm: options.maxNorm,
    bpV2: options.bpV2,
  });
  if (sub !== undefined) {
    if (sub.shape[0] !== unique.length || sub.shape[1] !== variable.dim) {
      throw new InvalidArgumentError(
        `The read tape returned rows of shape [${sub.shape.join(', ')}], expected [${unique.length}, ${variable.dim}].`,
      );
    }
    rows.dispose();
    rows = sub;
  }
  if (options.maxNorm !== undefined) rows = clipByMaxNorm(rows, options.maxNorm);
  return { rows, index, unique, exists };
}

/**
 * Step (c) for dense ids: gathers every id's row and reshapes to `shape + [dim]`.
 *
 * @example
 * denseFromRows(readUnique(v, keys), [3, 2], v.dim); // Tensor [3, 2, dim]
 */
export function denseFromRows(r: UniqueRows, shape: number[], dim: number): tf.Tensor {
  return tf.tidy(() => tf.reshape(gatherByIndex(r.rows, r.index), [...shape, dim]));
}

/** Row copy `out[i] = rows[index[i]]` of `[*, dim]` float32 matrices (the cpu backend's gather is ~20x slower). */
function gatherRowsJs(src: Float32Array, index: Int32Array, dim: number): Float32Array {
  const out = new Float32Array(index.length * dim);
  if (dim === 16) {
    // the common width, unrolled: a plain loop beats subarray + set for short rows
    for (let i = 0, o = 0; i < index.length; i++, o += 16) {
      const p = index[i] * 16;
      for (let d = 0; d < 16; d++) out[o + d] = src[p + d];
    }
    return out;
  }
  for (let i = 0, o = 0; i < index.length; i++, o += dim) {
    const p = index[i] * dim;
    for (let d = 0; d < dim; d++) out[o + d] = src[p + d];
  }
  return out;
}

/**
 * Scatter-add of `dy` (`[index.length, dim]`) into `[numRows, dim]`: the gradient of a row
 * gather, linear in the ids (tfjs's unsortedSegmentSum on cpu makes one masked pass per row).
 */
export function scatterAddRows(dy: Float32Array, index: Int32Array, numRows: number, dim: number): Float32Array {
  const out = new Float32Array(numRows * dim);
  for (let i = 0, p = 0; i < index.length; i++, p += dim) {
    const o = index[i] * dim;
    for (let d = 0; d < dim; d++) out[o + d] += dy[p + d];
  }
  return out;
}

/**
 * `tf.gather(rows, index)` with a linear-time gradient. tfjs's own gather gradient goes through
 * unsortedSegmentSum, which the cpu backend computes with one masked pass per row
 * (O(rows x ids x dim)): minutes for one training batch. Here the gradient is a scatter-add of
 * `dy` into `[numRows, dim]` (O(ids x dim)). On the cpu backend the forward gather is a row copy
 * too (tfjs's gatherV2 walks the output through index arithmetic per element); other backends
 * use tf.gather.
 *
 * @example
 * gatherByIndex(tf.tensor2d([[1, 2], [3, 4]]), new Int32Array([1, 1, 0])); // [[3, 4], [3, 4], [1, 2]]
 */
export function gatherByIndex(rows: tf.Tensor2D, index: Int32Array): tf.Tensor2D {
  const [numRows, dim] = rows.shape;
  const cpu = tf.getBackend() === 'cpu';
  const op = tf.customGrad((x) => {
    const value = cpu
      ? tf.tensor2d(gatherRowsJs((x as tf.Tensor2D).dataSync() as Float32Array, index, dim), [index.length, dim])
      : (tf.gather(x as tf.Tensor2D, tf.tensor1d(index, 'int32')) as tf.Tensor2D);
    const gradFunc = (dy: tf.Tensor2D) =>
      tf.tensor2d(scatterAddRows(dy.dataSync() as Float32Array, index, numRows, dim), [numRows, dim], 'float32');
    return { value, gradFunc };
  });
  return op(rows) as tf.Tensor2D;
}

// out[segments[i]] += scale[i] * src[index[i]] over `[*, dim]` rows (index null: i; scale null: 1).
function combineRowsJs(
  src: Float32Array,
  index: Int32Array | null,
  segments: Int32Array,
  scale: Float32Array | null,
  numSegments: number,
  dim: number,
): Float32Array {
  const out = new Float32Array(numSegments * dim);
  for (let i = 0; i < segments.length; i++) {
    const o = segments[i] * dim;
    const p = (index ? index[i] : i) * dim;
    if (scale) {
      const c = scale[i];
      for (let d = 0; d < dim; d++) out[o + d] += c * src[p + d];
    } else {
      for (let d = 0; d < dim; d++) out[o + d] += src[p + d];
    }
  }
  return out;
}

// The gradient of combineRowsJs: grad[index[i]] += scale[i] * dy[segments[i]].
function combineRowsGradJs(
  dy: Float32Array,
  index: Int32Array | null,
  segments: Int32Array,
  scale: Float32Array | null,
  numRows: number,
  dim: number,
): Float32Array {
  const out = new Float32Array(numRows * dim);
  for (let i = 0; i < segments.length; i++) {
    const o = (index ? index[i] : i) * dim;
    const p = segments[i] * dim;
    if (scale) {
      const c = scale[i];
      for (let d = 0; d < dim; d++) out[o + d] += c * dy[p + d];
    } else {
      for (let d = 0; d < dim; d++) out[o + d] += dy[p + d];
    }
  }
  return out;
}

function checkIndexArray(a: Int32Array, bound: number, what: string, fn: string): void {
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (!(x >= 0 && x < bound)) {
      throw new InvalidArgumentError(
        `${fn}: ${what} ${x} at ${i} is out of range; expected an integer in [0, ${bound}).`,
      );
    }
  }
}

/**
 * Weighted segment sum of gathered rows: `out[segments[i]] += scale[i] * rows[index[i]]`, shape
 * `[numSegments, dim]` (`scale` null means 1). The combine of sparse lookups and FieldWise in one
 * linear pass, and its gradient in one more, on the cpu backend: no `[n, dim]` entries tensor, no
 * tfjs broadcast ops (which walk index arithmetic per element on cpu), no unsortedSegmentSum
 * (one masked pass over all entries per segment). Other backends use tf.gather, tf.mul and
 * tf.unsortedSegmentSum.
 *
 * @example
 * segmentCombineRows(tf.tensor2d([[1, 2], [3, 4]]), new Int32Array([1, 0, 1]), new Int32Array([0, 0, 1]), 2, new Float32Array([0.5, 0.5, 1])); // [[2, 3], [3, 4]]
 */
export function segmentCombineRows(
  rows: tf.Tensor2D,
  index: Int32Array,
  segments: Int32Array,
  numSegments: number,
  scale: Float32Array | null = null,
): tf.Tensor2D {
  const fn = 'segmentCombineRows';
  const [numRows, dim] = rows.shape;
  if (index.length !== segments.length || (scale !== null && scale.length !== segments.length)) {
    throw new InvalidArgumentError(
      `${fn}: index, segments and scale must have one value per entry; got ${index.length}, ${segments.length} and ${scale === null ? 'no scale' : scale.length}.`,
    );
  }
  checkIndexArray(index, numRows, 'row index', fn);
  checkIndexArray(segments, numSegments, 'segment id', fn);
  if (tf.getBackend() !== 'cpu') {
    return tf.tidy(() => {
      let entries = tf.gather(rows, tf.tensor1d(index, 'int32')) as tf.Tensor2D;
      if (scale) entries = tf.mul(entries, tf.tensor2d(scale, [scale.length, 1]));
      return tf.unsortedSegmentSum(entries, tf.tensor1d(segments, 'int32'), numSegments) as tf.Tensor2D;
    });
  }
  const op = tf.customGrad((x) => {
    const src = (x as tf.Tensor2D).dataSync() as Float32Array;
    const value = tf.tensor2d(combineRowsJs(src, index, segments, scale, numSegments, dim), [numSegments, dim]);
    const gradFunc = (dy: tf.Tensor2D) =>
      tf.tensor2d(combineRowsGradJs(dy.dataSync() as Float32Array, index, segments, scale, numRows, dim), [
        numRows,
        dim,
      ]);
    return { value, gradFunc };
  });
  return op(rows) as tf.Tensor2D;
}

/**
 * `tf.unsortedSegmentSum(entries, segments, numSegments)` for `[n, dim]` entries, each entry
 * optionally scaled by `scale[i]`, linear in the entries: on the cpu backend the forward is a
 * scatter-add and the gradient a row gather (tfjs's cpu unsortedSegmentSum makes one masked pass
 * over all entries per segment, and its gradient is tfjs's gather). Other backends use tfjs's
 * ops. Segment ids must be in `[0, numSegments)`.
 *
 * @example
 * segmentSumRows(tf.tensor2d([[1, 2], [3, 4], [5, 6]]), new Int32Array([1, 0, 1]), 2); // [[3, 4], [6, 8]]
 */
export function segmentSumRows(
  entries: tf.Tensor2D,
  segments: Int32Array,
  numSegments: number,
  scale: Float32Array | null = null,
): tf.Tensor2D {
  const fn = 'segmentSumRows';
  const [n, dim] = entries.shape;
  if (segments.length !== n) {
    throw new InvalidArgumentError(`${fn}: expected one segment id per entry (${n}), got ${segments.length}.`);
  }
  if (scale !== null && scale.length !== n) {
    throw new InvalidArgumentError(`${fn}: expected one scale per entry (${n}), got ${scale.length}.`);
  }
  checkIndexArray(segments, numSegments, 'segment id', fn);
  if (tf.getBackend() !== 'cpu') {
    return tf.tidy(() => {
      const e = scale ? (tf.mul(entries, tf.tensor2d(scale, [n, 1])) as tf.Tensor2D) : entries;
      return tf.unsortedSegmentSum(e, tf.tensor1d(segments, 'int32'), numSegments) as tf.Tensor2D;
    });
  }
  const op = tf.customGrad((x) => {
    const src = (x as tf.Tensor2D).dataSync() as Float32Array;
    const value = tf.tensor2d(combineRowsJs(src, null, segments, scale, numSegments, dim), [numSegments, dim]);
    const gradFunc = (dy: tf.Tensor2D) =>
      tf.tensor2d(combineRowsGradJs(dy.dataSync() as Float32Array, null, segments, scale, n, dim), [n, dim]);
    return { value, gradFunc };
  });
  return op(entries) as tf.Tensor2D;
}
