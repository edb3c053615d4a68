// Starting pool workers: Web Workers in a browser, worker_threads in Node, both spoken to
// through comlink endpoints.
import type { Endpoint } from 'comlink';
import { InvalidArgumentError, show } from '../errors.js';

/** A started worker as the pool sees it. */
export interface WorkerHandle {
  endpoint: Endpoint;
  /** Ends the worker now; pending calls never answer. */
  terminate(): void;
  /** Calls `cb` once when the worker dies on its own (an uncaught error, or the thread exiting). */
  onDeath(cb: (reason: string) => void): void;
}

/** Starts one worker that serves a ShardHost (pool/worker-entry.js, pool/node-entry.js or the caller's own). */
export type Spawner = () => WorkerHandle | Promise<WorkerHandle>;

/**
 * Wraps a module Web Worker that serves a ShardHost (the pool's worker-entry.js, or the caller's own).
 *
 * @example
 * const spawn = () => webWorkerHandle(new Worker(new URL('./my-pool.worker.ts', import.meta.url), { type: 'module' }));
 */
export function webWorkerHandle(worker: Worker): WorkerHandle {
  return {
    endpoint: worker as unknown as Endpoint,
    terminate: () => worker.terminate(),
    onDeath: (cb) => {
      // Browsers have no exit event; an uncaught error or a failed load is treated as a death.
      worker.addEventListener('error', (e) => cb(`error in the worker: ${e.message || 'failed to load or crashed'}`), {
        once: true,
      });
      worker.addEventListener('messageerror', () => cb('a message could not be deserialized'), { once: true });
    },
  };
}

interface NodeWorker {
  postMessage(message: unknown, transfer?: readonly unknown[]): void;
  on(event: string, listener: (...args: never[]) => void): unknown;
  off(event: string, listener: (...args: never[]) => void): unknown;
  once(event: string, listener: (...args: never[]) => void): unknown;
  terminate(): Promise<number>;
  unref(): void;
}
type NodeEndpointFn = (nep: NodeWorker) => Endpoint;

let defaultWorker: string | URL | undefined;

/**
 * Sets the worker script pools start when created with neither `spawn` nor `workerUrl` (undefined:
 * back to the pool's own entry next to this module). For running the engine from its TypeScript
 * sources, where no built entry sits next to it (tests point this at dist/lib/pool/node-entry.js),
 * as tfjs's `setWasmPaths` says where its files are.
 *
 * @example
 * de.pool.setDefaultWorkerUrl(new URL('./dist/lib/pool/node-entry.js', import.meta.url));
 */
export function setDefaultWorkerUrl(url: string | URL | undefined): void {
  if (url !== undefined && typeof url !== 'string' && !(url instanceof URL)) {
    throw new InvalidArgumentError(`setDefaultWorkerUrl: url must be a string, a URL or undefined, got ${show(url)}.`);
  }
  defaultWorker = url;
}

/**
 * The Node worker script a pool starts by default: the one set with {@link setDefaultWorkerUrl},
 * else pool/node-entry.js next to this module (in dist/lib). Throws when running from the
 * sources with none set (no built entry exists there).
 *
 * @example
 * defaultNodeWorkerUrl().href; // 'file:///.../dist/lib/pool/node-entry.js'
 */
export function defaultNodeWorkerUrl(): string | URL {
  if (defaultWorker !== undefined) return defaultWorker;
  if (/\.tsx?$/.test(new URL(import.meta.url).pathname)) {
    throw new InvalidArgumentError(
      'WorkerPool: the engine runs from its TypeScript sources, where the Node worker entry is not built; pass workerUrl (e.g. dist/lib/pool/node-entry.js after `npm run build:lib`) or call de.pool.setDefaultWorkerUrl(url).',
    );
  }
  // a variable, so bundlers do not treat it as an asset to emit
  const entry = './node-entry.js';
  return new URL(entry, import.meta.url);
}

/**
 * A spawner of Node worker threads running `script`, by default the pool's own entry
 * ({@link defaultNodeWorkerUrl}). Node only.
 *
 * @example
 * const pool = await WorkerPool.create({ size: 2, spawn: await nodeSpawner() });
 */
export async function nodeSpawner(script?: string | URL): Promise<Spawner> {
  const file = script ?? defaultNodeWorkerUrl();
  // Specifiers in variables, so browser bundlers leave these Node-only imports alone.
  const wt = 'node:worker_threads';
  const adapter = 'comlink/dist/esm/node-adapter.mjs';
  const { Worker } = (await import(/* @vite-ignore */ wt)) as {
    Worker: new (file: string | URL, opts?: object) => NodeWorker;
  };
  const nodeEndpoint = ((await import(/* @vite-ignore */ adapter)) as { default: NodeEndpointFn }).default;
  return () => {
    const w = new Worker(file);
    let dead = false;
    return {
      endpoint: nodeEndpoint(w),
      terminate: () => {
        dead = true;
        void w.terminate();
      },
      onDeath: (cb) => {
        w.once('error', ((e: Error) => {
          if (!dead) cb(`error in the worker: ${e.message}`);
          dead = true;
        }) as (...args: never[]) => void);
        w.once('exit', ((code: number) => {
          if (!dead) cb(`the worker thread exited with code ${code}`);
          dead = true;
        }) as (...args: never[]) => void);
      },
    };
  };
}

/** True when running in Node (worker_threads available), false in a browser or Deno-like host. */
export function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

function positiveInt(n: unknown): number | undefined {
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : undefined;
}

/**
 * How many threads this host can run at once: `os.availableParallelism()` in Node (through
 * `process.getBuiltinModule`, so browser bundles never see a `node:` import),
 * `navigator.hardwareConcurrency` in a browser; undefined when the host does not say.
 *
 * @example
 * hostParallelism(); // 2 on a 2-core machine
 */
export function hostParallelism(): number | undefined {
  if (isNode()) {
    const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    const os = p?.getBuiltinModule?.('node:os') as
      { availableParallelism?: () => number; cpus?: () => readonly unknown[] } | undefined;
    const n = positiveInt(os?.availableParallelism?.()) ?? positiveInt(os?.cpus?.().length);
    if (n !== undefined) return n;
  }
  return positiveInt((globalThis as { navigator?: { hardwareConcurrency?: unknown } }).navigator?.hardwareConcurrency);
}
