// Which engine lookup a feature runs, and the shape rule that predicts its output. The
// inspector shows this rule next to the shape the engine actually returned, so a person sees
// both the "why" and the real result.
import * as de from '../../engine/index.js';
import type { ParsedBatch } from '../batch/parse.js';
import type { FeatureSpec } from '../workspace/schema.js';

/**
 * - embedding: `layers.Embedding` (TFRA): shape(ids) + [dim], no combiner;
 * - squashed: `layers.SquashedEmbedding`: each example combined to one vector;
 * - sparse: `safeEmbeddingLookupSparse` over a SparseTensor, one vector per row;
 * - sequence: TensorX `Lookup` with seqSize = maxSequenceLength, zero padding.
 */
export type LookupOp = de.FeatureOp;

/**
 * The lookup a feature runs (the engine's de.featureOp).
 *
 * @example
 * lookupOp({ input: 'dense', combiner: 'sum', maxSequenceLength: 0 }); // 'squashed'
 */
export function lookupOp(f: Pick<FeatureSpec, 'input' | 'combiner' | 'maxSequenceLength'>): LookupOp {
  return de.featureOp(f);
}

export const OP_LABEL: Record<LookupOp, string> = {
  embedding: 'de.layers.Embedding',
  squashed: 'de.layers.SquashedEmbedding',
  sparse: 'de.safeEmbeddingLookupSparse',
  sequence: 'de.layers.Lookup (TensorX)',
};

const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;

export type ShapeRule = { ok: true; op: LookupOp; shape: number[]; rule: string } | { ok: false; message: string };

/**
 * The output shape a feature's lookup gives for a batch, and the rule that produced it.
 *
 * @example
 * outputShape({ input: 'dense', combiner: 'none', maxSequenceLength: 0, weights: false }, batch([3, 2]), 8)
 * // { ok: true, op: 'embedding', shape: [3, 2, 8], rule: 'shape(ids) + [dim] = [3, 2] + [8] = [3, 2, 8]' }
 */
export function outputShape(
  f: Pick<FeatureSpec, 'input' | 'combiner' | 'maxSequenceLength' | 'weights'>,
  b: Pick<ParsedBatch, 'kind' | 'shape' | 'rowSplits' | 'weights'>,
  dim: number,
): ShapeRule {
  const op = lookupOp(f);
  if (f.weights && !b.weights) {
    return { ok: false, message: 'This feature takes weights: type every id as id:weight, e.g. [[7:1.0, 8:0.5]].' };
  }
  if (!f.weights && b.weights) {
    return { ok: false, message: 'This batch has weights, but the feature has weights off: turn them on in Features.' };
  }
  if (b.weights && op !== 'sparse') {
    return { ok: false, message: 'Weights apply to sparse or ragged features with a combiner.' };
  }
  const rows = b.shape[0];
  switch (op) {
    case 'embedding':
      if (b.kind === 'ragged') {
        return {
          ok: false,
          message:
            'A ragged batch needs a combiner (sparse lookup) or a max sequence length; Embedding takes dense ids.',
        };
      }
      return {
        ok: true,
        op,
        shape: [...b.shape, dim],
        rule: `shape(ids) + [dim] = ${fmt(b.shape)} + [${dim}] = ${fmt([...b.shape, dim])}`,
      };
    case 'squashed': {
      if (b.kind === 'ragged') {
        return {
          ok: false,
          message: 'SquashedEmbedding takes dense ids; set the input kind to ragged for ragged rows.',
        };
      }
      if (b.shape.length === 0) {
        return { ok: false, message: 'SquashedEmbedding needs at least one axis of ids (a list), not a single id.' };
      }
      const shape = b.shape.length === 1 ? [dim] : [b.shape[0], dim];
      const rule =
        b.shape.length === 1
          ? `${f.combiner} over all ids: ${fmt(b.shape)} → [] + [${dim}] = ${fmt(shape)}`
          : `${f.combiner} over every axis after the batch: ${fmt(b.shape)} → [${b.shape[0]}] + [${dim}] = ${fmt(shape)}`;
      return { ok: true, op, shape, rule };
    }
    case 'sparse': {
      if (f.combiner === 'none') {
        return { ok: false, message: 'A sparse or ragged feature needs a combiner (sum, mean or sqrtn).' };
      }
      if (b.shape.length !== 2 && b.kind !== 'ragged') {
        return { ok: false, message: `Sparse rows need a rank-2 batch (a list of rows), got shape ${fmt(b.shape)}.` };
      }
      return {
        ok: true,
        op,
        shape: [rows, dim],
        rule: `one ${f.combiner}-combined vector per row: [rows] + [dim] = [${rows}] + [${dim}] = ${fmt([rows, dim])}`,
      };
    }
    case 'sequence': {
      const seq = f.maxSequenceLength;
      if (b.shape.length === 0 || (b.kind === 'dense' && b.shape.length !== 2)) {
        return { ok: false, message: `A sequence feature takes rows of ids (rank 2), got shape ${fmt(b.shape)}.` };
      }
      let longest = b.shape[1] ?? 0;
      if (b.rowSplits) {
        longest = 0;
        for (let r = 0; r + 1 < b.rowSplits.length; r++)
          longest = Math.max(longest, b.rowSplits[r + 1] - b.rowSplits[r]);
      }
      if (longest > seq) {
        return {
          ok: false,
          message: `A row has ${longest} ids, more than the max sequence length ${seq}; raise it in Features.`,
        };
      }
      const shape = [rows, seq, dim];
      return {
        ok: true,
        op,
        shape,
        rule: `rows padded with zero vectors to seqSize: [${rows}, ${b.kind === 'ragged' ? '≤' : ''}${longest}] → [${rows}, ${seq}] + [${dim}] = ${fmt(shape)}`,
      };
    }
  }
}
