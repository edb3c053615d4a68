// The sharded step (table / column / row / mod): ids routed to the cores that hold the rows,
// outputs (or rows) routed back, the user's step on each core, gradients routed to the owners, each
// owner updates its shard. Same math as replicated, so the same outputs and trained tables. How the
// data moves is each mode's pass (sharded-passes.ts); this file holds the step's state and the update.
import * as tf from '@tensorflow/tfjs';
import { RuntimeError } from '../errors.js';
import type { GlobalBatch, StepFn } from './batch.js';
import type { CommLog } from './collectives.js';
import {
  allCores,
  allRows,
  applyOn,
  type CoreResult,
  coreForwardBackward,
  stageAShape,
  type Update,
} from './core-step.js';
import type { TPUEmbeddingV0 } from './embedding.js';
import type { CoreExecutor } from './execution.js';
import { stageB } from './lookup.js';
import type { RunHooks } from './ring-hooks.js';
import { columnPass, modPass, rowPass, type ShardedPass } from './sharded-passes.js';
import type { RunContext, VirtualTPUStrategy } from './strategy.js';

/**
 * Sharded step (table / column / row / mod): ids routed to the cores that hold the rows, outputs
 * (or rows) routed back, the user's step on each core, gradients routed to the owners, each owner
 * updates its shard. Same math as replicated, so the same outputs and trained tables.
 */
export async function shardedStep(
  strategy: VirtualTPUStrategy,
  emb: TPUEmbeddingV0,
  step: StepFn,
  slices: GlobalBatch[],
  log: CommLog,
  cores: CoreExecutor,
  hooks: RunHooks = {},
): Promise<number[]> {
  const n = strategy.numCores;
  const mode = strategy.sharding;
  const prepared = slices.map((s) => emb.prepare(s.features, s.weights));
  const T = emb.tables.length;
  const layouts = emb.tables.map((_, ti) => emb.layout(ti));
  // gradShards[o][t]: the gradient of core o's shard of table t; touched[o][t]: its local rows that were read.
  const gradShards: (Float32Array | null)[][] = Array.from({ length: n }, () => layouts.map(() => null));
  const touched = Array.from({ length: n }, () => layouts.map(() => new Set<number>()));
  const featureName = (f: number): string => prepared[0][f].feature.name ?? `feature_${f}`;
  const tableOf = (f: number): number => emb.tableIndex(prepared[0][f].feature.table);
  const addGrads = (o: number, grads: (Float32Array | null)[]): void => {
    grads.forEach((g, ti) => {
      if (g) gradShards[o][ti] = g;
    });
  };

  const runSteps = (acts: Float32Array[][]): CoreResult[] => {
    const results: CoreResult[] = [];
    for (let r = 0; r < n; r++) {
      const leaves = prepared[r].map((p, f) => tf.tensor(acts[r][f], stageAShape(p, p.feature.table.dim)));
      const ctx: RunContext = {
        core: r,
        lookup: (e, _p, features, weights) => {
          checkSlice(e, emb, features, weights, slices[r]);
          return prepared[r].map((p, f) => stageB(p, leaves[f]));
        },
      };
      try {
        results.push(coreForwardBackward(strategy, ctx, leaves, step, slices[r], 1 / n));
      } finally {
        for (const l of leaves) l.dispose();
      }
    }
    return results;
  };

  const s: ShardedPass = {
    n,
    emb,
    prepared,
    layouts,
    log,
    cores,
    hooks,
    gradShards,
    touched,
    featureName,
    tableOf,
    addGrads,
    runSteps,
  };
  const results = await (mode === 'mod'
    ? modPass(s)
    : mode === 'table' || mode === 'column'
      ? columnPass(s)
      : rowPass(s));
  // Each owner applies the optimizer to its shard.
  const updates: Update[][] = Array.from({ length: n }, () => []);
  for (let o = 0; o < n; o++) {
    for (let ti = 0; ti < T; ti++) {
      const l = layouts[ti];
      if (l.sizeOn(o) === 0) continue;
      const t = emb.tables[ti];
      const opt = emb.optimizerFor(t);
      if (!opt) throw new RuntimeError(`table ${t.name} has no optimizer.`);
      const rows = opt.updatesUntouchedRows() ? allRows(l.rowsOn(o)) : [...touched[o][ti]].sort((a, b) => a - b);
      updates[o].push({
        table: ti,
        grad: gradShards[o][ti] ?? new Float32Array(l.sizeOn(o)),
        rows: Int32Array.from(rows),
      });
    }
  }
  await allCores(n, (o) => applyOn(cores, o, updates[o]));
  return results.map((r) => r.loss);
}

function checkSlice(
  e: TPUEmbeddingV0,
  emb: TPUEmbeddingV0,
  features: unknown,
  weights: unknown,
  slice: GlobalBatch,
): void {
  if (e !== emb)
    throw new RuntimeError('This TPUEmbeddingV0 belongs to another strategy; it cannot be looked up in this run.');
  if (features !== slice.features || (weights ?? undefined) !== (slice.weights ?? undefined)) {
    throw new RuntimeError(
      "In a sharded strategy the lookups are routed between cores before the step runs, so inside strategy.run embeddingLookup must be called with the features (and weights) of the core's slice, exactly as given to the step function.",
    );
  }
}
