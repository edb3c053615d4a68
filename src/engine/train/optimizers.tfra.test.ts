// TFRA's own optimizer tests, translated: tensorflow_recommenders_addons/dynamic_embedding/python/
// kernel_tests/dynamic_embedding_optimizer_test.py, EmbeddingLookupTrainableV2Test and
// EmbeddingLookupUniqueTrainableV2Test: test_{sgd,adagrad,adam,ftrl,rmsprop}_v2_minimize_trainable.
// A table holding rows for ids 0 and 1 (`raw_init_vals`), the loss `pred * pred` of id 0's
// lookup, 10 steps with learning rate 1.0, over 1 and 2 shards, dim 1 and 10; TFRA checks the rows
// against the same Keras optimizer on a dense variable. Here the dense Keras optimizer is written
// out (keras-formulas.spec.ts), and the rows are drawn small (x1e-4, x1e-6) so that where epsilon
// sits shows: tfjs's Adam and RMSprop put it elsewhere and fail these.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { embeddingLookup, embeddingLookupUnique } from '../lookup.js';
import { Variable } from '../variable.js';
import { ready } from '../wasm.js';
import {
  applyRows,
  kerasAdagrad,
  kerasAdam,
  kerasFtrl,
  type KerasReference,
  kerasRmsprop,
  kerasSgd,
  slotMatrices,
} from './keras-formulas.spec.js';
import { Adagrad, Adam, Ftrl, type Optimizer, RMSprop, SGD } from './optimizers/index.js';
import { step } from './step.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await ready();
});

const f = Math.fround;
let serial = 0;

// np.random.rand(2, dim) stand-in: fixed values in (0, 1)
function rawInitVals(dim: number, scale: number): Float32Array {
  return Float32Array.from({ length: 2 * dim }, (_, i) => f((0.15 + 0.7 * Math.abs(Math.sin(i * 2.3 + 1))) * scale));
}

/** Trains TFRA's test setup with dynemb; returns the rows of ids 0 and 1. */
function trainDynemb(
  make: () => Optimizer,
  o: { shards: number; dim: number; unique: boolean; init: Float32Array },
): Float32Array {
  const v = new Variable({
    name: `t2020_v2_${serial++}`,
    keyDtype: 'int64',
    dim: o.dim,
    initializer: 1.0,
    partitions: o.shards,
  });
  v.upsert([0, 1], o.init);
  const opt = make();
  const lookup = o.unique ? embeddingLookupUnique : embeddingLookup;
  for (let t = 0; t < 10; t++) step(opt, () => tf.sum(tf.square(lookup(v, [0]))), { varList: [] });
  const rows = v.lookup([0, 1]).dataSync() as Float32Array;
  v.dispose();
  return rows.slice();
}

/** The same with the Keras rule on a dense [2, dim] matrix: grad of Σ pred² is 2·pred on row 0. */
function trainKeras(ref: KerasReference, dim: number, init: Float32Array): Float32Array {
  const w = init.slice();
  const slots = slotMatrices(ref, w.length);
  for (let t = 1; t <= 10; t++) {
    const g = new Float32Array(w.length);
    for (let d = 0; d < dim; d++) g[d] = f(2 * w[d]);
    applyRows(ref, w, slots, g, dim, [0], t);
  }
  return w;
}

const cases: { test: string; make: () => Optimizer; keras: KerasReference; scales: number[] }[] = [
  { test: 'test_sgd_v2_minimize_trainable', make: () => new SGD({ learningRate: 1 }), keras: kerasSgd(1), scales: [1] },
  {
    test: 'test_adagrad_v2_minimize_trainable',
    make: () => new Adagrad({ learningRate: 1 }),
    keras: kerasAdagrad(1),
    scales: [1e-4],
  },
  {
    test: 'test_adam_v2_minimize_trainable',
    make: () => new Adam({ learningRate: 1 }),
    keras: kerasAdam(1),
    scales: [1e-4, 1e-6],
  },
  {
    test: 'test_ftrl_v2_minimize_trainable',
    make: () => new Ftrl({ learningRate: 1 }),
    keras: kerasFtrl(1),
    scales: [1e-4],
  },
  {
    test: 'test_rmsprop_v2_minimize_trainable',
    make: () => new RMSprop({ learningRate: 1 }),
    keras: kerasRmsprop(1),
    scales: [1e-4, 1e-6],
  },
];

