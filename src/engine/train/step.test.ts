import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { embeddingLookup } from '../lookup.js';
import { Variable } from '../variable.js';
import { ready } from '../wasm.js';
import { Adagrad, Adam, SGD } from './optimizers/index.js';
import { FrequencyRestrictPolicy, policyOf, TimestampRestrictPolicy } from './restrict.js';
import { step } from './step.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await ready();
});

let serial = 0;
const name = (p: string) => `${p}_${serial++}`;
const sorted = (keys: ArrayLike<number>) => Array.from(keys).sort((a, b) => a - b);
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

describe('train.step', () => {
  it('inserts new keys, updates only touched rows and sums the gradient of repeated ids', () => {
    const v = new Variable({ name: name('s'), keyDtype: 'int32', dim: 2, initializer: 1 });
    v.upsert([9], [[5, 5]]);
    const loss = step(new SGD({ learningRate: 0.5 }), () => tf.sum(embeddingLookup(v, [1, 2, 1])));
    expect(loss).toBe(6);
    expect(sorted(v.export().keys as Int32Array)).toEqual([1, 2, 9]);
    // d(sum)/d(row 1) = 2 (read twice), d/d(row 2) = 1
    expect(Array.from(v.lookup([1, 2, 9]).dataSync())).toEqual([0, 0, 0.5, 0.5, 5, 5]);
  });

  it('reports the unique-row gradients it applies through onGradients, before writing', () => {
    const v = new Variable({ name: name('g'), keyDtype: 'int32', dim: 2, initializer: 1 });
    v.upsert([2], [[3, 3]]);
    const seen: { keys: number[]; grad: number[]; exists: number[]; size: number }[] = [];
    step(new SGD({ learningRate: 0.5 }), () => tf.sum(tf.mul(embeddingLookup(v, [1, 2, 1]), [[1, 2]])), {
      onGradients: (rows) => {
        for (const r of rows) {
          seen.push({
            keys: Array.from(r.keys as Int32Array),
            grad: Array.from(r.grad),
            exists: Array.from(r.exists),
            size: (r.variable as Variable).size(),
          });
        }
      },
    });
    expect(seen).toHaveLength(1);
    const byKey = new Map(seen[0].keys.map((k, i) => [k, [seen[0].grad.slice(i * 2, i * 2 + 2), seen[0].exists[i]]]));
    expect(byKey.get(1)).toEqual([[2, 4], 0]); // read twice: gradient summed, not stored before
    expect(byKey.get(2)).toEqual([[1, 2], 1]);
    expect(seen[0].size).toBe(1); // called before the update inserts key 1
    expect(Array.from(v.lookup([1]).dataSync())).toEqual([0, -1]); // 1 - 0.5 * [2, 4]
  });

  it('sums gradients across several reads of one Variable (a table shared by two features)', () => {
    const v = new Variable({ name: name('sh'), keyDtype: 'int32', dim: 1, initializer: 0 });
    step(new SGD({ learningRate: 1 }), () =>
      tf.add(tf.sum(embeddingLookup(v, [3, 4])), tf.mul(tf.sum(embeddingLookup(v, [4])), 3)),
    );
    expect(Array.from(v.lookup([3, 4]).dataSync())).toEqual([-1, -4]);
    expect(v.size()).toBe(2);
  });

  it('trains dense tfjs variables used in the same loss with the same optimizer', () => {
    const v = new Variable({ name: name('d'), keyDtype: 'int32', dim: 2, initializer: 1 });
    const w = tf.variable(tf.tensor2d([[2], [3]]), true, name('tower'));
    const frozen = tf.variable(tf.scalar(7), false, name('frozen'));
    const opt = new Adagrad({ learningRate: 0.1 });
    step(opt, () => tf.sum(tf.add(tf.matMul(embeddingLookup(v, [[1]]).reshape([1, 2]), w), frozen)));
    // d/dw = row = [1, 1]: w -= 0.1 * 1 / sqrt(0.1 + 1 + 1e-7)
    const delta = 0.1 / Math.sqrt(1.1 + 1e-7);
    const got = w.dataSync();
    expect(got[0]).toBeCloseTo(2 - delta, 6);
    expect(got[1]).toBeCloseTo(3 - delta, 6);
    expect(frozen.dataSync()[0]).toBe(7);
    expect(opt.denseSlotValues(w)[0][0]).toBeCloseTo(1.1, 6);
    w.dispose();
    frozen.dispose();
  });

  it('clips written-back rows to the lookup maxNorm', () => {
    const v = new Variable({ name: name('mn'), keyDtype: 'int32', dim: 2, initializer: 0 });
    step(new SGD({ learningRate: 10 }), () => tf.sum(tf.mul(embeddingLookup(v, [1], { maxNorm: 1 }), -1)));
    const row = v.lookup([1]).dataSync();
    expect(Math.hypot(row[0], row[1])).toBeCloseTo(1, 6);
    expect(row[0]).toBeCloseTo(Math.SQRT1_2, 6);
  });

  it('writes deltas through accum with bpV2, so a concurrent write in between is kept', () => {
    const v = new Variable({ name: name('bp'), keyDtype: 'int32', dim: 1, initializer: 0 });
    v.upsert([1], [[10]]);
    step(
      new SGD({ learningRate: 1 }),
      () => {
        const y = tf.sum(embeddingLookup(v, [1, 2]));
        v.upsert([1], [[100]]); // another writer, after the read
        return y as tf.Scalar;
      },
      { bpV2: true },
    );
    // key 1: 100 + (9 - 10); key 2 was absent and is inserted with its new value
    expect(Array.from(v.lookup([1, 2]).dataSync())).toEqual([99, -1]);
  });

  it('refuses a non-scalar loss or a loss with no embedding read, changing nothing', () => {
    const v = new Variable({ name: name('bad'), keyDtype: 'int32', dim: 2 });
    const opt = new Adam();
    expect(() => step(opt, () => embeddingLookup(v, [1]) as tf.Scalar)).toThrow(
      /must return a scalar tensor, got a tensor of shape \[1, 2\]/,
    );
    expect(() => step(opt, () => tf.scalar(1), { varList: [] })).toThrow(InvalidArgumentError);
    expect(() => step(opt, () => tf.scalar(1), { varList: [] })).toThrow(/does not depend on any embedding read/);
    expect(() => step({} as Adam, () => tf.scalar(1))).toThrow(/expects a de.optimizers/);
    expect(v.size()).toBe(0);
    expect(opt.iterations).toBe(0);
  });

  it('does not train Variables with trainable: false', () => {
    const v = new Variable({ name: name('nt'), keyDtype: 'int32', dim: 1, initializer: 1, trainable: false });
    const u = new Variable({ name: name('t'), keyDtype: 'int32', dim: 1, initializer: 1 });
    step(new SGD(), () => tf.add(tf.sum(embeddingLookup(v, [1])), tf.sum(embeddingLookup(u, [1]))));
    expect(v.size()).toBe(0);
    expect(u.size()).toBe(1);
  });
});

