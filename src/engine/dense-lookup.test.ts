// The fused lookup outside training (dense-lookup.ts) must return exactly what the tape's
// read path (readUnique + denseFromRows) returns: the same bits, for every key dtype,
// partitioning, maxNorm, missing keys, insertOnLookup and exists.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { randomNormal } from './initializers.js';
import { Embedding } from './layers/embedding.js';
import { embeddingLookup } from './lookup.js';
import { setReadTape } from './read.js';
import { ids as idsOf, type KeyDtype } from './tensor.js';
import { Variable, type VariableOptions } from './variable.js';
import { ready } from './wasm.js';

beforeAll(async () => {
  await ready();
  await tf.setBackend('cpu');
});

/** Runs `f` with a tape that records nothing: the lookups take the tape's read path. */
function onSlowPath<T>(f: () => T): T {
  const prev = setReadTape({ onRead: () => undefined });
  try {
    return f();
  } finally {
    setReadTape(prev);
  }
}

/** The float32 bits of a tensor, so -0 / NaN / last-ulp differences all count. */
function bits(t: tf.Tensor): number[] {
  return Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));
}

function keysFor(dtype: KeyDtype, ranks: number[], shape = [ranks.length]) {
  if (dtype === 'string')
    return idsOf(
      ranks.map((r) => `id-${r}`),
      shape,
    );
  if (dtype === 'int64')
    return idsOf(
      BigInt64Array.from(ranks, (r) => BigInt(r) * 0x9e3779b97n - 5n),
      shape,
    );
  return idsOf(
    Int32Array.from(ranks, (r) => r * 7919 - 100),
    shape,
  );
}

/** A Variable with `stored` of ranks 0..count-1 stored (values spread so maxNorm clips some). */
function filled(opts: Partial<VariableOptions> & { keyDtype: KeyDtype }, count: number, dim: number): Variable {
  const v = new Variable({ name: 'fast', dim, initializer: randomNormal({ stddev: 2, seed: 11 }), ...opts });
  const ranks = Array.from({ length: count }, (_, i) => i);
  const values = new Float32Array(count * dim);
  for (let i = 0; i < values.length; i++) values[i] = Math.sin(i * 1.7) * (1 + (i % 5));
  v.upsert(keysFor(opts.keyDtype, ranks), values);
  return v;
}

/** Ids of shape [rows, cols]: stored ranks with repeats, and ranks past `count` (missing, repeated too). */
function batchRanks(count: number, rows: number, cols: number, seed: number): number[] {
  let s = seed;
  const out: number[] = [];
  for (let i = 0; i < rows * cols; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out.push(s % (count + count / 4));
  }
  return out;
}

const DTYPES: KeyDtype[] = ['int32', 'int64', 'string'];

