// Test fixture: a pool worker whose host can also end its own thread (`exit(code)`), so the pool
// tests see a worker die on its own rather than be terminated by the pool. It loads the built
// ShardHost beside the pool's default worker entry (workerData.host, set by trackedSpawner).
import { parentPort, workerData } from 'node:worker_threads';
import { expose } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';

const { ShardHost } = await import(workerData.host);
const host = new ShardHost();
host.exit = (code) => process.exit(code);
expose(host, nodeEndpoint(parentPort));
