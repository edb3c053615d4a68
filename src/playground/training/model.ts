// The default model's plan, shared by the worker (which trains it) and the Training panel (which
// explains it): how each feature is looked up (the same engine calls as the Lookup inspector),
// how wide its part of the model input is, and which tower it feeds. Pure: no engine.
import { type LookupOp, lookupOp } from '../lookup/shape.js';
import type { Combiner, FeatureSpec, InputKind, ModelKind, TableSpec } from '../workspace/schema.js';

/** Units per tower in the two-tower model (plus one bias unit each). */
export const TOWER_UNITS = 8;

export interface PlannedFeature {
  name: string;
  table: string;
  input: InputKind;
  combiner: Combiner;
  maxSequenceLength: number;
  weights: boolean;
  op: LookupOp;
  /** Width of this feature's part of the model input. */
  width: number;
  tower: 'user' | 'item' | null;
  /** The engine call and pooling, in words. */
  call: string;
}

export type ModelPlan =
  { ok: true; model: ModelKind; features: PlannedFeature[]; summary: string } | { ok: false; message: string };

type FeatureIn = Pick<FeatureSpec, 'name' | 'table' | 'input' | 'combiner' | 'maxSequenceLength' | 'weights'>;
type TableIn = Pick<TableSpec, 'name' | 'dim'>;

function callOf(f: FeatureIn, op: LookupOp, dim: number): string {
  switch (op) {
    case 'embedding':
      return `de.embeddingLookup → [B, n, ${dim}], mean over the n ids`;
    case 'squashed':
      return `de.embeddingLookup → [B, n, ${dim}], ${f.combiner} over the n ids (SquashedEmbedding)`;
    case 'sparse':
      return `de.safeEmbeddingLookupSparse(${f.input} rows${f.weights ? ', weights' : ''}, ${f.combiner}) → [B, ${dim}]`;
    case 'sequence':
      return `de.embeddingLookup, rows padded with zeros / cut to ${f.maxSequenceLength} → [B, ${f.maxSequenceLength}, ${dim}], concatenated → [B, ${f.maxSequenceLength * dim}]`;
  }
}

/**
 * Plans the default model over the features (features of tables not listed are left out).
 * Refuses, with the reason, what the Lookup inspector would refuse too (a sparse feature without
 * a combiner, weights on a dense one) and a two-tower model with an empty tower.
 *
 * @example
 * planModel('logistic', [], w.features, w.tables); // { ok: true, features: [...], summary: 'logistic regression …' }
 */
export function planModel(
  model: ModelKind,
  itemFeatures: readonly string[],
  features: readonly FeatureIn[],
  tables: readonly TableIn[],
): ModelPlan {
  const used = features.filter((f) => tables.some((t) => t.name === f.table));
  if (used.length === 0) return { ok: false, message: 'No feature reads a table: add a feature in Features.' };
  const items = new Set(itemFeatures.filter((n) => used.some((f) => f.name === n)));
  if (model === 'twoTower' && items.size === 0) items.add(used[used.length - 1].name);
  const planned: PlannedFeature[] = [];
  for (const f of used) {
    const dim = tables.find((t) => t.name === f.table)!.dim;
    const op = lookupOp(f);
    if (op === 'sparse' && f.combiner === 'none') {
      return {
        ok: false,
        message: `Feature ${f.name}: a ${f.input} input needs a combiner (sum, mean or sqrtn) to give one vector per example; it has none. Set one in Features.`,
      };
    }
    if (f.weights && op !== 'sparse') {
      return {
        ok: false,
        message: `Feature ${f.name} has weights on, but weights apply only to sparse or ragged inputs with a combiner (its input is ${f.input}${f.maxSequenceLength > 0 ? `, max sequence length ${f.maxSequenceLength}` : ''}). Turn weights off or change the input kind in Features.`,
      };
    }
    planned.push({
      name: f.name,
      table: f.table,
      input: f.input,
      combiner: f.combiner,
      maxSequenceLength: f.maxSequenceLength,
      weights: f.weights,
      op,
      width: op === 'sequence' ? f.maxSequenceLength * dim : dim,
      tower: model === 'twoTower' ? (items.has(f.name) ? 'item' : 'user') : null,
      call: callOf(f, op, dim),
    });
  }
  const width = (t: 'user' | 'item' | null) => planned.filter((p) => p.tower === t).reduce((a, p) => a + p.width, 0);
  if (model === 'logistic') {
    return {
      ok: true,
      model,
      features: planned,
      summary: `logistic regression: p = σ(x · w + b) over x = the ${planned.length} feature vector${planned.length === 1 ? '' : 's'} concatenated (width ${width(null)})`,
    };
  }
  const names = (t: 'user' | 'item') =>
    planned
      .filter((p) => p.tower === t)
      .map((p) => p.name)
      .join(', ');
  if (planned.every((p) => p.tower === 'item')) {
    return {
      ok: false,
      message: `The two-tower model needs at least one feature in each tower, but every feature (${names('item')}) is in the item tower${planned.length === 1 ? ': add a second feature in Features' : ': move one to the user tower'}.`,
    };
  }
  return {
    ok: true,
    model,
    features: planned,
    summary: `two-tower: user tower [${names('user')}] (width ${width('user')}) and item tower [${names('item')}] (width ${width('item')}), each a linear layer to ${TOWER_UNITS} units + 1 bias unit; p = σ(⟨u, i⟩ + u_bias + i_bias + b)`,
  };
}
