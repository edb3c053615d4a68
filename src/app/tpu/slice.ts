// The Virtual TPU panel's slice of the app store. The simulation itself (class instances, tfjs
// tensors) lives in this module, outside the store; the store holds its plain-data view, replaced
// after every action, and a version the heatmaps redraw on.
import * as de from '../../engine/index.js';
import { usePlayground } from '../store.js';
import { DEFAULT_TPU_CONFIG, type TpuConfig, TpuSim, type TpuView } from '../../playground/tpu/index.js';

export interface TpuSlice {
  tpuConfig: TpuConfig;
  tpuView: TpuView | null;
  /** An action is running (a step is being applied); controls wait for it. */
  tpuBusy: boolean;
  tpuError: string | null;
  /** Starts (or restarts) the simulation with a patched config. */
  tpuConfigure(patch?: Partial<TpuConfig>): void;
  /** Replicated mode: the next phase or ring step. */
  tpuAdvance(): Promise<void>;
  /** Finishes the current step (or runs a whole one, sharded). */
  tpuRunStep(): Promise<void>;
  tpuInjectFault(kind: 'drop' | 'straggler', core: number): void;
  tpuResync(): void;
}

type Set = (partial: Partial<TpuSlice> | ((s: TpuSlice) => Partial<TpuSlice>)) => void;

let sim: TpuSim | null = null;
let config: TpuConfig = { ...DEFAULT_TPU_CONFIG };
let queue: Promise<void> = Promise.resolve();
let pool: Promise<de.pool.WorkerPool> | null = null;

/** The panel's worker pool (Web Workers), started the first time cores are put on workers. */
function tpuPool(): Promise<de.pool.WorkerPool> {
  pool ??= de.pool.WorkerPool.create({ size: 2 }).then(
    (p) => {
      usePlayground.getState().setAppWorkers('Virtual TPU cores', p.size);
      return p;
    },
    (err: unknown) => {
      pool = null;
      throw err;
    },
  );
  return pool;
}

/** The running simulation, for the heatmaps (read-only). */
export function currentTpuSim(): TpuSim | null {
  return sim;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function createTpuSlice(set: Set): TpuSlice {
  // Actions run one at a time: strategy.run refuses a second step while one is running.
  const serial = (fn: () => Promise<void> | void): Promise<void> => {
    queue = queue.then(async () => {
      set({ tpuBusy: true });
      try {
        await fn();
        set({ tpuView: sim?.view() ?? null, tpuError: null });
      } catch (err) {
        set({ tpuError: message(err), tpuView: sim?.view() ?? null });
      } finally {
        set({ tpuBusy: false });
      }
    });
    return queue;
  };
  return {
    tpuConfig: config,
    tpuView: null,
    tpuBusy: false,
    tpuError: null,
    tpuConfigure: (patch = {}) => {
      config = { ...config, ...patch };
      const cfg = config;
      set({ tpuConfig: cfg });
      void serial(async () => {
        sim?.dispose();
        sim = null;
        sim = new TpuSim(cfg, cfg.execution === 'workers' ? await tpuPool() : undefined);
      });
    },
    tpuAdvance: () =>
      serial(async () => {
        await sim?.advance();
      }),
    tpuRunStep: () =>
      serial(async () => {
        await sim?.runStep();
      }),
    tpuInjectFault: (kind, core) => {
      void serial(() => sim?.injectFault(kind, core));
    },
    tpuResync: () => {
      void serial(() => sim?.resync());
    },
  };
}
