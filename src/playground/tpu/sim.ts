// The Virtual TPU panel's model: a small two-table dot-product model on de.tpu's
// VirtualTPUStrategy, stepped phase by phase. The lookup and backward phases replay each core's
// forward and backward in the open (its own replica and batch slice, tfjs). The all-reduce phase
// shows the engine's real step: strategy.run starts when the phase is entered and its
// onRingStep hook holds it after every ring step until the next click, so the ring drawn is the
// engine's own (messages, faults, bytes), on the main thread or on the cores' workers. At apply
// the step finishes and every core's new table is checked against the last ring buffers the
// engine reported (SGD: w' = w - lr g, exactly), so the animation cannot drift unnoticed.
import * as tf from '@tensorflow/tfjs';
import * as de from '../../engine/index.js';
import { hash2 } from '../batch/generate.js';
import {
  coreRange,
  type Phase,
  seededTable,
  SHARDING_MODES,
  type ShardingMode,
  tpuBatch,
  type TpuBatch,
  type TpuConfig,
} from './config.js';
import { LiveStep } from './live-step.js';
import { type CoreView, finishedSteps, ringView, type TpuView } from './view.js';

/**
 * A Virtual TPU session. Replicated mode steps phase by phase (`advance`), any mode runs whole
 * steps (`runStep`).
 *
 * @example
 * const sim = new TpuSim({ ...DEFAULT_TPU_CONFIG, numCores: 2 });
 * await sim.runStep(); sim.view().inSync; // true
 */
export class TpuSim {
  readonly config: TpuConfig;
  readonly strategy: de.tpu.VirtualTPUStrategy;
  readonly emb: de.tpu.TPUEmbeddingV0;
  private readonly tableConfigs: de.tpu.TableConfig[];
  private phase: Phase = 'idle';
  private batch: TpuBatch;
  private cores: CoreView[];
  private grads: Float32Array[][] | null = null; // [table][core]
  /** The engine step of the all-reduce phase, paused at its ring steps. */
  private live: LiveStep | null = null;
  private replayMatches: boolean | null = null;
  /** The cost model's bytes for each step run, by step number (1-based). */
  private predicted = new Map<number, number>();
  /** While an engine step runs: how many of the faults set (the oldest) it took at its start. */
  private acting = 0;
  private meanLoss: number[] = [];
  private disposed = false;

  /** `pool` is where the cores run when `config.execution` is 'workers'. */
  constructor(config: TpuConfig, pool?: de.pool.WorkerPool) {
    this.config = { ...config };
    const { numCores, sharding } = config;
    if (config.execution === 'workers' && !pool) {
      throw new Error("TpuSim: execution 'workers' needs a WorkerPool to run the cores on.");
    }
    this.strategy = new de.tpu.VirtualTPUStrategy(
      config.execution === 'workers' ? { numCores, sharding, execution: 'workers', pool } : { numCores, sharding },
    );
    const video = new de.tpu.TableConfig({
      vocabularySize: config.videoVocab,
      dim: config.dim,
      combiner: 'sum',
      initializer: seededTable(hash2(config.seed, 11)),
      name: 'video',
    });
    const user = new de.tpu.TableConfig({
      vocabularySize: config.userVocab,
      dim: config.dim,
      combiner: 'sum',
      initializer: seededTable(hash2(config.seed, 12)),
      name: 'user',
    });
    const featureConfig = {
      user: new de.tpu.FeatureConfig({ table: user, name: 'user' }),
      video: new de.tpu.FeatureConfig({ table: video, name: 'video' }),
    };
    this.emb = this.strategy.scope(
      () =>
        new de.tpu.TPUEmbeddingV0({
          featureConfig,
          optimizer: new de.tpu.SGD({ learningRate: config.learningRate }),
        }),
    );
    this.emb.build();
    this.tableConfigs = [...this.emb.tables];
    this.batch = tpuBatch(this.config, 0);
    this.cores = this.freshCores();
  }

  get replicated(): boolean {
    return this.config.sharding === 'replicated';
  }

  private tableIndexOfFeature(name: 'user' | 'video'): number {
    return this.tableConfigs.findIndex((t) => t.name === name);
  }

