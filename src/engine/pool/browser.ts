// The default spawner in a browser: a module Web Worker running workers/engine.worker.ts
// (Vite bundles it from this `new Worker(new URL(...))` pattern).
import { type Spawner, webWorkerHandle } from './spawn.js';

/**
 * Starts module Web Workers that serve a ShardHost.
 *
 * @example
 * const pool = await WorkerPool.create({ size: 2, spawn: browserSpawner() });
 */
export function browserSpawner(): Spawner {
  return () =>
    webWorkerHandle(new Worker(new URL('../../../workers/engine.worker.ts', import.meta.url), { type: 'module' }));
}
