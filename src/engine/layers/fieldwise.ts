// TFRA keras.layers.FieldWiseEmbedding: ids are grouped into slots (fields) by a user function,
// each slot's vectors combined: [b, n] ids -> [b, nslots, dim].
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, show } from '../errors.js';
import { combinerScale } from '../lookup.js';
import { gatherByIndex, readUnique, segmentCombineRows, segmentSumRows } from '../read.js';
import type { Id, IdsLike } from '../tensor.js';
import { checkInt, checkShapeLike, type ShapeLike } from './base.js';
import { Embedding, type EmbeddingConfig, type EmbeddingOptions, type LayerCombiner } from './embedding.js';

/** Maps the flat ids of a batch to the slot of each id. */
export type SlotMapFn = (flatIds: Id[]) => number[];

/** Options of {@link FieldWiseEmbedding}. */
export interface FieldWiseEmbeddingOptions extends EmbeddingOptions {
  nslots: number;
  slotMapFn: SlotMapFn;
}

const FIELD_COMBINERS: readonly LayerCombiner[] = ['sum', 'mean', 'sqrtn', 'max', 'min', 'prod'];

/**
 * Combines rows into segments (`tf.math.unsorted_segment_<combiner>`), empty segments 0.
 *
 * @example
 * segmentCombine(tf.tensor2d([[1], [3]]), new Int32Array([1, 1]), 2, 'mean').arraySync(); // [[0], [2]]
 */
export function segmentCombine(
  entries: tf.Tensor2D,
  segments: Int32Array,
  numSegments: number,
  combiner: LayerCombiner,
): tf.Tensor2D {
  return tf.tidy(() => {
    const dim = entries.shape[1];
    const counts = new Int32Array(numSegments);
    for (const s of segments) counts[s]++;
    const countT = tf.tensor2d(Float32Array.from(counts), [numSegments, 1]);
    if (combiner === 'sum' || combiner === 'mean' || combiner === 'sqrtn') {
      return segmentSumRows(entries, segments, numSegments, combinerScale(segments, null, combiner, numSegments));
    }
    // max / min / prod: pad every segment to the longest with the neutral value, reduce, zero the empty ones.
    let width = 1; // (a loop: spreading a large counts array would overflow the call stack)
    for (const c of counts) if (c > width) width = c;
    const pad = entries.shape[0];
    const idx = new Int32Array(numSegments * width).fill(pad);
    const fill = new Int32Array(numSegments);
    segments.forEach((s, i) => {
      idx[s * width + fill[s]++] = i;
    });
    const neutral = combiner === 'max' ? -Infinity : combiner === 'min' ? Infinity : 1;
    const padded = tf.concat([entries, tf.fill([1, dim], neutral)], 0);
    const grid = tf.reshape(gatherByIndex(padded as tf.Tensor2D, idx), [numSegments, width, dim]);
    const red = combiner === 'max' ? tf.max(grid, 1) : combiner === 'min' ? tf.min(grid, 1) : tf.prod(grid, 1);
    const nonEmpty = tf.broadcastTo(tf.greater(countT, 0), [numSegments, dim]);
    return tf.where(nonEmpty, red, tf.zerosLike(red)) as tf.Tensor2D;
  });
}

/**
 * TFRA `keras.layers.FieldWiseEmbedding`: `slotMapFn` gives each id a slot in `[0, nslots)`; ids
 * `[b, n]` (or `[b]`) give `[b, nslots, dim]`, each slot combining its ids' vectors (sum, mean,
 * sqrtn, max, min, prod); empty slots are zeros. Ids of rank > 2 are refused, as TFRA.
 *
 * @example
 * const f = new de.layers.FieldWiseEmbedding({ embeddingSize: 4, nslots: 3, slotMapFn: (ids) => ids.map((x) => Number(x) % 3) });
 * f.call([[1, 2, 4], [3, 6, 9]]).shape; // [2, 3, 4]
 */
export class FieldWiseEmbedding extends Embedding {
  readonly nslots: number;
  readonly slotMapFn: SlotMapFn;

  constructor(options: FieldWiseEmbeddingOptions) {
    super(options, 'field_wise_embedding', FIELD_COMBINERS);
    this.nslots = checkInt(options.nslots, 'nslots', 1, 'FieldWiseEmbedding');
    if (typeof options.slotMapFn !== 'function') {
      throw new InvalidArgumentError(
        `FieldWiseEmbedding: slotMapFn must be a function (flatIds) => slots, got ${show(options.slotMapFn)}.`,
      );
    }
    this.slotMapFn = options.slotMapFn;
  }

  override call(input: IdsLike): tf.Tensor {
    const what = `FieldWiseEmbedding ${show(this.name)}`;
    const { keys, shape } = this.params.keysOf(input, `${what} ids`);
    if (shape.length === 0 || shape.length > 2) {
      throw new InvalidArgumentError(
        `${what}: ids must have rank 1 or 2 ([batch] or [batch, n]); rank > 2 is not supported (as TFRA), got shape [${shape.join(', ')}].`,
      );
    }
    const batch = shape[0];
    const perRow = shape.length === 2 ? shape[1] : 1;
    const slots = this.slotMapFn(Array.from(keys as ArrayLike<Id>));
    if (!Array.isArray(slots) || slots.length !== keys.length) {
      throw new InvalidArgumentError(
        `${what}: slotMapFn must return one slot per id (${keys.length}), got ${show(slots)}.`,
      );
    }
    const segments = new Int32Array(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const s = slots[i];
      if (!Number.isInteger(s) || s < 0 || s >= this.nslots) {
        throw new InvalidArgumentError(
          `${what}: slotMapFn returned ${show(s)} for id ${show(keys[i])}; expected an integer slot in [0, ${this.nslots}).`,
        );
      }
      segments[i] = Math.floor(i / perRow) * this.nslots + s;
    }
    return tf.tidy(() => {
      const rows = readUnique(this.params, keys, { maxNorm: this.maxNorm, dedupe: this.withUnique });
      const c = this.combiner;
      const n = batch * this.nslots;
      // sum / mean / sqrtn in one pass over the unique rows; max / min / prod over the gathered entries
      const out =
        c === 'sum' || c === 'mean' || c === 'sqrtn'
          ? segmentCombineRows(rows.rows, rows.index, segments, n, combinerScale(segments, null, c, n))
          : segmentCombine(gatherByIndex(rows.rows, rows.index), segments, n, c);
      return tf.reshape(out, [batch, this.nslots, this.embeddingSize]);
    });
  }

  override getConfig(): EmbeddingConfig {
    return { ...super.getConfig(), nslots: this.nslots, slotMapFn: this.slotMapFn };
  }

  override computeOutputShape(inputShape: ShapeLike): ShapeLike {
    const s = checkShapeLike(inputShape, 'FieldWiseEmbedding');
    if (s.length === 0 || s.length > 2) {
      throw new InvalidArgumentError(
        `FieldWiseEmbedding.computeOutputShape: expected an input of rank 1 or 2, got [${s.join(', ')}].`,
      );
    }
    return [s[0], this.nslots, this.embeddingSize];
  }
}
