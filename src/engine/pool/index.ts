// The worker pool: workers running the engine, sharded tables on them, crash recovery.
export { PoolTerminatedError, PoolTimeoutError, PoolWorkerFailedError, WorkerDiedError } from './errors.js';
export { ShardHost, serveShardHost } from './host.js';
export type { PoolStats, WorkerPoolOptions } from './pool.js';
export { sharedMemoryAvailable, WorkerPool } from './pool.js';
export type { PoolTableOptions } from './table.js';
export { defaultShardOf, PoolTable } from './table.js';
export type { Spawner, WorkerHandle } from './spawn.js';
export { isNode, nodeSpawner, setDefaultWorkerUrl, webWorkerHandle } from './spawn.js';
export { placeVariable, PooledVariable } from './variable.js';
export { browserSpawner } from './browser.js';
