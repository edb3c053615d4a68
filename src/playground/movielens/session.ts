// The MovieLens view's headless session (the worker exposes it; Node tests drive it): one training
// run under the protocol, recommendations for the data set's users with their held-out movies
// marked, title search, and "rate a few movies": a new user id inserted into the dynamic user table
// and folded in (steps on that row only; the movie and genre tables are read, never written).
import * as tf from '@tensorflow/tfjs';
import * as de from '../../engine/index.js';
import { type MovieLensData, movieGenres, movieTitle, parseMovieLens } from './asset.js';
import { topKExcluding } from './metrics.js';
import { scoreAll } from './model.js';
import { type CurvePoint, DEFAULT_SPLIT_SEED, MovieLensRun } from './run.js';

export interface MovieInfo {
  movieId: number;
  title: string;
  genres: string[];
}

export interface RecommendedMovie extends MovieInfo {
  score: number;
  /** For a data-set user: the movie is one of the user's held-out 20 %. */
  heldOut?: boolean;
  /** For a folded-in user: the rated movies nearest to this one (cosine of movie vectors). */
  because?: string[];
}

export interface SessionInfo {
  users: number;
  movies: number;
  ratings: number;
  seed: number;
  trainRatings: number;
  testRatings: number;
  popularity: { precision: number; recall: number; ndcg: number };
}

const FOLD_IN_BASE = 1_000_000;

/**
 * @example
 * const s = new MovieLensSession(bytes); s.start(42);
 * s.train(1000);                       // a curve point after ~1 s more training
 * s.rateMovies([1, 260, 1196, 1210, 2571]).items.length; // 10
 */
export class MovieLensSession {
  readonly data: MovieLensData;
  private run: MovieLensRun | null = null;
  private folded = 0;
  private cache: { step: number; items: Float32Array; bias: Float32Array; norms: Float32Array } | null = null;
  private readonly movieIndex = new Map<number, number>();
  private readonly userIndex = new Map<number, number>();

  constructor(bytes: ArrayBuffer) {
    this.data = parseMovieLens(bytes);
    this.data.movieIds.forEach((id, m) => this.movieIndex.set(id, m));
    this.data.userIds.forEach((id, u) => this.userIndex.set(id, u));
  }

  /** Starts a fresh run on the split of `seed` (the previous run's tables are dropped). */
  start(seed = DEFAULT_SPLIT_SEED): SessionInfo {
    if (!Number.isInteger(seed)) throw new Error(`MovieLens: the split seed must be an integer, got ${seed}.`);
    this.run?.dispose();
    this.cache = null;
    this.run = new MovieLensRun(this.data, { seed });
    const r = this.run;
    return {
      users: this.data.users,
      movies: this.data.movies,
      ratings: this.data.ratings,
      seed,
      trainRatings: r.split.train.items.length,
      testRatings: r.split.test.items.length,
      popularity: { precision: r.popularity.precision, recall: r.popularity.recall, ndcg: r.popularity.ndcg },
    };
  }

  private need(): MovieLensRun {
    if (!this.run) throw new Error('MovieLens: no model yet; start a run first.');
    return this.run;
  }

  /** Trains for about `ms` milliseconds, then evaluates on the held-out 20 %. */
  train(ms: number): CurvePoint {
    if (!(ms > 0 && ms <= 60_000)) throw new Error(`MovieLens: train(ms) needs 0 < ms <= 60000, got ${ms}.`);
    const r = this.need();
    r.trainFor(ms);
    return r.point();
  }

  /** The item matrix of the current model, reused until the next training step. */
  private items(): NonNullable<MovieLensSession['cache']> {
    const r = this.need();
    if (this.cache?.step === r.model.steps) return this.cache;
    const { items, bias } = r.model.itemMatrix();
    const dim = r.model.config.dim;
    const norms = new Float32Array(this.data.movies);
    for (let m = 0; m < norms.length; m++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += items[m * dim + d] ** 2;
      norms[m] = Math.sqrt(s) || 1;
    }
    this.cache = { step: r.model.steps, items, bias, norms };
    return this.cache;
  }

  private info(m: number): MovieInfo {
    return { movieId: this.data.movieIds[m], title: movieTitle(this.data, m), genres: movieGenres(this.data, m) };
  }

  /** Titles containing `query` (case-insensitive), most-rated first. */
  search(query: string, limit = 20): MovieInfo[] {
    if (typeof query !== 'string') throw new Error(`MovieLens: search needs text, got ${typeof query}.`);
    const q = query.trim().toLowerCase();
    if (q.length === 0) return [];
    const counts = new Uint32Array(this.data.movies);
    for (const m of this.data.ratingMovie) counts[m]++;
    const hits: number[] = [];
    for (let m = 0; m < this.data.movies; m++) if (movieTitle(this.data, m).toLowerCase().includes(q)) hits.push(m);
    return hits
      .sort((a, b) => counts[b] - counts[a])
      .slice(0, limit)
      .map((m) => this.info(m));
  }

