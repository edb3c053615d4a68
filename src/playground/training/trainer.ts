// The playground's default model, trained in the engine worker with de.train.step on batch N of
// the seeded generator (a pure function of the settings and N) and its 0/1 labels:
// - logistic regression, p = sigmoid(x · w + b), x = every feature's vector concatenated;
// - a small two-tower model: user-tower features -> u = x_user W_u, item-tower features ->
//   i = x_item W_i (TOWER_UNITS units + a bias unit each), p = sigmoid(<u, i> + u_bias + i_bias + b).
// Each feature is read with the same engine call the Lookup inspector uses for it (its input kind,
// combiner, weights and max sequence length; see model.ts and inputs.ts). Tables are stepped
// with their own optimizer and learning rate (one de.train.step per distinct optimizer; the dense
// head is trained with the first table's). The gradient norm per table is the norm of the
// unique-row gradients the step applied (de.train.step's onGradients). Step back restores the
// nearest keyframe checkpoint (de.checkpoint.save, every KEYFRAME steps) and replays the batches,
// which are deterministic, so the state after step back is exactly the state before the last step.
// A new model (settings changed) starts from the rows its tables hold (start(): keyframe 0 is that
// state); Reset empties the tables and starts over.
// A table placed on the worker pool (de.pool.PooledVariable) is read and trained through
// `await de.train.step(opt, loss, { async: true })` (the loss runs a discovery pass, then the step);
// there are no keyframe checkpoints of pooled tables (the Code panel's downloads copy them
// in-process first: pooled-export.ts), so Reset clears the tables and starts new
// optimizers, and Step back resets and replays the (deterministic) batches from step 0, at most
// POOLED_REPLAY_MAX of them (refused when the model started from rows kept on the pool, or was
// restored after a reload: nothing could bring the earlier state back). A reload keeps pooled
// tables too (pooled-state.ts).
import * as tf from '@tensorflow/tfjs';
import * as de from '../../engine/index.js';
import {
  evaluationBatch,
  type GeneratedBatch,
  generateBatch,
  generatorFeatures,
  logLoss,
  mulberry32,
  type WorldReference,
  worldReference,
} from '../batch/generate.js';
import type { ExportedFiles, NormHistogram, StepMetrics, TableMetrics, TrainConfig, TrainTable } from '../protocol.js';
import { POOLED_REPLAY_MAX, pooledCheckpointMessage } from '../workspace/placement.js';
import { normHistograms, rowNorms } from './histograms.js';
import { featureInput, fixedInput } from './inputs.js';
import { type PlannedFeature, planModel, TOWER_UNITS } from './model.js';
import { makeOptimizer } from './optimizers.js';
import { peek } from './peek.js';
import { exportModel } from './export.js';
import { logBatch, logProblem } from '../import/batches.js';
import type { ImportedLog } from '../import/build.js';

export const KEYFRAME = 10;
export const KEYFRAMES_KEPT = 50;
/** The held-out loss is measured after step 1 and every this many steps. */
export const EVALUATE_EVERY = 5;

interface Keyframe {
  step: number;
  /** The tables' and optimizers' checkpoint; null when a table is on the worker pool (step 0 only). */
  bytes: Uint8Array | null;
  dense: Float32Array[];
  denseSlots: Float32Array[][];
}

let serial = 0;

/** A table in the engine worker (de.Variable) or on the worker pool (de.pool.PooledVariable). */
export type TrainVariable = de.Variable | de.pool.PooledVariable;

function isPooled(v: TrainVariable): v is de.pool.PooledVariable {
  return v instanceof de.pool.PooledVariable;
}

/** One model over live Variables (owned by the worker's table map). */
export class Trainer {
  readonly features: PlannedFeature[];
  readonly summary: string;
  private readonly tableOf = new Map<string, TrainTable>();
  /** Optimizer groups: tables sharing (optimizer, learning rate). Group 0 also trains the head. */
  private readonly groups: { opt: de.optimizers.Optimizer; tables: string[] }[] = [];
  /** Logistic: [w, b]; two-tower: [W_user, W_item, b]. */
  private readonly dense: tf.Variable[];
  private keyframes: Keyframe[] = [];
  /** The head's initial weights (Reset). */
  private readonly initialDense: Float32Array[];
  /** Pooled tables that held rows when this model started: no checkpoint can bring them back. */
  private keptPooled: string[] = [];
  /** The held-out batch (built on first use). */
  private heldOut: GeneratedBatch | null = null;
  step = 0;