describe('the fused lookup outside training', () => {
  for (const keyDtype of DTYPES) {
    for (const partitions of [1, 4]) {
      it(`equals the tape's read path bit for bit: ${keyDtype} keys, ${partitions} partition(s), maxNorm, missing keys, exists`, () => {
        const dim = 5;
        const v = filled({ keyDtype, partitions }, 200, dim);
        const ranks = batchRanks(200, 30, 7, 3 + partitions);
        const idsLike = keysFor(keyDtype, ranks, [30, 7]);
        for (const maxNorm of [undefined, 1.5]) {
          const fast = embeddingLookup(v, idsLike, { maxNorm });
          const slow = onSlowPath(() => embeddingLookup(v, idsLike, { maxNorm }));
          expect(fast.shape).toEqual(slow.shape);
          expect(bits(fast)).toEqual(bits(slow));
        }
        const fastEx = v.lookup(idsLike, { returnExists: true });
        const slowEx = onSlowPath(() => v.lookup(idsLike, { returnExists: true }));
        expect(bits(fastEx.values)).toEqual(bits(slowEx.values));
        expect(fastEx.exists).toEqual(slowEx.exists);
        expect(fastEx.exists.filter((e) => !e).length).toBeGreaterThan(10);
        expect(v.size()).toBe(200);
      });
    }
  }

  it('clips exactly as the tfjs ops do, on rows large and tiny (maxNorm 1e-3 and 0.7)', () => {
    const v = new Variable({ name: 'clip', keyDtype: 'int32', dim: 3 });
    v.upsert(
      [1, 2, 3, 4],
      [
        [3, 4, 12],
        [1e-20, 0, 0],
        [0, 0, 0],
        [0.1, -0.2, 0.3],
      ],
    );
    for (const maxNorm of [1e-3, 0.7]) {
      const fast = embeddingLookup(v, [1, 2, 3, 4, 1], { maxNorm });
      const slow = onSlowPath(() => embeddingLookup(v, [1, 2, 3, 4, 1], { maxNorm }));
      expect(bits(fast)).toEqual(bits(slow));
    }
    const r = embeddingLookup(v, [1], { maxNorm: 0.7 }).dataSync();
    expect(Math.hypot(r[0], r[1], r[2])).toBeCloseTo(0.7, 6);
  });

  it('a custom partitioner routes the same way (and its errors still surface)', () => {
    const partitioner = (k: number | bigint, n: number) => ((Number(k) % n) + n) % n;
    const v = filled({ keyDtype: 'int32', partitions: 3, partitioner: (k, n) => partitioner(k as number, n) }, 50, 4);
    const x = keysFor('int32', batchRanks(50, 1, 80, 9));
    expect(bits(v.lookup(x) as tf.Tensor)).toEqual(bits(onSlowPath(() => v.lookup(x) as tf.Tensor)));
    const bad = new Variable({ name: 'bad', keyDtype: 'int32', dim: 2, partitions: 2, partitioner: () => 7 });
    expect(() => bad.lookup([1])).toThrow(/partitioner must return an integer shard in \[0, 2\), got 7/);
  });

  it('insertOnLookup inserts the missing keys once, in the order the read path does', () => {
    for (const partitions of [1, 3]) {
      const opts = { keyDtype: 'int64' as const, partitions, insertOnLookup: true };
      const a = filled(opts, 20, 3);
      const b = filled(opts, 20, 3);
      const ids = keysFor('int64', [25, 3, 25, 40, 1, 40, 33]);
      const fast = a.lookup(ids);
      const slow = onSlowPath(() => b.lookup(ids));
      expect(bits(fast as tf.Tensor)).toEqual(bits(slow as tf.Tensor));
      expect(a.size()).toBe(23);
      const ea = a.export();
      const eb = b.export();
      expect(Array.from(ea.keys as BigInt64Array)).toEqual(Array.from(eb.keys as BigInt64Array));
      expect(Array.from(ea.values)).toEqual(Array.from(eb.values));
      // a second lookup now finds them, with the values inserted
      expect(bits(a.lookup(ids) as tf.Tensor)).toEqual(bits(fast as tf.Tensor));
    }
  });

  it('large batches on a large table (the ordered probe) and the Embedding layer agree with the read path', () => {
    const layer = new Embedding({ embeddingSize: 4, keyDtype: 'int64', initCapacity: 300_000, maxNorm: 2 });
    const stored = BigInt64Array.from({ length: 3000 }, (_, i) => BigInt(i) * 977n);
    const vals = new Float32Array(3000 * 4);
    for (let i = 0; i < vals.length; i++) vals[i] = Math.cos(i) * 3;
    layer.params.upsert(idsOf(stored), vals);
    const ids = idsOf(BigInt64Array.from({ length: 9000 }, (_, i) => BigInt((i * 7) % 3500) * 977n));
    const fast = layer.call(ids);
    const slow = onSlowPath(() => layer.call(ids));
    expect(fast.shape).toEqual([9000, 4]);
    expect(bits(fast)).toEqual(bits(slow));
  });
});