  /** The model's top-k for a data-set user (MovieLens userId), training movies excluded, held-out ones marked. */
  recommendForUser(userId: number, k = 10): { userId: number; heldOut: number; items: RecommendedMovie[] } {
    const r = this.need();
    const u = this.userIndex.get(userId);
    if (u === undefined) {
      throw new Error(
        `MovieLens: no user ${userId}; user ids run from ${this.data.userIds[0]} to ${this.data.userIds.at(-1)}.`,
      );
    }
    const { train, test } = r.split;
    const exclude = new Uint8Array(this.data.movies);
    for (const m of train.items.subarray(train.offsets[u], train.offsets[u + 1])) exclude[m] = 1;
    const held = new Set(test.items.subarray(test.offsets[u], test.offsets[u + 1]));
    const dim = r.model.config.dim;
    const { items, bias } = this.items();
    const scores = new Float32Array(this.data.movies);
    scoreAll(r.model.userMatrix(this.data.users).subarray(u * dim, (u + 1) * dim), items, bias, dim, scores);
    return {
      userId,
      heldOut: held.size,
      items: topKExcluding(scores, exclude, k).map((m) => ({
        ...this.info(m),
        score: scores[m],
        heldOut: held.has(m),
      })),
    };
  }

  /**
   * "Rate a few movies": inserts a new user id into the dynamic user table and folds it in — `steps`
   * Adam steps of a full softmax over all movies on that user's row only — then returns its top-k
   * (rated movies excluded), each with the rated movies nearest to it.
   */
  rateMovies(
    movieIds: readonly number[],
    k = 10,
    steps = 40,
  ): { userKey: number; userTableSize: number; items: RecommendedMovie[] } {
    const r = this.need();
    if (!Array.isArray(movieIds) || movieIds.length < 1 || movieIds.length > 50) {
      throw new Error(
        `MovieLens: rate between 1 and 50 movies, got ${Array.isArray(movieIds) ? movieIds.length : typeof movieIds}.`,
      );
    }
    const rated = [...new Set(movieIds)].map((id) => {
      const m = this.movieIndex.get(id);
      if (m === undefined) throw new Error(`MovieLens: no movie with movieId ${id} in the data set.`);
      return m;
    });
    const dim = r.model.config.dim;
    const { items, bias, norms } = this.items();
    const userKey = FOLD_IN_BASE + ++this.folded;
    const key = de.ids(Int32Array.of(userKey), [1]);
    const opt = new de.optimizers.Adam({ learningRate: 0.05 });
    const n = this.data.movies;
    const logits = new Float32Array(n);
    for (let s = 0; s < steps; s++) {
      de.train.step(opt, () =>
        tf.tidy(() => {
          const p = de.embeddingLookup(r.model.users, key);
          const pv = p.dataSync() as Float32Array;
          scoreAll(pv, items, bias, dim, logits);
          let max = -Infinity;
          for (let m = 0; m < n; m++) if (logits[m] > max) max = logits[m];
          let z = 0;
          for (let m = 0; m < n; m++) z += Math.exp(logits[m] - max);
          // d/dp of −Σ_rated log softmax: Σ_m (|rated|·p_m − [m rated]) q_m, plus the model's l2.
          const g = new Float32Array(dim);
          for (let m = 0; m < n; m++) {
            const w = (rated.length * Math.exp(logits[m] - max)) / z;
            for (let d = 0; d < dim; d++) g[d] += w * items[m * dim + d];
          }
          for (const m of rated) for (let d = 0; d < dim; d++) g[d] -= items[m * dim + d];
          for (let d = 0; d < dim; d++) g[d] = g[d] / rated.length + 2 * r.model.config.l2 * pv[d];
          return tf.dot(tf.reshape(p, [-1]), tf.tensor1d(g)).reshape([]) as tf.Scalar;
        }),
      );
    }
    // The user row is the only one the fold-in steps read; the optimizer's slots for it are not kept.
    for (const slot of opt.slotVariables(r.model.users)) slot.clear();
    const pv = (r.model.users.lookup(key) as tf.Tensor).dataSync() as Float32Array;
    scoreAll(pv, items, bias, dim, logits);
    const exclude = new Uint8Array(n);
    for (const m of rated) exclude[m] = 1;
    const cos = (a: number, b: number) => {
      let s = 0;
      for (let d = 0; d < dim; d++) s += items[a * dim + d] * items[b * dim + d];
      return s / (norms[a] * norms[b]);
    };
    return {
      userKey,
      userTableSize: r.model.users.size(),
      items: topKExcluding(logits, exclude, k).map((m) => ({
        ...this.info(m),
        score: logits[m],
        because: rated
          .map((x) => ({ x, c: cos(m, x) }))
          .sort((a, b) => b.c - a.c)
          .slice(0, 2)
          .map(({ x }) => movieTitle(this.data, x)),
      })),
    };
  }

  dispose(): void {
    this.run?.dispose();
    this.run = null;
  }
}
