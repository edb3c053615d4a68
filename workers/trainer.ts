// The playground's default model, trained in the engine worker with de.train.step:
// logistic regression over the features' pooled embeddings,
//   p(y = 1 | example) = sigmoid(sum_f pool_f(embeddings of f's ids) · w_f + b),
// on batch N of the seeded generator (a pure function of the settings and N) with its 0/1 labels.
// Tables are stepped with their own optimizer and learning rate (one de.train.step per distinct
// optimizer; the head w, b is trained with the first table's). Step back restores the nearest
// keyframe checkpoint (de.checkpoint.save, every KEYFRAME steps) and replays the batches, which
// are deterministic, so the state after step back is exactly the state before the last step.
import * as tf from '@tensorflow/tfjs';
import { type GeneratedBatch, generateBatch, mulberry32 } from '../src/app/batch/generate.js';
import type { GeneratorSpec } from '../src/app/workspace/schema.js';
import * as de from '../src/engine/index.js';

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

export interface TrainFeature {
  name: string;
  table: string;
  combiner: 'none' | 'sum' | 'mean' | 'sqrtn';
}

export interface TrainConfig {
  tables: TrainTable[];
  features: TrainFeature[];
  generator: GeneratorSpec;
  /** Seeds the head's initial weights. */
  seed: number;
}

export interface TableMetrics {
  size: number;
  capacity: number;
  /** Fraction of the batch's ids of this table already held before the step. */
  hitRate: number;
  /** L2 norm of the loss gradient with respect to the rows read (after maxNorm), all features of the table. */
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
  /** Bin edges: bins[i] counts norms in [edges[i], edges[i + 1]). */
  edges: number[];
  counts: number[];
  keys: number;
}

interface Keyframe {
  step: number;
  bytes: Uint8Array;
  w: Float32Array;
  b: Float32Array;
  denseSlots: Float32Array[][];
}

const POOL_FACTOR = {
  none: (n: number) => 1 / n,
  mean: (n: number) => 1 / n,
  sum: () => 1,
  sqrtn: (n: number) => 1 / Math.sqrt(n),
};

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

/** One model over live Variables (owned by the worker's table map). */
export class Trainer {
  readonly features: TrainFeature[];
  private readonly tableOf = new Map<string, TrainTable>();
  /** Optimizer groups: tables sharing (optimizer, learning rate). Group 0 also trains the head. */
  private readonly groups: { opt: de.optimizers.Optimizer; tables: string[] }[] = [];
  private readonly w: tf.Variable;
  private readonly b: tf.Variable;
  private keyframes: Keyframe[] = [];
  step = 0;

  constructor(
    readonly config: TrainConfig,
    private readonly variable: (name: string) => de.Variable,
  ) {
    this.features = config.features.filter((f) => config.tables.some((t) => t.name === f.table));
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
    const width = this.features.reduce((a, f) => a + this.tableOf.get(f.table)!.dim, 0);
    const w0 = Float32Array.from({ length: width }, () => (rng() * 2 - 1) * 0.1);
    this.w = tf.variable(tf.tensor2d(w0, [width, 1]), true, `playground_head_w_${Date.now()}_${Math.random()}`);
    this.b = tf.variable(tf.zeros([1]), true, `playground_head_b_${Date.now()}_${Math.random()}`);
  }

  private get variables(): de.Variable[] {
    return this.groups.flatMap((g) => g.tables.map((n) => this.variable(n)));
  }

  private denseVars(): tf.Variable[] {
    return [this.w, this.b];
  }

  /** Empties every trained table and puts the model back to step 0 (keyframe 0 is that state). */
  async reset(): Promise<void> {
    for (const v of this.variables) v.clear();
    this.step = 0;
    de.train.setGlobalStep(0);
    if (this.keyframes.length > 0) {
      await this.restoreKeyframe(this.keyframes[0]);
      this.keyframes = [this.keyframes[0]];
    } else {
      this.keyframes = [await this.snapshot()];
    }
  }

  private async snapshot(): Promise<Keyframe> {
    const opts = this.groups.map((g) => g.opt);
    return {
      step: this.step,
      bytes: await de.checkpoint.save([...this.variables, ...opts]),
      w: Float32Array.from(this.w.dataSync() as Float32Array),
      b: Float32Array.from(this.b.dataSync() as Float32Array),
      denseSlots: this.denseVars().map((v) => this.groups[0].opt.denseSlotValues(v).map((s) => s.slice())),
    };
  }