  constructor(
    readonly config: TrainConfig,
    private readonly variable: (name: string) => TrainVariable,
    /** The options each table was created with (the Code panel's downloads copy pooled tables with them). */
    private readonly optionsOf?: (name: string) => de.VariableOptions,
    /** An imported log to read batches from (with its label) instead of the generator. */
    private readonly log: ImportedLog | null = null,
  ) {
    const plan = planModel(config.model, config.itemFeatures, config.features, config.tables);
    if (!plan.ok) throw new Error(plan.message);
    this.features = plan.features;
    this.summary = plan.summary;
    for (const t of config.tables) this.tableOf.set(t.name, t);
    if (log) {
      const problem = logProblem(
        log,
        this.features.map((f) => ({
          name: f.name,
          dense: f.op === 'embedding' || f.op === 'squashed',
          keyDtype: this.tableOf.get(f.table)!.keyDtype,
        })),
      );
      if (problem) throw new Error(problem);
      this.summary += ` Batches: the imported log (${log.rows.toLocaleString('en')} rows, its label column).`;
    }
    const used = [...new Set(this.features.map((f) => f.table))];
    for (const name of used) {
      const t = this.tableOf.get(name)!;
      const g = this.groups.find((x) => {
        const first = this.tableOf.get(x.tables[0])!;
        return first.optimizer === t.optimizer && first.learningRate === t.learningRate;
      });
      if (g) g.tables.push(name);
      else this.groups.push({ opt: makeOptimizer(t.optimizer, t.learningRate), tables: [name] });
    }
    const rng = mulberry32(config.seed);
    const id = `${serial++}_${Date.now()}`;
    const matrix = (rows: number, cols: number, name: string) => {
      // Uniform in ±sqrt(3 / rows) (variance 1 / rows): the output's scale does not grow with the width.
      const a = Math.sqrt(3 / Math.max(1, rows));
      const w0 = Float32Array.from({ length: rows * cols }, () => (rng() * 2 - 1) * a);
      return tf.variable(tf.tensor2d(w0, [rows, cols]), true, `playground_${name}_${id}`);
    };
    const width = (t: PlannedFeature['tower']) =>
      this.features.filter((f) => f.tower === t).reduce((a, f) => a + f.width, 0);
    const bias = tf.variable(tf.zeros([1]), true, `playground_b_${id}`);
    if (config.model === 'logistic') this.dense = [matrix(width(null), 1, 'w'), bias];
    else {
      this.dense = [
        matrix(width('user'), TOWER_UNITS + 1, 'W_user'),
        matrix(width('item'), TOWER_UNITS + 1, 'W_item'),
        bias,
      ];
    }
    this.initialDense = this.dense.map((v) => Float32Array.from(v.dataSync() as Float32Array));
  }

  private get variables(): TrainVariable[] {
    return this.groups.flatMap((g) => g.tables.map((n) => this.variable(n)));
  }

  /** The trained tables placed on the worker pool (no checkpoints, so no Step back). */
  get pooledTables(): string[] {
    return this.groups.flatMap((g) => g.tables.filter((n) => isPooled(this.variable(n))));
  }

  /**
   * Starts the model at step 0 from the rows its tables hold now: empty, or the rows kept from
   * before a settings change (keyframe 0 is that state, so Step back to step 0 comes back to them).
   */
  async start(): Promise<void> {
    this.step = 0;
    de.train.setGlobalStep(0);
    this.keptPooled = [];
    for (const n of this.pooledTables) if ((await this.variable(n).size()) > 0) this.keptPooled.push(n);
    this.keyframes = [await this.snapshot()];
  }

  /** Empties every trained table and starts over: fresh optimizers, the head's initial weights, step 0. */
  async reset(): Promise<void> {
    for (const v of this.variables) {
      // A pooled table's clear() empties its values but not its restrict status; restrict(0)
      // removes every key from the values, the status and the optimizer slots on the workers.
      if (isPooled(v) && v.policy !== null && (await v.size()) > 0) await v.restrict(0, { trigger: 0 });
      await v.clear();
    }
    this.freshOptimizers();
    this.dense.forEach((v, i) => v.assign(tf.tensor(this.initialDense[i], v.shape)));
    await this.start();
  }

  /** New optimizers (no slots, iteration 0); the old ones' in-process slot tables are freed. */
  private freshOptimizers(): void {
    for (const g of this.groups) {
      this.disposeSlots(g.opt);
      const t = this.tableOf.get(g.tables[0])!;
      g.opt = makeOptimizer(t.optimizer, t.learningRate);
    }
  }

  private disposeSlots(opt: de.optimizers.Optimizer): void {
    for (const v of opt.trainedVariables()) for (const slot of opt.slotVariables(v)) slot.dispose();
  }

