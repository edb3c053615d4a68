import { describe, expect, it } from 'vitest';
import * as de from '../../engine/index.js';
import { DEFAULT_TRAINER } from './config.js';
import { RecommenderTrainer } from './trainer.js';
import { DEFAULT_WORLD, GENRES, recallAtK, topK, World } from './world.js';

describe('World', () => {
  it('is reproducible from its seed, and differs across seeds', () => {
    const a = new World(DEFAULT_WORLD);
    const b = new World(DEFAULT_WORLD);
    const c = new World({ ...DEFAULT_WORLD, seed: 43 });
    expect(a.clicks(7)).toEqual(b.clicks(7));
    expect(a.clicks(7)).not.toEqual(c.clicks(7));
    expect(a.heldOut(7, 50)).not.toEqual(a.clicks(7).slice(0, 50));
  });

  it('grows its catalogue by newItemsPerStep up to maxItems; clicks only name items that exist', () => {
    const w = new World(DEFAULT_WORLD);
    expect(w.itemsAt(0)).toBe(150);
    expect(w.itemsAt(10)).toBe(160);
    expect(w.itemsAt(10_000)).toBe(450);
    for (const c of w.clicks(10)) expect(c.item).toBeLessThan(160);
  });

  it('tastes are distributions over the genres, and clicks follow them', () => {
    const w = new World(DEFAULT_WORLD);
    for (const t of w.tastes) expect(t.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 9);
    // Over many clicks, a user's clicks land in their main genre far more than 1/6 of the time.
    let inMain = 0;
    let total = 0;
    for (let s = 0; s < 40; s++) {
      for (const c of w.clicks(s)) {
        const main = topK(w.tastes[c.user], 1)[0];
        if (w.genre[c.item] === main) inMain++;
        total++;
      }
    }
    expect(inMain / total).toBeGreaterThan(2 / GENRES.length);
  });

  it('popularity is Zipf: the most popular item weighs 1, the n-th 1/n^s', () => {
    const w = new World(DEFAULT_WORLD);
    const sorted = [...w.popularity].sort((x, y) => y - x);
    expect(sorted[0]).toBe(1);
    expect(sorted[9]).toBeCloseTo(1 / 10 ** DEFAULT_WORLD.zipf, 12);
  });

  it('recallAtK counts hits in the top k', () => {
    const clicks = [
      { user: 0, item: 3 },
      { user: 1, item: 9 },
    ];
    expect(recallAtK(clicks, () => [3, 4], 10)).toBe(0.5);
    expect(recallAtK(clicks, (u) => (u === 0 ? [1, 3] : [9]), 1)).toBe(0.5);
    expect(topK([0.1, 0.5, 0.3], 2)).toEqual([1, 2]);
  });
});

describe('RecommenderTrainer', () => {
  it('learns: recall@10 on held-out clicks rises well above the popularity baseline within 100 steps (seed 42)', async () => {
    await de.ready();
    const t = new RecommenderTrainer(DEFAULT_TRAINER);
    const before = t.evaluate();
    expect(before.recall).toBeLessThan(0.15);
    t.train(100);
    const m = t.evaluate();
    expect(m.recall).toBeGreaterThan(m.popularityRecall + 0.08);
    expect(m.recall).toBeLessThanOrEqual(m.oracleRecall + 0.05);
    expect(m.userTableSize).toBe(DEFAULT_WORLD.users);
    // The item table never holds more than its limit after a restrict.
    t.train(60);
    const later = t.evaluate();
    expect(later.itemTableSize).toBeLessThanOrEqual(DEFAULT_TRAINER.itemTableLimit);
    expect(later.evictions).toBeGreaterThan(0);
    const rec = t.recommend(3);
    expect(rec.items).toHaveLength(10);
    expect(rec.taste[0].weight).toBeGreaterThan(rec.taste[5].weight);
    expect(rec.items[0].score).toBeGreaterThanOrEqual(rec.items[9].score);
    t.dispose();
  });
});
