// The replicated (TPUEmbeddingV0) step: every core holds every table. Each core gathers its
// lookups from its own replica, the step runs on those activations, each core scatters the
// activation gradients into table gradients, a ring all-reduce per table sums them, and every core
// applies the same update.
import * as tf from '@tensorflow/tfjs';
import { RuntimeError } from '../errors.js';
import type { GlobalBatch, StepFn } from './batch.js';
import { type CollectiveFault, type CommLog, RingCollective } from './collectives.js';
import type { GatherJob } from './core.js';
import {
  allCores,
  allRows,
  applyOn,
  backwardOn,
  type CoreResult,
  coreForwardBackward,
  forwardOn,
  jobOf,
  stageAShape,
  type Update,
} from './core-step.js';
import type { TPUEmbeddingV0 } from './embedding.js';
import type { CoreExecutor } from './execution.js';
import { type PreparedFeature, stageB } from './lookup.js';
import { runRing, type RunHooks } from './ring-hooks.js';
import type { RunContext, VirtualTPUStrategy } from './strategy.js';

/** A lookup a core's step may make: of its slice's features (or of one entry of them, for several TPUEmbeddingV0s). */
interface Candidate {
  emb: TPUEmbeddingV0;
  features: unknown;
  weights: unknown;
  prepared: PreparedFeature[];
}

/**
 * The lookups each core computes before its step runs: every TPUEmbeddingV0 of the strategy on the
 * slice's `features` (and `weights`), or on `features[k]` (and `weights[k]`) when the whole does not
 * fit its feature config. Inputs that fit no TPUEmbeddingV0 are not candidates.
 */
function candidatesOf(embeddings: readonly TPUEmbeddingV0[], slice: GlobalBatch): Candidate[] {
  const out: Candidate[] = [];
  const tryAdd = (emb: TPUEmbeddingV0, features: unknown, weights: unknown): boolean => {
    try {
      out.push({ emb, features, weights, prepared: emb.prepare(features, weights) });
      return true;
    } catch {
      return false;
    }
  };
  const { features, weights } = slice;
  for (const emb of embeddings) {
    if (tryAdd(emb, features, weights)) continue;
    if (features === null || typeof features !== 'object' || Array.isArray(features)) continue;
    for (const [k, f] of Object.entries(features as Record<string, unknown>)) {
      const w = weights !== null && typeof weights === 'object' ? (weights as Record<string, unknown>)[k] : undefined;
      tryAdd(emb, f, w ?? undefined);
    }
  }
  return out;
}

/**
 * Replicated (TPUEmbeddingV0) step: each core gathers its lookups from its own replica, the step
 * runs on those activations, each core turns the activation gradients into its table gradients,
 * a ring all-reduce per table sums them, and every core applies the same update.
 */
export async function replicatedStep(
  strategy: VirtualTPUStrategy,
  embeddings: readonly TPUEmbeddingV0[],
  step: StepFn,
  slices: GlobalBatch[],
  faults: readonly CollectiveFault[],
  log: CommLog,
  cores: CoreExecutor,
  hooks: RunHooks = {},
): Promise<number[]> {
  const n = strategy.numCores;
  const offsets: number[] = [];
  let T = 0;
  for (const e of embeddings) {
    offsets.push(T);
    T += e.tables.length;
  }
  const tableSizes = embeddings.flatMap((e) => e.tables.map((t) => t.vocabularySize * t.dim));
  const globalTable = (emb: TPUEmbeddingV0, p: PreparedFeature): number =>
    offsets[embeddings.indexOf(emb)] + emb.tableIndex(p.feature.table);
  // Each core gathers the lookups its step can make from its own replica.
  const cands = slices.map((s) => candidatesOf(embeddings, s));
  const jobs = cands.map((cs) => cs.flatMap(({ emb, prepared }) => prepared.map((p) => jobOf(p, globalTable(emb, p)))));
  const acts = await allCores(n, (r) => forwardOn(cores, r, jobs[r]));
  // The step on each core's activations.
  const results: CoreResult[] = [];
  const used: boolean[][] = [];
  for (let r = 0; r < n; r++) {
    const starts: number[] = [];
    const leaves: tf.Tensor[] = [];
    for (const { prepared } of cands[r]) {
      starts.push(leaves.length);
      for (const p of prepared) leaves.push(tf.tensor(acts[r][leaves.length], stageAShape(p, p.feature.table.dim)));
    }
    const u = cands[r].map(() => false);
    const ctx: RunContext = {
      core: r,
      lookup: (emb, _prepared, features, weights) => {
        if (!embeddings.includes(emb)) {
          throw new RuntimeError(
            'This TPUEmbeddingV0 belongs to another strategy; it cannot be looked up in this run.',
          );
        }
        const k = cands[r].findIndex(
          (c) => c.emb === emb && c.features === features && (c.weights ?? undefined) === (weights ?? undefined),
        );
        if (k < 0) {
          throw new RuntimeError(
            "Inside strategy.run each core's lookups are gathered on the core before the step runs, so embeddingLookup must be called with the features (and weights) of the core's slice exactly as given to the step function (or, with several TPUEmbeddingV0s, with one entry of them: features[k], weights[k]).",
          );
        }
        u[k] = true;
        return cands[r][k].prepared.map((p, f) => stageB(p, leaves[starts[k] + f]));
      },
    };
    try {
      results.push(coreForwardBackward(strategy, ctx, leaves, step, slices[r], 1 / n));
    } finally {
      for (const l of leaves) l.dispose();
    }
    used.push(u);
  }
  // Each core scatters the gradients of the lookups its step made into its table gradients.
  const grads = await allCores(n, (r) => {
    const bj: GatherJob[] = [];
    const dys: Float32Array[] = [];
    let j = 0;
    cands[r].forEach((c, k) => {
      for (let f = 0; f < c.prepared.length; f++, j++) {
        if (!used[r][k]) continue;
        bj.push(jobs[r][j]);
        dys.push(results[r].grads[j]);
      }
    });
    return backwardOn(cores, r, bj, dys);
  });
  const touched = tableSizes.map(() => new Set<number>());
  cands.forEach((cs, r) => {
    cs.forEach(({ emb, prepared }, k) => {
      if (!used[r][k]) return;
      for (const p of prepared) {
        const g = globalTable(emb, p);
        p.ids.forEach((id, e) => {
          if (p.present[e]) touched[g].add(id);
        });
      }
    });
  });
  // Nothing has changed until every core finished; now the cross-replica sum and the updates.
  const updates: Update[][] = Array.from({ length: n }, () => []);
  for (const [ei, emb] of embeddings.entries()) {
    for (const [ti, t] of emb.tables.entries()) {
      const g = offsets[ei] + ti;
      const name = t.name ?? `table_${ti}`;
      const ring = await runRing(
        new RingCollective(
          grads.map((gr) => gr[g] ?? new Float32Array(tableSizes[g])),
          { op: 'all-reduce', faults },
        ),
        name,
        'backward',
        hooks,
      );
      log.record('all-reduce', name, 'backward', ring.linkMatrix());
      const opt = emb.optimizerFor(t);
      if (!opt) throw new RuntimeError(`table ${t.name} has no optimizer.`);
      const rows = Int32Array.from(
        opt.updatesUntouchedRows() ? allRows(t.vocabularySize) : [...touched[g]].sort((a, b) => a - b),
      );
      for (let r = 0; r < n; r++) updates[r].push({ table: g, grad: ring.result(r), rows });
    }
  }
  await allCores(n, (r) => applyOn(cores, r, updates[r]));
  return results.map((r) => r.loss);
}