  private freshCores(): CoreView[] {
    const n = this.config.numCores;
    const b = this.batch.user.length;
    return Array.from({ length: n }, (_, r) => {
      const range = coreRange(r, n, b);
      const rowsRead = this.tableConfigs.map((t) => {
        const ids = t.name === 'user' ? this.batch.user : this.batch.video;
        return [...new Set(ids.slice(range[0], range[1]))].sort((a, c) => a - c);
      });
      const worker = this.strategy.workerOf(r);
      return { core: r, range, rowsRead, worker, loss: null, gradRows: this.tableConfigs.map(() => []) };
    });
  }

  private globalBatch(): de.tpu.GlobalBatch {
    return {
      features: { user: this.batch.user.map((u) => [u]), video: this.batch.video.map((v) => [v]) },
      labels: this.batch.labels.map((y) => [y]),
    };
  }

  /** The loss of one slice given its looked-up user and video vectors ([b, 1, D] each). */
  private static lossOf(u: tf.Tensor, v: tf.Tensor, labels: tf.Tensor): tf.Tensor {
    const score = tf.sum(tf.mul(u, v), [1, 2]);
    return tf.mean(tf.squaredDifference(score, tf.reshape(labels, [-1])));
  }

  /** The step function given to strategy.run: the same math as the replay below. */
  private stepFn = (slice: de.tpu.GlobalBatch): tf.Tensor => {
    const out = this.emb.embeddingLookup(slice.features) as Record<string, tf.Tensor>;
    return TpuSim.lossOf(out.user, out.video, tf.tensor2d(slice.labels as number[][]));
  };

  /** Replays core r's forward and backward on its own replica: loss and d(loss/n)/d(table). */
  private coreGrads(r: number): { loss: number; grads: Float32Array[] } {
    const n = this.config.numCores;
    const [s, e] = this.cores[r].range;
    const ui = this.tableIndexOfFeature('user');
    const vi = this.tableIndexOfFeature('video');
    return tf.tidy(() => {
      const tables = this.tableConfigs.map((t, ti) =>
        tf.tensor2d(this.emb.shard(r, ti).params, [t.vocabularySize, t.dim]),
      );
      // One id per example, as [b, 1] (the step function's features): the rows [b, 1, D] of the
      // core's dense tables, read with de.featureLookup (differentiable through tf.grads).
      const users: de.FeatureBatch = { ids: this.batch.user.slice(s, e), shape: [e - s, 1] };
      const videos: de.FeatureBatch = { ids: this.batch.video.slice(s, e), shape: [e - s, 1] };
      const labels = tf.tensor1d(this.batch.labels.slice(s, e));
      let loss = 0;
      const f = (...ts: tf.Tensor[]): tf.Scalar => {
        const u = de.featureLookup(ts[ui] as tf.Tensor2D, { name: 'user' }, users).output;
        const v = de.featureLookup(ts[vi] as tf.Tensor2D, { name: 'video' }, videos).output;
        const l = TpuSim.lossOf(u, v, labels);
        loss = l.dataSync()[0];
        return tf.mul(l, 1 / n) as tf.Scalar;
      };
      const gs = tf.grads(f)(tables);
      return { loss, grads: gs.map((g) => Float32Array.from(g.dataSync())) };
    });
  }

  private nonzeroRows(g: Float32Array, dim: number): number[] {
    const rows: number[] = [];
    for (let r = 0; r * dim < g.length; r++) {
      for (let j = 0; j < dim; j++) {
        if (g[r * dim + j] !== 0) {
          rows.push(r);
          break;
        }
      }
    }
    return rows;
  }

  /**
   * Replicated mode: moves to the next phase, or one ring step within the all-reduce. Returns
   * the phase now shown. 'apply' runs strategy.run and checks the replay against the engine.
   */
  async advance(): Promise<Phase> {
    if (!this.replicated) throw new Error('Phase-by-phase stepping is for replicated mode; use runStep.');
    switch (this.phase) {
      case 'idle':
      case 'apply':
        this.beginStep();
        this.phase = 'lookup';
        this.lookupPhase();
        break;
      case 'lookup':
        this.phase = 'backward';
        this.backwardPhase();
        break;
      case 'backward':
        this.phase = 'all-reduce';
        this.startRings();
        break;
      case 'all-reduce': {
        const live = this.live;
        if (!live) throw new Error('The all-reduce phase has no engine step.');
        // Let the engine run its next ring step (or finish), and show it.
        const event = await live.next();
        if (!event) {
          await this.applyPhase(live);
          this.phase = 'apply';
        }
        break;
      }
    }
    return this.phase;
  }

