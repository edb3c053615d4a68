// Equivalence of every optimizer with tfjs: a dynamic table and a dense tf.variable holding the
// same initial rows, trained 10 steps on the same ids and loss, hold the same rows and slots.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { embeddingLookup } from '../lookup.js';
import { Variable } from '../variable.js';
import { compileKernels, ready, WasmHeap } from '../wasm.js';
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

type DenseRef = (v: tf.Variable, g: tf.Tensor, t: number) => void;

/** Reference updates in tfjs ops for rules tfjs has no optimizer for (formulas as Keras). */
function ftrlRef(lr: number, l1: number, l2: number): { apply: DenseRef; slots: () => Record<string, tf.Tensor> } {
  let acc: tf.Tensor | undefined;
  let lin: tf.Tensor | undefined;
  return {
    apply(v, g) {
      acc ??= tf.fill(v.shape, 0.1);
      lin ??= tf.zerosLike(v);
      const [a2, l2n, w2] = tf.tidy(() => {
        const a2 = tf.add(acc!, tf.square(g));
        const sigma = tf.div(tf.sub(tf.sqrt(a2), tf.sqrt(acc!)), lr);
        const ln = tf.add(lin!, tf.sub(g, tf.mul(sigma, v)));
        const quad = tf.add(tf.div(tf.sqrt(a2), lr), 2 * l2);
        const w = tf.div(tf.sub(tf.clipByValue(ln, -l1, l1), ln), quad);
        return [a2, ln, w];
      });
      acc.dispose();
      lin.dispose();
      acc = a2;
      lin = l2n;
      v.assign(w2);
      w2.dispose();
    },
    slots: () => ({ accumulator: acc!, linear: lin! }),
  };
}

function amsgradRef(lr: number): { apply: DenseRef; slots: () => Record<string, tf.Tensor> } {
  const s: Record<string, tf.Tensor> = {};
  let acc1 = 1;
  let acc2 = 1;
  return {
    apply(v, g) {
      s.m ??= tf.zerosLike(v);
      s.v ??= tf.zerosLike(v);
      s.vhat ??= tf.zerosLike(v);
      acc1 = Math.fround(acc1 * Math.fround(0.9));
      acc2 = Math.fround(acc2 * Math.fround(0.999));
      const next = tf.tidy(() => {
        const m = tf.add(tf.mul(s.m, 0.9), tf.mul(g, 1 - 0.9));
        const vv = tf.add(tf.mul(s.v, 0.999), tf.mul(tf.square(g), 1 - 0.999));
        const vhat = tf.maximum(s.vhat, vv);
        const d = tf.div(tf.div(m, 1 - acc1), tf.add(tf.sqrt(tf.div(vhat, 1 - acc2)), 1e-7));
        return { m, v: vv, vhat, w: tf.add(tf.mul(d, -lr), v) };
      });
      for (const k of ['m', 'v', 'vhat'] as const) {
        s[k].dispose();
        s[k] = next[k];
      }
      v.assign(next.w);
      next.w.dispose();
    },
    slots: () => s,
  };
}

function centeredRmsRef(
  lr: number,
  rho: number,
  mom: number,
): { apply: DenseRef; slots: () => Record<string, tf.Tensor> } {
  const s: Record<string, tf.Tensor> = {};
  return {
    apply(v, g) {
      s.rms ??= tf.zerosLike(v);
      s.momentum ??= tf.zerosLike(v);
      s.mg ??= tf.zerosLike(v);
      const next = tf.tidy(() => {
        const rms = tf.add(tf.mul(s.rms, rho), tf.mul(tf.square(g), 1 - rho));
        const mg = tf.add(tf.mul(s.mg, rho), tf.mul(g, 1 - rho));
        const den = tf.add(tf.sub(rms, tf.square(mg)), 1e-7);
        const m = tf.add(tf.mul(s.momentum, mom), tf.div(tf.mul(g, lr), tf.sqrt(den)));
        return { rms, mg, momentum: m, w: tf.sub(v, m) };
      });
      for (const k of ['rms', 'mg', 'momentum'] as const) {
        s[k].dispose();
        s[k] = next[k];
      }
      v.assign(next.w);
      next.w.dispose();
    },
    slots: () => s,
  };
}

interface Case {
  name: string;
  make: () => Optimizer;
  /** A tfjs optimizer, or a reference in tfjs ops. */
  tfjs?: () => tf.Optimizer;
  ref?: () => { apply: DenseRef; slots: () => Record<string, tf.Tensor> };
  /** Slots compared: ours -> the tfjs weight name suffix (or reference slot name). */
  slots: Record<string, string>;
  slotInit: Record<string, number>;
}

