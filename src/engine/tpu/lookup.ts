// TPUEmbeddingV0's lookup rules (tpu_embedding_v1.py), split in two stages so the same math runs
// replicated and sharded:
//   prepare  - validate one feature's input on the host and densify it as TF does (padding id 0, weight 0);
//   stageA   - the part that reads the table: gather, multiply by weights, sum over the ids of a row
//              (combined features) or keep positions (sequence / dense). Linear in the table, so partial
//              results over row shards add up, and column shards concatenate;
//   stageB   - the rest, on the core that asked: the mean / sqrtn denominators and `outputShape`.
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, show } from '../errors.js';
import type { FeatureConfig } from './config.js';
import {
  type FeatureInput,
  flatIndices,
  type InputValues,
  inputKind,
  type NestedNumbers,
  type RaggedLike,
  type SparseLike,
  typeName,
  type WeightInput,
} from './inputs.js';

/** One feature's input, validated and densified, ready for {@link stageA}. */
export interface PreparedFeature {
  /** dense: `ids.shape + [dim]`, no combiner; combine: `[B, dim]`; sequence: `[B, L, dim]`. */
  kind: 'dense' | 'combine' | 'sequence';
  feature: FeatureConfig;
  /** Flat ids in `entryShape`, padding entries hold 0. */
  ids: Int32Array;
  /** Per-entry weight (padding 0); null for dense features. */
  weights: Float32Array | null;
  /** dense: the ids' shape; combine: `[B, W]`; sequence: `[B, L]`. */
  entryShape: number[];
  /** Which entries hold a real id (a sparse/ragged value), as opposed to padding. */
  present: Uint8Array;
  /** The final output shape, `[..., dim]`. */
  outShape: number[];
}

function toIdNumber(v: unknown, path: string, i: number, vocab: number, table: string): number {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'bigint') n = Number(v);
  else {
    throw new InvalidArgumentError(
      `Feature ${path}: ids must be integers (a TPU embedding table has a fixed vocabulary and no hashing), got ${show(v)} at ${i}.`,
    );
  }
  if (!Number.isInteger(n) || n < 0 || n >= vocab) {
    throw new InvalidArgumentError(
      `Feature ${path}: id ${show(v)} at ${i} is out of range; expected an integer in [0, ${vocab}) for table ${table}.`,
    );
  }
  return n;
}

function denseIds(x: tf.Tensor | readonly NestedNumbers[], path: string, vocab: number, table: string) {
  let shape: number[];
  let flat: ArrayLike<unknown>;
  if (x instanceof tf.Tensor) {
    if (x.dtype !== 'int32') {
      throw new InvalidArgumentError(`Feature ${path}: dense ids must be an int32 tensor, got dtype ${x.dtype}.`);
    }
    shape = [...x.shape];
    flat = x.dataSync() as Int32Array;
  } else {
    shape = [];
    let probe: unknown = x;
    while (Array.isArray(probe)) {
      shape.push(probe.length);
      probe = probe[0];
    }
    const out: unknown[] = [];
    const walk = (v: unknown, depth: number): void => {
      if (depth === shape.length) {
        if (Array.isArray(v)) throw new InvalidArgumentError(`Feature ${path}: dense ids are not rectangular.`);
        out.push(v);
        return;
      }
      if (!Array.isArray(v) || v.length !== shape[depth]) {
        throw new InvalidArgumentError(
          `Feature ${path}: dense ids are not rectangular (expected length ${shape[depth]} at depth ${depth}, shape [${shape.join(', ')}]); pass ragged ids as a RaggedTensor.`,
        );
      }
      for (const e of v) walk(e, depth + 1);
    };
    walk(x, 0);
    flat = out;
  }
  const ids = new Int32Array(flat.length);
  for (let i = 0; i < flat.length; i++) ids[i] = toIdNumber(flat[i], path, i, vocab, table);
  return { ids, shape };
}

function floatValues(v: InputValues, path: string): Float32Array {
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const w = v[i];
    if (typeof w !== 'number' || !Number.isFinite(w)) {
      throw new InvalidArgumentError(`Weights of ${path}: values must be finite numbers, got ${show(w)} at ${i}.`);
    }
    out[i] = w;
  }
  return out;
}

/** Sparse / ragged input as COO entries of a `[B, W]` matrix. */
interface Entries {
  B: number;
  W: number;
  rows: Int32Array;
  cols: Int32Array;
  values: InputValues;
}