  /** Whether the ring shown has more steps (or more rings follow) before apply. */
  get ringPending(): boolean {
    if (this.phase !== 'all-reduce' || !this.live || this.config.numCores < 2) return false;
    const e = this.live.shown;
    return !e || e.ring < this.tableConfigs.length - 1 || e.done < e.total;
  }

  /** What the next `advance()` will do, in words, for the button. */
  nextAction(): string {
    switch (this.phase) {
      case 'idle':
      case 'apply':
        return 'Next phase: local lookup';
      case 'lookup':
        return 'Next phase: backward';
      case 'backward':
        return 'Next phase: all-reduce';
      default:
        return this.ringPending ? 'Next ring step' : 'Next phase: apply';
    }
  }

  private beginStep(): void {
    this.batch = tpuBatch(this.config, this.strategy.stepCount);
    this.cores = this.freshCores();
    this.grads = null;
    this.live?.abort();
    this.live = null;
    this.replayMatches = null;
  }

  private lookupPhase(): void {
    // The forward pass: each core reads its rows from its own replica (the loss is computed in backward's replay too).
    for (let r = 0; r < this.config.numCores; r++) this.cores[r].loss = this.coreGrads(r).loss;
  }

  private backwardPhase(): void {
    const per = Array.from({ length: this.config.numCores }, (_, r) => this.coreGrads(r));
    this.grads = this.tableConfigs.map((_, ti) => per.map((p) => p.grads[ti]));
    per.forEach((p, r) => {
      this.cores[r].loss = p.loss;
      this.cores[r].gradRows = p.grads.map((g, ti) => this.nonzeroRows(g, this.tableConfigs[ti].dim));
    });
  }

  private startRings(): void {
    if (!this.grads) this.backwardPhase();
    const n = this.config.numCores;
    const before = this.tableConfigs.map((_, ti) =>
      Array.from({ length: n }, (_, r) => Float32Array.from(this.emb.shard(r, ti).params)),
    );
    this.live = new LiveStep(before, (onRingStep) => this.runEngineStep(onRingStep));
  }

  private async applyPhase(live: LiveStep): Promise<void> {
    await live.finished;
    // SGD: every core's new table must be its old table minus lr times the ring's last buffers.
    // One core has no ring: its gradient is the replayed one (tfjs, so compared within 1e-5).
    const lr = this.config.learningRate;
    const single = this.config.numCores === 1;
    let ok = single || live.lastBuffers.length === this.tableConfigs.length;
    this.tableConfigs.forEach((_, ti) => {
      for (let r = 0; r < this.config.numCores; r++) {
        const g = single ? this.grads?.[ti][0] : live.lastBuffers[ti]?.[r];
        if (!g) {
          ok = false;
          continue;
        }
        const now = this.emb.shard(r, ti).params;
        const old = live.before[ti][r];
        for (let k = 0; k < now.length; k++) {
          const expected = Math.fround(old[k] - lr * g[k]);
          if (single ? Math.abs(now[k] - expected) > 1e-5 * Math.max(1, Math.abs(expected)) : now[k] !== expected) {
            ok = false;
          }
        }
      }
    });
    this.replayMatches = ok;
  }

  private async runEngineStep(onRingStep?: (e: de.tpu.RingStepEvent) => Promise<void>): Promise<void> {
    this.predicted.set(this.strategy.stepCount + 1, this.predict(this.config.sharding).total);
    // strategy.run takes the faults set now (actions are serial: none is added before it does).
    this.acting = this.strategy.activeFaults().length;
    const run = this.strategy.run(this.stepFn, this.globalBatch(), { onRingStep });
    const { losses } = await run.finally(() => {
      this.acting = 0;
    });
    losses.forEach((l, r) => {
      this.cores[r].loss = l;
    });
    this.meanLoss.push(losses.reduce((a, b) => a + b, 0) / losses.length);
  }

