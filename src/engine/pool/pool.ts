// The worker pool: N workers, each with its own WASM instance, and every call tracked.
//
// comlink never rejects a call whose worker died, so the pool keeps its own record of pending
// calls: each has a timeout, and when a worker dies (or hangs past a timeout) every call pending
// on it is rejected, the worker is respawned, and the tables placed on it restore their shards
// (see ShardLog) before the new worker serves any further call.
import { type Remote, wrap } from 'comlink';
import { InvalidArgumentError, show } from '../errors.js';
import { setPoolThreads } from '../info.js';
import { activeFlavour, compiledModule, ready } from '../wasm.js';
import { PoolTerminatedError, PoolTimeoutError, WorkerDiedError } from './errors.js';
import { browserSpawner } from './browser.js';
import type { HostApi } from './protocol.js';
import { hostParallelism, isNode, nodeSpawner, type Spawner, type WorkerHandle } from './spawn.js';

/** Options of {@link WorkerPool.create}. */
export interface WorkerPoolOptions {
  /** Workers to start; default `min(navigator.hardwareConcurrency, 4)` (in Node, `min(os.availableParallelism(), 4)`). */
  size?: number;
  /** Starts one worker; default: worker_threads running workers/engine.node.mjs in Node, module Web Workers in a browser. */
  spawn?: Spawner;
  /** A call that does not answer in this many ms rejects and its worker is respawned (default 30000). */
  callTimeoutMs?: number;
  /** Use SharedArrayBuffers for ids and results where available (default true). */
  shared?: boolean;
}

/** Counters of what the pool has done, for the UI and the tests. */
export interface PoolStats {
  size: number;
  pending: number;
  calls: number;
  restarts: number;
  timeouts: number;
  /** Why each respawn happened, oldest first. */
  deaths: string[];
  sharedMemory: boolean;
}

/** Captured synchronously when a worker dies; run against the new worker to restore its state. */
export type RestoreTask = (host: Remote<HostApi>) => Promise<void>;
/** Registered by tables: given the index of a dead worker, returns how to restore its shards. */
export type RestoreHook = (worker: number) => RestoreTask | undefined;

interface PendingCall {
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
  what: string;
  mutation: boolean;
}

interface Slot {
  handle: WorkerHandle | undefined;
  remote: Remote<HostApi> | undefined;
  /** Bumped at every death; a call submitted in an older generation is not sent to the new worker. */
  generation: number;
  /** Resolves when the current worker is started and restored. */
  ready: Promise<void>;
  pending: Map<number, PendingCall>;
}

/**
 * The default pool size: `min(hostParallelism(), 4)` (2 when the host does not say), at least 1.
 *
 * @example
 * defaultPoolSize(); // 2 on a 2-core machine, 4 on an 8-core laptop
 */
export function defaultPoolSize(): number {
  return Math.max(1, Math.min(hostParallelism() ?? 2, 4));
}

