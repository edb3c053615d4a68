// The Virtual TPU panel's settings and its batches: the model's sizes, the sharding and where the
// cores run, and step N's global batch (a pure function of the settings and N).
import * as de from '../../engine/index.js';
import { hash2, mulberry32, trueWeight, ZipfSampler } from '../batch/generate.js';

export type ShardingMode = de.tpu.ShardingMode;
export const SHARDING_MODES = de.tpu.SHARDING_MODES;

export interface TpuConfig {
  numCores: number;
  sharding: ShardingMode;
  /** Examples per core; the global batch is numCores × perCore. */
  perCore: number;
  videoVocab: number;
  userVocab: number;
  dim: number;
  learningRate: number;
  seed: number;
  /** Where the cores run: on the main thread, or on the worker pool (Web Workers). */
  execution: de.tpu.Execution;
}

export const DEFAULT_TPU_CONFIG: TpuConfig = {
  numCores: 4,
  sharding: 'replicated',
  perCore: 4,
  videoVocab: 32,
  userVocab: 24,
  dim: 4,
  learningRate: 0.5,
  seed: 7,
  execution: 'in-process',
};

/** Phases of one step in replicated mode, in order. */
export const PHASES = ['lookup', 'backward', 'all-reduce', 'apply'] as const;
export type Phase = 'idle' | (typeof PHASES)[number];

/** The global batch of one step: one user id and one video id per example, and the label. */
export interface TpuBatch {
  user: number[];
  video: number[];
  labels: number[];
}

/** Step `step`'s batch: a pure function of (config, step). Users uniform, videos Zipf(1.05). */
export function tpuBatch(cfg: TpuConfig, step: number): TpuBatch {
  const b = cfg.numCores * cfg.perCore;
  const rng = mulberry32(hash2(cfg.seed, step + 1));
  const zipf = new ZipfSampler(cfg.videoVocab, 1.05);
  const user: number[] = [];
  const video: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < b; i++) {
    const u = Math.floor(rng() * cfg.userVocab);
    const v = zipf.sample(rng) - 1;
    user.push(u);
    video.push(v);
    // The hidden preference: a product of two keyed normals, squashed to (-1, 1).
    labels.push(Math.tanh(trueWeight(cfg.seed, u) * trueWeight(cfg.seed + 1, v)));
  }
  return { user, video, labels };
}

/** Which rows of [start, end) of a batch core r of n gets (contiguous split, as strategy.run). */
export function coreRange(r: number, n: number, b: number): [number, number] {
  return [(r * b) / n, ((r + 1) * b) / n];
}

/** A table initializer drawing uniform values in ±0.5 from `seed` (the same on every core). */
export function seededTable(seed: number): (shape: [number, number]) => Float32Array {
  return ([rows, cols]) => {
    const rng = mulberry32(seed);
    return Float32Array.from({ length: rows * cols }, () => (rng() * 2 - 1) * 0.5);
  };
}