  /**
   * Runs the rest of the current step (replicated: the remaining phases; sharded: a whole step
   * through strategy.run), then shows the next step's batch.
   */
  async runStep(): Promise<void> {
    if (this.replicated) {
      if (this.phase === 'idle' || this.phase === 'apply') await this.advance();
      while (this.phase !== 'apply') await this.advance();
      return;
    }
    this.beginStep();
    await this.runEngineStep();
    this.phase = 'apply';
  }

  /** Drops a core's all-reduce contribution, or makes it a straggler, for the next step. */
  injectFault(kind: 'drop' | 'straggler', core: number): void {
    this.strategy.injectFault(kind === 'drop' ? { kind, core } : { kind, core, delay: 1 });
  }

  resync(): void {
    this.strategy.resync();
  }

  /** The cost model for one mode over the batch currently shown. */
  predict(mode: ShardingMode): de.tpu.StepCost {
    const n = this.config.numCores;
    const b = this.batch.user.length;
    const tables = this.tableConfigs.map((t) => ({ vocabularySize: t.vocabularySize, dim: t.dim }));
    const features: de.tpu.FeatureTraffic[] = this.tableConfigs.map((t, ti) => {
      const ids = t.name === 'user' ? this.batch.user : this.batch.video;
      return {
        table: ti,
        idsPerCore: Array.from({ length: n }, (_, r) => {
          const [s, e] = coreRange(r, n, b);
          return ids.slice(s, e);
        }),
        outputPerCore: Array.from({ length: n }, () => (b / n) * t.dim),
      };
    });
    return de.tpu.predictStepBytes(mode, n, tables, features);
  }

  /** The core's shard of table ti as rows × cols, with the global row of each local row. */
  shardOf(core: number, ti: number): { data: Float32Array; rows: number; cols: number; globalRows: number[] } {
    const l = this.emb.layout(ti);
    const rows = l.rowsOn(core);
    const cols = l.colsOn(core);
    return {
      data: this.emb.shard(core, ti).params,
      rows,
      cols,
      globalRows: Array.from({ length: rows }, (_, k) => l.globalRow(core, k)),
    };
  }

  view(): TpuView {
    const checksums = this.strategy.replicaChecksums();
    const { history, lastStep } = finishedSteps(this.strategy.commStats(), this.strategy.stepCount);
    const live = this.live;
    return {
      config: { ...this.config },
      step: this.strategy.stepCount,
      phase: this.phase,
      batch: this.batch,
      cores: this.cores.map((c) => ({ ...c })),
      checksums,
      inSync: new Set(checksums).size === 1,
      // during the all-reduce, and after apply (the step's last ring step stays shown)
      ring:
        (this.phase === 'all-reduce' || this.phase === 'apply') && live && this.config.numCores > 1
          ? ringView(live, this.tableConfigs, this.config.numCores)
          : null,
      faults: this.strategy.activeFaults().map((f, i) => ({
        kind: f.fault.kind,
        core: f.fault.core,
        remainingSteps: f.remainingSteps,
        now: i < this.acting,
      })),
      history,
      lastCollectives: lastStep?.collectives ?? [],
      costs: SHARDING_MODES.map((mode) => ({ mode, cost: this.predict(mode) })),
      lastMeasured:
        lastStep && this.predicted.has(lastStep.step)
          ? { measured: lastStep.bytes, predicted: this.predicted.get(lastStep.step) ?? 0 }
          : null,
      replayMatches: this.replayMatches,
      meanLoss: [...this.meanLoss],
      nextAction: this.replicated ? this.nextAction() : 'Run step',
      tables: this.tableConfigs.map((t) => ({ name: t.name ?? '', vocabularySize: t.vocabularySize, dim: t.dim })),
    };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.live?.abort();
    this.live = null;
    this.emb.dispose();
    // Drops the cores from the workers (the pool itself belongs to the panel).
    void this.strategy.dispose().catch(() => undefined);
  }
}
