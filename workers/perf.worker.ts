// The Performance page's worker: runs the in-browser benchmarks (src/perf) off the main thread,
// reporting progress and rows as they are measured. Cancel = the page terminates this worker
// (and with it the pool workers it started), so a cancelled run stops at once, mid-case.
import * as tf from '@tensorflow/tfjs';
import { expose, type ProxyOrClone } from 'comlink';
import * as de from '../src/engine/index.js';
import {
  machineFacts,
  type MachineFacts,
  type PerfEvent,
  type PerfRow,
  type PerfSize,
  runPerf,
  type SectionId,
} from '../src/perf/index.js';

/** How long the probe (mirror a table, one lookup) may take before WebGL counts as unusable here. */
const WEBGL_PROBE_MS = 30_000;

/** Runs workers/webgl-probe.worker.ts with a time limit (terminating it if it does not answer). */
function probeWebgl(size: { keys: number; dim: number; batch: number }): Promise<string | null> {
  return new Promise((resolve) => {
    const w = new Worker(new URL('./webgl-probe.worker.ts', import.meta.url), { type: 'module' });
    const timer = setTimeout(() => {
      w.terminate();
      resolve(
        `WebGL unusable: mirroring a ${size.keys}-row, dim ${size.dim} table with de.gpu.GpuGather and reading one ${size.batch}-id lookup back did not finish within ${WEBGL_PROBE_MS / 1000} s (a software renderer, or a GPU process that does not answer), so it is treated as missing`,
      );
    }, WEBGL_PROBE_MS);
    w.postMessage(size);
    w.onmessage = (e: MessageEvent<{ problem: string | null }>) => {
      clearTimeout(timer);
      w.terminate();
      resolve(e.data.problem);
    };
    w.onerror = (e) => {
      clearTimeout(timer);
      w.terminate();
      resolve(`WebGL unusable: the probe worker failed (${e.message || 'it did not load'})`);
    };
  });
}

const api = {
  /** Loads the engine; returns the machine facts shown beside the results. */
  async machine(): Promise<MachineFacts & { tfjsBackends: string }> {
    await de.ready();
    return { ...machineFacts(de), tfjsBackends: tf.engine().backendNames().join(', ') };
  },
  /** Runs `sections` at `size`; `emit` receives progress, rows and notes as they happen. */
  async run(
    size: PerfSize,
    sections: SectionId[],
    emit: ProxyOrClone<(e: PerfEvent) => void>,
    options: { softwareWebgl?: boolean } = {},
  ): Promise<PerfRow[]> {
    await de.ready();
    await tf.setBackend('cpu');
    await tf.ready();
    return runPerf(
      {
        de,
        tf,
        size,
        emit: (e) => void emit(e),
        spawn: de.pool.browserSpawner(),
        probeWebgl,
        softwareWebgl: options.softwareWebgl === true,
      },
      sections,
    );
  },
};

export type PerfWorker = typeof api;

expose(api);
