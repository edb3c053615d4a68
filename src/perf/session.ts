// The Performance page's session: the machine facts and a run of the benchmark sections, with
// the engine, tfjs, the pool's spawner and the WebGL probe handed in (src/perf imports no engine
// at run time). workers/perf.worker.ts exposes one over comlink; Cancel = the page terminates that
// worker (and with it the pool workers it started), so a cancelled run stops at once, mid-case.
import type * as tfjs from '@tensorflow/tfjs';
import type * as Engine from '../engine/index.js';
import { machineFacts, type MachineFacts } from './machine.js';
import { runPerf } from './run.js';
import type { PerfEvent, PerfRow, PerfSize, SectionId } from './sections.js';

/** What the Performance page's worker exposes. */
export interface PerfApi {
  /** Loads the engine; returns the machine facts shown beside the results. */
  machine(): Promise<MachineFacts & { tfjsBackends: string }>;
  /** Runs `sections` at `size`; `emit` receives progress, rows and notes as they happen. */
  run(
    size: PerfSize,
    sections: SectionId[],
    emit: (e: PerfEvent) => void | Promise<void>,
    options?: { softwareWebgl?: boolean },
  ): Promise<PerfRow[]>;
}

/** How long the probe (mirror a table, one lookup) may take before WebGL counts as unusable here. */
export const WEBGL_PROBE_MS = 30_000;

type ProbeSize = { keys: number; dim: number; batch: number };

/**
 * A WebGL probe that runs the probe worker `start()` starts (workers/webgl-probe.worker.ts) with a
 * time limit, terminating it if it does not answer: a software renderer can block its thread for
 * minutes.
 *
 * @example
 * const probe = probeWebglWith(() => new Worker(new URL('./webgl-probe.worker.ts', import.meta.url), { type: 'module' }));
 * await probe({ keys: 4096, dim: 16, batch: 4096 }); // null when WebGL works, else why not
 */
export function probeWebglWith(start: () => Worker): (size: ProbeSize) => Promise<string | null> {
  return (size) =>
    new Promise((resolve) => {
      const w = start();
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

/**
 * Runs the benchmark sections with the given engine.
 *
 * @example
 * const s = new PerfSession({ de, tf, spawn: de.pool.browserSpawner(), probeWebgl });
 * (await s.machine()).cores;
 */
export class PerfSession implements PerfApi {
  constructor(
    private readonly env: {
      de: typeof Engine;
      tf: typeof tfjs;
      spawn?: Engine.pool.Spawner;
      probeWebgl?: (size: ProbeSize) => Promise<string | null>;
    },
  ) {}

  async machine(): Promise<MachineFacts & { tfjsBackends: string }> {
    const { de, tf } = this.env;
    await de.ready();
    return { ...machineFacts(de), tfjsBackends: tf.engine().backendNames().join(', ') };
  }

  async run(
    size: PerfSize,
    sections: SectionId[],
    emit: (e: PerfEvent) => void | Promise<void>,
    options: { softwareWebgl?: boolean } = {},
  ): Promise<PerfRow[]> {
    const { de, tf, spawn, probeWebgl } = this.env;
    await de.ready();
    await tf.setBackend('cpu');
    await tf.ready();
    return runPerf(
      { de, tf, size, emit: (e) => void emit(e), spawn, probeWebgl, softwareWebgl: options.softwareWebgl === true },
      sections,
    );
  }
}