  private async snapshot(): Promise<Keyframe> {
    const opts = this.groups.map((g) => g.opt);
    const local = this.pooledTables.length === 0;
    return {
      step: this.step,
      bytes: local ? await de.checkpoint.save([...(this.variables as de.Variable[]), ...opts]) : null,
      dense: this.dense.map((v) => Float32Array.from(v.dataSync() as Float32Array)),
      denseSlots: this.dense.map((v) => this.groups[0].opt.denseSlotValues(v).map((s) => s.slice())),
    };
  }

  private async restoreKeyframe(k: Keyframe): Promise<void> {
    if (!k.bytes) throw new Error(pooledCheckpointMessage(this.pooledTables));
    // A checkpoint taken before a table's first step holds no optimizer slots for it, and
    // de.checkpoint.restore then leaves the slots as they are: empty them first, so restoring
    // keyframe 0 (Reset, Step back to an early step) starts the optimizers over too.
    for (const g of this.groups) {
      for (const name of g.tables)
        for (const slot of g.opt.slotVariables(this.variable(name) as de.Variable)) slot.clear();
    }
    await de.checkpoint.restore(k.bytes, [...(this.variables as de.Variable[]), ...this.groups.map((g) => g.opt)]);
    this.dense.forEach((v, i) => {
      v.assign(tf.tensor(k.dense[i], v.shape));
      this.groups[0].opt.denseSlotValues(v).forEach((s, j) => s.set(k.denseSlots[i][j]));
    });
    this.step = k.step;
  }

  batch(step: number): Omit<GeneratedBatch, 'probabilities'> {
    if (this.log) return logBatch(this.log, this.config.generator.batchSize, step);
    return generateBatch(this.config.generator, this.generatorFeatures(), step);
  }

  private generatorFeatures() {
    return generatorFeatures(
      this.features,
      this.config.tables.map((t) => ({ name: t.name, keyDtype: t.keyDtype })),
    );
  }

  private evaluationBatch(): GeneratedBatch {
    this.heldOut ??= evaluationBatch(this.config.generator, this.generatorFeatures());
    return this.heldOut;
  }

  /**
   * The loss chart's reference lines: the labels' entropy and the ground truth's log-loss, on the
   * held-out batch. Null when training reads an imported log (its ground truth is unknown).
   */
  reference(): WorldReference | null {
    return this.log ? null : worldReference(this.evaluationBatch());
  }

  /**
   * The model's log-loss on the held-out batch: a forward pass that reads the tables without
   * inserting (ids never trained read the initializer) and changes nothing.
   */
  async evaluate(): Promise<number> {
    const batch = this.evaluationBatch();
    const inputs: tf.Tensor2D[] = [];
    try {
      for (const f of this.features) {
        inputs.push(await fixedInput(this.variable(f.table), f, batch.features[f.name], this.maxNormOf(f.table)));
      }
      const p = tf.tidy(() => tf.sigmoid(this.logits(inputs)).dataSync() as Float32Array);
      return logLoss(p, batch.labels);
    } finally {
      for (const x of inputs) x.dispose();
    }
  }

  private maxNormOf(table: string): number | undefined {
    const m = this.tableOf.get(table)!.maxNorm;
    return m > 0 ? m : undefined;
  }

  /** Which of `ids` the table holds (never inserts). */
  private async held(v: TrainVariable, ids: de.NestedIds): Promise<ArrayLike<number | boolean>> {
    if (!isPooled(v)) return peek(v, v.keysOf(ids, 'ids').keys).exists;
    const r = await v.lookup(ids, { returnExists: true });
    r.values.dispose();
    return r.exists;
  }

  /** The logit per example, [B, 1], from each feature's input. */
  private logits(inputs: tf.Tensor2D[]): tf.Tensor2D {
    const cat = (xs: tf.Tensor2D[]) => (xs.length === 1 ? xs[0] : (tf.concat(xs, 1) as tf.Tensor2D));
    if (this.config.model === 'logistic') {
      const [w, b] = this.dense;
      return tf.add(tf.matMul(cat(inputs), w as tf.Tensor2D), b);
    }
    const [wu, wi, b] = this.dense;
    const side = (t: 'user' | 'item') => cat(inputs.filter((_, k) => this.features[k].tower === t));
    const u = tf.matMul(side('user'), wu as tf.Tensor2D);
    const i = tf.matMul(side('item'), wi as tf.Tensor2D);
    const dot = tf.sum(tf.mul(u.slice([0, 0], [-1, TOWER_UNITS]), i.slice([0, 0], [-1, TOWER_UNITS])), 1, true);
    const biases = tf.add(u.slice([0, TOWER_UNITS], [-1, 1]), i.slice([0, TOWER_UNITS], [-1, 1]));
    return tf.add(tf.add(dot, biases), b) as tf.Tensor2D;
  }