/** True when SharedArrayBuffer can be sent to workers here (cross-origin isolated page, or Node). */
export function sharedMemoryAvailable(): boolean {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  if (isNode()) return true;
  return (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
}

/**
 * A pool of workers, each running a ShardHost with its own WASM instance. The compiled kernel
 * module is sent once to each worker. Use `call` for one tracked call; tables (PoolTable) place
 * shards on workers and register restore hooks.
 *
 * @example
 * await de.ready();
 * const pool = await de.pool.WorkerPool.create({ size: 2 });
 * await pool.call(0, 'echo', [42, 0]); // 42
 * await pool.terminate();
 */
export class WorkerPool {
  readonly size: number;
  readonly callTimeoutMs: number;
  /** Whether ids and results travel through SharedArrayBuffers. */
  readonly sharedMemory: boolean;
  private readonly spawn: Spawner;
  private readonly slots: Slot[];
  private readonly hooks = new Set<RestoreHook>();
  private nextCall = 1;
  private terminated = false;
  private counters = { calls: 0, restarts: 0, timeouts: 0 };
  private readonly deaths: string[] = [];

  private constructor(size: number, spawn: Spawner, callTimeoutMs: number, shared: boolean) {
    this.size = size;
    this.spawn = spawn;
    this.callTimeoutMs = callTimeoutMs;
    this.sharedMemory = shared;
    this.slots = Array.from({ length: size }, () => ({
      handle: undefined,
      remote: undefined,
      generation: 0,
      ready: Promise.resolve(),
      pending: new Map(),
    }));
  }

  /**
   * Starts the workers and sends each the compiled kernels. Awaits `de.ready()` first.
   *
   * @example
   * const pool = await WorkerPool.create({ size: 4, callTimeoutMs: 10_000 });
   */
  static async create(options: WorkerPoolOptions = {}): Promise<WorkerPool> {
    const size = options.size ?? defaultPoolSize();
    if (!Number.isInteger(size) || size < 1 || size > 64) {
      throw new InvalidArgumentError(`WorkerPool: size must be an integer in [1, 64], got ${show(options.size)}.`);
    }
    const timeout = options.callTimeoutMs ?? 30_000;
    if (typeof timeout !== 'number' || !(timeout > 0)) {
      throw new InvalidArgumentError(`WorkerPool: callTimeoutMs must be a number > 0, got ${show(timeout)}.`);
    }
    let spawn = options.spawn;
    if (spawn === undefined) {
      spawn = isNode() ? await nodeSpawner() : browserSpawner();
    } else if (typeof spawn !== 'function') {
      throw new InvalidArgumentError(
        `WorkerPool: spawn must be a function returning a WorkerHandle, got ${show(spawn)}.`,
      );
    }
    if (activeFlavour() === undefined) await ready();
    const pool = new WorkerPool(size, spawn, timeout, options.shared !== false && sharedMemoryAvailable());
    try {
      await Promise.all(pool.slots.map((_, i) => pool.start(i)));
    } catch (e) {
      await pool.terminate();
      throw e;
    }
    setPoolThreads(size);
    return pool;
  }

  private async start(i: number): Promise<void> {
    const slot = this.slots[i];
    const handle = await this.spawn();
    if (this.terminated) {
      // terminate() ran while the worker was being spawned: it could not see this handle
      handle.terminate();
      throw new PoolTerminatedError(`WorkerPool: worker ${i} finished starting after terminate(); it was ended.`);
    }
    slot.handle = handle;
    const remote = wrap<HostApi>(handle.endpoint);
    slot.remote = remote;
    const generation = slot.generation;
    handle.onDeath((reason) => {
      if (slot.generation === generation && !this.terminated) this.workerDied(i, reason);
    });
    const flavour = activeFlavour();
    const module = flavour && compiledModule(flavour);
    if (!flavour || !module) throw new InvalidArgumentError('WorkerPool: the WASM kernels are not compiled.');
    // Starting a worker loads the engine (and tfjs, for the optimizers) before it can answer:
    // give it at least a minute, whatever the per-call timeout.
    await this.track(
      i,
      generation,
      'init',
      false,
      () => remote.init(flavour, module),
      Math.max(this.callTimeoutMs, 60_000),
    );
  }

  /**
   * Calls `method` on worker `worker`, tracked: it rejects on timeout or when the worker dies.
   * `mutation` marks calls whose effect is in a recovery log (see WorkerDiedError.applied).
   *
   * @example
   * const n = await pool.call(1, 'size', [shardId]);
   */
  async call<M extends keyof HostApi>(
    worker: number,
    method: M,
    args: Parameters<HostApi[M]>,
    options: { mutation?: boolean; generation?: number } = {},
  ): Promise<Awaited<ReturnType<HostApi[M]>>> {
    if (this.terminated) throw new PoolTerminatedError(`WorkerPool: ${method} was called after terminate().`);
    if (!Number.isInteger(worker) || worker < 0 || worker >= this.size) {
      throw new InvalidArgumentError(
        `WorkerPool.call: worker must be an integer in [0, ${this.size}), got ${show(worker)}.`,
      );
    }
    const slot = this.slots[worker];
    const generation = options.generation ?? slot.generation;
    await slot.ready;
    const fn = (): Promise<Awaited<ReturnType<HostApi[M]>>> => {
      const remote = slot.remote as unknown as Record<
        M,
        (...a: Parameters<HostApi[M]>) => Promise<Awaited<ReturnType<HostApi[M]>>>
      >;
      return remote[method](...args);
    };
    return this.track(worker, generation, String(method), options.mutation === true, fn);
  }

  /** The generation of a worker: bumped at every death. Capture it when logging a mutation. */
  generation(worker: number): number {
    return this.slots[worker].generation;
  }

  private track<T>(
    worker: number,
    generation: number,
    what: string,
    mutation: boolean,
    fn: () => Promise<T>,
    timeoutMs = this.callTimeoutMs,
  ): Promise<T> {
    const slot = this.slots[worker];
    if (this.terminated)
      return Promise.reject(new PoolTerminatedError(`WorkerPool: ${what} was called after terminate().`));
    if (slot.generation !== generation) {
      return Promise.reject(this.diedError(worker, what, mutation, 'it was replaced before the call was sent'));
    }
    const id = this.nextCall++;
    this.counters.calls++;
    return new Promise<T>((resolve, reject) => {
      const entry: PendingCall = { reject, timer: undefined, what, mutation };
      entry.timer = setTimeout(() => {
        if (!slot.pending.has(id)) return;
        slot.pending.delete(id);
        this.counters.timeouts++;
        reject(
          new PoolTimeoutError(
            `WorkerPool: ${what} on worker ${worker} did not answer within ${timeoutMs} ms; the worker is treated as hung and was restarted${mutation ? ' (the call is in the recovery log, so the restored worker applied it)' : ''}.`,
            worker,
            mutation,
          ),
        );
        this.workerDied(worker, `a call (${what}) timed out after ${timeoutMs} ms`);
      }, timeoutMs);
      slot.pending.set(id, entry);
      fn().then(
        (v) => {
          if (!slot.pending.delete(id)) return;
          clearTimeout(entry.timer);
          resolve(v);
        },
        (e: unknown) => {
          if (!slot.pending.delete(id)) return;
          clearTimeout(entry.timer);
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
  }

  private diedError(worker: number, what: string, mutation: boolean, reason: string): WorkerDiedError {
    return new WorkerDiedError(
      `WorkerPool: worker ${worker} died during ${what} (${reason}). ${
        mutation
          ? 'The call was in the recovery log, so the restarted worker applied it; do not retry it.'
          : 'The call did not complete; the worker was restarted and restored, retry it.'
      }`,
      worker,
      mutation,
    );
  }

  /** Registers a restore hook (tables call this); returns a function that removes it. */
  addRestoreHook(hook: RestoreHook): () => void {
    this.hooks.add(hook);
    return () => this.hooks.delete(hook);
  }

  private workerDied(i: number, reason: string): void {
    const slot = this.slots[i];
    if (this.terminated) return;
    slot.generation++;
    this.deaths.push(`worker ${i}: ${reason}`);
    this.counters.restarts++;
    slot.handle?.terminate();
    slot.handle = undefined;
    slot.remote = undefined;
    const pending = [...slot.pending.values()];
    slot.pending.clear();
    for (const p of pending) {
      clearTimeout(p.timer);
      p.reject(this.diedError(i, p.what, p.mutation, reason));
    }
    // Capture what to restore now, synchronously, so later mutations are not replayed twice.
    const tasks = [...this.hooks].map((h) => h(i)).filter((t): t is RestoreTask => t !== undefined);
    slot.ready = this.respawn(i, tasks);
  }

  private async respawn(i: number, tasks: RestoreTask[]): Promise<void> {
    const slot = this.slots[i];
    for (let attempt = 1; ; attempt++) {
      if (this.terminated) return;
      const generation = slot.generation;
      try {
        await this.start(i);
        const remote = slot.remote;
        if (!remote) throw new Error('worker vanished while starting');
        const restoreMs = Math.max(this.callTimeoutMs, 60_000);
        for (const t of tasks) await this.track(i, generation, 'restore', false, () => t(remote), restoreMs);
        return;
      } catch (e) {
        if (this.terminated) {
          // terminate() ran during the respawn: end whatever this attempt started
          slot.handle?.terminate();
          slot.handle = undefined;
          slot.remote = undefined;
          return;
        }
        if (attempt >= 3) {
          this.deaths.push(`worker ${i}: restore failed: ${(e as Error).message}`);
          return;
        }
        if (slot.generation === generation) {
          slot.generation++;
          slot.handle?.terminate();
        }
      }
    }
  }

  /**
   * Kills worker `i` abruptly, as a crash would: its pending calls reject with WorkerDiedError,
   * it is respawned and its shards restored. For fault drills (tests, the app's chaos button).
   *
   * @example
   * pool.killWorker(0); await pool.whenReady();
   */
  killWorker(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.size) {
      throw new InvalidArgumentError(
        `WorkerPool.killWorker: worker must be an integer in [0, ${this.size}), got ${show(i)}.`,
      );
    }
    this.workerDied(i, 'killed by killWorker()');
  }

  /**
   * Resolves when every worker is started and restored.
   *
   * @example
   * pool.killWorker(1); await pool.whenReady();
   */
  async whenReady(): Promise<void> {
    let before: Promise<void>[];
    do {
      before = this.slots.map((s) => s.ready);
      await Promise.all(before);
    } while (this.slots.some((s, k) => s.ready !== before[k]));
  }

  /**
   * Counters: calls, restarts, timeouts, pending calls, and why each worker died.
   *
   * @example
   * pool.stats().restarts; // 0 on a healthy pool
   */
  stats(): PoolStats {
    return {
      size: this.size,
      pending: this.slots.reduce((a, s) => a + s.pending.size, 0),
      ...this.counters,
      deaths: [...this.deaths],
      sharedMemory: this.sharedMemory,
    };
  }

  /**
   * Ends every worker and rejects every pending call; the pool accepts no further calls.
   *
   * @example
   * await pool.terminate(); pool.stats().pending; // 0
   */
  async terminate(): Promise<void> {
    if (this.terminated) return;
    this.terminated = true;
    for (const [i, slot] of this.slots.entries()) {
      for (const p of slot.pending.values()) {
        clearTimeout(p.timer);
        p.reject(
          new PoolTerminatedError(`WorkerPool: ${p.what} on worker ${i} was pending when the pool was terminated.`),
        );
      }
      slot.pending.clear();
      slot.handle?.terminate();
      slot.handle = undefined;
      slot.remote = undefined;
    }
    setPoolThreads(0);
  }

  /** Whether terminate() was called. */
  get isTerminated(): boolean {
    return this.terminated;
  }
}
