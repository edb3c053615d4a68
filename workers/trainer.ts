// The playground's default model, trained in the engine worker with de.train.step on batch N of
// the seeded generator (a pure function of the settings and N) and its 0/1 labels:
// - logistic regression, p = sigmoid(x · w + b), x = every feature's vector concatenated;
// - a small two-tower model: user-tower features -> u = x_user W_u, item-tower features ->
//   i = x_item W_i (TOWER_UNITS units + a bias unit each), p = sigmoid(<u, i> + u_bias + i_bias + b).
// Each feature is read with the same engine call the Lookup inspector uses for it (its input kind,
// combiner, weights and max sequence length; see src/app/training/model.ts). Tables are stepped
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
// in-process first: workers/pooled-export.ts), so Reset clears the tables and starts new
// optimizers, and Step back resets and replays the (deterministic) batches from step 0, at most
// POOLED_REPLAY_MAX of them (refused when the model started from rows kept on the pool, or was
// restored after a reload: nothing could bring the earlier state back). A reload keeps pooled
// tables too (workers/pooled-state.ts).
import * as tf from '@tensorflow/tfjs';
import {
  type GeneratedBatch,
  type GeneratedFeature,
  generateBatch,
  generatorFeatures,
  mulberry32,
} from '../src/app/batch/generate.js';
import { type PlannedFeature, planModel, TOWER_UNITS } from '../src/app/training/model.js';
import {
  type FeatureSpec,
  type GeneratorSpec,
  type ModelKind,
  pooledCheckpointMessage,
  POOLED_REPLAY_MAX,
} from '../src/app/workspace/schema.js';
import * as de from '../src/engine/index.js';
import { disposeCopy, inProcessCopy } from './pooled-export.js';

export const KEYFRAME = 10;
export const KEYFRAMES_KEPT = 50;

export type OptimizerKind = 'SGD' | 'Momentum' | 'Adagrad' | 'Adam' | 'Ftrl' | 'RMSprop';

export interface TrainTable {
  name: string;
  dim: number;
  keyDtype: 'int32' | 'int64' | 'string';
  optimizer: OptimizerKind;
  learningRate: number;
  restrictPolicy: 'none' | 'timestamp' | 'frequency';
  restrictLimit: number;
  maxNorm: number;
}

export type TrainFeature = Pick<FeatureSpec, 'name' | 'table' | 'input' | 'combiner' | 'maxSequenceLength' | 'weights'>;

export interface TrainConfig {
  tables: TrainTable[];
  features: TrainFeature[];
  generator: GeneratorSpec;
  /** Seeds the head's initial weights. */
  seed: number;
  model: ModelKind;
  /** Two-tower: the item tower's features (empty = the last feature). */
  itemFeatures: string[];
}

export interface TableMetrics {
  size: number;
  /** Slots allocated; null for a table on the worker pool (the pool reports sizes, not capacities). */
  capacity: number | null;
  /** Fraction of the batch's ids of this table already held before the step. */
  hitRate: number;
  /** L2 norm of the gradient de.train.step applied to the table's unique rows (all its features summed). */
  gradNorm: number;
  /** Keys removed by the restrict policy after the step. */
  evictions: number;
}

export interface StepMetrics {
  /** The step number after this step (1 = the first step). */
  step: number;
  loss: number;
  tables: Record<string, TableMetrics>;
}

export interface NormHistogram {
  table: string;
  /** Bin edges, the same for every table of one call: counts[i] counts norms in [edges[i], edges[i + 1]). */
  edges: number[];
  counts: number[];
  keys: number;
  /** The table's largest row norm (0 when it is empty). */
  max: number;
}

/**
 * Histograms of row norms, one per table, over shared bins: `bins` equal bins from 0 to just above
 * the largest norm of any table (to 1 when every table is empty), so bar i means the same range
 * for every table.
 */
export function normHistograms(tables: { table: string; norms: ArrayLike<number> }[], bins = 20): NormHistogram[] {
  let max = 0;
  for (const t of tables) for (let i = 0; i < t.norms.length; i++) max = Math.max(max, t.norms[i]);
  const top = max > 0 ? max * 1.0001 : 1;
  const edges = Array.from({ length: bins + 1 }, (_, i) => (top * i) / bins);
  return tables.map(({ table, norms }) => {
    const counts = new Array<number>(bins).fill(0);
    let own = 0;
    for (let i = 0; i < norms.length; i++) {
      counts[Math.min(bins - 1, Math.floor((norms[i] / top) * bins))]++;
      own = Math.max(own, norms[i]);
    }
    return { table, edges: edges.slice(), counts, keys: norms.length, max: own };
  });
}

interface Keyframe {
  step: number;
  /** The tables' and optimizers' checkpoint; null when a table is on the worker pool (step 0 only). */
  bytes: Uint8Array | null;
  dense: Float32Array[];
  denseSlots: Float32Array[][];
}