const cases: Case[] = [
  { name: 'SGD', make: () => new SGD({ learningRate: 0.05 }), tfjs: () => tf.train.sgd(0.05), slots: {}, slotInit: {} },
  {
    name: 'Momentum',
    make: () => new Momentum({ learningRate: 0.03, momentum: 0.9 }),
    tfjs: () => tf.train.momentum(0.03, 0.9),
    slots: { momentum: 'momentum' },
    slotInit: { momentum: 0 },
  },
  {
    name: 'Momentum (Nesterov)',
    make: () => new Momentum({ learningRate: 0.03, momentum: 0.8, useNesterov: true }),
    tfjs: () => tf.train.momentum(0.03, 0.8, true),
    slots: { momentum: 'momentum' },
    slotInit: { momentum: 0 },
  },
  {
    name: 'Adagrad',
    make: () => new Adagrad({ learningRate: 0.1 }),
    tfjs: () => tf.train.adagrad(0.1, 0.1),
    slots: { accumulator: 'accumulator' },
    slotInit: { accumulator: 0.1 },
  },
  {
    name: 'Adam',
    make: () => new Adam({ learningRate: 0.02 }),
    tfjs: () => tf.train.adam(0.02, 0.9, 0.999, 1e-7),
    slots: { m: 'm', v: 'v' },
    slotInit: { m: 0, v: 0 },
  },
  {
    name: 'Adam (amsgrad)',
    make: () => new Adam({ learningRate: 0.02, amsgrad: true }),
    ref: () => amsgradRef(0.02),
    slots: { m: 'm', v: 'v', vhat: 'vhat' },
    slotInit: { m: 0, v: 0, vhat: 0 },
  },
  {
    name: 'RMSprop',
    make: () => new RMSprop({ learningRate: 0.01, momentum: 0.5 }),
    tfjs: () => tf.train.rmsprop(0.01, 0.9, 0.5, 1e-7),
    slots: { rms: 'rms', momentum: 'momentum' },
    slotInit: { rms: 0, momentum: 0 },
  },
  {
    name: 'RMSprop (centered)',
    make: () => new RMSprop({ learningRate: 0.01, momentum: 0.3, centered: true }),
    ref: () => centeredRmsRef(0.01, 0.9, 0.3),
    slots: { rms: 'rms', momentum: 'momentum', mg: 'mg' },
    slotInit: { rms: 0, momentum: 0, mg: 0 },
  },
  {
    name: 'Ftrl',
    make: () => new Ftrl({ learningRate: 0.2, l1RegularizationStrength: 0.01, l2RegularizationStrength: 0.02 }),
    ref: () => ftrlRef(0.2, 0.01, 0.02),
    slots: { accumulator: 'accumulator', linear: 'linear' },
    slotInit: { accumulator: 0.1, linear: 0 },
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

describe('optimizers match tfjs on the touched rows (10 steps)', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const init = initialRows();
      const v = new Variable({ name: `eq_${serial++}`, keyDtype: 'int32', dim: DIM, initializer: INIT });
      v.upsert(
        STORED,
        rowsOf(init, STORED).map((r) => r),
      );
      const opt = c.make();
      const dense = tf.variable(tf.tensor2d(init, [VOCAB, DIM]), true, `dense_${serial++}`);
      const tfOpt = c.tfjs?.();
      const ref = c.ref?.();
      const idx = tf.tensor2d(BATCH, [3, 3], 'int32');
      for (let t = 0; t < 10; t++) {
        const ours = step(opt, () => lossOf(embeddingLookup(v, BATCH), t), { varList: [] });
        const theirs = () => lossOf(tf.gather(dense, idx), t);
        if (tfOpt) {
          const l = tfOpt.minimize(theirs, true, [dense])!;
          expect(ours).toBeCloseTo(l.dataSync()[0], 3);
          l.dispose();
        } else {
          const { value, grads } = tf.variableGrads(theirs, [dense]);
          expect(ours).toBeCloseTo(value.dataSync()[0], 3);
          ref!.apply(dense, grads[dense.name], t);
          value.dispose();
          tf.dispose(grads);
        }
      }
      const want = dense.dataSync() as Float32Array;
      const got = v.lookup(TOUCHED).dataSync() as Float32Array;
      expectClose(rowsOf(got, [0, 1, 2, 3, 4]), rowsOf(want, TOUCHED), 'values');
      // slots, where tfjs exposes them (or the reference keeps them)
      const tfSlots: Record<string, Float32Array> = {};
      if (tfOpt) {
        for (const w of await tfOpt.getWeights()) {
          const suffix = w.name.slice(w.name.lastIndexOf('/') + 1);
          tfSlots[suffix] = w.tensor.dataSync() as Float32Array;
        }
      } else {
        for (const [k, t] of Object.entries(ref!.slots())) tfSlots[k] = t.dataSync() as Float32Array;
      }
      for (const [slot, theirName] of Object.entries(c.slots)) {
        expect(tfSlots[theirName], `tfjs slot ${theirName}`).toBeDefined();
        const s = opt.getSlot(v, slot);
        expect(s.name).toBe(`${v.name}/${slot}`);
        expectClose(
          rowsOf(s.lookup(TOUCHED).dataSync() as Float32Array, [0, 1, 2, 3, 4]),
          rowsOf(tfSlots[theirName], TOUCHED),
          slot,
        );
        // untouched keys have no slot rows: they read the initial slot value
        expect(s.size()).toBe(TOUCHED.length);
        expect(Array.from(s.lookup([5, 6]).dataSync())).toEqual(new Array(2 * DIM).fill(Math.fround(c.slotInit[slot])));
      }
      // untouched keys keep their value; training inserted the missing keys 3 and 4
      expect(Array.from(v.lookup([5, 6]).dataSync())).toEqual(Array.from(init.subarray(5 * DIM, 7 * DIM)));
      expect(v.size()).toBe(7);
      expect(opt.iterations).toBe(10);
      idx.dispose();
      dense.dispose();
      tfOpt?.dispose();
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
      k.adamUpdate(w, s0, s1, s2, g, n, dim, 0.01, 0.9, 0.999, 0.1, 0.001, 0.19, 0.002, 1e-7, 1, 0);
      k.rmspropUpdate(w, s0, s1, s2, g, n, dim, 0.01, 0.9, 0.1, 0.5, 1e-7, 1, 0);
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