describe('TFRA dynamic_embedding_optimizer_test: *_v2_minimize_trainable (plain and unique lookups)', () => {
  for (const c of cases) {
    it(c.test, () => {
      for (const scale of c.scales)
        for (const shards of [1, 2])
          for (const dim of [1, 10])
            for (const unique of [false, true]) {
              const init = rawInitVals(dim, scale);
              const got = trainDynemb(c.make, { shards, dim, unique, init });
              const want = trainKeras(c.keras, dim, init);
              const what = `${c.test} rows x${scale}, ${shards} shard(s), dim ${dim}, ${unique ? 'unique' : 'plain'}`;
              for (let i = 0; i < want.length; i++) {
                expect(Math.abs(got[i] - want[i]) / Math.max(1e-3, Math.abs(want[i])), `${what} [${i}]`).toBeLessThan(
                  1e-5,
                );
              }
              // id 1 is never looked up: its row is untouched
              expect(Array.from(got.subarray(dim))).toEqual(Array.from(init.subarray(dim)));
            }
    });
  }

  it("Adam's first step puts epsilon beside sqrt(v) (TF/Keras), not beside the bias-corrected sqrt(v)", () => {
    // w0 = 1e-4, g = 2e-4: m = 2e-5, v = 4e-11, lr_t = sqrt(0.001)/0.1 = 0.316228;
    // Keras: 2e-5 * 0.316228 / (6.32456e-6 + 1e-7) = 0.984435; tfjs: 2e-4 / (2e-4 + 1e-7) = 0.999500 (1.5 % more)
    const at = (w0: number) => w0 - trainDynembSteps(() => new Adam({ learningRate: 1 }), w0, 1); // one step's update
    expect(at(1e-4)).toBeCloseTo(0.984435, 5);
    // w0 = 1e-6 (g = 2e-6): Keras 0.387424, tfjs 0.952381 (2.46x)
    expect(at(1e-6)).toBeCloseTo(0.387424, 5);
  });

  it('RMSprop (momentum 0) divides by sqrt(ms) + epsilon (TF/Keras), not by sqrt(ms + epsilon)', () => {
    // w0 = 1e-6, g = 2e-6: ms = 4e-13; Keras: 2e-6 / (6.32456e-7 + 1e-7) = 2.730541; tfjs: 2e-6 / sqrt(1.000004e-7) = 0.006325 (432x less)
    const update = 1e-6 - trainDynembSteps(() => new RMSprop({ learningRate: 1 }), 1e-6, 1);
    expect(update).toBeCloseTo(2.730541, 5);
    // w0 = 1e-4: Keras 3.157285, tfjs 0.620174
    expect(1e-4 - trainDynembSteps(() => new RMSprop({ learningRate: 1 }), 1e-4, 1)).toBeCloseTo(3.157285, 5);
  });
});

/** dim 1, one shard: id 0 starts at w0; the row after `steps` steps. */
function trainDynembSteps(make: () => Optimizer, w0: number, steps: number): number {
  const v = new Variable({ name: `first_${serial++}`, keyDtype: 'int64', dim: 1 });
  v.upsert([0], [[w0]]);
  const opt = make();
  for (let t = 0; t < steps; t++) step(opt, () => tf.sum(tf.square(embeddingLookup(v, [0]))), { varList: [] });
  const out = v.lookup([0]).dataSync()[0];
  v.dispose();
  return out;
}
