// Every optimizer against TF/Keras's update rules (keras-formulas.spec.ts: what TFRA trains
// with), and against tfjs's optimizers where tfjs agrees with Keras: a dynamic table and a dense
// matrix holding the same initial rows, trained 10 steps on the same ids and loss, hold the same
// rows and slots.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { embeddingLookup } from '../lookup.js';
import { Variable } from '../variable.js';
import { compileKernels, ready, WasmHeap } from '../wasm.js';
import {
  applyRows,
  kerasAdagrad,
  kerasAdam,
  kerasFtrl,
  kerasMomentum,
  type KerasReference,
  kerasRmsprop,
  kerasSgd,
  slotMatrices,
} from './keras-formulas.spec.js';
import { Adagrad, Adam, Ftrl, Momentum, type Optimizer, RMSprop, SGD } from './optimizers/index.js';
import { step } from './step.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await ready();
  await compileKernels('scalar');
});

const DIM = 6; // one SIMD group of four and a scalar tail of two
const VOCAB = 8;
const INIT = 0.05; // the Variable's initializer: keys 3 and 4 start missing and read it
const STORED = [0, 1, 2, 5, 6]; // 5 and 6 are never touched
const BATCH = [
  [0, 1, 3],
  [1, 4, 2],
  [0, 0, 3],
];
const TOUCHED = [0, 1, 2, 3, 4];

function initialRows(): Float32Array {
  const m = new Float32Array(VOCAB * DIM).fill(INIT);
  for (const k of STORED) for (let d = 0; d < DIM; d++) m[k * DIM + d] = Math.sin(k * 7 + d * 1.3) * 0.5;
  return m;
}

// a target that changes with the step, so slots see gradients of both signs
function target(t: number): tf.Tensor {
  return tf.tidy(() => tf.sin(tf.add(tf.range(0, 9 * DIM).reshape([3, 3, DIM]), t)).mul(0.3));
}

function lossOf(emb: tf.Tensor, t: number): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.square(tf.sub(tf.mul(emb, 1.5), target(t)))) as tf.Scalar);
}

interface Case {
  name: string;
  make: () => Optimizer;
  keras: KerasReference;
  /** tfjs's optimizer, where its weights follow the same rule (a second reference). */
  tfjs?: () => tf.Optimizer;
}

const cases: Case[] = [
  { name: 'SGD', make: () => new SGD({ learningRate: 0.05 }), keras: kerasSgd(0.05), tfjs: () => tf.train.sgd(0.05) },
  {
    name: 'Momentum',
    make: () => new Momentum({ learningRate: 0.03, momentum: 0.9 }),
    keras: kerasMomentum(0.03, 0.9),
    tfjs: () => tf.train.momentum(0.03, 0.9),
  },
  {
    name: 'Momentum (Nesterov)',
    make: () => new Momentum({ learningRate: 0.03, momentum: 0.8, useNesterov: true }),
    keras: kerasMomentum(0.03, 0.8, true),
    tfjs: () => tf.train.momentum(0.03, 0.8, true),
  },
  { name: 'Adagrad', make: () => new Adagrad({ learningRate: 0.1 }), keras: kerasAdagrad(0.1) },
  { name: 'Adam', make: () => new Adam({ learningRate: 0.02 }), keras: kerasAdam(0.02) },
  {
    name: 'Adam (amsgrad)',
    make: () => new Adam({ learningRate: 0.02, amsgrad: true }),
    keras: kerasAdam(0.02, 0.9, 0.999, 1e-7, true),
  },
  { name: 'RMSprop', make: () => new RMSprop({ learningRate: 0.01 }), keras: kerasRmsprop(0.01) },
  {
    name: 'RMSprop (centered)',
    make: () => new RMSprop({ learningRate: 0.01, centered: true }),
    keras: kerasRmsprop(0.01, 0.9, 0, 1e-7, true),
  },
  {
    name: 'RMSprop (momentum 0.5)',
    make: () => new RMSprop({ learningRate: 0.01, momentum: 0.5 }),
    keras: kerasRmsprop(0.01, 0.9, 0.5),
    tfjs: () => tf.train.rmsprop(0.01, 0.9, 0.5, 1e-7),
  },
  {
    name: 'RMSprop (momentum 0.3, centered)',
    make: () => new RMSprop({ learningRate: 0.01, momentum: 0.3, centered: true }),
    keras: kerasRmsprop(0.01, 0.9, 0.3, 1e-7, true),
  },
  {
    name: 'Ftrl',
    make: () => new Ftrl({ learningRate: 0.2, l1RegularizationStrength: 0.01, l2RegularizationStrength: 0.02 }),
    keras: kerasFtrl(0.2, { l1: 0.01, l2: 0.02 }),
  },
  {
    name: 'Ftrl (power -0.3, shrinkage, beta)',
    make: () =>
      new Ftrl({
        learningRate: 0.2,
        learningRatePower: -0.3,
        l2ShrinkageRegularizationStrength: 0.05,
        beta: 0.1,
        initialAccumulatorValue: 0.2,
      }),
    keras: kerasFtrl(0.2, { lrPower: -0.3, l2Shrinkage: 0.05, beta: 0.1, init: 0.2 }),
  },
];

