// The live recommender demo's synthetic world, generated from a seed: users with a taste over a
// few genres, items with a genre and a Zipf popularity, new items appearing every step (the open
// vocabulary dynamic embeddings exist for), and clicks drawn from p(item | user, t) ∝
// popularity · exp(β · taste·genre) over the items that exist at step t. Pure and deterministic:
// the same (config, step) always gives the same clicks, so the demo is reproducible from its seed.
import { hash2, mulberry32 } from '../batch/generate.js';

export const GENRES = ['jazz', 'sci-fi', 'cooking', 'football', 'history', 'anime'] as const;

export interface WorldConfig {
  seed: number;
  users: number;
  /** Items that exist at step 0. */
  initialItems: number;
  /** New items per training step, until maxItems. */
  newItemsPerStep: number;
  maxItems: number;
  /** Zipf exponent of item popularity. */
  zipf: number;
  /** How strongly taste steers clicks (β). */
  tasteStrength: number;
  /** Clicks per training step. */
  batchSize: number;
}

export const DEFAULT_WORLD: WorldConfig = {
  seed: 42,
  users: 300,
  initialItems: 150,
  newItemsPerStep: 1,
  maxItems: 450,
  zipf: 0.8,
  tasteStrength: 7,
  batchSize: 128,
};

/** Item i's key in the engine: sparse 64-bit-style ids, not 0..n-1, as a real catalogue has. */
export function itemKey(i: number): number {
  return 100_000 + i * 7919;
}

export interface Click {
  user: number;
  item: number;
}

/** A world: users' tastes, items' genres and popularity, and the click distribution. */
export class World {
  readonly config: WorldConfig;
  /** tastes[u]: a distribution over GENRES. */
  readonly tastes: Float64Array[];
  /** genre[i] of every item that will ever exist. */
  readonly genre: Int32Array;
  /** popularity[i] ∝ 1 / rank^s, ranks a seeded permutation (so some new items are hits). */
  readonly popularity: Float64Array;

  constructor(config: WorldConfig) {
    if (config.initialItems < 1 || config.maxItems < config.initialItems || config.users < 1) {
      throw new Error(
        `World: need users >= 1 and 1 <= initialItems <= maxItems, got users ${config.users}, initialItems ${config.initialItems}, maxItems ${config.maxItems}.`,
      );
    }
    this.config = { ...config };
    const G = GENRES.length;
    const rng = mulberry32(hash2(config.seed, 1));
    this.tastes = Array.from({ length: config.users }, () => {
      // A main genre, a second one, and a little of everything.
      const t = new Float64Array(G).fill(0.05);
      const a = Math.floor(rng() * G);
      let b = Math.floor(rng() * (G - 1));
      if (b >= a) b++;
      const w = 0.55 + 0.35 * rng();
      t[a] += w;
      t[b] += 1 - w;
      const sum = t.reduce((x, y) => x + y, 0);
      return t.map((x) => x / sum);
    });
    const irng = mulberry32(hash2(config.seed, 2));
    this.genre = Int32Array.from({ length: config.maxItems }, () => Math.floor(irng() * G));
    const ranks = Array.from({ length: config.maxItems }, (_, i) => i + 1);
    for (let i = ranks.length - 1; i > 0; i--) {
      const j = Math.floor(irng() * (i + 1));
      [ranks[i], ranks[j]] = [ranks[j], ranks[i]];
    }
    this.popularity = Float64Array.from(ranks, (r) => 1 / r ** config.zipf);
  }

  /** Items that exist at step t: 0 .. itemsAt(t) - 1. */
  itemsAt(step: number): number {
    const { initialItems, newItemsPerStep, maxItems } = this.config;
    return Math.min(maxItems, initialItems + Math.floor(step * newItemsPerStep));
  }

  /** p(item | user) over the items that exist at `step` (unnormalised weights and their sum). */
  weights(user: number, step: number): { w: Float64Array; total: number } {
    const n = this.itemsAt(step);
    const t = this.tastes[user];
    const beta = this.config.tasteStrength;
    const w = new Float64Array(n);
    let total = 0;
    for (let i = 0; i < n; i++) {
      w[i] = this.popularity[i] * Math.exp(beta * t[this.genre[i]]);
      total += w[i];
    }
    return { w, total };
  }

  private draw(user: number, step: number, rng: () => number): number {
    const { w, total } = this.weights(user, step);
    let x = rng() * total;
    for (let i = 0; i < w.length; i++) {
      x -= w[i];
      if (x <= 0) return i;
    }
    return w.length - 1;
  }

  /** The training clicks of step `step` (random users, one click each). */
  clicks(step: number): Click[] {
    const rng = mulberry32(hash2(hash2(this.config.seed, 3), step));
    return Array.from({ length: this.config.batchSize }, () => {
      const user = Math.floor(rng() * this.config.users);
      return { user, item: this.draw(user, step, rng) };
    });
  }

  /** Held-out clicks at `step`: `count` users, one click each, from a stream training never sees. */
  heldOut(step: number, count: number): Click[] {
    const rng = mulberry32(hash2(hash2(this.config.seed, 4), step));
    return Array.from({ length: count }, (_, k) => {
      const user = k % this.config.users;
      return { user, item: this.draw(user, step, rng) };
    });
  }

  /** The user's truly most likely items at `step`, best first, with their probabilities. */
  trueTop(user: number, step: number, k: number): { item: number; p: number }[] {
    const { w, total } = this.weights(user, step);
    return topK(w, k).map((i) => ({ item: i, p: w[i] / total }));
  }
}

/** Indices of the k largest values, largest first (ties: lower index first). */
export function topK(values: ArrayLike<number>, k: number): number[] {
  const idx = Array.from({ length: values.length }, (_, i) => i);
  idx.sort((a, b) => values[b] - values[a] || a - b);
  return idx.slice(0, k);
}

/** Fraction of clicks whose item is in the top-k list ranked for its user. */
export function recallAtK(clicks: readonly Click[], rank: (user: number) => readonly number[], k = 10): number {
  if (clicks.length === 0) return 0;
  let hits = 0;
  for (const c of clicks) if (rank(c.user).slice(0, k).includes(c.item)) hits++;
  return hits / clicks.length;
}