function sparseEntries(sp: SparseLike, path: string): Entries {
  const shape = sp.denseShape;
  if (!Array.isArray(shape) || shape.length !== 2) {
    throw new InvalidArgumentError(
      `Feature ${path}: only rank 2 SparseTensors [batch, ids] are supported, got denseShape ${Array.isArray(shape) ? `[${shape.join(', ')}]` : show(shape)}.`,
    );
  }
  const idx = flatIndices(sp, `Feature ${path}`);
  const nnz = sp.values.length;
  const rows = new Int32Array(nnz);
  const cols = new Int32Array(nnz);
  const seen = new Set<number>();
  for (let i = 0; i < nnz; i++) {
    rows[i] = idx[2 * i];
    cols[i] = idx[2 * i + 1];
    if (rows[i] < 0 || rows[i] >= shape[0] || cols[i] < 0 || cols[i] >= shape[1]) {
      throw new InvalidArgumentError(
        `Feature ${path}: sparse index [${rows[i]}, ${cols[i]}] is outside denseShape [${shape.join(', ')}].`,
      );
    }
    const key = rows[i] * shape[1] + cols[i];
    if (seen.has(key))
      throw new InvalidArgumentError(`Feature ${path}: duplicate sparse index [${rows[i]}, ${cols[i]}].`);
    seen.add(key);
  }
  return { B: shape[0], W: shape[1], rows, cols, values: sp.values };
}

function raggedEntries(r: RaggedLike, path: string): Entries {
  const splits = r.rowSplits;
  const B = splits.length - 1;
  if (B < 0 || splits[0] !== 0 || splits[B] !== r.values.length) {
    throw new InvalidArgumentError(
      `Feature ${path}: rowSplits must start at 0 and end at values.length (${r.values.length}), got ${show(splits)}.`,
    );
  }
  const rows = new Int32Array(r.values.length);
  const cols = new Int32Array(r.values.length);
  let W = 0;
  for (let b = 0; b < B; b++) {
    if (splits[b + 1] < splits[b]) throw new InvalidArgumentError(`Feature ${path}: rowSplits must be non-decreasing.`);
    W = Math.max(W, splits[b + 1] - splits[b]);
    for (let k = splits[b]; k < splits[b + 1]; k++) {
      rows[k] = b;
      cols[k] = k - splits[b];
    }
  }
  return { B, W, rows, cols, values: r.values };
}

function sameEntries(a: Entries, b: Entries): boolean {
  if (a.rows.length !== b.rows.length || a.B !== b.B) return false;
  for (let i = 0; i < a.rows.length; i++) if (a.rows[i] !== b.rows[i] || a.cols[i] !== b.cols[i]) return false;
  return true;
}

const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/**
 * Validates one feature's ids (and weights) and densifies them as TPUEmbeddingV0 does. Throws the
 * errors TF raises: weights for a dense input, weights whose type differs from the input's, weights
 * for a sequence feature, a dense input for a sequence feature, an `outputShape` that does not fit.
 *
 * @example
 * const p = prepareFeature({ values: [1, 2, 3], rowSplits: [0, 2, 3] }, undefined, watched, 'watched');
 * p.kind; // 'combine', p.entryShape [2, 2]
 */
export function prepareFeature(
  input: FeatureInput,
  weight: WeightInput,
  feature: FeatureConfig,
  path: string,
): PreparedFeature {
  const table = feature.table;
  const tableName = table.name ?? '(unnamed)';
  const kind = inputKind(input);
  if (kind === undefined) {
    throw new InvalidArgumentError(
      `Input ${path} is type ${show(input)}. Tensor, SparseTensor or RaggedTensor expected.`,
    );
  }
  const hasWeight = weight !== undefined && weight !== null;
  if (hasWeight) {
    if (kind === 'dense') throw new InvalidArgumentError(`Weight specified for ${path}, but input is dense.`);
    if (inputKind(weight) !== kind) {
      throw new InvalidArgumentError(
        `Weight for ${path} is of type ${typeName(weight)} but it does not match type of the input which is ${typeName(input)}.`,
      );
    }
    if (feature.maxSequenceLength > 0) {
      throw new InvalidArgumentError(`Weight specified for ${path}, but this is a sequence feature.`);
    }
  }
  const dim = table.dim;
  if (kind === 'dense') {
    if (feature.maxSequenceLength > 0) {
      throw new InvalidArgumentError(`Feature ${path} is a sequence feature but a dense tensor was passed.`);
    }
    const { ids, shape } = denseIds(
      input as tf.Tensor | readonly NestedNumbers[],
      path,
      table.vocabularySize,
      tableName,
    );
    return {
      kind: 'dense',
      feature,
      ids,
      weights: null,
      entryShape: shape,
      present: new Uint8Array(ids.length).fill(1),
      outShape: [...shape, dim],
    };
  }
  const e = kind === 'sparse' ? sparseEntries(input as SparseLike, path) : raggedEntries(input as RaggedLike, path);
  const ids = new Int32Array(e.values.length);
  for (let i = 0; i < ids.length; i++) ids[i] = toIdNumber(e.values[i], path, i, table.vocabularySize, tableName);
  let w: Float32Array | null = null;
  if (hasWeight) {
    const we =
      kind === 'sparse'
        ? sparseEntries(weight as SparseLike, `${path} (weights)`)
        : raggedEntries(weight as RaggedLike, `${path} (weights)`);
    if (!sameEntries(e, we) || e.W !== we.W) {
      throw new InvalidArgumentError(
        `Weight for ${path} must have the same indices (or rowSplits) and shape as the input; they differ.`,
      );
    }
    w = floatValues(we.values, path);
  }
  // TF: a sequence feature when maxSequenceLength > 0 and no outputShape; with an outputShape of
  // product P, P == B combines, a multiple of B is a sequence of length P / B, anything else is an error.
  let seqLen = 0;
  let outShape: number[];
  if (feature.outputShape) {
    const P = prod(feature.outputShape);
    if (P === e.B) outShape = [...feature.outputShape, dim];
    else if (P > e.B && e.B > 0 && P % e.B === 0) {
      seqLen = P / e.B;
      outShape = [...feature.outputShape, dim];
    } else {
      throw new InvalidArgumentError(
        `Output shape set in the FeatureConfig should be the factor of the input data batch size. But instead got output shape [${feature.outputShape.join(', ')}], input data batch size ${e.B}.`,
      );
    }
  } else if (feature.maxSequenceLength > 0) {
    seqLen = feature.maxSequenceLength;
    outShape = [e.B, seqLen, dim];
  } else outShape = [e.B, dim];

  if (seqLen > 0) {
    // Truncate positions >= L, zero-pad the rest. Weights are ignored (TF: ones) for sequence features.
    // TF's ragged path pads with id 0 at weight 1 (so padding reads row 0); we pad with zeros, as the
    // sparse path and the docs say.
    const L = seqLen;
    const out = new Int32Array(e.B * L);
    const weights = new Float32Array(e.B * L);
    const present = new Uint8Array(e.B * L);
    for (let i = 0; i < ids.length; i++) {
      if (e.cols[i] >= L) continue;
      const k = e.rows[i] * L + e.cols[i];
      out[k] = ids[i];
      weights[k] = 1;
      present[k] = 1;
    }
    return { kind: 'sequence', feature, ids: out, weights, entryShape: [e.B, L], present, outShape };
  }
  const W = Math.max(e.W, 1);
  const out = new Int32Array(e.B * W);
  const weights = new Float32Array(e.B * W);
  const present = new Uint8Array(e.B * W);
  for (let i = 0; i < ids.length; i++) {
    const k = e.rows[i] * W + e.cols[i];
    out[k] = ids[i];
    weights[k] = w ? w[i] : 1;
    present[k] = 1;
  }
  return { kind: 'combine', feature, ids: out, weights, entryShape: [e.B, W], present, outShape };
}