let serial = 0;

function rowsOf(m: Float32Array, keys: number[]): number[][] {
  return keys.map((k) => Array.from(m.subarray(k * DIM, (k + 1) * DIM)));
}

// 1e-5, relative for magnitudes above 1 (accumulators grow past 100, where one float32 ulp is 1.5e-5
// and the gradient sums of duplicate ids may be added in another order than tfjs adds them)
function expectClose(got: number[][], want: number[][], what: string): void {
  let worst = 0;
  for (let i = 0; i < want.length; i++)
    for (let d = 0; d < DIM; d++)
      worst = Math.max(worst, Math.abs(got[i][d] - want[i][d]) / Math.max(1, Math.abs(want[i][d])));
  expect(worst, `${what}: max |difference| (relative above 1)`).toBeLessThan(1e-5);
}

describe('optimizers follow TF/Keras on the touched rows (10 steps)', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const init = initialRows();
      const v = new Variable({ name: `eq_${serial++}`, keyDtype: 'int32', dim: DIM, initializer: INIT });
      v.upsert(STORED, rowsOf(init, STORED));
      const opt = c.make();
      const dense = tf.variable(tf.tensor2d(init, [VOCAB, DIM]), true, `dense_${serial++}`);
      const w = init.slice();
      const slots = slotMatrices(c.keras, w.length);
      const tfOpt = c.tfjs?.();
      const idx = tf.tensor2d(BATCH, [3, 3], 'int32');
      for (let t = 0; t < 10; t++) {
        const ours = step(opt, () => lossOf(embeddingLookup(v, BATCH), t), { varList: [] });
        // the gradient at the reference's own weights
        dense.assign(tf.tensor2d(w, [VOCAB, DIM]));
        const { value, grads } = tf.variableGrads(() => lossOf(tf.gather(dense, idx), t), [dense]);
        expect(ours).toBeCloseTo(value.dataSync()[0], 3);
        applyRows(c.keras, w, slots, grads[dense.name].dataSync() as Float32Array, DIM, TOUCHED, t + 1);
        value.dispose();
        tf.dispose(grads);
      }
      const got = v.lookup(TOUCHED).dataSync() as Float32Array;
      expectClose(rowsOf(got, [0, 1, 2, 3, 4]), rowsOf(w, TOUCHED), 'values');
      expect(opt.slotSpecs().map((s) => s.name)).toEqual(Object.keys(c.keras.slots));
      for (const [slot, initial] of Object.entries(c.keras.slots)) {
        const s = opt.getSlot(v, slot);
        expect(s.name).toBe(`${v.name}/${slot}`);
        expectClose(
          rowsOf(s.lookup(TOUCHED).dataSync() as Float32Array, [0, 1, 2, 3, 4]),
          rowsOf(slots[slot], TOUCHED),
          slot,
        );
        // untouched keys have no slot rows: they read the initial slot value
        expect(s.size()).toBe(TOUCHED.length);
        expect(Array.from(s.lookup([5, 6]).dataSync())).toEqual(new Array(2 * DIM).fill(Math.fround(initial)));
      }
      // tfjs, where it runs the same rule, trains a dense copy to the same rows
      if (tfOpt) {
        dense.assign(tf.tensor2d(init, [VOCAB, DIM]));
        for (let t = 0; t < 10; t++) tfOpt.minimize(() => lossOf(tf.gather(dense, idx), t), true, [dense])?.dispose();
        expectClose(rowsOf(got, [0, 1, 2, 3, 4]), rowsOf(dense.dataSync() as Float32Array, TOUCHED), 'tfjs values');
        tfOpt.dispose();
      }
      // untouched keys keep their value; training inserted the missing keys 3 and 4
      expect(Array.from(v.lookup([5, 6]).dataSync())).toEqual(Array.from(init.subarray(5 * DIM, 7 * DIM)));
      expect(v.size()).toBe(7);
      expect(opt.iterations).toBe(10);
      idx.dispose();
      dense.dispose();
      v.dispose();
    });
  }
});

