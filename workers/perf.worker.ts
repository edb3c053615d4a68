// The Performance page's worker: serves a PerfSession (src/perf/session.ts) to the page over
// comlink, with the engine, tfjs, Web Worker pool workers and the WebGL probe in its own worker.
// Cancel = the page terminates this worker (and the pool workers it started).
import * as tf from '@tensorflow/tfjs';
import { expose } from 'comlink';
import * as de from '../src/engine/index.js';
import { PerfSession, probeWebglWith } from '../src/perf/session.js';

const probeWebgl = probeWebglWith(
  () => new Worker(new URL('./webgl-probe.worker.ts', import.meta.url), { type: 'module' }),
);

expose(new PerfSession({ de, tf, spawn: de.pool.browserSpawner(), probeWebgl }));
