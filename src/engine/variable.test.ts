import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, RuntimeError } from './errors.js';
import * as initializers from './initializers.js';
import { hashKeyString } from './table.js';
import { ids } from './tensor.js';
import { Variable } from './variable.js';
import { ready } from './wasm.js';

/** A canonical dump of a Variable's content, for "unchanged" assertions. */
function snapshot(v: Variable): string {
  const { keys, values, dim } = v.export();
  const rows = Array.from(keys as ArrayLike<number | bigint | string>, (k, i) => [
    String(k),
    Array.from(values.subarray(i * dim, (i + 1) * dim)).join(','),
  ]);
  rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return JSON.stringify(rows);
}

describe('Variable before ready()', () => {
  it('throws a RuntimeError that says to await de.ready()', () => {
    expect(() => new Variable({ name: 'v', dim: 2 })).toThrow(RuntimeError);
    expect(() => new Variable({ name: 'v', dim: 2 })).toThrow(/await de.ready\(\) before creating a Variable/);
  });
});

describe('Variable', () => {
  it('loads', async () => {
    await ready();
  });

  it('lookup never inserts; a missing key reads the initializer; returnExists says which were stored', () => {
    const v = new Variable({ name: 'user_emb', keyDtype: 'int64', dim: 2, initializer: 0.5 });
    v.upsert(
      [1, 2],
      [
        [1, 1],
        [2, 2],
      ],
    );
    const out = v.lookup([
      [2, 3],
      [1, 1],
    ]);
    expect(out.shape).toEqual([2, 2, 2]);
    expect(out.arraySync()).toEqual([
      [
        [2, 2],
        [0.5, 0.5],
      ],
      [
        [1, 1],
        [1, 1],
      ],
    ]);
    expect(v.size()).toBe(2);
    const r = v.lookup([3, 1], { returnExists: true });
    expect(r.exists).toEqual([false, true]);
    expect(v.size()).toBe(2);
  });

  it('insertOnLookup inserts the initializer value of missing keys', () => {
    const v = new Variable({ name: 'hkv', keyDtype: 'int32', dim: 3, initializer: [1, 2, 3], insertOnLookup: true });
    v.lookup([7, 7, 8]);
    expect(v.size()).toBe(2);
    expect(v.lookup([8]).arraySync()).toEqual([[1, 2, 3]]);
  });

  it('a keyed random initializer reads the same vector for the same missing key every time', () => {
    const v = new Variable({ name: 'r', dim: 4, initializer: initializers.randomNormal({ seed: 3, stddev: 1 }) });
    const a = v.lookup([42, 43]).arraySync() as number[][];
    const b = v.lookup([43, 42]).arraySync() as number[][];
    expect(b[1]).toEqual(a[0]);
    expect(b[0]).toEqual(a[1]);
    expect(a[0]).not.toEqual(a[1]);
    expect(v.size()).toBe(0);
  });

  it('keyed initializer statistics hold over 100k missing keys read through the Variable', () => {
    const v = new Variable({
      name: 'stat',
      dim: 2,
      initializer: initializers.randomNormal({ mean: 1, stddev: 0.5, seed: 8 }),
    });
    const n = 100_000;
    const keys = new BigInt64Array(n).map((_, i) => BigInt(i) * 1000003n);
    const { values, exists } = v.read(keys);
    expect(exists.every((e) => e === 0)).toBe(true);
    let s = 0;
    for (const x of values) s += x;
    const mean = s / values.length;
    let q = 0;
    for (const x of values) q += (x - mean) ** 2;
    expect(Math.abs(mean - 1)).toBeLessThan(0.005);
    expect(Math.abs(Math.sqrt(q / values.length) - 0.5)).toBeLessThan(0.005);
  });

  it('upsert accepts nested arrays, tensors and flat Float32Arrays; duplicates: last wins', () => {
    const v = new Variable({ name: 'u', keyDtype: 'string', dim: 2 });
    v.upsert(
      [['a', 'b']],
      [
        [
          [1, 2],
          [3, 4],
        ],
      ],
    );
    v.upsert(['c'], tf.tensor2d([[5, 6]]));
    v.upsert(ids(['a', 'a']), new Float32Array([7, 8, 9, 10]));
    expect(v.size()).toBe(3);
    expect(v.lookup(['a', 'b', 'c']).arraySync()).toEqual([
      [9, 10],
      [3, 4],
      [5, 6],
    ]);
  });

  it('upsert rejects a wrong value shape with "Expected shape", leaving the table unchanged', () => {
    const v = new Variable({ name: 'bad', dim: 2 });
    v.upsert([1], [[1, 1]]);
    const before = snapshot(v);
    expect(() => v.upsert([1, 2], [[0, 0]])).toThrow(
      /Expected shape \[2, 2\] \(ids shape \+ \[dim\]\), got length 1 at the top level/,
    );
    expect(() => v.upsert([1, 2], [[0, 0], [0]])).toThrow(/Expected shape \[2, 2\].*length 1 at \[1\]/);
    expect(() => v.upsert([1, 2], new Float32Array(3))).toThrow(/a Float32Array of length 3 \(expected length 4\)/);
    expect(() => v.upsert([1, 2], tf.zeros([2, 3]))).toThrow(/a tensor of shape \[2, 3\]/);
    expect(() =>
      v.upsert([1, 2], [
        [0, 0],
        [0, 'x'],
      ] as never),
    ).toThrow(/"x" at \[1\]\[1\] where a number belongs/);
    expect(() => v.upsert(['s'], [[0, 0]])).toThrow(
      /key dtype mismatch: the table holds int64 keys, but the ids are string/,
    );
    expect(() => v.upsert([1.5], [[0, 0]])).toThrow(/ids must be integers, got 1.5/);
    expect(() => v.upsert([], [])).toThrow(/the batch is empty/);
    expect(snapshot(v)).toBe(before);
  });

  it('remove ignores missing keys; clear empties; export returns keys, values and dim', () => {
    const v = new Variable({ name: 'rm', keyDtype: 'int32', dim: 1 });
    v.upsert([1, 2, 3], [[10], [20], [30]]);
    expect(v.remove([2, 404])).toBe(1);
    const e = v.export();
    expect(e.dim).toBe(1);
    const pairs = Array.from(e.keys as Int32Array, (k, i) => [k, e.values[i]]).sort((a, b) => a[0] - b[0]);
    expect(pairs).toEqual([
      [1, 10],
      [3, 30],
    ]);
    const before = snapshot(v);
    expect(() => v.remove([[1], [2, 3]])).toThrow(/ragged nested array/);
    expect(snapshot(v)).toBe(before);
    v.clear();
    expect(v.size()).toBe(0);
    expect(v.export().keys.length).toBe(0);
  });

  it('accum follows TFRA: delta where stored and exists, insert where absent and !exists, else nothing', () => {
    const v = new Variable({ name: 'acc', dim: 2 });
    v.upsert(
      [1, 2],
      [
        [1, 1],
        [2, 2],
      ],
    );
    v.accum(
      [1, 2, 3, 4],
      [
        [1, 1],
        [0, 0],
        [0, 0],
        [0, 0],
      ],
      [
        [4, 6],
        [9, 9],
        [7, 8],
        [5, 5],
      ],
      [true, false, false, true],
    );
    // 1: stored & exists -> += [3, 5]; 2: stored & !exists -> unchanged; 3: absent & !exists -> insert; 4: absent & exists -> nothing
    expect(v.lookup([1, 2, 3, 4]).arraySync()).toEqual([
      [4, 6],
      [2, 2],
      [7, 8],
      [0, 0],
    ]);
    expect(v.size()).toBe(3);
    const before = snapshot(v);
    expect(() =>
      v.accum(
        [1, 2],
        [
          [0, 0],
          [0, 0],
        ],
        [
          [1, 1],
          [1, 1],
        ],
        [true],
      ),
    ).toThrow(/exists must hold one boolean per id \(2\)/);
    expect(() => v.accum([1], [[0, 0]], [[1]], [true])).toThrow(/\(newValues\): Expected shape \[1, 2\]/);
    expect(snapshot(v)).toBe(before);
  });

  it('default partitioner: key mod N as a floor-mod (TFRA); shard sizes are observable', () => {
    const v = new Variable({ name: 'p', dim: 1, partitions: 3 });
    v.upsert([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -1], new Float32Array(11));
    // 0,3,6,9 -> 0; 1,4,7 -> 1; 2,5,8 and -1 (-1 mod 3 = 2) -> 2
    expect([v.size(0), v.size(1), v.size(2)]).toEqual([4, 3, 4]);
    expect(v.size()).toBe(11);
    expect(v.lookup([9, -1]).shape).toEqual([2, 1]);
    expect(() => v.size(3)).toThrow(/shard must be an integer in \[0, 3\), got 3/);
    expect(v.stats().size).toBe(11);
    expect(v.stats().loadFactor).toBeGreaterThan(0);
  });

  it("string keys are routed by the tables' string hash mod N", () => {
    const v = new Variable({ name: 'ps', keyDtype: 'string', dim: 2, partitions: 4 });
    const keys = Array.from({ length: 50 }, (_, i) => `user_${i}`);
    v.upsert(
      ids(keys),
      new Float32Array(100).map((_, i) => i),
    );
    const expected = [0, 0, 0, 0];
    for (const k of keys) expected[Number(hashKeyString(k) % 4n)]++;
    expect([0, 1, 2, 3].map((s) => v.size(s))).toEqual(expected);
    expect(v.lookup(['user_7']).arraySync()).toEqual([[14, 15]]);
  });

  it('a custom partitioner routes keys, and a bad one is rejected before any write', () => {
    const v = new Variable({ name: 'pc', dim: 1, partitions: 2, partitioner: (k) => (Number(k) < 100 ? 0 : 1) });
    v.upsert([1, 2, 500], [[1], [2], [3]]);
    expect([v.size(0), v.size(1)]).toEqual([2, 1]);
    expect(v.lookup([500, 2]).arraySync()).toEqual([[3], [2]]);
    const w = new Variable({ name: 'pbad', dim: 1, partitions: 2, partitioner: (k) => (k === 7n ? 5 : 0) });
    w.upsert([1], [[1]]);
    const before = snapshot(w);
    expect(() => w.upsert([2, 7], [[2], [7]])).toThrow(
      /partitioner must return an integer shard in \[0, 2\), got 5 for key 7n/,
    );
    expect(snapshot(w)).toBe(before);
  });

  it('validates its options and stores restrictPolicy', () => {
    expect(() => new Variable({ name: '', dim: 2 })).toThrow(/name must be a non-empty string/);
    expect(() => new Variable({ name: 'x', dim: 0 })).toThrow(/dim must be an integer >= 1, got 0/);
    expect(() => new Variable({ name: 'x', dim: 2, keyDtype: 'float32' as never })).toThrow(/keyDtype must be/);
    expect(() => new Variable({ name: 'x', dim: 2, partitions: 1.5 })).toThrow(
      /partitions must be an integer >= 1, got 1.5/,
    );
    expect(() => new Variable({ name: 'x', dim: 2, initializer: [1, 2, 3] })).toThrow(/length dim = 2, got length 3/);
    expect(() => new Variable({ name: 'x', dim: 2, restrictPolicy: 'lru' as never })).toThrow(
      /restrictPolicy must be a restrict policy class .* got "lru"/,
    );
    class FakePolicy {
      restrict(): number {
        return 0;
      }
    }
    const v = new Variable({ name: 'x', dim: 2, restrictPolicy: FakePolicy });
    expect(v.restrictPolicy).toBe(FakePolicy);
    const plain = new Variable({ name: 'y', dim: 2 });
    expect(plain.restrict(10)).toBe(0);
    expect(() => new Variable({ name: 'x', dim: 2, insertOnLookup: 1 as never })).toThrow(InvalidArgumentError);
  });
});
