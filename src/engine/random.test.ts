import { describe, expect, it } from 'vitest';
import { mulberry32 } from './random.js';
import { pickKeys } from './table-keys.js';

describe('mulberry32', () => {
  it('draws the same floats in [0, 1) from the same seed, different ones from another', () => {
    const a = mulberry32(7);
    const b = mulberry32(7);
    const first = [a(), a(), a()];
    expect(first[0]).toBe(0.011704753153026104);
    expect([b(), b(), b()]).toEqual(first);
    const c = mulberry32(8);
    expect(c()).not.toBe(first[0]);
    const r = mulberry32(1);
    let lo = 1;
    let hi = 0;
    let sum = 0;
    for (let i = 0; i < 10_000; i++) {
      const x = r();
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
      sum += x;
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(1);
    expect(sum / 10_000).toBeCloseTo(0.5, 1);
  });
});

describe('pickKeys', () => {
  it('picks keys by position into a new array of the same kind', () => {
    const i32 = pickKeys(Int32Array.of(10, 20, 30), [2, 0, 2]);
    expect(i32).toBeInstanceOf(Int32Array);
    expect(Array.from(i32 as Int32Array)).toEqual([30, 10, 30]);
    const i64 = pickKeys(BigInt64Array.of(-(2n ** 63n), 5n), Int32Array.of(1, 0));
    expect(i64).toBeInstanceOf(BigInt64Array);
    expect(Array.from(i64 as BigInt64Array)).toEqual([5n, -(2n ** 63n)]);
    expect(pickKeys(['a', 'b', 'c'], [1])).toEqual(['b']);
    expect(Array.from(pickKeys(Int32Array.of(1, 2), []) as Int32Array)).toEqual([]);
  });
});
