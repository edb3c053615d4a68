// The playground's engine worker: serves a PlaygroundSession (src/playground/session.ts) to the
// page over comlink, so tables, lookups and training run off the main thread. Its pool workers
// start as Web Workers; the pool gets min(cores, 4) of them.
import { expose } from 'comlink';
import * as de from '../src/engine/index.js';
import { PlaygroundSession } from '../src/playground/session.js';

expose(
  new PlaygroundSession({
    spawn: de.pool.browserSpawner(),
    hardwareConcurrency: self.navigator?.hardwareConcurrency,
  }),
);
