// A feature's part of the model input, [B, width]: the feature read with the engine's one
// feature-lookup op (de.featureLookup, the same call the Lookup inspector shows), then shaped for
// the model: an Embedding feature's vectors pooled by mean, a sequence feature's positions
// concatenated (so each position has its own weights).
import * as tf from '@tensorflow/tfjs';
import * as de from '../../engine/index.js';
import type { GeneratedFeature } from '../batch/generate.js';
import type { PlannedFeature } from './model.js';

/**
 * The engine's feature spec and batch for a planned feature and its generated ids. A sparse
 * feature without a combiner is pooled by mean; weights are read when the feature takes them.
 *
 * @example
 * const { spec, batch } = featureRead(feature, generated, undefined);
 * de.featureLookup(table, spec, batch).output; // [B, n, dim], [B, dim] or [B, L, dim]
 */
export function featureRead(
  f: PlannedFeature,
  gf: GeneratedFeature,
  maxNorm: number | undefined,
): { spec: de.FeatureSpec; batch: de.FeatureBatch } {
  const combiner = f.op === 'sparse' && f.combiner === 'none' ? 'mean' : f.combiner;
  return {
    spec: { name: f.name, input: f.input, combiner, maxSequenceLength: f.maxSequenceLength, maxNorm },
    batch: {
      ids: gf.ids as de.Id[],
      shape: gf.shape,
      rowSplits: gf.rowSplits,
      weights: f.op === 'sparse' && f.weights ? gf.weights : null,
    },
  };
}

/** The model's input from a feature's lookup output: [B, width]. */
function toInput(f: PlannedFeature, out: tf.Tensor): tf.Tensor2D {
  const B = out.shape[0];
  // An Embedding feature keeps one vector per id: the model pools them by mean.
  if (f.op === 'embedding') return tf.mean(out, 1);
  // A sequence feature: [B, L, dim] -> [B, L * dim].
  if (f.op === 'sequence') return tf.reshape(out, [B, -1]);
  return out as tf.Tensor2D;
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
  const { spec, batch } = featureRead(f, gf, maxNorm);
  return toInput(f, de.featureLookup(v, spec, batch).output);
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
  const { spec, batch } = featureRead(f, gf, maxNorm);
  const { output } = await de.featureLookupAsync(v, spec, batch);
  const x = tf.tidy(() => toInput(f, output));
  if (x !== output) output.dispose();
  return x;
}
