// The pool's Node entry: a worker_threads script that serves a ShardHost (its own WASM instance)
// to the pool. Built to dist/lib/pool/node-entry.js, the default script of Node pools. Node cannot
// run the TypeScript sources in a worker: from the sources, point pools at the built file
// (`WorkerPool.create({ workerUrl })` or `setDefaultWorkerUrl`).
import type { Endpoint } from 'comlink';
import { serveShardHost } from './host.js';

// Specifiers in variables, so browser bundlers leave these Node-only imports alone.
const wt = 'node:worker_threads';
const adapter = 'comlink/dist/esm/node-adapter.mjs';
const { parentPort } = (await import(/* @vite-ignore */ wt)) as { parentPort: unknown };
if (!parentPort) throw new Error('pool/node-entry.js must run as a worker thread (new Worker(...)).');
const nodeEndpoint = ((await import(/* @vite-ignore */ adapter)) as { default: (port: unknown) => Endpoint }).default;
serveShardHost(nodeEndpoint(parentPort));

export {};
