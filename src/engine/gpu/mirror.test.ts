// The GPU mirror's logic on tfjs's cpu backend (Node has no WebGL; the same spec runs on WebGL
// in Chromium): same rows as Variable.lookup, incremental uploads, and the WASM fallback reason.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { backendInfo } from '../info.js';
import { randomNormal } from '../initializers.js';
import { embeddingLookup } from '../lookup.js';
import { Variable } from '../variable.js';
import { ready } from '../wasm.js';
import { chooseGather } from './auto.js';
import { GpuGather } from './mirror.js';

beforeAll(async () => {
  await ready();
  await tf.setBackend('cpu');
});

const ids = [
  [1, 2, 77],
  [40, 3, 1],
];

describe('GpuGather', () => {
  it('gives the same rows as the WASM path, with maxNorm, across shards and missing keys', () => {
    const v = new Variable({
      name: 'g',
      keyDtype: 'int64',
      dim: 3,
      partitions: 3,
      initializer: randomNormal({ seed: 3 }),
    });
    v.upsert(
      [1, 2, 3, 40],
      [
        [3, 4, 0],
        [1, 1, 1],
        [0, 0, 5],
        [0.1, 0.2, 0.3],
      ],
    );
    const g = new GpuGather(v);
    expect(g.uploadedRows).toBe(4);
    expect(g.lookup(ids).arraySync()).toEqual(v.lookup(ids).arraySync());
    const clipped = g.lookup(ids, { maxNorm: 2 }).arraySync() as number[][][];
    const want = embeddingLookup(v, ids, { maxNorm: 2 }).arraySync() as number[][][];
    clipped.flat(2).forEach((x, i) => expect(x).toBeCloseTo(want.flat(2)[i], 6));
    expect(clipped[0][0]).toEqual([expect.closeTo(1.2, 6), expect.closeTo(1.6, 6), 0]);
  });

  it('writes only touched rows after upsert, and after sync of rows trained elsewhere', () => {
    const v = new Variable({ name: 'h', keyDtype: 'int32', dim: 2 });
    v.upsert(
      Array.from({ length: 100 }, (_, i) => i),
      Array.from({ length: 100 }, (_, i) => [i, -i]),
    );
    const g = new GpuGather(v);
    expect(g.uploadedRows).toBe(100);
    g.upsert(
      [5, 500],
      [
        [9, 9],
        [8, 8],
      ],
    );
    expect(g.uploadedRows).toBe(102);
    v.upsert([7], [[1, 2]]); // a write that bypassed the mirror ...
    expect(g.lookup([7]).arraySync()).toEqual([[7, -7]]); // ... is not seen until sync
    g.sync([7]);
    expect(g.uploadedRows).toBe(103);
    expect(g.lookup([5, 500, 7, 1]).arraySync()).toEqual([
      [9, 9],
      [8, 8],
      [1, 2],
      [1, -1],
    ]);
    expect(g.remove([5])).toBe(1);
    expect(g.lookup([5]).arraySync()).toEqual([[0, 0]]);
  });

  it('refuses rows the mirror does not hold instead of reading zeros', () => {
    const v = new Variable({ name: 'k', keyDtype: 'int32', dim: 1 });
    const g = new GpuGather(v);
    v.upsert([1], [[3]]);
    expect(() => g.lookup([1])).toThrow('is not in the GPU mirror (0 rows); a write bypassed the mirror');
  });
});

describe("gather: 'auto'", () => {
  it('falls back to WASM where there is no WebGL, and says why in backendInfo()', async () => {
    const c = await chooseGather('auto');
    expect(c.gather).toBe('wasm');
    expect(backendInfo().gather).toBe('wasm');
    expect(backendInfo().gatherReason).toMatch(/^WebGL missing: the tfjs backend is 'cpu'/);
    await expect(chooseGather('webgl')).rejects.toThrow("chooseGather('webgl'): WebGL missing");
  });
});