  /** Runs one step on batch `this.step` and returns its metrics. */
  async runStep(): Promise<StepMetrics> {
    const batch = this.batch(this.step);
    const labels = tf.tensor2d(batch.labels, [batch.labels.length, 1]);
    const metrics: Record<string, TableMetrics> = {};
    const nameOf = new Map<unknown, string>();
    // Hit rate: ids of each table (every occurrence) already held before the step.
    for (const g of this.groups) {
      for (const name of g.tables) {
        const v = this.variable(name);
        nameOf.set(v, name);
        let hits = 0;
        let total = 0;
        for (const f of this.features) {
          if (f.table !== name) continue;
          const ex = await this.held(v, batch.features[f.name].ids as de.NestedIds);
          for (let i = 0; i < ex.length; i++) hits += Number(ex[i]);
          total += ex.length;
        }
        metrics[name] = { size: 0, capacity: 0, hitRate: total > 0 ? hits / total : 0, gradNorm: 0, evictions: 0 };
      }
    }
    let loss = 0;
    try {
      for (const [gi, g] of this.groups.entries()) {
        const mine = new Set(g.tables);
        // Other optimizers' tables are read outside the step (not taped): constants here, they
        // are stepped in their own group.
        const fixed: (tf.Tensor2D | null)[] = [];
        try {
          for (const f of this.features) {
            fixed.push(
              mine.has(f.table)
                ? null
                : await fixedInput(this.variable(f.table), f, batch.features[f.name], this.maxNormOf(f.table)),
            );
          }
          const lossFn = () => {
            const inputs = this.features.map(
              (f, k) =>
                fixed[k] ?? featureInput(this.variable(f.table), f, batch.features[f.name], this.maxNormOf(f.table)),
            );
            const z = this.logits(inputs);
            // Binary cross-entropy from logits: mean(softplus(z) - y z).
            return tf.mean(tf.sub(tf.softplus(z), tf.mul(labels, z))) as tf.Scalar;
          };
          const options: de.train.StepOptions & { async?: false } = {
            varList: gi === 0 ? this.dense : [],
            onGradients: (rows) => {
              for (const r of rows) {
                const name = nameOf.get(r.variable);
                if (name === undefined) continue;
                let sq = 0;
                for (const x of r.grad) sq += x * x;
                metrics[name].gradNorm = Math.sqrt(sq);
              }
            },
          };
          // A group with a pooled table: the loss runs twice (a dry run learns the ids, their rows
          // are fetched from the workers, then the step), and the update is applied on the workers.
          loss = g.tables.some((n) => isPooled(this.variable(n)))
            ? await de.train.step(g.opt, lossFn, { ...options, async: true })
            : de.train.step(g.opt, lossFn, options);
        } finally {
          for (const x of fixed) x?.dispose();
        }
      }
    } finally {
      labels.dispose();
    }
    this.step++;
    for (const [name, m] of Object.entries(metrics)) {
      const t = this.tableOf.get(name)!;
      const v = this.variable(name);
      if (isPooled(v)) {
        if (t.restrictPolicy !== 'none' && (await v.size()) > t.restrictLimit) {
          m.evictions = await v.restrict(t.restrictLimit);
        }
        m.size = await v.size();
        m.capacity = null;
        continue;
      }
      if (t.restrictPolicy !== 'none' && v.size() > t.restrictLimit) m.evictions = v.restrict(t.restrictLimit);
      const s = v.stats();
      m.size = s.size;
      m.capacity = s.capacity;
    }
    if (this.step % KEYFRAME === 0 && this.pooledTables.length === 0) {
      this.keyframes.push(await this.snapshot());
      // Keep keyframe 0 (reset) and the latest ones.
      if (this.keyframes.length > KEYFRAMES_KEPT + 1) this.keyframes.splice(1, 1);
    }
    const heldOutLoss =
      !this.log && (this.step === 1 || this.step % EVALUATE_EVERY === 0) ? await this.evaluate() : null;
    return { step: this.step, loss, heldOutLoss, tables: metrics };
  }

  /** The model's optimizers, in group order (what a checkpoint of its state holds after the tables). */
  get optimizers(): de.optimizers.Optimizer[] {
    return this.groups.map((g) => g.opt);
  }

