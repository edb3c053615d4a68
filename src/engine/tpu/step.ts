// One training step on the virtual cores. What a core does with the tables it holds (gather its
// lookups, scatter their gradients back, apply the optimizer) goes through a CoreExecutor, which
// runs it in-process or on the core's pool worker with the same code (core.ts). The user's step
// function runs on the host, once per core, on that core's activations: `coreForwardBackward`
// returns the core's loss and the gradients of its activations. Everything between cores goes
// through the collectives, whose bytes are logged.
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, RuntimeError, show } from '../errors.js';
import { type CollectiveFault, type CommLog, RingCollective, type RingStepReport } from './collectives.js';
import type { GatherJob } from './core.js';
import type { TPUEmbeddingV0 } from './embedding.js';
import type { CoreExecutor } from './execution.js';
import { batchSizeOf, forEachLeaf, mapLeaves, sliceBatch } from './inputs.js';
import { type PreparedFeature, stageAElements, stageB } from './lookup.js';
import { FLOAT_BYTES, ID_RECORD_BYTES } from './sharding.js';
import type { RunContext, VirtualTPUStrategy } from './strategy.js';

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

/** One ring step of a collective inside `strategy.run`, with the data every core holds after it. */
export interface RingStepEvent {
  kind: 'all-reduce' | 'reduce-scatter' | 'all-gather';
  /** What the ring reduces: a table name (all-reduce) or `${feature}/outputs`, `${feature}/output gradients`. */
  name: string;
  pass: 'forward' | 'backward';
  /** Index of this ring among the rings of the step (0, 1, ...). */
  ring: number;
  /** The messages of this ring step (from, to, chunk, bytes, delivered / late / dropped). */
  report: RingStepReport;
  /** Every core's buffer after this ring step (copies). */
  buffers: Float32Array[];
  /** Floats of each chunk (chunk i ends on core i after the reduce-scatter). */
  chunkSizes: number[];
  /** Ring steps of this collective done so far (1-based) and in all. */
  done: number;
  total: number;
}

/** Options of `strategy.run`. */
export interface RunHooks {
  /**
   * Called after every ring step of every ring collective of the step, with the real data; the
   * step waits for a returned promise (so a UI can animate the step one ring step at a time).
   * Nothing is applied until the last ring ends; a hook that throws fails the step with no change.
   */
  onRingStep?: (event: RingStepEvent) => void | Promise<void>;
}

/** Runs a ring to the end, reporting each ring step to `hooks.onRingStep`. */
async function runRing(
  ring: RingCollective,
  name: string,
  pass: 'forward' | 'backward',
  hooks: RunHooks & { rings?: number },
): Promise<RingCollective> {
  const hook = hooks.onRingStep;
  if (!hook) return ring.run();
  const index = hooks.rings ?? 0;
  hooks.rings = index + 1;
  const total = (ring.op === 'all-reduce' ? 2 : 1) * (ring.n - 1);
  for (let done = 1; ring.phase !== 'done'; done++) {
    const report = ring.step();
    await hook({
      kind: ring.op,
      name,
      pass,
      ring: index,
      report,
      buffers: ring.results(),
      chunkSizes: [...ring.chunkSizes],
      done,
      total,
    });
  }
  return ring;
}

/** What one core's forward and backward pass produced. */
export interface CoreResult {
  /** The unscaled loss. */
  loss: number;
  /** d(loss / n) / d(leaf) for every leaf, flat, zeros where the loss does not depend on it. */
  grads: Float32Array[];
}

/**
 * Runs the step function as one core: `leaves` are the tensors the core's lookups read
 * (the core's activations), `ctx` resolves lookups against them.
 * Returns the loss and the gradient of `loss * scale` with respect to each leaf.
 */
export function coreForwardBackward(
  strategy: VirtualTPUStrategy,
  ctx: RunContext,
  leaves: tf.Tensor[],
  step: StepFn,
  slice: GlobalBatch,
  scale: number,
): CoreResult {
  let loss = 0;
  const { value, grads } = strategy.withContext(ctx, () =>
    tf.engine().gradients(
      () => {
        const out: unknown = step(slice);
        if (!(out instanceof tf.Tensor) || out.size !== 1) {
          throw new InvalidArgumentError(
            `strategy.run: the step function must return (synchronously) a scalar tf.Tensor loss, got ${out instanceof tf.Tensor ? `a tensor of shape [${out.shape.join(', ')}]` : show(out)}.`,
          );
        }
        loss = out.dataSync()[0];
        return tf.mul(tf.reshape(out, []), scale);
      },
      leaves,
      undefined,
      true,
    ),
  );
  value.dispose();
  const flat = leaves.map((leaf, i) => {
    const g = grads[i];
    const data = g ? Float32Array.from(g.dataSync()) : new Float32Array(leaf.size);
    g?.dispose();
    return data;
  });
  return { loss, grads: flat };
}

