import { describe, expect, it } from 'vitest';
import * as init from './initializers.js';
import { fnv1a64, keyWords } from './keyhash.js';

function stats(a: Float32Array): { mean: number; std: number; min: number; max: number } {
  let s = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const x of a) {
    s += x;
    min = Math.min(min, x);
    max = Math.max(max, x);
  }
  const mean = s / a.length;
  let v = 0;
  for (const x of a) v += (x - mean) ** 2;
  return { mean, std: Math.sqrt(v / a.length), min, max };
}

const N = 100_000;
const keys = new BigInt64Array(N).map((_, i) => BigInt(i) * 7919n - 3n);

describe('keyhash', () => {
  it('FNV-1a 64 matches a BigInt reference', () => {
    for (const s of ['', 'a', 'user_42', 'ünïcode ✓']) {
      let h = 0xcbf29ce484222325n;
      for (const b of new TextEncoder().encode(s)) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
      const [lo, hi] = fnv1a64(s);
      expect((BigInt(hi) << 32n) | BigInt(lo)).toBe(h);
    }
    expect(fnv1a64('a')).toEqual([Number(0xaf63dc4c8601ec8cn & 0xffffffffn), 0xaf63dc4c]);
  });
  it('int32 and int64 keys of equal value give equal words', () => {
    const a = new Uint32Array(4);
    const b = new Uint32Array(4);
    keyWords(new Int32Array([-1, 5]), a);
    keyWords(new BigInt64Array([-1n, 5n]), b);
    expect(Array.from(a)).toEqual([0xffffffff, 0xffffffff, 5, 0]);
    expect(Array.from(b)).toEqual(Array.from(a));
  });
});

describe('keyed initializers', () => {
  it('the same key always reads the same vector; distinct keys differ', () => {
    const r = init.randomNormal({ seed: 5 });
    const a = new Float32Array(8);
    const b = new Float32Array(8);
    r.fill(new BigInt64Array([42n]), 4, a.subarray(0, 4));
    r.fill(new BigInt64Array([7n, 42n]), 4, b);
    expect(Array.from(b.subarray(4, 8))).toEqual(Array.from(a.subarray(0, 4)));
    expect(Array.from(b.subarray(0, 4))).not.toEqual(Array.from(a.subarray(0, 4)));
    // int32 and int64 spellings of one key agree; another seed differs
    const c = new Float32Array(4);
    r.fill(new Int32Array([42]), 4, c);
    expect(Array.from(c)).toEqual(Array.from(a.subarray(0, 4)));
    init.randomNormal({ seed: 6 }).fill(new Int32Array([42]), 4, c);
    expect(Array.from(c)).not.toEqual(Array.from(a.subarray(0, 4)));
  });

  it('randomNormal has mean 0 and stddev 0.05 by default over 100k keys', () => {
    const out = new Float32Array(N * 2);
    init.randomNormal({ seed: 1 }).fill(keys, 2, out);
    const s = stats(out);
    expect(Math.abs(s.mean)).toBeLessThan(0.0005);
    expect(s.std).toBeGreaterThan(0.0495);
    expect(s.std).toBeLessThan(0.0505);
    // components of one key are independent: correlation of column 0 and 1 is ~0
    let cov = 0;
    for (let i = 0; i < N; i++) cov += out[2 * i] * out[2 * i + 1];
    expect(Math.abs(cov / N / 0.05 ** 2)).toBeLessThan(0.015);
  });

  it('randomNormal with mean 3, stddev 2 over 100k string keys', () => {
    const sk = Array.from({ length: N }, (_, i) => `item-${i}`);
    const out = new Float32Array(N);
    init.randomNormal({ mean: 3, stddev: 2, seed: 9 }).fill(sk, 1, out);
    const s = stats(out);
    expect(Math.abs(s.mean - 3)).toBeLessThan(0.02);
    expect(Math.abs(s.std - 2)).toBeLessThan(0.02);
  });

  it('randomUniform stays in [minval, maxval) with the uniform mean and stddev', () => {
    const out = new Float32Array(N);
    init.randomUniform({ minval: -1, maxval: 3, seed: 2 }).fill(keys, 1, out);
    const s = stats(out);
    expect(s.min).toBeGreaterThanOrEqual(-1);
    expect(s.max).toBeLessThan(3);
    expect(Math.abs(s.mean - 1)).toBeLessThan(0.02);
    expect(Math.abs(s.std - 4 / Math.sqrt(12))).toBeLessThan(0.01);
  });

  it('truncatedNormal stays within 2 stddev, with stddev 0.8796·σ', () => {
    const out = new Float32Array(N);
    init.truncatedNormal({ stddev: 1, seed: 3 }).fill(keys, 1, out);
    const s = stats(out);
    expect(s.min).toBeGreaterThanOrEqual(-2);
    expect(s.max).toBeLessThanOrEqual(2);
    expect(Math.abs(s.mean)).toBeLessThan(0.01);
    expect(Math.abs(s.std - 0.8796)).toBeLessThan(0.006);
  });

  it('glorotUniform uses fans (dim, dim) for dynamic tables and (vocab, n) when given', () => {
    const out = new Float32Array(N * 6);
    const g = init.glorotUniform({ seed: 4 });
    g.fill(keys, 6, out);
    const limit = Math.sqrt(6 / 12);
    const s = stats(out);
    expect(s.max).toBeLessThanOrEqual(limit);
    expect(s.min).toBeGreaterThanOrEqual(-limit);
    expect(Math.abs(s.std - limit / Math.sqrt(3))).toBeLessThan(0.003);
    const fixed = new Float32Array(1000 * 4);
    g.fill(
      new Int32Array(1000).map((_, i) => i),
      4,
      fixed,
      { fanIn: 1000, fanOut: 4 },
    );
    expect(stats(fixed).max).toBeLessThanOrEqual(Math.sqrt(6 / 1004));
    expect(stats(fixed).max).toBeGreaterThan(0.9 * Math.sqrt(6 / 1004));
  });

  it('zeros, constant, config round trip and errors', () => {
    const out = new Float32Array(6).fill(9);
    init.zeros().fill(new Int32Array([1, 2]), 3, out);
    expect(Array.from(out)).toEqual([0, 0, 0, 0, 0, 0]);
    init.constant([1, 2, 3]).fill(new Int32Array([1, 2]), 3, out);
    expect(Array.from(out)).toEqual([1, 2, 3, 1, 2, 3]);
    expect(() => init.resolveInitializer([1, 2], 3, 'Variable', init.zeros)).toThrow(/length dim = 3, got length 2/);
    expect(() => init.resolveInitializer('x' as never, 3, 'Variable', init.zeros)).toThrow(/initializer must be/);
    const r = init.truncatedNormal({ mean: 1, stddev: 2, seed: 11 });
    const again = init.fromConfig(JSON.parse(JSON.stringify(r.getConfig())));
    const a = new Float32Array(4);
    const b = new Float32Array(4);
    r.fill(['k'], 4, a);
    again.fill(['k'], 4, b);
    expect(Array.from(b)).toEqual(Array.from(a));
    // an unseeded initializer draws its seed once: stable per instance, recorded in its config
    const u = init.randomNormal();
    const u2 = init.fromConfig(u.getConfig());
    u.fill(['k'], 4, a);
    u2.fill(['k'], 4, b);
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(() => init.randomUniform({ minval: 1, maxval: 0 })).toThrow(
      /expected minval <= maxval, got minval 1 and maxval 0/,
    );
    expect(() => init.randomNormal({ seed: 1.5 })).toThrow(/seed must be an integer, got 1.5/);
  });
});
