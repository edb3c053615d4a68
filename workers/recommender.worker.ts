// The live recommender demo's worker: owns the model (de.Variables, optimizer, restrict policy)
// and trains it with de.train.step off the main thread. It imports the engine and the demo's
// pure model modules (no React, no store); the page drives it through comlink with plain data.
import * as tf from '@tensorflow/tfjs';
import { expose } from 'comlink';
import { type Metrics, type Recommendation, RecommenderTrainer, type TrainerConfig } from '../src/app/demo/trainer.js';
import * as de from '../src/engine/index.js';

let trainer: RecommenderTrainer | null = null;

function need(): RecommenderTrainer {
  if (!trainer) throw new Error('The recommender is not started: call start(config) first.');
  return trainer;
}

const api = {
  /** Loads the engine and builds a fresh model over a fresh world; returns the untrained metrics. */
  async start(config: TrainerConfig): Promise<Metrics> {
    await de.ready();
    await tf.setBackend('cpu');
    await tf.ready();
    trainer?.dispose();
    trainer = new RecommenderTrainer(config);
    return trainer.evaluate();
  },
  /** Trains `steps` steps, then evaluates; returns each step's loss and the metrics. */
  train(steps: number): { losses: number[]; metrics: Metrics } {
    const t = need();
    const losses = t.train(steps);
    return { losses, metrics: t.evaluate() };
  },
  recommend(user: number): Recommendation {
    return need().recommend(user);
  },
};

export type RecommenderWorker = typeof api;

expose(api);
