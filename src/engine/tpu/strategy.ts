// VirtualTPUStrategy: n simulated TPU cores in one process. It owns what is shared between cores
// (the scope, the run context, the collectives log, faults) and runs training steps; the tables
// themselves live in each TPUEmbeddingV0, one shard per core.
import type * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, RuntimeError, show } from '../errors.js';
import { type CollectiveFault, CommLog, type CommStats } from './collectives.js';
import type { TPUEmbeddingV0 } from './embedding.js';
import { WorkerPool } from '../pool/pool.js';
import { checkExecution, type CoreExecutor, type Execution, InProcessCores, WorkerCores } from './execution.js';
import type { PreparedFeature } from './lookup.js';
import { SHARDING_MODES, type ShardingMode } from './sharding.js';
import { type GlobalBatch, splitBatch, type StepFn } from './batch.js';
import { replicatedStep } from './replicated-step.js';
import type { RunHooks } from './ring-hooks.js';
import { shardedStep } from './sharded-step.js';

/** Options of {@link VirtualTPUStrategy}. */
export interface VirtualTPUStrategyOptions {
  /** 1 to 8 cores. */
  numCores: number;
  /** 'replicated' (TPUEmbeddingV0, default) or a sharded layout beyond it. */
  sharding?: ShardingMode;
  /**
   * Where each core's tables live and its lookups, gradients and optimizer updates run:
   * 'in-process' (default) or 'workers' (core c on worker c mod size of `pool`). Bit-identical results.
   */
  execution?: Execution;
  /** The pool for `execution: 'workers'`; without one the strategy starts its own (ended by `dispose()`). */
  pool?: WorkerPool;
}

/** How a lookup inside `strategy.run` reads the running core's tables. */
export interface RunContext {
  core: number;
  lookup(emb: TPUEmbeddingV0, prepared: PreparedFeature[], features: unknown, weights: unknown): tf.Tensor[];
}

const scopes: VirtualTPUStrategy[] = [];

/** The strategy whose `scope()` is running, if any. */
export function currentStrategy(): VirtualTPUStrategy | undefined {
  return scopes[scopes.length - 1];
}

/** A fault as injected, with the number of steps it still lasts. */
export interface ActiveFault {
  fault: CollectiveFault;
  remainingSteps: number;
}

/**
 * A virtual TPU with `numCores` cores. Create TPUEmbeddingV0 inside `scope()`, train with `run()`.
 *
 * @example
 * const strategy = new de.tpu.VirtualTPUStrategy({ numCores: 2 });
 * const emb = strategy.scope(() => new de.tpu.TPUEmbeddingV0({ featureConfig, optimizer: new de.tpu.SGD({ learningRate: 0.1 }) }));
 * const { losses } = await strategy.run(({ features }) => tf.sum(emb.embeddingLookup(features).watched), { features });
 * strategy.replicaChecksums(); // [c, c]: replicas in sync
 */
export class VirtualTPUStrategy {
  readonly numCores: number;
  readonly sharding: ShardingMode;
  readonly execution: Execution;
  private readonly cores: CoreExecutor;
  private readonly embeddings: TPUEmbeddingV0[] = [];
  private context: RunContext | undefined;
  private readonly comm: CommLog;
  private faults: ActiveFault[] = [];
  private steps = 0;
  private running = false;

