// Test fixture: a pool worker whose host can also end its own thread (`exit(code)`), so the
// pool tests see a worker die on its own rather than be terminated by the pool.
import { parentPort } from 'node:worker_threads';
import { expose } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { ShardHost } from '../../dist/lib/pool/host.js';

const host = new ShardHost();
host.exit = (code) => process.exit(code);
expose(host, nodeEndpoint(parentPort));
