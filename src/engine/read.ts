// The read path a training tape watches: ids -> unique keys + index -> unique rows -> output.
//
// Inside a tape, lookups and layers read through `readUnique` only, so the tape sees every
// (variable, unique keys) pair read, and may substitute a trainable `[numUnique, dim]` tensor
// for the rows read; outputs are built from that tensor with tfjs ops (gather, segment sums,
// reductions), so gradients flow back to the unique rows. Outside a tape, dense lookups take
// the fused WASM path of dense-lookup.ts instead (same values, no tensors in between).
//
// The row ops (row-ops.ts), key deduplication (unique.ts) and maxNorm (maxnorm.ts) live in
// their own files; they are re-exported here for the readers that import them from this one.
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from './errors.js';
import { clipByMaxNorm } from './maxnorm.js';
import { gatherByIndex } from './row-ops.js';
import type { Keys } from './tensor.js';
import { uniqueKeys } from './unique.js';
import type { Variable } from './variable.js';

export { checkMaxNorm, clipByMaxNorm } from './maxnorm.js';
export { gatherByIndex, scatterAddRows, segmentCombineRows, segmentSumRows } from './row-ops.js';
export { uniqueKeys } from './unique.js';

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
