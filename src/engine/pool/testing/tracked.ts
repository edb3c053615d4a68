// Test support for the pool (not part of the built library): Node worker threads that record
// their exits, so a test can check that none is left behind.
import { Worker } from 'node:worker_threads';
import type { Endpoint } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { defaultNodeWorkerUrl, type Spawner } from '../spawn.js';

/** A pool worker that can end its own thread: ShardHost's `exit(code)` calls process.exit. */
export const EXITING_WORKER = new URL('./exiting-worker.mjs', import.meta.url);

// `delayMs` > 0 makes the spawner asynchronous: the handle arrives that much after the thread starts.
export function trackedSpawner(script: string | URL = defaultNodeWorkerUrl(), delayMs = 0) {
  let running = 0;
  let started = 0;
  const exits: Promise<void>[] = [];
  const spawn: Spawner = () => {
    // the built ShardHost beside the default entry, for fixtures that serve their own host
    const w = new Worker(script, { workerData: { host: String(new URL('./host.js', defaultNodeWorkerUrl())) } });
    running++;
    started++;
    let dead = false;
    exits.push(
      new Promise((resolve) =>
        w.once('exit', () => {
          running--;
          resolve();
        }),
      ),
    );
    return {
      endpoint: nodeEndpoint(w) as Endpoint,
      terminate: () => {
        dead = true;
        void w.terminate();
      },
      onDeath: (cb) => {
        w.once('exit', (code) => {
          if (!dead) cb(`the worker thread exited with code ${code}`);
          dead = true;
        });
      },
    };
  };
  const delayed: Spawner = () => {
    const h = spawn();
    return new Promise((resolve) => setTimeout(() => resolve(h), delayMs));
  };
  return {
    spawn: delayMs > 0 ? delayed : spawn,
    alive: () => running,
    started: () => started,
    allExited: () => Promise.all(exits),
  };
}

// Resolves when `p` does, or after `ms` (a bound on a wait that never ends when a thread leaks).
export const settleWithin = (p: Promise<unknown>, ms: number) =>
  Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
