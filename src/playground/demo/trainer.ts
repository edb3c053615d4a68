// The recommender demo's model and training loop, over the engine only (no DOM), so it runs in
// the demo's Web Worker and in Node tests alike. A matrix-factorisation / two-tower model with
// dynamic tables: user vectors, item vectors and item biases are de.Variables keyed by sparse ids,
// trained with de.train.step on an in-batch softmax with logQ correction (each click against the
// other clicks of the batch); the item tables carry a TimestampRestrictPolicy and are restricted to a
// chosen size after every step, so items nobody clicks lately are evicted.
import * as tf from '@tensorflow/tfjs';
import * as de from '../../engine/index.js';
import { hash2 } from '../batch/generate.js';
import type { Metrics, Recommendation, TrainerConfig } from './config.js';
import { type Click, GENRES, itemKey, recallAtK, topK, World } from './world.js';

/**
 * A live-trained recommender over a synthetic world. Call `await de.ready()` first.
 *
 * @example
 * const t = new RecommenderTrainer(DEFAULT_TRAINER);
 * t.train(50); t.evaluate().recall; // well above t.evaluate().popularityRecall
 */
export class RecommenderTrainer {
  readonly config: TrainerConfig;
  readonly world: World;
  private readonly users: de.Variable;
  private readonly items: de.Variable;
  private readonly bias: de.Variable;
  private readonly opt: de.optimizers.Optimizer;
  private steps = 0;
  private evicted = 0;
  private readonly clickCounts: Float64Array;
  private lastLoss = Number.NaN;
  private totalClicks = 0;
  private static instances = 0;

  constructor(config: TrainerConfig) {
    this.config = { ...config, world: { ...config.world } };
    this.world = new World(this.config.world);
    const id = RecommenderTrainer.instances++;
    const seed = this.config.world.seed;
    this.users = new de.Variable({
      name: `demo_user_emb_${id}`,
      dim: config.dim,
      initializer: de.initializers.randomNormal({ mean: 0, stddev: 0.1, seed: hash2(seed, 10) }),
    });
    this.items = new de.Variable({
      name: `demo_item_emb_${id}`,
      dim: config.dim,
      initializer: de.initializers.randomNormal({ mean: 0, stddev: 0.1, seed: hash2(seed, 11) }),
      restrictPolicy: de.TimestampRestrictPolicy,
    });
    this.bias = new de.Variable({
      name: `demo_item_bias_${id}`,
      dim: 1,
      initializer: 0,
      restrictPolicy: de.TimestampRestrictPolicy,
    });
    this.opt = new de.optimizers.Adam({ learningRate: config.learningRate });
    this.clickCounts = new Float64Array(this.config.world.maxItems);
  }

  get step(): number {
    return this.steps;
  }

  /** Runs `n` training steps; returns the loss of each. */
  train(n: number): number[] {
    const losses: number[] = [];
    for (let s = 0; s < n; s++) losses.push(this.trainStep());
    return losses;
  }

  private trainStep(): number {
    const t = this.steps;
    const clicks = this.world.clicks(t);
    const userIds = clicks.map((c) => c.user);
    const itemIds = clicks.map((c) => itemKey(c.item));
    for (const c of clicks) this.clickCounts[c.item]++;
    this.totalClicks += clicks.length;
    // logQ correction: in-batch negatives are sampled by popularity, so subtract log q(item).
    const logQ = clicks.map((c) => Math.log(this.clickCounts[c.item] / this.totalClicks));
    const loss = de.train.step(this.opt, () =>
      tf.tidy(() => {
        // One id per example: three Embedding features (de.featureLookup, taped by the step).
        const u = de.featureLookup(this.users, { name: 'user' }, { ids: userIds }).output as tf.Tensor2D; // [B, d]
        const v = de.featureLookup(this.items, { name: 'item' }, { ids: itemIds }).output as tf.Tensor2D; // [B, d]
        const b = tf.reshape(de.featureLookup(this.bias, { name: 'item_bias' }, { ids: itemIds }).output, [1, -1]); // [1, B]
        const logits = tf.sub(tf.add(tf.matMul(u, v, false, true), b), tf.tensor2d(logQ, [1, logQ.length]));
        const labels = tf.oneHot(tf.range(0, clicks.length, 1, 'int32'), clicks.length);
        return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
      }),
    );
    this.evicted += this.items.restrict(this.config.itemTableLimit);
    this.bias.restrict(this.config.itemTableLimit);
    this.steps++;
    this.lastLoss = loss;
    return loss;
  }