function makeOptimizer(kind: OptimizerKind, learningRate: number): de.optimizers.Optimizer {
  const O = de.optimizers;
  switch (kind) {
    case 'SGD':
      return new O.SGD({ learningRate });
    case 'Momentum':
      return new O.Momentum({ learningRate });
    case 'Adagrad':
      return new O.Adagrad({ learningRate });
    case 'Adam':
      return new O.Adam({ learningRate });
    case 'Ftrl':
      return new O.Ftrl({ learningRate });
    case 'RMSprop':
      return new O.RMSprop({ learningRate });
  }
}

/** Ids of rows r0..r1 of a generated feature, as the rows (row splits) they form. */
function rowsOf(gf: GeneratedFeature): number[] {
  if (gf.rowSplits) return gf.rowSplits;
  const n = gf.shape[1];
  return Array.from({ length: gf.shape[0] + 1 }, (_, r) => r * n);
}

/**
 * The rows of `keys` as a lookup would read them (stored rows, the initializer's value for missing
 * keys) and which are stored, without inserting anything, even in a Variable with insertOnLookup.
 */
export function peek(v: de.Variable, keys: de.Keys): { values: Float32Array; exists: Uint8Array } {
  const dim = v.dim;
  const values = new Float32Array(keys.length * dim);
  const exists = new Uint8Array(keys.length);
  const shard = v.shardOf(keys);
  const pick = (idx: number[]) =>
    (keys instanceof Int32Array
      ? Int32Array.from(idx, (i) => keys[i])
      : keys instanceof BigInt64Array
        ? BigInt64Array.from(idx, (i) => keys[i])
        : idx.map((i) => keys[i])) as de.Keys;
  v.shards.forEach((table, s) => {
    const idx: number[] = [];
    for (let i = 0; i < keys.length; i++) if (shard[i] === s) idx.push(i);
    if (idx.length === 0) return;
    const part = new Float32Array(idx.length * dim);
    const ex = table.gather(pick(idx), part);
    const missing = idx.filter((_, j) => !ex[j]);
    const init = new Float32Array(missing.length * dim);
    if (missing.length > 0) v.initializer.fill(pick(missing), dim, init);
    let m = 0;
    idx.forEach((i, j) => {
      exists[i] = ex[j];
      values.set(ex[j] ? part.subarray(j * dim, (j + 1) * dim) : init.subarray(m * dim, (m++ + 1) * dim), i * dim);
    });
  });
  return { values, exists };
}

let serial = 0;

/** A table in the engine worker (de.Variable) or on the worker pool (de.pool.PooledVariable). */
export type TrainVariable = de.Variable | de.pool.PooledVariable;

function isPooled(v: TrainVariable): v is de.pool.PooledVariable {
  return v instanceof de.pool.PooledVariable;
}