/** Number of floats {@link stageA} produces for a table slice `cols` wide. */
export function stageAElements(p: PreparedFeature, cols: number): number {
  return (p.kind === 'combine' ? p.entryShape[0] : prod(p.entryShape)) * cols;
}

/**
 * The table-reading part of a lookup: `gather(table, ids) * weights`, summed over each row's ids for
 * a combined feature. `ids` / `weights` override the prepared ones (local row numbers and masks of a
 * shard). Differentiable with respect to `table`.
 *
 * @example
 * const partial = stageA(prepared, tf.tensor2d(tableValues, [8, 4])); // [B, 4] for a combined feature
 */
export function stageA(
  p: PreparedFeature,
  table: tf.Tensor,
  ids?: Int32Array,
  weights?: Float32Array | null,
): tf.Tensor {
  return tf.tidy(() => {
    const cols = table.shape[1] ?? 0;
    const idx = ids ?? p.ids;
    const w = weights === undefined ? p.weights : weights;
    let g: tf.Tensor = tf.gather(table, tf.tensor1d(idx, 'int32'));
    if (w) g = tf.mul(g, tf.tensor2d(w, [w.length, 1]));
    if (p.kind === 'combine') return tf.sum(tf.reshape(g, [p.entryShape[0], p.entryShape[1], cols]), 1);
    return tf.reshape(g, [...p.entryShape, cols]);
  });
}

/**
 * The rest of a lookup, on the core that asked: divide by the combiner's denominator (mean: Σw,
 * sqrtn: √Σw², 0 for an empty row as div_no_nan) and reshape to the feature's output shape.
 *
 * @example
 * const out = stageB(prepared, stageA(prepared, table)); // [B, dim]
 */
export function stageB(p: PreparedFeature, partial: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    let out = partial;
    const combiner = p.feature.table.combiner;
    if (p.kind === 'combine' && combiner !== 'sum' && p.weights) {
      // div_no_nan with a constant denominator: tfjs has no gradient for divNoNan, so divide by a
      // safe denominator and zero the rows whose denominator is 0.
      const [B, W] = p.entryShape;
      const safe = new Float32Array(B);
      const keep = new Float32Array(B);
      for (let b = 0; b < B; b++) {
        let acc = 0;
        for (let k = 0; k < W; k++) {
          const w = p.weights[b * W + k];
          acc = Math.fround(acc + (combiner === 'mean' ? w : Math.fround(w * w)));
        }
        const d = combiner === 'mean' ? acc : Math.fround(Math.sqrt(acc));
        safe[b] = d === 0 ? 1 : d;
        keep[b] = d === 0 ? 0 : 1;
      }
      out = tf.mul(tf.div(out, tf.tensor2d(safe, [B, 1])), tf.tensor2d(keep, [B, 1]));
    }
    return tf.reshape(out, p.outShape);
  });
}