  constructor(options: VirtualTPUStrategyOptions) {
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError(
        `VirtualTPUStrategy expects { numCores, sharding?, execution?, pool? }, got ${show(options)}.`,
      );
    }
    const { numCores, sharding = 'replicated', execution = 'in-process', pool } = options;
    if (typeof numCores !== 'number' || !Number.isInteger(numCores) || numCores < 1 || numCores > 8) {
      throw new InvalidArgumentError(`VirtualTPUStrategy: numCores must be an int in [1, 8], got ${show(numCores)}.`);
    }
    if (!SHARDING_MODES.includes(sharding)) {
      throw new InvalidArgumentError(
        `VirtualTPUStrategy: sharding must be one of ${SHARDING_MODES.map((m) => `'${m}'`).join(', ')}, got ${show(sharding)}.`,
      );
    }
    checkExecution(execution, pool, (p) => p instanceof WorkerPool);
    this.numCores = numCores;
    this.sharding = sharding;
    this.execution = execution;
    this.cores =
      execution === 'workers'
        ? new WorkerCores(numCores, pool, pool ? undefined : () => WorkerPool.create())
        : new InProcessCores();
    this.comm = new CommLog(numCores);
  }

  /**
   * Runs `fn` with this strategy as the current one; TPUEmbeddingV0 must be created inside.
   *
   * @example
   * const emb = strategy.scope(() => new de.tpu.TPUEmbeddingV0({ featureConfig }));
   */
  scope<T>(fn: () => T): T {
    if (typeof fn !== 'function') throw new InvalidArgumentError(`strategy.scope expects a function, got ${show(fn)}.`);
    scopes.push(this);
    try {
      return fn();
    } finally {
      scopes.pop();
    }
  }

  /** Called by TPUEmbeddingV0's constructor. */
  register(emb: TPUEmbeddingV0): void {
    if (this.sharding !== 'replicated' && this.embeddings.length > 0) {
      throw new InvalidArgumentError(
        `VirtualTPUStrategy with sharding '${this.sharding}' holds one TPUEmbeddingV0; put every feature in one featureConfig.`,
      );
    }
    this.embeddings.push(emb);
  }

  /** The TPUEmbeddingV0 objects created in this strategy's scope. */
  get embeddingObjects(): readonly TPUEmbeddingV0[] {
    return this.embeddings;
  }

  /** The context of the core running inside `run()`, or undefined outside it. */
  runContext(): RunContext | undefined {
    return this.context;
  }

  /** Runs `fn` as core `ctx.core` (internal to the step). */
  withContext<T>(ctx: RunContext, fn: () => T): T {
    const prev = this.context;
    this.context = ctx;
    try {
      return fn();
    } finally {
      this.context = prev;
    }
  }

  /**
   * One training step. The global batch (`features`, optional `weights`, and any other tensors or
   * nested arrays, e.g. labels) is split contiguously: core r gets rows `[r B/n, (r+1) B/n)`. `step`
   * runs once per core and returns that core's scalar loss; it is scaled by `1/numCores` for the
   * gradients, the embedding gradients are summed across cores, and every core applies the same
   * optimizer update. Returns the unscaled per-core losses. `options.onRingStep` sees every ring
   * step of the step's ring collectives with the data each core holds (and can pause the step).
   *
   * @example
   * const { losses } = await strategy.run(({ features }) => tf.sum(emb.embeddingLookup(features).watched), { features });
   * await strategy.run(step, { features }, { onRingStep: (e) => console.log(e.kind, e.name, e.done, '/', e.total) });
   */
  async run(step: StepFn, batch: GlobalBatch, options: RunHooks = {}): Promise<{ losses: number[] }> {
    if (typeof step !== 'function')
      throw new InvalidArgumentError(`strategy.run expects a step function, got ${show(step)}.`);
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError(`strategy.run: options must be an object { onRingStep? }, got ${show(options)}.`);
    }
    if (options.onRingStep !== undefined && typeof options.onRingStep !== 'function') {
      throw new InvalidArgumentError(
        `strategy.run: onRingStep must be a function (event) => void | Promise<void>, got ${show(options.onRingStep)}.`,
      );
    }
    const hooks: RunHooks = { onRingStep: options.onRingStep };
    if (this.running) throw new RuntimeError('strategy.run was called while another step of this strategy is running.');
    if (this.embeddings.length === 0) {
      throw new RuntimeError("strategy.run: no TPUEmbeddingV0 was created in this strategy's scope; nothing to train.");
    }
    for (const emb of this.embeddings) {
      for (const t of emb.tables) {
        if (!emb.optimizerFor(t)) {
          throw new RuntimeError(
            `strategy.run: table ${t.name} has no optimizer and its TPUEmbeddingV0 has no global optimizer; pass optimizer to TableConfig or TPUEmbeddingV0.`,
          );
        }
      }
    }
    const slices = splitBatch(batch, this.numCores);
    this.running = true;
    try {
      for (const emb of this.embeddings) emb.build();
      await this.cores.prepare(this.embeddings);
      const active = [...this.faults];
      const faults = active.map((f) => f.fault);
      const log = this.comm;
      log.begin(this.steps + 1, 'step');
      const losses =
        this.sharding === 'replicated'
          ? await replicatedStep(this, this.embeddings, step, slices, faults, log, this.cores, hooks)
          : await shardedStep(this, this.embeddings[0], step, slices, log, this.cores, hooks);
      this.steps++;
      // Faults injected while this step ran (its hook can pause it) act on the next step.
      const acted = new Set(active);
      this.faults = this.faults
        .map((f) => (acted.has(f) ? { ...f, remainingSteps: f.remainingSteps - 1 } : f))
        .filter((f) => f.remainingSteps > 0);
      for (const emb of this.embeddings) emb.refreshVariables();
      return { losses };
    } finally {
      this.running = false;
    }
  }

  /** Training steps run so far. */
  get stepCount(): number {
    return this.steps;
  }

  /**
   * One 32-bit FNV-1a checksum per core over the bits of every table and slot it holds. Equal when
   * replicas are in sync (replicated mode); in sharded modes each core holds different shards.
   *
   * @example
   * strategy.replicaChecksums(); // [2166136261, 2166136261] before anything is built
   */
  replicaChecksums(): number[] {
    const out: number[] = [];
    for (let c = 0; c < this.numCores; c++) {
      let h = 0x811c9dc5;
      for (const emb of this.embeddings) {
        for (const a of emb.coreArrays(c)) {
          const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
          for (let i = 0; i < bytes.length; i++) {
            h ^= bytes[i];
            h = Math.imul(h, 0x01000193) >>> 0;
          }
        }
      }
      out.push(h >>> 0);
    }
    return out;
  }

  /**
   * Bytes moved, per step and per collective, with the [from][to] byte matrix of each.
   *
   * @example
   * strategy.commStats().lastStep?.bytes; // 2 (n-1) V D 4 summed over tables, when replicated
   */
  commStats(): CommStats {
    return this.comm.stats();
  }

  /**
   * Injects a fault into the all-reduces of the next `steps` steps (replicated mode): `drop` loses
   * every message core `core` sends; `straggler` delays them by `delay` ring steps and the ring does
   * not wait. Replicas then diverge, which `replicaChecksums()` shows; `resync()` repairs it.
   *
   * @example
   * strategy.injectFault({ kind: 'drop', core: 1 });
   */
  injectFault(fault: CollectiveFault, options: { steps?: number } = {}): void {
    if (this.sharding !== 'replicated') {
      throw new InvalidArgumentError(
        `injectFault: faults act on the gradient all-reduce of replicated mode; sharding '${this.sharding}' has none.`,
      );
    }
    if (fault === null || typeof fault !== 'object' || (fault.kind !== 'drop' && fault.kind !== 'straggler')) {
      throw new InvalidArgumentError(
        `injectFault expects { kind: 'drop' | 'straggler', core, delay? }, got ${show(fault)}.`,
      );
    }
    if (!Number.isInteger(fault.core) || fault.core < 0 || fault.core >= this.numCores) {
      throw new InvalidArgumentError(
        `injectFault: core must be an int in [0, ${this.numCores}), got ${show(fault.core)}.`,
      );
    }
    if (fault.kind === 'straggler' && (!Number.isInteger(fault.delay) || fault.delay < 1)) {
      throw new InvalidArgumentError(
        `injectFault: straggler delay must be an int >= 1 (ring steps), got ${show(fault.delay)}.`,
      );
    }
    const steps = options.steps ?? 1;
    if (!Number.isInteger(steps) || steps < 1) {
      throw new InvalidArgumentError(`injectFault: steps must be an int >= 1, got ${show(steps)}.`);
    }
    this.faults.push({ fault: { ...fault }, remainingSteps: steps });
  }

  /** Faults still pending. */
  activeFaults(): ActiveFault[] {
    return this.faults.map((f) => ({ fault: { ...f.fault }, remainingSteps: f.remainingSteps }));
  }

  /** Removes every pending fault. */
  clearFaults(): void {
    this.faults = [];
  }

  /** The worker pool the cores run on (execution 'workers', once the first step placed them). */
  get pool(): WorkerPool | undefined {
    return this.cores instanceof WorkerCores ? this.cores.workerPool : undefined;
  }

  /**
   * The pool worker that holds core `core` (execution 'workers'), or -1 when cores run in-process.
   *
   * @example
   * strategy.workerOf(3); // 1 on a pool of 2 workers
   */
  workerOf(core: number): number {
    if (!Number.isInteger(core) || core < 0 || core >= this.numCores) {
      throw new InvalidArgumentError(`workerOf: core must be an int in [0, ${this.numCores}), got ${show(core)}.`);
    }
    return this.cores instanceof WorkerCores ? this.cores.workerOf(core) : -1;
  }

  /**
   * Every core's tables and slots as the cores hold them, in the order `replicaChecksums` hashes:
   * read from the workers (execution 'workers'), or the in-process arrays (copies).
   *
   * @example
   * const held = await strategy.coreState(); held[1][0]; // core 1's first table
   */
  async coreState(): Promise<Float32Array[][]> {
    if (this.cores instanceof WorkerCores) {
      for (const emb of this.embeddings) emb.build();
      await this.cores.prepare(this.embeddings);
      return this.cores.readCores();
    }
    return Array.from({ length: this.numCores }, (_, c) =>
      this.embeddings.flatMap((emb) => emb.coreArrays(c).map((a) => Float32Array.from(a))),
    );
  }

  /**
   * Releases the cores' state on the workers (and terminates the pool if the strategy started it).
   *
   * @example
   * await strategy.dispose();
   */
  async dispose(): Promise<void> {
    await this.cores.dispose();
  }

  /**
   * Broadcasts core 0's tables and slots to every other core (replicated mode), recorded as a
   * broadcast in commStats. In sharded modes there are no replicas and nothing moves.
   *
   * @example
   * strategy.resync(); new Set(strategy.replicaChecksums()).size; // 1
   */
  resync(): void {
    if (this.running) {
      throw new RuntimeError(
        'strategy.resync() was called while a step is running; resync after strategy.run resolves.',
      );
    }
    if (this.sharding !== 'replicated' || this.numCores === 1) return;
    this.comm.begin(this.steps, 'resync');
    for (const emb of this.embeddings) {
      const floats = emb.broadcastFromCore0();
      emb.tables.forEach((t, ti) => {
        const m = this.comm.matrix();
        for (let c = 1; c < this.numCores; c++) m[0][c] = floats[ti] * 4;
        this.comm.record('broadcast', t.name ?? `table_${ti}`, 'resync', m);
      });
      emb.refreshVariables();
    }
    // Workers get the broadcast tables before the next step runs.
    this.cores.invalidate();
  }
}
