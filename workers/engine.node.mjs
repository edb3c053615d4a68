// Node worker_threads entry of the engine pool: serves a ShardHost from the built library.
// (Node cannot run the TypeScript sources in a worker; `npm run build:lib` builds dist/lib.)
import { parentPort } from 'node:worker_threads';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { serveShardHost } from '../dist/lib/pool/host.js';

if (!parentPort) throw new Error('workers/engine.node.mjs must run as a worker thread (new Worker(...)).');
serveShardHost(nodeEndpoint(parentPort));
