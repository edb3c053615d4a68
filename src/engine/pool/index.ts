// The worker pool (`de.pool`): workers running the engine, sharded tables on them, crash recovery.
// What the README documents and the types its signatures name; the rest stays internal.
export { PoolTerminatedError, PoolTimeoutError, PoolWorkerFailedError, WorkerDiedError } from './errors.js';
export { ShardHost, serveShardHost } from './host.js';
export type { PoolStats, WorkerPoolOptions } from './pool.js';
export { sharedMemoryAvailable, WorkerPool } from './pool.js';
export type { PoolTableOptions } from './table.js';
export { PoolTable } from './table.js';
export type { Spawner, WorkerHandle } from './spawn.js';
export { nodeSpawner, setDefaultWorkerUrl, webWorkerHandle } from './spawn.js';
export { placeVariable, PooledVariable } from './variable.js';
export { browserSpawner } from './browser.js';