/** The one engine read a feature's input makes: rows of dense ids, or a safe sparse lookup. */
type Read =
  | { kind: 'dense'; ids: de.NestedIds | de.Id[]; maxNorm: number | undefined }
  | {
      kind: 'sparse';
      sp: de.SparseTensor;
      w: de.SparseTensor | null;
      options: { combiner: 'sum' | 'mean' | 'sqrtn'; maxNorm: number | undefined };
    };

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
  step = 0;

  constructor(
    readonly config: TrainConfig,
    private readonly variable: (name: string) => TrainVariable,
  ) {
    const plan = planModel(config.model, config.itemFeatures, config.features, config.tables);
    if (!plan.ok) throw new Error(plan.message);
    this.features = plan.features;
    this.summary = plan.summary;
    for (const t of config.tables) this.tableOf.set(t.name, t);
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

  batch(step: number): GeneratedBatch {
    return generateBatch(
      this.config.generator,
      generatorFeatures(
        this.features,
        this.config.tables.map((t) => ({ name: t.name, keyDtype: t.keyDtype })),
      ),
      step,
    );
  }

  /** The one engine read of a feature's input (see {@link featureInput}). */
  private readOf(f: PlannedFeature, gf: GeneratedFeature): Read {
    const t = this.tableOf.get(f.table)!;
    const maxNorm = t.maxNorm > 0 ? t.maxNorm : undefined;
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

  /** The feature's input, [B, width], from what its read returned. */
  private fromRead(f: PlannedFeature, gf: GeneratedFeature, e: tf.Tensor): tf.Tensor2D {
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
        const dim = this.tableOf.get(f.table)!.dim;
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
   * One feature's part of the model input, [B, width], read with the engine call the Lookup
   * inspector uses for the feature (inside de.train.step the reads are taped and trained).
   */
  private featureInput(f: PlannedFeature, gf: GeneratedFeature): tf.Tensor2D {
    const v = this.variable(f.table);
    const r = this.readOf(f, gf);
    const e =
      r.kind === 'dense'
        ? (de.embeddingLookup(v, r.ids, { maxNorm: r.maxNorm }) as tf.Tensor)
        : (de.safeEmbeddingLookupSparse(v, r.sp, r.w, r.options) as tf.Tensor);
    return this.fromRead(f, gf, e);
  }

  /** A feature's input read outside a step (a constant for another optimizer group's step). */
  private async fixedInput(f: PlannedFeature, gf: GeneratedFeature): Promise<tf.Tensor2D> {
    const v = this.variable(f.table);
    if (!isPooled(v)) return tf.tidy(() => this.featureInput(f, gf));
    const r = this.readOf(f, gf);
    const e =
      r.kind === 'dense'
        ? await v.lookup(r.ids, { maxNorm: r.maxNorm })
        : await v.safeLookupSparse(r.sp, r.w, r.options);
    const out = tf.tidy(() => this.fromRead(f, gf, e));
    if (out !== e) e.dispose(); // a sparse read is the input itself
    return out;
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
            fixed.push(mine.has(f.table) ? null : await this.fixedInput(f, batch.features[f.name]));
          }
          const lossFn = () => {
            const inputs = this.features.map((f, k) => fixed[k] ?? this.featureInput(f, batch.features[f.name]));
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
    return { step: this.step, loss, tables: metrics };
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

  /** Each row's L2 norm, for the embedding-norm histogram. */
  async rowNorms(name: string): Promise<Float64Array> {
    const { values, dim } = await this.variable(name).export();
    const n = values.length / dim;
    const norms = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let sq = 0;
      for (let d = 0; d < dim; d++) sq += values[i * dim + d] ** 2;
      norms[i] = Math.sqrt(sq);
    }
    return norms;
  }

  /** The histogram of one table's row norms (its own bins). */
  async normHistogram(name: string, bins = 20): Promise<NormHistogram> {
    return normHistograms([{ table: name, norms: await this.rowNorms(name) }], bins)[0];
  }

  /** The histograms of several tables' row norms over the same bins (comparable side by side). */
  async normHistograms(names: string[], bins = 20): Promise<NormHistogram[]> {
    const all = [];
    for (const table of names) all.push({ table, norms: await this.rowNorms(table) });
    return normHistograms(all, bins);
  }

  /**
   * The checkpoint (tables, restrict status, optimizers), each table's .npy files and the TFRA
   * script. With a table on the worker pool, every trained table and the optimizers are first
   * copied in-process (see workers/pooled-export.ts), since de.checkpoint and de.interop read
   * in-process Variables; the copies are freed afterwards.
   */
  async exportFiles(): Promise<{ checkpoint: Uint8Array; npy: Record<string, Uint8Array>; python: string }> {
    const real = this.groups.map((g) => g.opt);
    const pooled = this.pooledTables.length > 0;
    const opts = pooled
      ? this.groups.map((g) => {
          const t = this.tableOf.get(g.tables[0])!;
          const o = makeOptimizer(t.optimizer, t.learningRate);
          o.setIterations(g.opt.iterations);
          return o;
        })
      : real;
    const copied: de.Variable[] = [];
    try {
      if (pooled) for (const v of this.variables) copied.push(await inProcessCopy(v, real, opts));
      const vars = pooled ? copied : (this.variables as de.Variable[]);
      // By table name (as this.variables, in group order; a Variable's own name may differ).
      const names = this.groups.flatMap((g) => g.tables);
      const byName = new Map(vars.map((v, i) => [names[i], v]));
      const checkpoint = await de.checkpoint.save([...vars, ...opts]);
      const npy: Record<string, Uint8Array> = {};
      for (const v of vars) Object.assign(npy, de.interop.toNpy(v));
      // The slot rows too, for the script's restore_slots(): only slots training created (trainedVariables
      // has no side effect, where getSlot would create empty slots for an untrained table).
      for (const o of opts) {
        for (const v of o.trainedVariables()) {
          if (vars.includes(v)) for (const slot of o.slotVariables(v)) Object.assign(npy, de.interop.toNpy(slot));
        }
      }
      const features: Record<string, de.interop.TfraFeature> = {};
      for (const f of this.features) {
        features[f.name] = {
          variable: byName.get(f.table)!,
          combiner: f.combiner === 'none' ? 'mean' : f.combiner,
        };
      }
      // Each table with its own optimizer (one TFRA DynamicEmbeddingOptimizer per group, as here).
      const python = de.interop.toTfraPython({
        variables: vars,
        features,
        optimizers: this.groups.map((g, i) => ({
          optimizer: opts[i],
          variables: g.tables.map((n) => byName.get(n)!),
        })),
      });
      return { checkpoint, npy, python };
    } finally {
      for (const c of copied) disposeCopy(c, opts);
    }
  }

  dispose(): void {
    for (const v of this.dense) v.dispose();
    for (const g of this.groups) this.disposeSlots(g.opt);
  }
}
