// The live recommender demo's slice of the app store: plain data only (metrics, the last
// recommendation, status). The worker and the play loop live in this module, outside the store.
import { type Remote, wrap } from 'comlink';
import type { RecommenderApi } from '../../playground/demo/config.js';
import { usePlayground } from '../store.js';
import type { DemoSpec } from '../../playground/workspace/index.js';
import { trainerConfigOf } from '../workspace/views.js';
import {
  DEFAULT_TRAINER,
  type Metrics,
  type Recommendation,
  type TrainerConfig,
} from '../../playground/demo/config.js';

/** Steps trained between evaluations (and chart points). */
export const CHUNK = 10;

export interface DemoSlice {
  demoConfig: TrainerConfig;
  demoStatus: 'idle' | 'starting' | 'ready' | 'playing' | 'error';
  demoError: string | null;
  /** One entry per evaluation, oldest first; loss is the mean over the chunk. */
  demoMetrics: Metrics[];
  /** Play trains until this step, then stops. */
  demoTarget: number;
  demoUser: number;
  demoRecommendation: Recommendation | null;
  demoPlay(): Promise<void>;
  demoPause(): void;
  demoReset(): Promise<void>;
  demoSetTarget(steps: number): void;
  demoRecommend(user: number): Promise<void>;
  /** Applies validated settings (world, model, target, user); a changed world or model restarts the demo. */
  demoApply(spec: DemoSpec): Promise<void>;
}

type Set = (partial: Partial<DemoSlice> | ((s: DemoSlice) => Partial<DemoSlice>)) => void;

let remote: Remote<RecommenderApi> | null = null;
let worker: Worker | null = null;
let started = false;
let playing = false;
/** Bumped by every reset: a training chunk that was in flight across a reset is not shown. */
let generation = 0;

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function ensureStarted(set: Set, config: TrainerConfig): Promise<Remote<RecommenderApi>> {
  if (!worker) {
    worker = new Worker(new URL('../../../workers/recommender.worker.ts', import.meta.url), { type: 'module' });
    usePlayground.getState().setAppWorkers('recommender demo', 1);
    remote = wrap<RecommenderApi>(worker);
  }
  if (!remote) throw new Error('The recommender worker did not start.');
  if (!started) {
    set({ demoStatus: 'starting' });
    const m = await remote.start(config);
    started = true;
    set({ demoMetrics: [m], demoStatus: 'ready' });
  }
  return remote;
}

export function createDemoSlice(set: Set): DemoSlice {
  const track = set;
  // Read at call time (the store module imports this one; by then it is initialised).
  const state = (): DemoSlice => usePlayground.getState();
  const refreshRecommendation = async (r: Remote<RecommenderApi>) => {
    const s = state();
    if (s.demoRecommendation) track({ demoRecommendation: await r.recommend(s.demoUser) });
  };
  return {
    demoConfig: DEFAULT_TRAINER,
    demoStatus: 'idle',
    demoError: null,
    demoMetrics: [],
    demoTarget: 300,
    demoUser: 3,
    demoRecommendation: null,
    demoPlay: async () => {
      if (playing) return;
      playing = true;
      const gen = generation;
      try {
        const r = await ensureStarted(track, state().demoConfig);
        track({ demoStatus: 'playing', demoError: null });
        while (playing && gen === generation) {
          const s = state();
          const step = s.demoMetrics.at(-1)?.step ?? 0;
          if (step >= s.demoTarget) break;
          const { losses, metrics } = await r.train(Math.min(CHUNK, s.demoTarget - step));
          if (gen !== generation) return;
          const loss = losses.reduce((a, b) => a + b, 0) / losses.length;
          track((x) => ({ demoMetrics: [...x.demoMetrics, { ...metrics, loss }] }));
          await refreshRecommendation(r);
        }
        if (gen === generation) track({ demoStatus: 'ready' });
      } catch (err) {
        if (gen === generation) track({ demoStatus: 'error', demoError: message(err) });
      } finally {
        // A reset already stopped this loop (and a new Play may be running).
        if (gen === generation) playing = false;
      }
    },
    demoPause: () => {
      playing = false;
    },
    demoReset: async () => {
      playing = false;
      started = false;
      generation++;
      track({ demoMetrics: [], demoRecommendation: null, demoStatus: 'idle', demoError: null });
      try {
        await ensureStarted(track, state().demoConfig);
      } catch (err) {
        track({ demoStatus: 'error', demoError: message(err) });
      }
    },
    demoSetTarget: (steps) => track({ demoTarget: steps }),
    demoApply: async (spec) => {
      const s = state();
      const config = trainerConfigOf(s.demoConfig, spec);
      const changed = JSON.stringify(config) !== JSON.stringify(s.demoConfig);
      track({ demoConfig: config, demoTarget: spec.trainUntil, demoUser: spec.user });
      if (changed && (started || s.demoStatus !== 'idle')) await s.demoReset();
    },
    demoRecommend: async (user) => {
      track({ demoUser: user });
      try {
        const r = await ensureStarted(track, state().demoConfig);
        track({ demoRecommendation: await r.recommend(user), demoError: null });
      } catch (err) {
        track({ demoError: message(err) });
      }
    },
  };
}
