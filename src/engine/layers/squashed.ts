// TFRA keras.layers.SquashedEmbedding: look up, then reduce the ids axis with the combiner.
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, show } from '../errors.js';
import { denseFromRows } from '../read.js';
import type { IdsLike } from '../tensor.js';
import { checkShapeLike, type ShapeLike } from './base.js';
import { Embedding, type EmbeddingOptions, type LayerCombiner } from './embedding.js';

const SQUASH_COMBINERS: readonly LayerCombiner[] = ['sum', 'mean', 'max', 'min', 'prod', 'std'];

/**
 * Reduces `x` over `axis` with a TFRA layer combiner (`tf.math.reduce_<combiner>`; std is the
 * population standard deviation, as `reduce_std`).
 *
 * @example
 * reduceBy(tf.tensor2d([[1, 2], [3, 6]]), 0, 'prod').arraySync(); // [3, 12]
 */
export function reduceBy(x: tf.Tensor, axis: number, combiner: LayerCombiner): tf.Tensor {
  return tf.tidy(() => {
    switch (combiner) {
      case 'sum':
        return tf.sum(x, axis);
      case 'mean':
        return tf.mean(x, axis);
      case 'max':
        return tf.max(x, axis);
      case 'min':
        return tf.min(x, axis);
      case 'prod':
        return tf.prod(x, axis);
      case 'std':
        return tf.sqrt(tf.moments(x, axis).variance);
      default:
        throw new InvalidArgumentError(
          `reduceBy: combiner must be one of ${SQUASH_COMBINERS.join(', ')}; got ${show(combiner)}.`,
        );
    }
  });
}

/**
 * TFRA `keras.layers.SquashedEmbedding`: ids `[b, n]` -> `[b, dim]`, ids `[n]` -> `[dim]`; the
 * combiner is one of sum, mean, max, min, prod, std. Ids of rank r > 2 are reduced as TFRA's
 * `reduce_pooling` does: the combiner over axis 1, applied r - 1 times, until `[b, dim]` is left.
 * For sum, mean (equal group sizes), max, min and prod that equals one reduction over all of a
 * row's ids; for std it is a std of stds: ids `[[[a, b], [c, d]]]` give `std(std(a, b), std(c, d))`,
 * not `std(a, b, c, d)`.
 *
 * @example
 * const embedding = new de.layers.SquashedEmbedding({ embeddingSize: 8 });
 * embedding.call([[15, 2], [4, 92], [22, 4]]).shape; // [3, 8]
 * embedding.call([2, 7, 4, 1, 5]).shape;             // [8]
 * embedding.call([[[1, 2], [3, 4]]]).shape;          // [1, 8]: axis 1 reduced twice
 */
export class SquashedEmbedding extends Embedding {
  constructor(options: EmbeddingOptions) {
    super(options, 'squashed_embedding', SQUASH_COMBINERS);
  }

  override call(input: IdsLike): tf.Tensor {
    return tf.tidy(() => {
      const { rows, shape } = this.readIds(input);
      if (shape.length === 0) {
        throw new InvalidArgumentError(
          `SquashedEmbedding ${show(this.name)}: expected ids of rank >= 1 (a list or a batch), got a single id (shape []).`,
        );
      }
      const dim = this.embeddingSize;
      const emb = denseFromRows(rows, shape, dim);
      if (shape.length === 1) return reduceBy(emb, 0, this.combiner);
      let out = emb;
      for (let r = shape.length; r > 1; r--) out = reduceBy(out, 1, this.combiner); // reduce_pooling
      return out;
    });
  }

  override computeOutputShape(inputShape: ShapeLike): ShapeLike {
    const s = checkShapeLike(inputShape, 'SquashedEmbedding');
    if (s.length === 0) {
      throw new InvalidArgumentError('SquashedEmbedding.computeOutputShape: expected an input of rank >= 1, got [].');
    }
    return s.length === 1 ? [this.embeddingSize] : [s[0], this.embeddingSize];
  }
}
