// What a WorkerPool is created with: its options, their defaults and their validation. Where the
// workers come from is the caller's choice (a spawn function, or the URL of the worker script);
// the default is the worker entry built next to this module (pool/worker-entry.js in a browser,
// pool/node-entry.js in Node), so the engine names no file outside itself.
import { InvalidArgumentError, show } from '../errors.js';
import { browserSpawner } from './browser.js';
import { hostParallelism, isNode, nodeSpawner, type Spawner } from './spawn.js';

/** Options of `WorkerPool.create`. */
export interface WorkerPoolOptions {
  /** Workers to start; default `min(navigator.hardwareConcurrency, 4)` (in Node, `min(os.availableParallelism(), 4)`). */
  size?: number;
  /**
   * The script each worker runs: a module Web Worker in a browser, a worker thread in Node
   * (default: the pool's own entry, pool/worker-entry.js or pool/node-entry.js next to this module;
   * see setDefaultWorkerUrl). Ignored when `spawn` is given.
   */
  workerUrl?: string | URL;
  /** Starts one worker, for callers that build the Worker themselves (a bundler's `new Worker(new URL(...))`). */
  spawn?: Spawner;
  /** A call that does not answer in this many ms rejects and its worker is respawned (default 30000). */
  callTimeoutMs?: number;
  /** Use SharedArrayBuffers for ids and results where available (default true). */
  shared?: boolean;
  /**
   * A worker that dies more than this many times within `restartWindowMs` is not restarted again:
   * calls to it and `whenReady()` reject with PoolWorkerFailedError (default 5).
   */
  maxRestarts?: number;
  /** The window of `maxRestarts`, in ms (default 10000). */
  restartWindowMs?: number;
}

/** The options, checked and with their defaults. */
export interface PoolSettings {
  size: number;
  spawn: Spawner;
  callTimeoutMs: number;
  shared: boolean;
  maxRestarts: number;
  restartWindowMs: number;
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
 * Checks `WorkerPool.create`'s options (an InvalidArgumentError saying what was expected and
 * given) and fills in the defaults.
 *
 * @example
 * (await poolSettings({ size: 2 })).callTimeoutMs; // 30000
 */
export async function poolSettings(options: WorkerPoolOptions | undefined): Promise<PoolSettings> {
  if (options === null || (options !== undefined && typeof options !== 'object')) {
    throw new InvalidArgumentError(`WorkerPool: options must be an object or undefined, got ${show(options)}.`);
  }
  const o = options ?? {};
  const size = o.size ?? defaultPoolSize();
  if (!Number.isInteger(size) || size < 1 || size > 64) {
    throw new InvalidArgumentError(`WorkerPool: size must be an integer in [1, 64], got ${show(o.size)}.`);
  }
  const callTimeoutMs = o.callTimeoutMs ?? 30_000;
  if (typeof callTimeoutMs !== 'number' || !(callTimeoutMs > 0)) {
    throw new InvalidArgumentError(`WorkerPool: callTimeoutMs must be a number > 0, got ${show(callTimeoutMs)}.`);
  }
  const maxRestarts = o.maxRestarts ?? 5;
  if (!Number.isInteger(maxRestarts) || maxRestarts < 0) {
    throw new InvalidArgumentError(`WorkerPool: maxRestarts must be an integer >= 0, got ${show(maxRestarts)}.`);
  }
  const restartWindowMs = o.restartWindowMs ?? 10_000;
  if (typeof restartWindowMs !== 'number' || !(restartWindowMs > 0)) {
    throw new InvalidArgumentError(`WorkerPool: restartWindowMs must be a number > 0, got ${show(restartWindowMs)}.`);
  }
  const url = o.workerUrl;
  if (url !== undefined && typeof url !== 'string' && !(url instanceof URL)) {
    throw new InvalidArgumentError(`WorkerPool: workerUrl must be a string or a URL, got ${show(url)}.`);
  }
  let spawn = o.spawn;
  if (spawn === undefined) {
    spawn = isNode() ? await nodeSpawner(url) : browserSpawner(url);
  } else if (typeof spawn !== 'function') {
    throw new InvalidArgumentError(
      `WorkerPool: spawn must be a function returning a WorkerHandle, got ${show(spawn)}.`,
    );
  }
  const shared = o.shared !== false && sharedMemoryAvailable();
  return { size, spawn, callTimeoutMs, shared, maxRestarts, restartWindowMs };
}