describe('restrict policies', () => {
  function trained(policy: typeof TimestampRestrictPolicy | typeof FrequencyRestrictPolicy, batches: number[][]) {
    const v = new Variable({ name: name('r'), keyDtype: 'int32', dim: 3, initializer: 0.1, restrictPolicy: policy });
    const opt = new Adam({ learningRate: 0.01 });
    for (const b of batches) step(opt, () => tf.sum(tf.square(embeddingLookup(v, b))));
    return { v, opt, status: policyOf(v)!.status };
  }

  it('Timestamp: 0-5 then 4-8 gives 9 keys everywhere; restrict keeps the 5 most recent (4-8)', () => {
    const { v, opt, status } = trained(TimestampRestrictPolicy, [range(0, 5), range(4, 8)]);
    expect(status.name).toBe(`${v.name}/timestamp_status`);
    const all = [v, opt.getSlot(v, 'm'), opt.getSlot(v, 'v'), status];
    for (const t of all) expect(t.size(), t.name).toBe(9);
    const before = v.lookup(range(4, 8)).dataSync();
    expect(v.restrict(5, { trigger: 100 })).toBe(0);
    for (const t of all) expect(t.size(), t.name).toBe(9);
    expect(v.restrict(5, { trigger: 5 })).toBe(4);
    for (const t of all) expect(sorted(t.export().keys as Int32Array), t.name).toEqual(range(4, 8));
    expect(v.lookup(range(4, 8)).dataSync()).toEqual(before);
  });

  it('Timestamp status is the global step of the last update', () => {
    const { v, status } = trained(TimestampRestrictPolicy, [[1, 2], [2], [3]]);
    const s = status.lookup([1, 2, 3]).dataSync();
    expect(s[1] - s[0]).toBe(1);
    expect(s[2] - s[1]).toBe(1);
    expect(v.size()).toBe(3);
  });

  it('Frequency counts +1 per key per step, once even when repeated, and keeps the most frequent', () => {
    const { v, opt, status } = trained(FrequencyRestrictPolicy, [range(0, 5), [...range(4, 8), 8, 8], range(6, 8)]);
    expect(Array.from(status.lookup(range(0, 8)).dataSync())).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 2]);
    expect(v.restrict(5)).toBe(4); // trigger defaults to numReserved
    for (const t of [v, opt.getSlot(v, 'm'), opt.getSlot(v, 'v'), status]) {
      expect(sorted(t.export().keys as Int32Array), t.name).toEqual(range(4, 8));
    }
  });

  it('validates restrict arguments before changing anything', () => {
    const { v } = trained(FrequencyRestrictPolicy, [range(0, 3)]);
    expect(() => v.restrict(-1)).toThrow(/numReserved must be an integer >= 0, got -1/);
    expect(() => v.restrict(1, { trigger: 0.5 })).toThrow(/trigger must be an integer >= 0, got 0.5/);
    expect(v.size()).toBe(4);
  });
});
