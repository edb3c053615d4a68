// The same Variable spec run in-process and on the pool: identical lookups, sizes and exports.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomNormal } from '../initializers.js';
import { embeddingLookup } from '../lookup.js';
import { Adam } from '../train/optimizers/adam.js';
import { SGD } from '../train/optimizers/sgd.js';
import { FrequencyRestrictPolicy } from '../train/restrict.js';
import { step } from '../train/step.js';
import type { IdsLike } from '../tensor.js';
import { Variable, type VariableOptions } from '../variable.js';
import { ready } from '../wasm.js';
import { WorkerPool } from './pool.js';
import { placeVariable } from './variable.js';

interface Face {
  lookup(ids: IdsLike, o: { returnExists: true }): Promise<{ values: tf.Tensor; exists: boolean[] }>;
  upsert(ids: IdsLike, v: number[][] | number[][][]): Promise<void>;
  remove(ids: IdsLike): Promise<number>;
  size(shard?: number): Promise<number>;
}

function local(options: VariableOptions): Face {
  const v = new Variable(options);
  return {
    lookup: async (ids, o) => v.lookup(ids, o),
    upsert: async (ids, vals) => v.upsert(ids, vals),
    remove: async (ids) => v.remove(ids),
    size: async (s) => v.size(s),
  };
}

let pool: WorkerPool;
let serialIds = 100;
beforeAll(async () => {
  await ready();
  tf.setBackend('cpu');
  pool = await WorkerPool.create({ size: 2 });
});
afterAll(async () => {
  await pool.terminate();
});

const options: VariableOptions = {
  name: 'emb',
  keyDtype: 'int64',
  dim: 3,
  partitions: 3,
  initializer: randomNormal({ seed: 5, stddev: 1 }),
};

async function spec(v: Face) {
  const out: unknown[] = [];
  await v.upsert(
    [1, 2, 3, 10, 11],
    [
      [1, 1, 1],
      [2, 2, 2],
      [3, 3, 3],
      [4, 4, 4],
      [5, 5, 5],
    ],
  );
  await v.upsert(
    [[2, 12]],
    [
      [
        [7, 7, 7],
        [8, 8, 8],
      ],
    ],
  );
  out.push(await v.remove([3, 99]));
  const r = await v.lookup(
    [
      [1, 2, 3],
      [12, 44, 10],
    ],
    { returnExists: true },
  );
  out.push(r.values.shape, r.values.arraySync(), r.exists);
  out.push(await v.size(), await v.size(0), await v.size(1), await v.size(2));
  return out;
}

describe("Variable with placement: 'workers'", () => {
  it('gives the same results as in-process (3 partitions on 2 workers)', async () => {
    const want = await spec(local(options));
    const pv = await placeVariable(pool, { ...options, placement: 'workers' });
    const got = await spec(pv);
    expect(got).toEqual(want);
    expect(want[0]).toBe(1);
    expect(want[3]).toEqual([true, true, false, true, false, true]);
    expect(want[4]).toBe(5);
    await pv.dispose();
  });

  it('string keys and a custom partitioner route the same way', async () => {
    const o: VariableOptions = {
      name: 's',
      keyDtype: 'string',
      dim: 2,
      partitions: 2,
      partitioner: (k) => (String(k).startsWith('a') ? 0 : 1),
    };
    const f = async (v: Face) => {
      await v.upsert(
        ['apple', 'avocado', 'banana'],
        [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
      );
      const r = await v.lookup(['banana', 'apple', 'cherry'], { returnExists: true });
      return [r.values.arraySync(), r.exists, await v.size(0), await v.size(1)];
    };
    const pv = await placeVariable(pool, o);
    expect(await f(pv)).toEqual(await f(local(o)));
    expect(await pv.size(0)).toBe(2);
  });

  it('new Variable refuses placement workers and points to placeVariable', () => {
    expect(() => new Variable({ ...options, placement: 'workers' })).toThrow(
      'create it with await de.pool.placeVariable(pool, options)',
    );
  });

  it('a synchronous read of a pooled Variable says how to read it', async () => {
    const pv = await placeVariable(pool, { ...options, name: 'sync' });
    const opt = new SGD();
    expect(() => embeddingLookup(pv, [1])).toThrow(
      'Variable "sync" is placed on workers: its rows are read asynchronously. Use await v.lookup(ids)',
    );
    expect(() => step(opt, () => tf.sum(embeddingLookup(pv, [1])))).toThrow(
      /step\(optimizer, lossFn, \{ async: true \}\)/,
    );
    expect(opt.iterations).toBe(0);
    expect(await pv.size()).toBe(0);
    await expect(
      step(opt, () => tf.sum(embeddingLookup(pv, [Math.random() < 2 ? 1 : 2, serialIds++])), { async: true }),
    ).rejects.toThrow(/the second run read id .* which the first run did not/);
    expect(opt.iterations).toBe(0);
    await pv.dispose();
  });

  it('refuses insertOnLookup, saying why', async () => {
    await expect(placeVariable(pool, { ...options, insertOnLookup: true })).rejects.toThrow(
      "insertOnLookup is not supported with placement 'workers'",
    );
  });

  it('slot and status parts import what they exported (a copy into another Variable), and refuse bad rows', async () => {
    const o: VariableOptions = { ...options, name: `parts_${serialIds++}`, restrictPolicy: FrequencyRestrictPolicy };
    const a = await placeVariable(pool, o);
    const b = await placeVariable(pool, { ...o, name: `parts_${serialIds++}` });
    const opt = new Adam({ learningRate: 0.1 });
    const ids = [[1, 2, 7, 9]];
    for (let i = 0; i < 2; i++) {
      await step(opt, () => tf.sum(tf.square(embeddingLookup(a, ids))) as tf.Scalar, { async: true });
    }
    const sorted = async (part: { export(): Promise<{ keys: unknown; values: Float32Array; dim: number }> }) => {
      const e = (await part.export()) as { keys: BigInt64Array; values: Float32Array; dim: number };
      const order = Array.from(e.keys, (_, i) => i).sort((i, j) => Number(e.keys[i] - e.keys[j]));
      return order.map((i) => [Number(e.keys[i]), ...e.values.subarray(i * e.dim, (i + 1) * e.dim)]);
    };
    const m = await sorted(a.getSlot(opt, 'm'));
    expect(m.map((r) => r[0])).toEqual([1, 2, 7, 9]);
    expect(m[0].slice(1).some((x) => x !== 0)).toBe(true);
    await b.getSlot(opt, 'm').import(await a.getSlot(opt, 'm').export());
    await b.status().import(await a.status().export());
    expect(await sorted(b.getSlot(opt, 'm'))).toEqual(m);
    expect(await sorted(b.status())).toEqual([1, 2, 7, 9].map((k) => [k, 2]));
    expect(await b.getSlot(opt, 'v').size()).toBe(0);
    // Wrong key dtype, wrong value count: refused, nothing written.
    await expect(
      b.getSlot(opt, 'v').import({ keys: new Int32Array([1]), values: new Float32Array(3) }),
    ).rejects.toThrow(/BigInt64Array/);
    await expect(
      b.getSlot(opt, 'v').import({ keys: new BigInt64Array([1n]), values: new Float32Array(2) }),
    ).rejects.toThrow(/1 x 3 = 3 values/);
    expect(await b.getSlot(opt, 'v').size()).toBe(0);
    await a.dispose();
    await b.dispose();
  });
});
