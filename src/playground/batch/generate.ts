// Seeded batch generators: uniform or Zipf ids, a rate of brand-new ids, and a label per example
// from a hidden "true" model, so a trained model has something real to learn. Pure: batch `step`
// is a function of (spec, step) alone, which is what makes "step back" exact.
import type { FeatureSpec, GeneratorSpec, TableSpec } from '../workspace/schema.js';
import type { BatchId } from './parse.js';
import { mulberry32 } from '../../engine/index.js';

/** The engine's seeded generator, re-exported for the batch, demo and TPU generators beside it. */
export { mulberry32 };

/** A 32-bit avalanche hash of two integers (murmur3's finaliser over a mix). */
export function hash2(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b | 0, 0xc2b2ae35) ^ Math.floor(b / 4294967296);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Zipf(n, s) over ranks 1..n by rejection-inversion (Hörmann & Derflinger), O(1) per draw with
 * no table, so a vocabulary of ten million costs nothing.
 *
 * @example
 * const z = new ZipfSampler(1000, 1.1); z.sample(mulberry32(1)); // a rank in [1, 1000]
 */
export class ZipfSampler {
  private readonly hX1: number;
  private readonly hN: number;
  private readonly sq: number;
  constructor(
    readonly n: number,
    readonly s: number,
  ) {
    this.hX1 = this.hIntegral(1.5) - 1;
    this.hN = this.hIntegral(n + 0.5);
    this.sq = 2 - this.hIntegralInverse(this.hIntegral(2.5) - this.h(2));
  }
  private h(x: number): number {
    return Math.exp(-this.s * Math.log(x));
  }
  private hIntegral(x: number): number {
    const lx = Math.log(x);
    return helper2((1 - this.s) * lx) * lx;
  }
  private hIntegralInverse(x: number): number {
    let t = x * (1 - this.s);
    if (t < -1) t = -1;
    return Math.exp(helper1(t) * x);
  }
  sample(rng: () => number): number {
    for (;;) {
      const u = this.hN + rng() * (this.hX1 - this.hN);
      const x = this.hIntegralInverse(u);
      let k = Math.floor(x + 0.5);
      if (k < 1) k = 1;
      else if (k > this.n) k = this.n;
      if (k - x <= this.sq || u >= this.hIntegral(k + 0.5) - this.h(k)) return k;
    }
  }
}
function helper1(x: number): number {
  return Math.abs(x) > 1e-8 ? Math.log1p(x) / x : 1 - x * (0.5 - x * (1 / 3 - 0.25 * x));
}
function helper2(x: number): number {
  return Math.abs(x) > 1e-8 ? Math.expm1(x) / x : 1 + x * 0.5 * (1 + (x / 3) * (1 + 0.25 * x));
}

/** How many latent groups the hidden world sorts ids into. */
export const GROUPS = 4;
/** Each group's pull on the label's logit: two groups push towards 0, two towards 1. */
const GROUP_EFFECT = [-1.5, -0.5, 0.5, 1.5];
/** How strongly the ids' summed pull drives the label (logit = LABEL_GAIN · Σ wᵢ pullᵢ / √(ids per example · features)). */
const LABEL_GAIN = 2.5;

/**
 * The latent group (0..GROUPS-1) of an id of feature `feature` in the world seeded `seed`: what the
 * ground truth knows about it, and what the projector colours it by. Pure (a hash).
 *
 * @example
 * trueGroup(42, 0, 15); // 0..3, the same every time
 */
export function trueGroup(seed: number, feature: number, id: number): number {
  return hash2(hash2(seed, feature) ^ 0x27d4eb2f, id) % GROUPS;
}

