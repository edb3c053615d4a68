// One training run under the evaluation protocol: the split, the popularity baseline on it, the
// model, and a clock that counts training time only (evaluations are not charged to it), so "recall
// after 60 s of training" means the same in Node, in the worker and in the report.
import type { MovieLensData } from './asset.js';
import { type RankingMetrics, popularityScores, rankingMetrics } from './metrics.js';
import { DEFAULT_MODEL, type ModelConfig, MovieLensModel, scoreAll } from './model.js';
import { type Split, splitRatings, type UserItems } from './split.js';

export interface RunOptions {
  /** The split's seed (the protocol's fixed seed). */
  seed: number;
  testFraction?: number;
  /** Keep only the first users (quick tests). */
  maxUsers?: number;
  model?: Partial<ModelConfig>;
  /**
   * The training clock in milliseconds (default: performance.now, wall-clock). Node's evaluation
   * can pass the process's CPU time to measure on a shared, overloaded machine.
   */
  clock?: () => number;
}

export const DEFAULT_SPLIT_SEED = 42;

/** A point of the learning curve. */
export interface CurvePoint extends RankingMetrics {
  /** Training seconds so far (evaluation time excluded). */
  seconds: number;
  step: number;
  epoch: number;
  loss: number;
}

/**
 * @example
 * const run = new MovieLensRun(data, { seed: 42 });
 * run.trainFor(60_000); run.evaluate().recall; // ≈ 0.16; run.popularity.recall ≈ 0.07
 */
export class MovieLensRun {
  readonly split: Split;
  readonly model: MovieLensModel;
  readonly popularity: RankingMetrics;
  readonly popularityScores: Float32Array;
  trainMs = 0;
  private readonly now: () => number;

  constructor(
    readonly data: MovieLensData,
    options: RunOptions,
  ) {
    this.now = options.clock ?? (() => globalThis.performance.now());
    this.split = splitRatings(data, {
      seed: options.seed,
      testFraction: options.testFraction,
      maxUsers: options.maxUsers,
    });
    const config = { ...DEFAULT_MODEL, ...options.model };
    this.model = new MovieLensModel(data, this.split.train, config);
    this.popularityScores = popularityScores(this.split.train, data.movies);
    const pop = this.popularityScores;
    this.popularity = rankingMetrics(this.split.train, this.split.test, data.movies, (_u, out) => out.set(pop));
  }

  /** Trains for about `ms` milliseconds of wall-clock time (whole steps); returns the steps run. */
  trainFor(ms: number, chunk = 4): number {
    const start = this.now();
    let steps = 0;
    while (this.now() - start < ms) {
      this.model.trainSteps(chunk);
      steps += chunk;
    }
    this.trainMs += this.now() - start;
    return steps;
  }

  /** Trains exactly `n` steps (timed). */
  trainSteps(n: number): void {
    const start = this.now();
    this.model.trainSteps(n);
    this.trainMs += this.now() - start;
  }

  /** precision / recall / NDCG@k of the model on `heldOut` (default: the protocol's test 20 %). */
  evaluate(heldOut: UserItems = this.split.test, seen: UserItems = this.split.train, k = 10): RankingMetrics {
    const { dim } = this.model.config;
    const users = this.model.userMatrix(this.split.users);
    const { items, bias } = this.model.itemMatrix();
    return rankingMetrics(
      seen,
      heldOut,
      this.data.movies,
      (u, out) => scoreAll(users.subarray(u * dim, (u + 1) * dim), items, bias, dim, out),
      k,
    );
  }

  /** Evaluates and returns a curve point stamped with the training time so far. */
  point(): CurvePoint {
    return {
      seconds: this.trainMs / 1000,
      step: this.model.steps,
      epoch: this.model.epochs,
      loss: this.model.lastLoss,
      ...this.evaluate(),
    };
  }

  dispose(): void {
    this.model.dispose();
  }
}
