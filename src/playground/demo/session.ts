// The recommender demo's session: one model at a time over a fresh world, driven with plain data.
// workers/recommender.worker.ts exposes it over comlink; Node tests drive it directly.
import * as tf from '@tensorflow/tfjs';
import * as de from '../../engine/index.js';
import type { Metrics, Recommendation, RecommenderApi, TrainerConfig } from './config.js';
import { RecommenderTrainer } from './trainer.js';

/**
 * Starts, trains and queries the demo's recommender.
 *
 * @example
 * const s = new RecommenderSession();
 * await s.start(DEFAULT_TRAINER);
 * s.train(20).metrics.step; // 20
 */
export class RecommenderSession implements RecommenderApi {
  private trainer: RecommenderTrainer | null = null;

  private need(): RecommenderTrainer {
    if (!this.trainer) throw new Error('The recommender is not started: call start(config) first.');
    return this.trainer;
  }

  async start(config: TrainerConfig): Promise<Metrics> {
    await de.ready();
    await tf.setBackend('cpu');
    await tf.ready();
    this.trainer?.dispose();
    this.trainer = new RecommenderTrainer(config);
    return this.trainer.evaluate();
  }

  train(steps: number): { losses: number[]; metrics: Metrics } {
    const t = this.need();
    const losses = t.train(steps);
    return { losses, metrics: t.evaluate() };
  }

  recommend(user: number): Recommendation {
    return this.need().recommend(user);
  }

  /** Frees the model's tables. */
  dispose(): void {
    this.trainer?.dispose();
    this.trainer = null;
  }
}
