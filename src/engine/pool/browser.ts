// The default spawner in a browser: module Web Workers running the pool's own entry,
// pool/worker-entry.js next to this module. The `new Worker(new URL('./worker-entry.js',
// import.meta.url))` pattern is written out so a bundler (Vite) finds the entry and bundles it
// (from the sources it resolves worker-entry.ts); with no bundler (dist/lib) it loads the built file.
import { type Spawner, webWorkerHandle } from './spawn.js';

/**
 * Starts module Web Workers that serve a ShardHost: the script at `workerUrl` (a caller's own
 * entry calling `serveShardHost(self)`), or by default the pool's worker-entry.js.
 *
 * @example
 * const pool = await WorkerPool.create({ size: 2, spawn: browserSpawner() });
 * const lib = await WorkerPool.create({ spawn: browserSpawner(new URL('./dist/lib/pool/worker-entry.js', location.href)) });
 */
export function browserSpawner(workerUrl?: string | URL): Spawner {
  if (workerUrl !== undefined) return () => webWorkerHandle(new Worker(workerUrl, { type: 'module' }));
  return () => webWorkerHandle(new Worker(new URL('./worker-entry.js', import.meta.url), { type: 'module' }));
}