describe('optimizer defaults and validation', () => {
  it('uses the Keras default hyper-parameters', () => {
    expect(new SGD().getConfig()).toEqual({ learningRate: 0.01 });
    expect(new Adagrad().getConfig()).toEqual({ learningRate: 0.001, initialAccumulatorValue: 0.1, epsilon: 1e-7 });
    expect(new Adam().getConfig()).toEqual({
      learningRate: 0.001,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-7,
      amsgrad: false,
    });
    expect(new RMSprop().getConfig()).toEqual({
      learningRate: 0.001,
      rho: 0.9,
      momentum: 0,
      epsilon: 1e-7,
      centered: false,
    });
    expect(new Ftrl().getConfig()).toEqual({
      learningRate: 0.001,
      learningRatePower: -0.5,
      initialAccumulatorValue: 0.1,
      l1RegularizationStrength: 0,
      l2RegularizationStrength: 0,
      l2ShrinkageRegularizationStrength: 0,
      beta: 0,
    });
    expect(new Adam({ amsgrad: true }).slotSpecs().map((s) => s.name)).toEqual(['m', 'v', 'vhat']);
  });

  it('rejects bad hyper-parameters with what was expected and given', () => {
    expect(() => new Adam({ learningRate: -1 })).toThrow(InvalidArgumentError);
    expect(() => new Adam({ learningRate: -1 })).toThrow(/learningRate must be a finite number > 0, got -1/);
    expect(() => new Adam({ beta1: 1 })).toThrow(/beta1 must be a number in \[0, 1\), got 1/);
    expect(() => new Ftrl({ learningRatePower: 0.5 })).toThrow(
      /learningRatePower must be a finite number <= 0, got 0.5/,
    );
    expect(() => new Momentum({ useNesterov: 'yes' as unknown as boolean })).toThrow(
      /useNesterov must be true or false/,
    );
    expect(() => new Adagrad().getSlot({} as Variable, 'accumulator')).toThrow(/expected a de.Variable/);
  });
});

describe('optimizer kernels', () => {
  it('give bit-identical rows in the SIMD and scalar builds', () => {
    const n = 5;
    const dim = 7;
    const run = (flavour: 'simd' | 'scalar') => {
      const h = new WasmHeap({ flavour });
      const k = h.exports;
      const bytes = n * dim * 4;
      const blocks = [0, 1, 2, 3, 4].map(() => h.alloc(bytes));
      const ptrs = blocks.map(() => h.alloc(n * 4));
      blocks.forEach((b, i) => {
        for (let j = 0; j < n * dim; j++)
          h.f32[(b >> 2) + j] = Math.abs(Math.sin(i * 31 + j * 0.7)) * (i === 4 ? 3 : 1);
        k.rowPointers(ptrs[i], b, dim * 4, n);
      });
      const g = blocks[4];
      const [w, s0, s1, s2] = ptrs;
      k.sgdUpdate(w, g, n, dim, 0.1, 0);
      k.momentumUpdate(w, s0, g, n, dim, 0.1, 0.9, 1, 0);
      k.adagradUpdate(w, s0, g, n, dim, 0.1, 1e-7, 0.8);
      k.adamUpdate(w, s0, s1, s2, g, n, dim, 0.05, 0.1, 0.001, 1e-7, 1, 0);
      k.rmspropUpdate(w, s0, s1, s2, g, n, dim, 0.01, 0.9, 0.1, 0.5, 1e-7, 1, 0);
      k.rmspropUpdate(w, s0, 0, s2, g, n, dim, 0.01, 0.9, 0.1, 0, 1e-7, 1, 0);
      k.ftrlUpdate(w, s0, s1, g, n, dim, 0.1, 0.5, 0.01, 0.1, 0.02, 0);
      k.ftrlUpdate(w, s0, s1, g, n, dim, 0.1, 0.3, 0, 0, 0, 0.5);
      return blocks.slice(0, 4).map((b) => Array.from(new Uint32Array(h.f32.buffer, b, n * dim)));
    };
    const simd = run('simd');
    expect(simd).toEqual(run('scalar'));
    expect(simd[0].some((x) => x !== 0)).toBe(true);
  });

  it('clips updated rows to maxNorm on write-back', () => {
    const opt = new SGD({ learningRate: 1 });
    const values = new Float32Array([3, 0, 0, 0.1]);
    opt.updateRows(values, [], new Float32Array([-1, 0, 0, 0]), 2, 2, 1);
    expect(Math.hypot(values[0], values[1])).toBeCloseTo(1, 6); // [4, 0] clipped to norm 1
    expect(values[0]).toBeCloseTo(1, 6);
    expect(values[3]).toBeCloseTo(0.1, 7); // short rows are untouched by the clip
  });
});