  /** Scores of every item in the catalogue at the current step for each user: [users, items]. */
  private scores(users: readonly number[]): { scores: Float32Array; n: number } {
    const n = this.world.itemsAt(this.steps);
    const keys = Array.from({ length: n }, (_, i) => itemKey(i));
    const scores = tf.tidy(() => {
      const u = this.users.lookup(users) as tf.Tensor2D;
      const v = this.items.lookup(keys) as tf.Tensor2D;
      const b = tf.reshape(this.bias.lookup(keys) as tf.Tensor, [1, n]);
      return tf.add(tf.matMul(u, v, false, true), b);
    });
    const data = scores.dataSync() as Float32Array;
    scores.dispose();
    return { scores: Float32Array.from(data), n };
  }

  /** recall@10 on held-out clicks at the current step: model, popularity baseline, true distribution. */
  evaluate(): Metrics {
    const t = this.steps;
    const held = this.world.heldOut(t, this.config.evalClicks);
    const users = [...new Set(held.map((c) => c.user))];
    const { scores, n } = this.scores(users);
    const row = new Map(users.map((u, k) => [u, k]));
    const modelTop = new Map<number, number[]>();
    for (const u of users) {
      const k = row.get(u) ?? 0;
      modelTop.set(u, topK(scores.subarray(k * n, (k + 1) * n), 10));
    }
    const popTop = topK(this.clickCounts.subarray(0, n), 10);
    const oracle = new Map<number, number[]>();
    for (const u of users)
      oracle.set(
        u,
        this.world.trueTop(u, t, 10).map((x) => x.item),
      );
    const pick = (m: Map<number, number[]>) => (u: number) => m.get(u) ?? [];
    return {
      step: t,
      loss: this.lastLoss,
      recall: recallAtK(held, pick(modelTop)),
      popularityRecall: recallAtK(held, () => popTop),
      oracleRecall: recallAtK(held, pick(oracle)),
      userTableSize: this.users.size(),
      itemTableSize: this.items.size(),
      evictions: this.evicted,
      catalogue: n,
    };
  }

  /** The model's top-k items for `user`, beside the user's true tastes and truly likeliest items. */
  recommend(user: number, k = 10): Recommendation {
    if (!Number.isInteger(user) || user < 0 || user >= this.config.world.users) {
      throw new Error(`recommend: user must be an integer in [0, ${this.config.world.users}), got ${user}.`);
    }
    const t = this.steps;
    const { scores, n } = this.scores([user]);
    const { w, total } = this.world.weights(user, t);
    const present = this.items.lookup(
      Array.from({ length: n }, (_, i) => itemKey(i)),
      { returnExists: true },
    ) as { values: tf.Tensor; exists: boolean[] };
    present.values.dispose();
    return {
      user,
      step: t,
      taste: GENRES.map((g, i) => ({ genre: g, weight: this.world.tastes[user][i] })).sort(
        (a, b) => b.weight - a.weight,
      ),
      items: topK(scores, k).map((i) => ({
        item: i,
        key: itemKey(i),
        genre: GENRES[this.world.genre[i]],
        score: scores[i],
        trueProbability: w[i] / total,
        inTable: present.exists[i],
      })),
      trueTop: this.world.trueTop(user, t, k).map((x) => ({
        item: x.item,
        genre: GENRES[this.world.genre[x.item]],
        probability: x.p,
      })),
    };
  }

  dispose(): void {
    this.users.clear();
    this.items.clear();
    this.bias.clear();
  }
}

export type { Click };
