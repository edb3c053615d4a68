// The in-place update (in-place.ts) must leave exactly the rows and slots the copy path gives:
// the rows and slot rows as read, the same gradient, the optimizer's kernel over copies
// (Optimizer.updateRows, what train.step ran before), compared bit for bit after each step.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { randomNormal } from '../initializers.js';
import { embeddingLookup } from '../lookup.js';
import { ids, type KeyDtype } from '../tensor.js';
import { Variable } from '../variable.js';
import { ready } from '../wasm.js';
import { Adagrad, Adam, Ftrl, Momentum, type Optimizer, RMSprop, SGD } from './optimizers/index.js';
import { step } from './step.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await ready();
});

const OPTIMIZERS: [string, () => Optimizer][] = [
  ['SGD', () => new SGD({ learningRate: 0.3 })],
  ['Momentum', () => new Momentum({ learningRate: 0.2, momentum: 0.9, useNesterov: true })],
  ['Adagrad', () => new Adagrad({ learningRate: 0.4 })],
  ['Adam', () => new Adam({ learningRate: 0.05, amsgrad: true })],
  ['RMSprop', () => new RMSprop({ learningRate: 0.05, momentum: 0.5, centered: true })],
  ['Ftrl', () => new Ftrl({ learningRate: 0.3, l1RegularizationStrength: 0.01, l2RegularizationStrength: 0.02 })],
];

function bitsOf(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.slice().buffer));
}

function idsFor(dtype: KeyDtype, ranks: number[]) {
  if (dtype === 'string') return ids(ranks.map((r) => `k${r}`));
  if (dtype === 'int64') return ids(BigInt64Array.from(ranks, (r) => BigInt(r) * 1_000_003n - 7n));
  return ids(Int32Array.from(ranks));
}

describe('train.step updates rows and slots in place', () => {
  for (const [label, make] of OPTIMIZERS) {
    it(`${label}: the same bits as the kernel over copies, over 3 steps (new keys, 1 and 3 partitions, maxNorm)`, () => {
      for (const [keyDtype, partitions, maxNorm] of [
        ['int32', 1, undefined],
        ['int64', 3, 0.9],
        ['string', 2, undefined],
      ] as const) {
        const v = new Variable({
          name: `inplace_${label}_${keyDtype}`,
          keyDtype,
          dim: 5,
          partitions,
          initializer: randomNormal({ stddev: 0.7, seed: 5 }),
        });
        v.upsert(
          idsFor(keyDtype, [1, 2, 3, 4]),
          new Float32Array(20).map((_, i) => Math.sin(i)),
        );
        const opt = make();
        const ref = make();
        const w = tf.tensor2d([[0.5, -1, 2, 0.25, 1.5]]);
        for (let s = 0; s < 3; s++) {
          const x = idsFor(keyDtype, [2, 9 + s, 2, 4, 30 + s, 9 + s, 1]);
          let expected: { keys: Parameters<Variable['read']>[0]; values: Float32Array; slots: Float32Array[] }[] = [];
          step(opt, () => tf.sum(tf.square(tf.mul(embeddingLookup(v, x, { maxNorm }), w))), {
            onGradients: (rows) => {
              // before any write: what the copy path would have computed from here
              ref.beginStep();
              expected = rows.map((r) => {
                const target = r.variable as Variable;
                const values = target.read(r.keys).values;
                const slots = opt.slotVariables(target).map((sv) => sv.read(r.keys).values);
                ref.updateRows(values, slots, r.grad, r.keys.length, target.dim, maxNorm ?? 0);
                ref.endStep();
                return { keys: r.keys, values, slots };
              });
            },
          });
          expect(expected).toHaveLength(1);
          const e = expected[0];
          expect(bitsOf(v.read(e.keys).values)).toEqual(bitsOf(e.values));
          opt.slotVariables(v).forEach((sv, j) => expect(bitsOf(sv.read(e.keys).values)).toEqual(bitsOf(e.slots[j])));
          expect(v.size()).toBe(4 + 2 * (s + 1));
          opt.slotVariables(v).forEach((sv) => expect(sv.size()).toBe(5 + 2 * s));
        }
        w.dispose();
      }
    });
  }

  it('a step that fails while inserting leaves the table and its slots as they were', () => {
    const v = new Variable({ name: 'inplace_fail', keyDtype: 'int32', dim: 2, partitions: 2 });
    v.upsert(
      [1, 2],
      [
        [1, 1],
        [2, 2],
      ],
    );
    const opt = new Adagrad({ learningRate: 0.1 });
    const acc = opt.slotVariables(v)[0];
    // the slot's initializer fails for new keys: the value table's inserts must be undone
    Object.defineProperty(acc, 'initializer', {
      value: {
        fill: () => {
          throw new InvalidArgumentError('injected failure');
        },
      },
    });
    const before = v.export();
    expect(() => step(opt, () => tf.sum(embeddingLookup(v, [1, 7, 8])))).toThrow(/injected failure/);
    const after = v.export();
    expect(Array.from(after.keys as Int32Array).sort()).toEqual(Array.from(before.keys as Int32Array).sort());
    expect(v.size()).toBe(2);
    expect(acc.size()).toBe(0);
    expect(Array.from(v.lookup([1, 2]).dataSync())).toEqual([1, 1, 2, 2]);
  });
});