/** A standard normal keyed by (seed, id): the same draw every time (the TPU simulator's hidden weights). */
export function trueWeight(seed: number, id: number): number {
  const u1 = (hash2(seed, id) + 1) / 4294967297;
  const u2 = hash2(seed ^ 0x5bd1e995, id) / 4294967296;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/**
 * The hidden pull of an id of feature `feature` on the label in the generator's "true" model: its
 * group's pull plus a small keyed jitter (standard deviation 0.25), so ids of one group behave
 * alike but not identically.
 *
 * @example
 * truePull(42, 0, 15); // about -1.5, -0.5, 0.5 or 1.5
 */
export function truePull(seed: number, feature: number, id: number): number {
  return GROUP_EFFECT[trueGroup(seed, feature, id)] + 0.25 * trueWeight(hash2(seed, feature), id);
}

export interface GeneratedFeature {
  ids: BatchId[];
  /** Dense: [batchSize, idsPerExample]. Ragged (see {@link GeneratorFeature.ragged}): [batchSize, longest row]. */
  shape: [number, number];
  /** Ragged only: row boundaries into `ids` (TF row_splits), length batchSize + 1; null for dense rows. */
  rowSplits: number[] | null;
  /** One weight per id when the feature takes weights, else null. */
  weights: number[] | null;
  /** How many of the ids are brand new (never produced by an earlier step). */
  newIds: number;
}

export interface GeneratedBatch {
  step: number;
  features: Record<string, GeneratedFeature>;
  /** One 0/1 label per example: the loss target. */
  labels: number[];
  /** The hidden model's probability of label 1 for each example (what the labels were drawn from). */
  probabilities: number[];
}

/** What the generator needs to know about a feature. */
export interface GeneratorFeature {
  name: string;
  /** Ids become `id_<n>` strings (a string-keyed table). */
  stringIds: boolean;
  /** Rows of 1..idsPerExample ids (sparse or ragged input) instead of exactly idsPerExample. */
  ragged?: boolean;
  /** Each id gets a weight in [0.25, 2] (two decimals), which also scales its part of the label. */
  weights?: boolean;
}

/**
 * The generator's view of the workspace's features: string ids for string-keyed tables, ragged
 * rows for sparse and ragged inputs, weights where the feature takes them.
 *
 * @example
 * generatorFeatures(w.features, w.tables); // [{ name: 'user_id', stringIds: false, ragged: false, weights: false }]
 */
export function generatorFeatures(
  features: readonly Pick<FeatureSpec, 'name' | 'table' | 'input' | 'weights'>[],
  tables: readonly Pick<TableSpec, 'name' | 'keyDtype'>[],
): GeneratorFeature[] {
  return features.map((f) => ({
    name: f.name,
    stringIds: tables.find((t) => t.name === f.table)?.keyDtype === 'string',
    ragged: f.input !== 'dense',
    weights: f.weights,
  }));
}

/**
 * Batch number `step` for the given features. Ids of a string-keyed feature are `id_<n>`.
 * New ids are numbered from `vocabulary` upward, distinct across steps and features. The label
 * of an example is drawn from a hidden logistic model over all its ids (weighted when the
 * feature has weights).
 *
 * @example
 * generateBatch(spec, [{ name: 'user_id', stringIds: false }], 0).features.user_id.shape; // [batchSize, idsPerExample]
 */
export function generateBatch(
  spec: GeneratorSpec,
  features: readonly GeneratorFeature[],
  step: number,
): GeneratedBatch {
  const { batchSize: b, idsPerExample: n, vocabulary, newIdRate } = spec;
  const zipf = spec.distribution === 'zipf' ? new ZipfSampler(vocabulary, spec.zipfExponent) : null;
  const logits = new Float64Array(b);
  const out: Record<string, GeneratedFeature> = {};
  features.forEach((f, fi) => {
    const rng = mulberry32(hash2(hash2(spec.seed, step), fi + 1));
    // Row lengths (ragged) and weights come from their own streams, so a dense feature's ids are
    // the same whatever the other options.
    const shapeRng = mulberry32(hash2(hash2(spec.seed, step), 1000 + fi));
    const rowSplits = [0];
    for (let r = 0; r < b; r++) rowSplits.push(rowSplits[r] + (f.ragged ? 1 + Math.floor(shapeRng() * n) : n));
    const total = rowSplits[b];
    const ids: BatchId[] = new Array(total);
    const weights = f.weights ? new Array<number>(total) : null;
    let newIds = 0;
    let longest = 0;
    for (let r = 0; r < b; r++) {
      longest = Math.max(longest, rowSplits[r + 1] - rowSplits[r]);
      for (let i = rowSplits[r]; i < rowSplits[r + 1]; i++) {
        let id: number;
        if (newIdRate > 0 && rng() < newIdRate) {
          id = vocabulary + ((step * features.length + fi) * b * n + i);
          newIds++;
        } else id = zipf ? zipf.sample(rng) - 1 : Math.floor(rng() * vocabulary);
        let w = 1;
        if (weights) w = weights[i] = Math.round((0.25 + shapeRng() * 1.75) * 100) / 100;
        logits[r] += w * truePull(spec.seed, fi, id);
        ids[i] = f.stringIds ? `id_${id}` : id;
      }
    }
    out[f.name] = { ids, shape: [b, f.ragged ? longest : n], rowSplits: f.ragged ? rowSplits : null, weights, newIds };
  });
  const noise = mulberry32(hash2(hash2(spec.seed, step), 0));
  const scale = LABEL_GAIN / Math.sqrt(Math.max(1, n * features.length));
  const probabilities = Array.from(logits, (z) => 1 / (1 + Math.exp(-z * scale)));
  const labels = probabilities.map((p) => (noise() < p ? 1 : 0));
  return { step, features: out, labels, probabilities };
}

/** The step number of the held-out evaluation batch: one the trainer never reaches. */
export const EVALUATION_STEP = 0x7fffffff;
/** Examples in the held-out evaluation batch. */
export const EVALUATION_SIZE = 1024;

/**
 * The held-out evaluation batch: {@link EVALUATION_SIZE} examples from the same world (same ids'
 * distribution and hidden model, no brand-new ids), never trained on.
 *
 * @example
 * evaluationBatch(spec, features).labels.length; // 1024
 */
export function evaluationBatch(spec: GeneratorSpec, features: readonly GeneratorFeature[]): GeneratedBatch {
  return generateBatch({ ...spec, batchSize: EVALUATION_SIZE, newIdRate: 0 }, features, EVALUATION_STEP);
}

/** Mean binary log-loss (nats) of predicting probabilities `p` for labels `y`. */
export function logLoss(p: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    const q = Math.min(1 - 1e-7, Math.max(1e-7, p[i]));
    s -= y[i] ? Math.log(q) : Math.log(1 - q);
  }
  return y.length > 0 ? s / y.length : 0;
}

/** What a model's loss is measured against, on the held-out batch. */
export interface WorldReference {
  /** The constant-rate model's log-loss: the labels' entropy (nats). Learning means going below it. */
  baseline: number;
  /** The hidden model's own log-loss: the best any model can do on this batch (nats). */
  ceiling: number;
}

/**
 * The reference lines of the loss chart, measured on the held-out batch: the labels' entropy
 * (predicting the base rate for every example) and the ground truth's own log-loss.
 *
 * @example
 * const { baseline, ceiling } = worldReference(evaluationBatch(spec, features)); // ≈ 0.69, ≈ 0.35
 */
export function worldReference(batch: GeneratedBatch): WorldReference {
  const y = batch.labels;
  const rate = y.reduce((a, b) => a + b, 0) / Math.max(1, y.length);
  return { baseline: logLoss(new Array<number>(y.length).fill(rate), y), ceiling: logLoss(batch.probabilities, y) };
}