function allRows(rows: number): number[] {
  return Array.from({ length: rows }, (_, i) => i);
}

/** The shape of stage A's output for `p` on `cols` columns. */
function stageAShape(p: PreparedFeature, cols: number): number[] {
  return p.kind === 'combine' ? [p.entryShape[0], cols] : [...p.entryShape, cols];
}

function jobOf(
  p: PreparedFeature,
  table: number,
  ids: Int32Array = p.ids,
  weights: Float32Array | null = p.weights,
  source?: Float32Array,
): GatherJob {
  const job: GatherJob = { table, kind: p.kind, entryShape: [...p.entryShape], ids, weights };
  if (source) job.source = source;
  return job;
}

/** Runs `fn` for every core at once (cores on different workers work in parallel). */
function allCores<T>(n: number, fn: (core: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: n }, (_, c) => fn(c)));
}

async function forwardOn(cores: CoreExecutor, core: number, jobs: GatherJob[]): Promise<Float32Array[]> {
  if (jobs.length === 0) return [];
  const res = await cores.work(core, { op: 'forward', jobs });
  if (res.op !== 'forward') throw new RuntimeError(`core ${core} answered ${res.op} to forward.`);
  return res.outputs;
}

async function backwardOn(
  cores: CoreExecutor,
  core: number,
  jobs: GatherJob[],
  dys: Float32Array[],
): Promise<(Float32Array | null)[]> {
  if (jobs.length === 0) return [];
  const res = await cores.work(core, { op: 'backward', jobs, dys });
  if (res.op !== 'backward') throw new RuntimeError(`core ${core} answered ${res.op} to backward.`);
  return res.grads;
}

async function rowsOn(cores: CoreExecutor, core: number, table: number, rows: Int32Array): Promise<Float32Array> {
  const res = await cores.work(core, { op: 'rows', table, rows });
  if (res.op !== 'rows') throw new RuntimeError(`core ${core} answered ${res.op} to rows.`);
  return res.values;
}

async function applyOn(
  cores: CoreExecutor,
  core: number,
  updates: { table: number; grad: Float32Array; rows: Int32Array }[],
): Promise<void> {
  if (updates.length === 0) return;
  const res = await cores.work(core, { op: 'apply', updates });
  if (res.op !== 'apply') throw new RuntimeError(`core ${core} answered ${res.op} to apply.`);
}

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

type Update = { table: number; grad: Float32Array; rows: Int32Array };

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

/** Ids and weights of `p` restricted to the rows core `o` owns (others: local row 0, weight 0). */
function ownedPart(p: PreparedFeature, owner: (id: number) => number, local: (id: number) => number, o: number) {
  const ids = new Int32Array(p.ids.length);
  const weights = new Float32Array(p.ids.length);
  let routed = 0;
  const rows: number[] = [];
  p.ids.forEach((id, k) => {
    if (!p.present[k] || owner(id) !== o) return;
    ids[k] = local(id);
    weights[k] = p.weights ? p.weights[k] : 1;
    routed++;
    rows.push(ids[k]);
  });
  return { ids, weights, routed, rows };
}

