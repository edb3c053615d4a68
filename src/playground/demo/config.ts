// The recommender demo's settings, its metrics and recommendations: plain data that crosses
// the worker boundary (the page imports these; the model itself is in trainer.ts).
import { DEFAULT_WORLD, type WorldConfig } from './world.js';

export interface TrainerConfig {
  world: WorldConfig;
  dim: number;
  learningRate: number;
  /** The item table is restricted to this many keys after every step. */
  itemTableLimit: number;
  /** Held-out clicks per evaluation. */
  evalClicks: number;
}

export const DEFAULT_TRAINER: TrainerConfig = {
  world: DEFAULT_WORLD,
  dim: 16,
  learningRate: 0.05,
  itemTableLimit: 250,
  evalClicks: 300,
};

export interface Metrics {
  step: number;
  loss: number;
  /** recall@10 of the model, of the popularity baseline, and of the true distribution (the ceiling). */
  recall: number;
  popularityRecall: number;
  oracleRecall: number;
  userTableSize: number;
  itemTableSize: number;
  /** Items evicted from the item table so far. */
  evictions: number;
  /** Items in the world's catalogue now. */
  catalogue: number;
}

export interface Recommendation {
  user: number;
  step: number;
  taste: { genre: string; weight: number }[];
  items: { item: number; key: number; genre: string; score: number; trueProbability: number; inTable: boolean }[];
  trueTop: { item: number; genre: string; probability: number }[];
}

/** What the demo's worker exposes (workers/recommender.worker.ts serves a RecommenderSession). */
export interface RecommenderApi {
  /** Loads the engine and builds a fresh model over a fresh world; returns the untrained metrics. */
  start(config: TrainerConfig): Promise<Metrics>;
  /** Trains `steps` steps, then evaluates; returns each step's loss and the metrics. */
  train(steps: number): { losses: number[]; metrics: Metrics };
  recommend(user: number): Recommendation;
}
