import { describe, expect, it } from 'vitest';
import { defaultWorkspace, type GeneratorSpec } from '../workspace/schema.js';
import { generateBatch, mulberry32, ZipfSampler } from './generate.js';

const spec = (over: Partial<GeneratorSpec> = {}): GeneratorSpec => ({ ...defaultWorkspace().generator, ...over });
const F = [{ name: 'user_id', stringIds: false }];

describe('generators', () => {
  it('are pure functions of (spec, step)', () => {
    const a = generateBatch(spec(), F, 5);
    const b = generateBatch(spec(), F, 5);
    expect(a).toEqual(b);
    expect(generateBatch(spec(), F, 6).features.user_id.ids).not.toEqual(a.features.user_id.ids);
    expect(generateBatch(spec({ seed: 43 }), F, 5).features.user_id.ids).not.toEqual(a.features.user_id.ids);
  });

  it('shape batches [batchSize, idsPerExample] with one 0/1 label per example', () => {
    const g = generateBatch(spec({ batchSize: 5, idsPerExample: 3 }), F, 0);
    expect(g.features.user_id.shape).toEqual([5, 3]);
    expect(g.features.user_id.ids).toHaveLength(15);
    expect(g.labels).toHaveLength(5);
    for (const l of g.labels) expect([0, 1]).toContain(l);
  });

  it('keeps uniform ids inside the vocabulary and spreads them evenly', () => {
    const counts = new Array(10).fill(0);
    for (let s = 0; s < 50; s++) {
      const g = generateBatch(spec({ distribution: 'uniform', vocabulary: 10, newIdRate: 0, batchSize: 100 }), F, s);
      for (const id of g.features.user_id.ids as number[]) counts[id]++;
    }
    const total = counts.reduce((a, b) => a + b, 0);
    expect(total).toBe(50 * 100 * 4);
    for (const c of counts) expect(Math.abs(c / total - 0.1)).toBeLessThan(0.01);
  });

  it('draws Zipf ranks with P(k) ∝ k^-s', () => {
    const z = new ZipfSampler(1000, 1.2);
    const rng = mulberry32(3);
    const counts = new Map<number, number>();
    const N = 200_000;
    for (let i = 0; i < N; i++) {
      const k = z.sample(rng);
      expect(k).toBeGreaterThanOrEqual(1);
      expect(k).toBeLessThanOrEqual(1000);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    // P(1)/P(2) = 2^1.2 ≈ 2.297; P(1)/P(4) = 4^1.2 ≈ 5.278.
    expect((counts.get(1) ?? 0) / (counts.get(2) ?? 1)).toBeCloseTo(2.297, 1);
    expect((counts.get(1) ?? 0) / (counts.get(4) ?? 1)).toBeCloseTo(5.278, 0);
  });

  it('makes the requested share of brand-new ids, never repeated across steps', () => {
    const s = spec({ newIdRate: 0.25, batchSize: 200, vocabulary: 100 });
    const seen = new Set<number>();
    let fresh = 0;
    for (let step = 0; step < 10; step++) {
      const g = generateBatch(s, F, step);
      for (const id of g.features.user_id.ids as number[]) {
        if (id >= 100) {
          expect(seen.has(id)).toBe(false);
          seen.add(id);
          fresh++;
        }
      }
      expect(g.features.user_id.newIds).toBe((g.features.user_id.ids as number[]).filter((x) => x >= 100).length);
    }
    expect(Math.abs(fresh / (10 * 800) - 0.25)).toBeLessThan(0.03);
  });

  it('labels follow the hidden model: not all one class, and string ids are prefixed', () => {
    const g = generateBatch(spec({ batchSize: 400 }), [{ name: 'q', stringIds: true }], 0);
    const ones = g.labels.filter((l) => l === 1).length;
    expect(ones).toBeGreaterThan(80);
    expect(ones).toBeLessThan(320);
    expect(String(g.features.q.ids[0])).toMatch(/^id_\d+$/);
  });
});
