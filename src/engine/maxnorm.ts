// maxNorm: checking the option, and clipping rows to it with differentiable tfjs ops (the
// training path; the fused lookup outside training clips in WASM with the same arithmetic,
// src/wasm/lookup.ts).
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, show } from './errors.js';

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
