// The worker pool: N workers, each with its own WASM instance, and every call tracked.
//
// comlink never rejects a call whose worker died, so the pool keeps its own record of pending
// calls: each has a timeout, and when a worker dies (or hangs past a timeout) every call pending
// on it is rejected, the worker is respawned, and the tables placed on it restore their shards
// (see ShardLog) before the new worker serves any further call.
import { wrap } from 'comlink';
import { InvalidArgumentError, show } from '../errors.js';
import { setPoolThreads } from '../info.js';
import { activeFlavour, compiledModule, ready } from '../wasm.js';
import { PoolTerminatedError, PoolTimeoutError, PoolWorkerFailedError, WorkerDiedError } from './errors.js';
import { poolSettings, type PoolSettings, type WorkerPoolOptions } from './options.js';
import type { HostApi } from './protocol.js';
import {
  newSlot,
  type PendingCall,
  quiet,
  recordDeath,
  type RestoreHook,
  type RestoreTask,
  type Slot,
} from './slot.js';
import type { Spawner, WorkerHandle } from './spawn.js';

export type { WorkerPoolOptions } from './options.js';
export { defaultPoolSize, sharedMemoryAvailable } from './options.js';
export type { RestoreHook, RestoreTask } from './slot.js';

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
  /** Workers that kept dying and are not restarted again (see PoolWorkerFailedError). */
  failed: number[];
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
  private readonly maxRestarts: number;
  private readonly restartWindowMs: number;

  private constructor(settings: PoolSettings) {
    this.size = settings.size;
    this.spawn = settings.spawn;
    this.callTimeoutMs = settings.callTimeoutMs;
    this.sharedMemory = settings.shared;
    this.maxRestarts = settings.maxRestarts;
    this.restartWindowMs = settings.restartWindowMs;
    this.slots = Array.from({ length: settings.size }, newSlot);
  }

  /**
   * Starts the workers and sends each the compiled kernels. Awaits `de.ready()` first.
   *
   * @example
   * const pool = await WorkerPool.create({ size: 4, callTimeoutMs: 10_000 });
   */
  static async create(options?: WorkerPoolOptions): Promise<WorkerPool> {
    const settings = await poolSettings(options);
    if (activeFlavour() === undefined) await ready();
    const pool = new WorkerPool(settings);
    try {
      await Promise.all(pool.slots.map((_, i) => pool.start(i)));
    } catch (e) {
      await pool.terminate();
      throw e;
    }
    setPoolThreads(settings.size);
    return pool;
  }

  // Starts slot i's worker for `generation`. A worker whose slot moved on while it was being
  // spawned (terminate(), or another death) is ended at once: nothing else holds its handle.
  private async start(i: number, generation = this.slots[i].generation): Promise<void> {
    const slot = this.slots[i];
    const handle = await this.spawn();
    // a caller's spawn may return anything: check the shape before the first use
    const h = handle as Partial<WorkerHandle> | null | undefined;
    if (
      !h ||
      typeof h !== 'object' ||
      typeof h.terminate !== 'function' ||
      typeof h.onDeath !== 'function' ||
      !h.endpoint
    ) {
      throw new InvalidArgumentError(
        `WorkerPool: spawn must return a WorkerHandle { endpoint, terminate(), onDeath(cb) }, got ${show(handle)}.`,
      );
    }
    if (this.terminated) {
      // terminate() ran while the worker was being spawned: it could not see this handle
      handle.terminate();
      throw new PoolTerminatedError(`WorkerPool: worker ${i} finished starting after terminate(); it was ended.`);
    }
    if (slot.generation !== generation) {
      handle.terminate();
      throw this.diedError(i, 'start', false, 'it died again while its replacement was starting');
    }
    if (slot.handle && slot.handle !== handle) slot.handle.terminate();
    slot.handle = handle;
    const remote = wrap<HostApi>(handle.endpoint);
    slot.remote = remote;
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
    if (slot.failed) throw slot.failed;
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
    if (this.terminated || slot.failed) return;
    slot.generation++;
    this.deaths.push(`worker ${i}: ${reason}`);
    slot.handle?.terminate();
    slot.handle = undefined;
    slot.remote = undefined;
    const pending = [...slot.pending.values()];
    slot.pending.clear();
    for (const p of pending) {
      clearTimeout(p.timer);
      p.reject(this.diedError(i, p.what, p.mutation, reason));
    }
    // Capture what to restore now, synchronously, so later mutations are not replayed twice; a
    // later death captures again, and its tasks replace these (the log then holds more).
    slot.tasks = [...this.hooks].map((h) => h(i)).filter((t): t is RestoreTask => t !== undefined);
    if (!recordDeath(slot, Date.now(), this.maxRestarts, this.restartWindowMs)) {
      this.fail(
        i,
        `worker ${i} died ${slot.deathTimes.length} times within ${this.restartWindowMs} ms (last: ${reason})`,
      );
      return;
    }
    this.counters.restarts++;
    // One respawn loop per slot: a loop already running sees the new generation and starts over.
    if (!slot.respawning) slot.ready = quiet(this.respawn(i));
  }

  // Marks slot i failed: no restarts, its calls and whenReady() reject with a PoolWorkerFailedError.
  private fail(i: number, why: string): void {
    const slot = this.slots[i];
    slot.failed = new PoolWorkerFailedError(
      `WorkerPool: ${why}; it is not restarted again, and calls to it fail. The other workers serve on; create a new pool to use its shards again.`,
      i,
    );
    this.deaths.push(`worker ${i}: failed: ${why}`);
    slot.generation++;
    slot.handle?.terminate();
    slot.handle = undefined;
    slot.remote = undefined;
    if (!slot.respawning) slot.ready = quiet(Promise.reject(slot.failed));
  }

  // The one respawn loop of slot i: start a worker and restore it, again whenever it dies meanwhile.
  private async respawn(i: number): Promise<void> {
    const slot = this.slots[i];
    slot.respawning = true;
    let failures = 0;
    try {
      for (;;) {
        if (this.terminated) return;
        if (slot.failed) throw slot.failed;
        const generation = slot.generation;
        const tasks = slot.tasks;
        try {
          await this.start(i, generation);
          const remote = slot.remote;
          if (!remote) throw new Error('worker vanished while starting');
          const restoreMs = Math.max(this.callTimeoutMs, 60_000);
          for (const t of tasks) await this.track(i, generation, 'restore', false, () => t(remote), restoreMs);
          if (slot.generation === generation) return;
        } catch (e) {
          if (this.terminated) {
            // terminate() ran during the respawn: end whatever this attempt started
            slot.handle?.terminate();
            slot.handle = undefined;
            slot.remote = undefined;
            return;
          }
          if (slot.failed) throw slot.failed;
          if (slot.generation !== generation) continue; // it died again: workerDied counted it
          // the start or the restore itself failed, with no death: three tries
          if (++failures >= 3) {
            this.fail(i, `worker ${i} could not be restored: ${(e as Error).message}`);
            throw slot.failed;
          }
          slot.generation++;
          slot.handle?.terminate();
          slot.handle = undefined;
          slot.remote = undefined;
        }
      }
    } finally {
      slot.respawning = false;
      if (slot.failed) slot.ready = quiet(Promise.reject(slot.failed));
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
      failed: this.slots.flatMap((sl, i) => (sl.failed ? [i] : [])),
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
