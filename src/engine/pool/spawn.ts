// Starting pool workers: Web Workers in a browser, worker_threads in Node, both spoken to
// through comlink endpoints.
import type { Endpoint } from 'comlink';

/** A started worker as the pool sees it. */
export interface WorkerHandle {
  endpoint: Endpoint;
  /** Ends the worker now; pending calls never answer. */
  terminate(): void;
  /** Calls `cb` once when the worker dies on its own (an uncaught error, or the thread exiting). */
  onDeath(cb: (reason: string) => void): void;
}

/** Starts one worker that serves a ShardHost (see workers/). */
export type Spawner = () => WorkerHandle | Promise<WorkerHandle>;

/**
 * Wraps a Web Worker that runs workers/engine.worker.ts.
 *
 * @example
 * const spawn = () => webWorkerHandle(new Worker(new URL('../workers/engine.worker.ts', import.meta.url), { type: 'module' }));
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

/**
 * A spawner of Node worker threads running `workers/engine.node.mjs` (or `script`), which
 * loads the built library (dist/lib). Node only.
 *
 * @example
 * const pool = await WorkerPool.create({ size: 2, spawn: await nodeSpawner() });
 */
export async function nodeSpawner(script?: string | URL): Promise<Spawner> {
  // Specifiers in variables, so browser bundlers leave these Node-only imports alone.
  const wt = 'node:worker_threads';
  const adapter = 'comlink/dist/esm/node-adapter.mjs';
  const { Worker } = (await import(/* @vite-ignore */ wt)) as {
    Worker: new (file: string | URL, opts?: object) => NodeWorker;
  };
  const nodeEndpoint = ((await import(/* @vite-ignore */ adapter)) as { default: NodeEndpointFn }).default;
  const file = script ?? new URL('../../../workers/engine.node.mjs', import.meta.url);
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
