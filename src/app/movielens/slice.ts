// The MovieLens view's slice of the app store: plain data only (curve points, recommendations,
// status). The worker and the training loop live in this module, outside the store.
import { type Remote, wrap } from 'comlink';
import { MOVIELENS_ASSET_PATH } from '../../playground/movielens/asset.js';
import type { CurvePoint } from '../../playground/movielens/run.js';
import type { MovieLensApi } from '../../playground/movielens/protocol.js';
import type { MovieInfo, RecommendedMovie, SessionInfo } from '../../playground/movielens/session.js';
import type { AppWorkerRole } from '../store.js';

/** Training time per chunk between evaluations (ms), and the run's goal (s). */
export const ML_CHUNK_MS = 2000;
export const ML_GOAL_SECONDS = 60;
export const ML_SEED = 42;

export interface MovieLensSlice {
  mlStatus: 'idle' | 'loading' | 'ready' | 'training' | 'paused' | 'done' | 'error';
  mlError: string | null;
  mlInfo: SessionInfo | null;
  mlCurve: CurvePoint[];
  mlResults: MovieInfo[];
  mlPicked: MovieInfo[];
  mlRated: { userKey: number; userTableSize: number; ms: number; items: RecommendedMovie[] } | null;
  mlUser: { userId: number; heldOut: number; items: RecommendedMovie[] } | null;
  /** Loads the data and starts training (or resumes after Pause) until ML_GOAL_SECONDS. */
  mlTrain(): Promise<void>;
  mlPause(): void;
  /** Stops training and starts over from an untrained model on the same split. */
  mlCancel(): Promise<void>;
  mlSearch(query: string): Promise<void>;
  mlPick(movie: MovieInfo): void;
  mlUnpick(movieId: number): void;
  mlRecommendRated(): Promise<void>;
  mlRecommendUser(userId: number): Promise<void>;
}

type Set = (partial: Partial<MovieLensSlice> | ((s: MovieLensSlice) => Partial<MovieLensSlice>)) => void;
/** The store as this slice reads it (given by the store, so the slice never imports it). */
type Get = () => MovieLensSlice & { setAppWorkers(role: AppWorkerRole, count: number): void };

let remote: Remote<MovieLensApi> | null = null;
let loaded: Promise<void> | null = null;
let training = false;
let generation = 0;

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function createMovieLensSlice(set: Set, get: Get): MovieLensSlice {
  const state = get;
  const ready = async (): Promise<Remote<MovieLensApi>> => {
    if (!remote) {
      const worker = new Worker(new URL('../../../workers/movielens.worker.ts', import.meta.url), { type: 'module' });
      get().setAppWorkers('MovieLens recommender', 1);
      remote = wrap<MovieLensApi>(worker);
    }
    const r = remote;
    if (!loaded) {
      set({ mlStatus: 'loading' });
      const url = new URL(`${import.meta.env.BASE_URL}${MOVIELENS_ASSET_PATH}`, document.baseURI).href;
      loaded = (async () => {
        await r.load(url);
        set({ mlInfo: await r.start(ML_SEED), mlStatus: 'ready', mlCurve: [] });
      })();
      loaded.catch(() => (loaded = null));
    }
    await loaded;
    return r;
  };
  return {
    mlStatus: 'idle',
    mlError: null,
    mlInfo: null,
    mlCurve: [],
    mlResults: [],
    mlPicked: [],
    mlRated: null,
    mlUser: null,
    mlTrain: async () => {
      if (training) return;
      training = true;
      const gen = generation;
      try {
        const r = await ready();
        set({ mlStatus: 'training', mlError: null });
        while (training && gen === generation) {
          const done = state().mlCurve.at(-1)?.seconds ?? 0;
          if (done >= ML_GOAL_SECONDS) break;
          const point = await r.train(Math.min(ML_CHUNK_MS, (ML_GOAL_SECONDS - done) * 1000));
          if (gen !== generation) return;
          set((s) => ({ mlCurve: [...s.mlCurve, point] }));
        }
        if (gen === generation) {
          const end = (state().mlCurve.at(-1)?.seconds ?? 0) >= ML_GOAL_SECONDS;
          set({ mlStatus: end ? 'done' : 'paused' });
        }
      } catch (err) {
        if (gen === generation) set({ mlStatus: 'error', mlError: message(err) });
      } finally {
        if (gen === generation) training = false;
      }
    },
    mlPause: () => {
      training = false;
    },
    mlCancel: async () => {
      training = false;
      generation++;
      set({ mlCurve: [], mlRated: null, mlUser: null, mlStatus: 'loading' });
      try {
        const r = await ready();
        set({ mlInfo: await r.start(ML_SEED), mlStatus: 'ready' });
      } catch (err) {
        set({ mlStatus: 'error', mlError: message(err) });
      }
    },
    mlSearch: async (query) => {
      try {
        const r = await ready();
        set({ mlResults: await r.search(query), mlError: null });
      } catch (err) {
        set({ mlError: message(err) });
      }
    },
    mlPick: (movie) =>
      set((s) =>
        s.mlPicked.some((m) => m.movieId === movie.movieId) || s.mlPicked.length >= 10
          ? {}
          : { mlPicked: [...s.mlPicked, movie] },
      ),
    mlUnpick: (movieId) => set((s) => ({ mlPicked: s.mlPicked.filter((m) => m.movieId !== movieId) })),
    mlRecommendRated: async () => {
      try {
        const r = await ready();
        const t0 = performance.now();
        const out = await r.rateMovies(state().mlPicked.map((m) => m.movieId));
        set({ mlRated: { ...out, ms: performance.now() - t0 }, mlError: null });
      } catch (err) {
        set({ mlError: message(err) });
      }
    },
    mlRecommendUser: async (userId) => {
      try {
        const r = await ready();
        set({ mlUser: await r.recommendForUser(userId), mlError: null });
      } catch (err) {
        set({ mlError: message(err) });
      }
    },
  };
}
