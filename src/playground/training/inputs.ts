// A feature's part of the model input: the one engine read its input kind makes (rows of dense
// ids, or a safe sparse lookup), then the combiner or the TensorX sequence padding, so training
// reads each feature exactly as the Lookup inspector shows it.
import * as tf from '@tensorflow/tfjs';
import * as de from '../../engine/index.js';
import type { GeneratedFeature } from '../batch/generate.js';
import type { PlannedFeature } from './model.js';

/** Ids of rows r0..r1 of a generated feature, as the rows (row splits) they form. */
export function rowsOf(gf: GeneratedFeature): number[] {
  if (gf.rowSplits) return gf.rowSplits;
  const n = gf.shape[1];
  return Array.from({ length: gf.shape[0] + 1 }, (_, r) => r * n);
}

/** The one engine read a feature's input makes: rows of dense ids, or a safe sparse lookup. */
export type Read =
  | { kind: 'dense'; ids: de.NestedIds | de.Id[]; maxNorm: number | undefined }
  | {
      kind: 'sparse';
      sp: de.SparseTensor;
      w: de.SparseTensor | null;
      options: { combiner: 'sum' | 'mean' | 'sqrtn'; maxNorm: number | undefined };
    };

/** The one engine read of a feature's input (see {@link featureInput}). */
export function readOf(f: PlannedFeature, gf: GeneratedFeature, maxNorm: number | undefined): Read {
  const splits = rowsOf(gf);
  const B = splits.length - 1;
  switch (f.op) {
    case 'embedding':
    case 'squashed': {
      const n = gf.shape[1];
      const nested: de.Id[][] = [];
      for (let r = 0; r < B; r++) nested.push(gf.ids.slice(r * n, (r + 1) * n) as de.Id[]);
      return { kind: 'dense', ids: nested as de.NestedIds, maxNorm };
    }
    case 'sparse': {
      let longest = 1;
      const indices: number[][] = [];
      for (let r = 0; r < B; r++) {
        longest = Math.max(longest, splits[r + 1] - splits[r]);
        for (let j = 0; j < splits[r + 1] - splits[r]; j++) indices.push([r, j]);
      }
      const denseShape = [B, longest];
      const sp = new de.SparseTensor({ indices, values: gf.ids as de.Id[] as number[], denseShape });
      const w = f.weights && gf.weights ? new de.SparseTensor({ indices, values: gf.weights, denseShape }) : null;
      return { kind: 'sparse', sp, w, options: { combiner: f.combiner === 'none' ? 'mean' : f.combiner, maxNorm } };
    }
    case 'sequence': {
      // Only the ids kept are read: a cut id is never looked up, so training never inserts it.
      const seq = f.maxSequenceLength;
      const kept: de.Id[] = [];
      for (let r = 0; r < B; r++)
        for (let j = 0; j < seq && splits[r] + j < splits[r + 1]; j++) kept.push(gf.ids[splits[r] + j] as de.Id);
      return { kind: 'dense', ids: kept, maxNorm };
    }
  }
}

/** The feature's input, [B, width], from what its read returned (`dim`: the table's). */
export function fromRead(f: PlannedFeature, gf: GeneratedFeature, e: tf.Tensor, dim: number): tf.Tensor2D {
  const splits = rowsOf(gf);
  const B = splits.length - 1;
  switch (f.op) {
    case 'embedding':
    case 'squashed': {
      const n = gf.shape[1];
      if (f.combiner === 'sum') return tf.sum(e, 1);
      if (f.combiner === 'sqrtn') return tf.div(tf.sum(e, 1), Math.sqrt(n));
      return tf.mean(e, 1); // mean, and 'none' (Embedding) pooled by mean
    }
    case 'sparse':
      return e as tf.Tensor2D;
    case 'sequence': {
      // TensorX Lookup: each row padded with zero vectors (or cut) to maxSequenceLength, then
      // concatenated, so every position has its own weights.
      const seq = f.maxSequenceLength;
      const gather = new Int32Array(B * seq);
      const mask = new Float32Array(B * seq);
      let kept = 0;
      for (let r = 0; r < B; r++) {
        for (let j = 0; j < seq; j++) {
          if (splits[r] + j < splits[r + 1]) {
            gather[r * seq + j] = kept++;
            mask[r * seq + j] = 1;
          }
        }
      }
      const g = tf.gather(e, tf.tensor1d(gather, 'int32'));
      return tf.reshape(tf.mul(g, tf.tensor2d(mask, [B * seq, 1])), [B, seq * dim]);
    }
  }
}

/**
 * One feature's part of the model input, [B, width], read from an in-process table (or a pooled
 * one inside `await de.train.step(..., { async: true })`); inside de.train.step the read is taped.
 *
 * @example
 * const x = featureInput(v, feature, batch.features[feature.name], undefined); // [B, width]
 */
export function featureInput(
  v: de.Variable | de.pool.PooledVariable,
  f: PlannedFeature,
  gf: GeneratedFeature,
  maxNorm: number | undefined,
): tf.Tensor2D {
  const r = readOf(f, gf, maxNorm);
  const e =
    r.kind === 'dense'
      ? (de.embeddingLookup(v, r.ids, { maxNorm: r.maxNorm }) as tf.Tensor)
      : (de.safeEmbeddingLookupSparse(v, r.sp, r.w, r.options) as tf.Tensor);
  return fromRead(f, gf, e, v.dim);
}

/**
 * A feature's input read outside a step (a constant for another optimizer group's step); a pooled
 * table's rows are fetched from the workers.
 *
 * @example
 * const x = await fixedInput(pooledTable, feature, generated, undefined); // [B, width], not taped
 */
export async function fixedInput(
  v: de.Variable | de.pool.PooledVariable,
  f: PlannedFeature,
  gf: GeneratedFeature,
  maxNorm: number | undefined,
): Promise<tf.Tensor2D> {
  if (!(v instanceof de.pool.PooledVariable)) return tf.tidy(() => featureInput(v, f, gf, maxNorm));
  const r = readOf(f, gf, maxNorm);
  const e =
    r.kind === 'dense' ? await v.lookup(r.ids, { maxNorm: r.maxNorm }) : await v.safeLookupSparse(r.sp, r.w, r.options);
  const out = tf.tidy(() => fromRead(f, gf, e, v.dim));
  if (out !== e) e.dispose(); // a sparse read is the input itself
  return out;
}