const presentCount = (p: PreparedFeature): number => p.present.reduce((a, b) => a + b, 0);

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
  const F = prepared[0].length;
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

  /** The user's step on every core's activations `acts[r][f]`. */
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

  let results: CoreResult[];
  if (mode === 'mod') {
    // Each core asks each owner for the distinct rows it needs; lookups then run on them.
    const uniq: number[][][] = []; // [core][table] -> ids
    const idsM = log.matrix();
    const rowsM = log.matrix();
    const asks: { r: number; ti: number; o: number; at: number[]; local: number[] }[] = [];
    for (let r = 0; r < n; r++) {
      const u = layouts.map(() => [] as number[]);
      const index = layouts.map(() => new Map<number, number>());
      prepared[r].forEach((p) => {
        const ti = emb.tableIndex(p.feature.table);
        p.ids.forEach((id, k) => {
          if (p.present[k] && !index[ti].has(id)) {
            index[ti].set(id, u[ti].length);
            u[ti].push(id);
          }
        });
      });
      uniq.push(u);
      layouts.forEach((l, ti) => {
        const byOwner = new Map<number, { at: number[]; local: number[] }>();
        u[ti].forEach((id, j) => {
          const o = l.owner(id);
          let a = byOwner.get(o);
          if (!a) {
            a = { at: [], local: [] };
            byOwner.set(o, a);
          }
          a.at.push(j);
          a.local.push(l.localRow(id));
          if (o !== r) {
            idsM[r][o] += FLOAT_BYTES;
            rowsM[o][r] += l.dim * FLOAT_BYTES;
          }
        });
        for (const [o, a] of [...byOwner].sort((x, y) => x[0] - y[0])) asks.push({ r, ti, o, ...a });
      });
    }
    const answers = await Promise.all(asks.map((a) => rowsOn(cores, a.o, a.ti, Int32Array.from(a.local))));
    const recv = uniq.map((u) => layouts.map((l, ti) => new Float32Array(Math.max(1, u[ti].length) * l.dim)));
    asks.forEach((a, k) => {
      const D = layouts[a.ti].dim;
      a.at.forEach((j, i) => {
        recv[a.r][a.ti].set(answers[k].subarray(i * D, (i + 1) * D), j * D);
      });
    });
    log.record('all-to-all', 'ids', 'forward', idsM);
    log.record('all-to-all', 'rows', 'forward', rowsM);
    const jobs = prepared.map((pr, r) =>
      pr.map((p) => {
        const ti = emb.tableIndex(p.feature.table);
        const pos = new Map(uniq[r][ti].map((id, j) => [id, j]));
        const local = Int32Array.from(p.ids, (id, k) => (p.present[k] ? (pos.get(id) ?? 0) : 0));
        return jobOf(p, ti, local, p.weights, recv[r][ti]);
      }),
    );
    const acts = await allCores(n, (r) => forwardOn(cores, r, jobs[r]));
    results = runSteps(acts);
    const recvGrads = await allCores(n, (r) => backwardOn(cores, r, jobs[r], results[r].grads));
    const gradM = log.matrix();
    for (let r = 0; r < n; r++) {
      layouts.forEach((l, ti) => {
        const D = l.dim;
        const src = recvGrads[r][ti];
        if (!src) return;
        uniq[r][ti].forEach((id, j) => {
          const o = l.owner(id);
          const lr = l.localRow(id);
          let g = gradShards[o][ti];
          if (!g) {
            g = new Float32Array(l.sizeOn(o));
            gradShards[o][ti] = g;
          }
          for (let d = 0; d < D; d++) g[lr * D + d] += src[j * D + d];
          touched[o][ti].add(lr);
          if (o !== r) gradM[r][o] += D * FLOAT_BYTES;
        });
      });
    }
    log.record('all-to-all', 'row gradients', 'backward', gradM);
  } else if (mode === 'table' || mode === 'column') {
    // Owners compute their column slice of every core's lookups; outputs go back by all-to-all.
    const ownerJobs: GatherJob[][] = Array.from({ length: n }, () => []);
    const ownerIndex: { f: number; r: number }[][] = Array.from({ length: n }, () => []);
    for (let f = 0; f < F; f++) {
      const ti = tableOf(f);
      const l = layouts[ti];
      const idsM = log.matrix();
      const outM = log.matrix();
      for (let r = 0; r < n; r++) {
        const p = prepared[r][f];
        for (let o = 0; o < n; o++) {
          const cols = l.colsOn(o);
          if (cols === 0) continue;
          ownerJobs[o].push(jobOf(p, ti));
          ownerIndex[o].push({ f, r });
          if (o !== r) {
            idsM[r][o] += presentCount(p) * ID_RECORD_BYTES;
            outM[o][r] += stageAElements(p, cols) * FLOAT_BYTES;
          }
        }
      }
      log.record('all-to-all', `${featureName(f)}/ids`, 'forward', idsM);
      log.record('all-to-all', `${featureName(f)}/outputs`, 'forward', outM);
    }
    const outs = await allCores(n, (o) => forwardOn(cores, o, ownerJobs[o]));
    const acts = prepared.map((pr) => pr.map((p) => new Float32Array(stageAElements(p, p.feature.table.dim))));
    for (let o = 0; o < n; o++) {
      ownerIndex[o].forEach(({ f, r }, k) => {
        const l = layouts[tableOf(f)];
        const cols = l.colsOn(o);
        const part = outs[o][k];
        const dst = acts[r][f];
        for (let i = 0; i < part.length / cols; i++) {
          dst.set(part.subarray(i * cols, (i + 1) * cols), i * l.dim + l.colStarts[o]);
        }
      });
    }
    results = runSteps(acts);
    // Backward: each owner gets its column slice of the output gradients.
    const dys: Float32Array[][] = Array.from({ length: n }, () => []);
    for (let f = 0; f < F; f++) {
      const l = layouts[tableOf(f)];
      const dyM = log.matrix();
      for (let r = 0; r < n; r++) {
        const dy = results[r].grads[f];
        const outer = dy.length / l.dim;
        for (let o = 0; o < n; o++) {
          const cols = l.colsOn(o);
          if (cols === 0) continue;
          if (o !== r) dyM[r][o] += outer * cols * FLOAT_BYTES;
        }
      }
      log.record('all-to-all', `${featureName(f)}/output gradients`, 'backward', dyM);
    }
    for (let o = 0; o < n; o++) {
      for (const { f, r } of ownerIndex[o]) {
        const l = layouts[tableOf(f)];
        const cols = l.colsOn(o);
        const dy = results[r].grads[f];
        const outer = dy.length / l.dim;
        const slice = new Float32Array(outer * cols);
        for (let i = 0; i < outer; i++) {
          for (let j = 0; j < cols; j++) slice[i * cols + j] = dy[i * l.dim + l.colStarts[o] + j];
        }
        dys[o].push(slice);
        const p = prepared[r][f];
        p.ids.forEach((id, k) => {
          if (p.present[k]) touched[o][tableOf(f)].add(id);
        });
      }
    }
    const grads = await allCores(n, (o) => backwardOn(cores, o, ownerJobs[o], dys[o]));
    grads.forEach((g, o) => {
      addGrads(o, g);
    });
  } else {
    // row: every owner computes its partial sums for every core; a ring reduce-scatter adds them up.
    const ownerJobs: GatherJob[][] = Array.from({ length: n }, () => []);
    const ownerIndex: { f: number; r: number; rows: number[] }[][] = Array.from({ length: n }, () => []);
    const idsMs: number[][][] = [];
    for (let f = 0; f < F; f++) {
      const ti = tableOf(f);
      const l = layouts[ti];
      const idsM = log.matrix();
      for (let o = 0; o < n; o++) {
        for (let r = 0; r < n; r++) {
          const p = prepared[r][f];
          const part = ownedPart(
            p,
            (id) => l.owner(id),
            (id) => l.localRow(id),
            o,
          );
          if (o !== r) idsM[r][o] += part.routed * ID_RECORD_BYTES;
          if (part.routed > 0) {
            ownerJobs[o].push(jobOf(p, ti, part.ids, part.weights));
            ownerIndex[o].push({ f, r, rows: part.rows });
          }
        }
      }
      idsMs.push(idsM);
    }
    const outs = await allCores(n, (o) => forwardOn(cores, o, ownerJobs[o]));
    const acts: Float32Array[][] = Array.from({ length: n }, () => new Array<Float32Array>(F));
    const sizesOf = (f: number): number[] => prepared.map((pr) => stageAElements(pr[f], layouts[tableOf(f)].dim));
    for (let f = 0; f < F; f++) {
      const sizes = sizesOf(f);
      const starts = sizes.map((_, r) => sizes.slice(0, r).reduce((a, b) => a + b, 0));
      const total = sizes.reduce((a, b) => a + b, 0);
      const buffers = Array.from({ length: n }, () => new Float32Array(total));
      for (let o = 0; o < n; o++) {
        ownerIndex[o].forEach((at, k) => {
          if (at.f === f) buffers[o].set(outs[o][k], starts[at.r]);
        });
      }
      log.record('all-to-all', `${featureName(f)}/ids`, 'forward', idsMs[f]);
      const ring = await runRing(
        new RingCollective(buffers, { op: 'reduce-scatter', chunkSizes: sizes }),
        `${featureName(f)}/outputs`,
        'forward',
        hooks,
      );
      log.record('reduce-scatter', `${featureName(f)}/outputs`, 'forward', ring.linkMatrix());
      for (let r = 0; r < n; r++) acts[r][f] = ring.result(r).slice(starts[r], starts[r] + sizes[r]);
    }
    results = runSteps(acts);
    // Backward: output gradients all-gathered; each owner scatters the ones of its rows.
    const dys: Float32Array[][] = Array.from({ length: n }, () => []);
    const gathered: Float32Array[][] = []; // [f][o]
    for (let f = 0; f < F; f++) {
      const sizes = sizesOf(f);
      const total = sizes.reduce((a, b) => a + b, 0);
      let off = 0;
      const buffers = results.map((res, r) => {
        const b = new Float32Array(total);
        b.set(res.grads[f], off);
        off += sizes[r];
        return b;
      });
      const ring = await runRing(
        new RingCollective(buffers, { op: 'all-gather', chunkSizes: sizes }),
        `${featureName(f)}/output gradients`,
        'backward',
        hooks,
      );
      log.record('all-gather', `${featureName(f)}/output gradients`, 'backward', ring.linkMatrix());
      gathered.push(ring.results());
    }
    for (let o = 0; o < n; o++) {
      for (const { f, r, rows } of ownerIndex[o]) {
        const sizes = sizesOf(f);
        const at = sizes.slice(0, r).reduce((a, b) => a + b, 0);
        dys[o].push(gathered[f][o].slice(at, at + sizes[r]));
        for (const lr of rows) touched[o][tableOf(f)].add(lr);
      }
    }
    const grads = await allCores(n, (o) => backwardOn(cores, o, ownerJobs[o], dys[o]));
    grads.forEach((g, o) => {
      addGrads(o, g);
    });
  }
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