  private async restoreKeyframe(k: Keyframe): Promise<void> {
    await de.checkpoint.restore(k.bytes, [...this.variables, ...this.groups.map((g) => g.opt)]);
    this.w.assign(tf.tensor2d(k.w, this.w.shape as [number, number]));
    this.b.assign(tf.tensor1d(k.b));
    this.denseVars().forEach((v, i) => {
      this.groups[0].opt.denseSlotValues(v).forEach((s, j) => s.set(k.denseSlots[i][j]));
    });
    this.step = k.step;
  }

  batch(step: number): GeneratedBatch {
    return generateBatch(
      this.config.generator,
      this.features.map((f) => ({ name: f.name, stringIds: this.tableOf.get(f.table)!.keyDtype === 'string' })),
      step,
    );
  }

  /** Runs one step on batch `this.step` and returns its metrics. */
  async runStep(): Promise<StepMetrics> {
    const batch = this.batch(this.step);
    const labels = tf.tensor2d(batch.labels, [batch.labels.length, 1]);
    const B = batch.labels.length;
    const metrics: Record<string, TableMetrics> = {};
    // Hit rate: ids of each table already held before the step.
    for (const g of this.groups) {
      for (const name of g.tables) {
        const v = this.variable(name);
        let hits = 0;
        let total = 0;
        for (const f of this.features) {
          if (f.table !== name) continue;
          const { keys } = v.keysOf(batch.features[f.name].ids as de.NestedIds, 'ids');
          const ex = v.read(keys).exists;
          for (const e of ex) hits += e;
          total += ex.length;
        }
        metrics[name] = { size: 0, capacity: 0, hitRate: total > 0 ? hits / total : 0, gradNorm: 0, evictions: 0 };
      }
    }
    let loss = 0;
    try {
      this.groups.forEach((g, gi) => {
        const mine = new Set(g.tables);
        let probs: tf.Tensor | null = null;
        const headW = this.w.dataSync() as Float32Array;
        loss = de.train.step(
          g.opt,
          () => {
            const pooled = this.features.map((f) => {
              const t = this.tableOf.get(f.table)!;
              const gf = batch.features[f.name];
              const n = gf.shape[1];
              let e: tf.Tensor;
              if (mine.has(f.table)) {
                const nested: de.Id[][] = [];
                for (let r = 0; r < B; r++) nested.push(gf.ids.slice(r * n, (r + 1) * n) as de.Id[]);
                e = de.embeddingLookup(this.variable(f.table), nested as de.NestedIds, {
                  maxNorm: t.maxNorm > 0 ? t.maxNorm : undefined,
                }) as tf.Tensor;
              } else {
                // Another optimizer's table: read as a constant (it is stepped in its own group).
                const v = this.variable(f.table);
                const { keys } = v.keysOf(gf.ids as de.NestedIds, 'ids');
                e = tf.tensor3d(v.read(keys).values, [B, n, t.dim]);
              }
              return tf.mul(tf.sum(e, 1), POOL_FACTOR[f.combiner](n));
            });
            const x = pooled.length === 1 ? pooled[0] : tf.concat(pooled, 1);
            const z = tf.add(tf.matMul(x as tf.Tensor2D, this.w), this.b);
            probs = tf.keep(tf.sigmoid(z));
            // Binary cross-entropy from logits: mean(softplus(z) - y z).
            return tf.mean(tf.sub(tf.softplus(z), tf.mul(labels, z))) as tf.Scalar;
          },
          { varList: gi === 0 ? this.denseVars() : [] },
        );
        // Gradient w.r.t. the rows read, from the same forward pass: dL/dz_b = (p_b - y_b) / B,
        // dL/dpooled_{b,f} = dL/dz_b w_f, and each read row gets pool factor × that (summed per key).
        const p = (probs as tf.Tensor | null)!.dataSync() as Float32Array;
        (probs as tf.Tensor | null)!.dispose();
        let offset = 0;
        const perKey = new Map<string, Map<string, Float64Array>>();
        for (const f of this.features) {
          const t = this.tableOf.get(f.table)!;
          const dim = t.dim;
          if (mine.has(f.table)) {
            const gf = batch.features[f.name];
            const n = gf.shape[1];
            const c = POOL_FACTOR[f.combiner](n);
            let keyMap = perKey.get(f.table);
            if (!keyMap) perKey.set(f.table, (keyMap = new Map()));
            for (let r = 0; r < B; r++) {
              const dz = (p[r] - batch.labels[r]) / B;
              for (let j = 0; j < n; j++) {
                const k = String(gf.ids[r * n + j]);
                let acc = keyMap.get(k);
                if (!acc) keyMap.set(k, (acc = new Float64Array(dim)));
                for (let d = 0; d < dim; d++) acc[d] += dz * headW[offset + d] * c;
              }
            }
          }
          offset += dim;
        }
        for (const [name, keyMap] of perKey) {
          let sq = 0;
          for (const acc of keyMap.values()) for (const x of acc) sq += x * x;
          metrics[name].gradNorm = Math.sqrt(sq);
        }
      });
    } finally {
      labels.dispose();
    }
    this.step++;
    for (const [name, m] of Object.entries(metrics)) {
      const t = this.tableOf.get(name)!;
      const v = this.variable(name);
      if (t.restrictPolicy !== 'none' && v.size() > t.restrictLimit) m.evictions = v.restrict(t.restrictLimit);
      const s = v.stats();
      m.size = s.size;
      m.capacity = s.capacity;
    }
    if (this.step % KEYFRAME === 0) {
      this.keyframes.push(await this.snapshot());
      // Keep keyframe 0 (reset) and the latest ones.
      if (this.keyframes.length > KEYFRAMES_KEPT + 1) this.keyframes.splice(1, 1);
    }
    return { step: this.step, loss, tables: metrics };
  }