  /** The dense head's weights and its optimizer slot values (copies). */
  headState(): { dense: Float32Array[]; denseSlots: Float32Array[][] } {
    return {
      dense: this.dense.map((v) => Float32Array.from(v.dataSync() as Float32Array)),
      denseSlots: this.dense.map((v) => this.groups[0].opt.denseSlotValues(v).map((x) => x.slice())),
    };
  }

  /**
   * Continues from a saved state (the page reloaded): its tables and optimizers were restored
   * by the caller (pooled ones with their slots and status); this sets the head, the step and the
   * global step. Keyframe 0 is this state: Step back stops here (the steps before it are not
   * kept; with a pooled table, which has no keyframes, Step back is refused), Reset empties the tables.
   */
  async resume(step: number, globalStep: number, dense: Float32Array[], denseSlots: Float32Array[][]): Promise<void> {
    if (dense.length !== this.dense.length || dense.some((d, i) => d.length !== this.dense[i].size)) {
      throw new Error('The saved model head does not fit this model (its features or model changed).');
    }
    this.dense.forEach((v, i) => {
      v.assign(tf.tensor(dense[i], v.shape));
      const slots = this.groups[0].opt.denseSlotValues(v);
      slots.forEach((x, j) => {
        if (denseSlots[i]?.[j]?.length === x.length) x.set(denseSlots[i][j]);
      });
    });
    this.step = step;
    de.train.setGlobalStep(globalStep);
    this.keptPooled = [];
    this.keyframes = [await this.snapshot()];
  }

  /** Goes back to the state before the last step: restore the nearest keyframe, replay. */
  async stepBack(): Promise<number> {
    if (this.step === 0) return 0;
    const pooled = this.pooledTables;
    if (this.keptPooled.length > 0) {
      throw new Error(
        `Step back cannot bring back the rows ${this.keptPooled.join(', ')} kept when the settings changed: a table on the worker pool has no checkpoints, and Step back there replays from empty tables. Press Reset to empty the tables and start over, or set the Placement to In-process for keyframe checkpoints.`,
      );
    }
    if (pooled.length > 0) {
      if (this.keyframes[0].step > 0) {
        throw new Error(
          `Step back is not available since the page reloaded at step ${this.keyframes[0].step}: ${pooled.join(', ')} on the worker pool ${pooled.length === 1 ? 'has' : 'have'} no keyframe checkpoints, and the steps before the reload are not kept. Press Reset to empty the tables and start over.`,
        );
      }
      // No checkpoints on the pool: start over and replay the deterministic batches.
      const target = this.step - 1;
      if (target > POOLED_REPLAY_MAX) {
        throw new Error(
          `Step back replays from step 0 when a table is on the worker pool (${pooled.join(', ')}: no checkpoints there), at most ${POOLED_REPLAY_MAX} steps; this model is at step ${this.step}. Press Reset, or set the Placement to In-process for keyframe checkpoints.`,
        );
      }
      await this.reset();
      while (this.step < target) await this.runStep();
      return this.step;
    }
    const target = this.step - 1;
    if (target < this.keyframes[0].step) {
      throw new Error(
        `Step back stops at step ${this.keyframes[0].step}: the model was restored there when the page reloaded, and the steps before it are not kept. Reset empties the tables and starts over.`,
      );
    }
    // Keyframe 0 is where the model started (step 0, or a restored step); others are kept while they are recent.
    let k = this.keyframes[0];
    for (const f of this.keyframes) if (f.step <= target && f.step >= k.step) k = f;
    this.keyframes = this.keyframes.filter((f) => f.step <= k.step);
    await this.restoreKeyframe(k);
    while (this.step < target) await this.runStep();
    return this.step;
  }

  /** The histograms of several tables' row norms over the same bins (comparable side by side). */
  async normHistograms(names: string[], bins = 20): Promise<NormHistogram[]> {
    const all = [];
    for (const table of names) all.push({ table, norms: rowNorms(await this.variable(table).export()) });
    return normHistograms(all, bins);
  }

  /**
   * The checkpoint (tables, restrict status, optimizers), each table's .npy files and the TFRA
   * script (see export.ts).
   */
  exportFiles(): Promise<ExportedFiles> {
    return exportModel({
      features: this.features,
      groups: this.groups.map((g) => ({ opt: g.opt, tables: g.tables, settings: this.tableOf.get(g.tables[0])! })),
      variable: (name) => this.variable(name),
      options: this.optionsOf,
    });
  }

  dispose(): void {
    for (const v of this.dense) v.dispose();
    for (const g of this.groups) this.disposeSlots(g.opt);
  }
}
