// Web Worker entry of the engine pool: serves a ShardHost (its own WASM instance) to the page.
import type { Endpoint } from 'comlink';
import { serveShardHost } from '../src/engine/pool/host.js';

serveShardHost(self as unknown as Endpoint);