  /** Goes back to the state before the last step: restore the nearest keyframe, replay. */
  async stepBack(): Promise<number> {
    if (this.step === 0) return 0;
    const target = this.step - 1;
    // Keyframe 0 is step 0; others are kept while they are recent.
    let k = this.keyframes[0];
    for (const f of this.keyframes) if (f.step <= target && f.step >= k.step) k = f;
    this.keyframes = this.keyframes.filter((f) => f.step <= k.step);
    await this.restoreKeyframe(k);
    while (this.step < target) await this.runStep();
    return this.step;
  }

  normHistogram(name: string, bins = 20): NormHistogram {
    const v = this.variable(name);
    const { values, dim } = v.export();
    const n = values.length / dim;
    const norms = new Float64Array(n);
    let max = 0;
    for (let i = 0; i < n; i++) {
      let sq = 0;
      for (let d = 0; d < dim; d++) sq += values[i * dim + d] ** 2;
      norms[i] = Math.sqrt(sq);
      max = Math.max(max, norms[i]);
    }
    const top = max > 0 ? max * 1.0001 : 1;
    const edges = Array.from({ length: bins + 1 }, (_, i) => (top * i) / bins);
    const counts = new Array<number>(bins).fill(0);
    for (const x of norms) counts[Math.min(bins - 1, Math.floor((x / top) * bins))]++;
    return { table: name, edges, counts, keys: n };
  }

  /** The checkpoint (tables, restrict status, optimizers), each table's .npy files and the TFRA script. */
  async exportFiles(): Promise<{ checkpoint: Uint8Array; npy: Record<string, Uint8Array>; python: string }> {
    const vars = this.variables;
    const opts = this.groups.map((g) => g.opt);
    const checkpoint = await de.checkpoint.save([...vars, ...opts]);
    const npy: Record<string, Uint8Array> = {};
    for (const v of vars) Object.assign(npy, de.interop.toNpy(v));
    const features: Record<string, de.interop.TfraFeature> = {};
    for (const f of this.features) {
      features[f.name] = { variable: this.variable(f.table), combiner: f.combiner === 'none' ? 'mean' : f.combiner };
    }
    const python = de.interop.toTfraPython({ variables: vars, features, optimizer: opts[0] });
    return { checkpoint, npy, python };
  }

  dispose(): void {
    this.w.dispose();
    this.b.dispose();
  }
}
