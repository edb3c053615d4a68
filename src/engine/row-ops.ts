// Row ops with linear-time gradients over `[rows, dim]` float32 tensors: a row gather whose
// gradient is a scatter-add, and weighted segment sums (the combine of sparse lookups and
// FieldWise). tfjs's own gather gradient and unsortedSegmentSum make one masked pass per row
// on the cpu backend; these are one linear pass each way there. Other backends use tfjs ops.
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from './errors.js';

/**
 * Whether the active tfjs backend keeps tensors in host memory (cpu, wasm): there these ops are
 * linear JS passes over `dataSync()` (tfjs-backend-wasm has no UnsortedSegmentSum, and its
 * GatherV2 measured ~6x slower than the row copy on a training batch); GPU backends use tfjs ops.
 *
 * @example
 * hostBackend(); // true on 'cpu' and 'wasm', false on 'webgl' / 'webgpu'
 */
export function hostBackend(): boolean {
  const b = tf.getBackend();
  return b === 'cpu' || b === 'wasm';
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
 * `dy` into `[numRows, dim]` (O(ids x dim)). On host backends (cpu, wasm) the forward gather is a row copy
 * too (tfjs's gatherV2 walks the output through index arithmetic per element); GPU backends
 * use tf.gather.
 *
 * @example
 * gatherByIndex(tf.tensor2d([[1, 2], [3, 4]]), new Int32Array([1, 1, 0])); // [[3, 4], [3, 4], [1, 2]]
 */
export function gatherByIndex(rows: tf.Tensor2D, index: Int32Array): tf.Tensor2D {
  const [numRows, dim] = rows.shape;
  const cpu = hostBackend();
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
  if (!hostBackend()) {
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
  if (!hostBackend()) {
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
