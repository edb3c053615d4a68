// The global batch of `strategy.run` and its split over the cores: every core gets a contiguous
// slice of every feature (core r gets rows [r*B/n, (r+1)*B/n)), as TPUStrategy does.
import type * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, show } from '../errors.js';
import { batchSizeOf, forEachLeaf, mapLeaves, sliceBatch } from './inputs.js';

/** The global batch given to `strategy.run`: features, optional weights, and anything else (labels). */
export interface GlobalBatch {
  features: unknown;
  weights?: unknown;
  [key: string]: unknown;
}

/** The per-core step: gets the core's slice of the batch, returns the core's scalar loss. */
export type StepFn = (slice: GlobalBatch) => tf.Tensor;

/**
 * Splits every tensor, nested array, SparseTensor and RaggedTensor of the batch contiguously over
 * `n` cores. Throws (changing nothing) when a batch size is not divisible by n.
 *
 * @example
 * splitBatch({ features: { a: [[1], [2]] } }, 2)[1].features; // { a: [[2]] }
 */
export function splitBatch(batch: GlobalBatch, n: number): GlobalBatch[] {
  if (batch === null || typeof batch !== 'object' || !('features' in batch)) {
    throw new InvalidArgumentError(
      `strategy.run expects a global batch { features, weights?, ... }, got ${show(batch)}.`,
    );
  }
  forEachLeaf(batch, '', (leaf, path) => {
    const b = batchSizeOf(leaf, path);
    if (b % n !== 0) {
      throw new InvalidArgumentError(
        `strategy.run: the global batch size of ${path} is ${b}, which does not split evenly over ${n} cores; expected a multiple of ${n}.`,
      );
    }
  });
  return Array.from({ length: n }, (_, r) => mapLeaves(batch, (leaf) => sliceBatch(leaf, r, n)) as GlobalBatch);
}
