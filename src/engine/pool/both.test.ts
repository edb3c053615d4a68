// The same lookup and training tests, run both ways: on an in-process de.Variable and on a
// Variable placed on a worker pool (`placement: 'workers'`, Node worker_threads). Each test
// asserts the same values for both placements; the last ones compare whole tables (values,
// optimizer slots, restrict status) after training with every optimizer, and after a run in
// which workers were killed mid-training.
// Workers load dist/lib: `npm run build:lib` first.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomNormal } from '../initializers.js';
import {
  embeddingLookup,
  embeddingLookupSparse as embeddingLookupSparseLocal,
  safeEmbeddingLookupSparse as safeLookupSparseLocal,
  type SparseCombiner,
} from '../lookup.js';
import { type IdsLike, type Keys, SparseTensor } from '../tensor.js';
import { Adagrad, Adam, Ftrl, Momentum, RMSprop, SGD } from '../train/optimizers/index.js';
import type { Optimizer } from '../train/optimizers/optimizer.js';
import { FrequencyRestrictPolicy, policyOf, TimestampRestrictPolicy } from '../train/restrict.js';
import { globalStep, setGlobalStep, step, type StepOptions } from '../train/step.js';
import { Variable, type VariableLike, type VariableOptions } from '../variable.js';
import { ready } from '../wasm.js';
import { WorkerDiedError } from './errors.js';
import { WorkerPool } from './pool.js';
import { placeVariable } from './variable.js';

type Rows = [string, number[]][];

/** One table, whichever placement: every method async. */
interface Face {
  params: VariableLike;
  upsert(ids: IdsLike, values: number[][]): Promise<void>;
  lookup(ids: IdsLike, o?: { maxNorm?: number }): Promise<tf.Tensor>;
  lookupSparse(
    sp: SparseTensor,
    w: SparseTensor | null,
    o: { combiner: SparseCombiner; maxNorm?: number },
  ): Promise<tf.Tensor>;
  safeLookupSparse(
    sp: SparseTensor,
    w: SparseTensor | null,
    o: { combiner: SparseCombiner; defaultId?: number; maxNorm?: number },
  ): Promise<tf.Tensor>;
  train(opt: Optimizer, loss: () => tf.Scalar, o?: StepOptions): Promise<number>;
  size(): Promise<number>;
  rows(): Promise<Rows>;
  slotRows(opt: Optimizer, name: string): Promise<Rows>;
  statusRows(): Promise<Rows>;
  restrict(n: number, o?: { trigger?: number }): Promise<number>;
}

function sortedRows(e: { keys: Keys; values: Float32Array }, dim: number): Rows {
  const rows: Rows = Array.from(e.keys as ArrayLike<number | bigint | string>, (k, i) => [
    String(k),
    Array.from(e.values.subarray(i * dim, (i + 1) * dim)),
  ]);
  return rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

let pool: WorkerPool;
let serial = 0;

const placements: Record<string, (o: VariableOptions) => Promise<Face>> = {
  'in-process': async (o) => {
    const v = new Variable(o);
    return {
      params: v,
      upsert: async (ids, vals) => v.upsert(ids, vals),
      lookup: async (ids, opt) => embeddingLookup(v, ids, opt),
      lookupSparse: async (sp, w, opt) => tf.tidy(() => embeddingLookupSparseLocal(v, sp, w, opt)),
      safeLookupSparse: async (sp, w, opt) => tf.tidy(() => safeLookupSparseLocal(v, sp, w, opt)),
      train: async (opt, loss, so) => step(opt, loss, { ...so, async: false }),
      size: async () => v.size(),
      rows: async () => sortedRows(v.export(), v.dim),
      slotRows: async (opt, name) => sortedRows(opt.getSlot(v, name).export(), v.dim),
      statusRows: async () => sortedRows(policyOf(v)!.status.export(), 1),
      restrict: async (n, ro) => v.restrict(n, ro),
    };
  },
  pooled: async (o) => {
    const v = await placeVariable(pool, o, { compactBytes: 4 << 10 });
    return {
      params: v,
      upsert: (ids, vals) => v.upsert(ids, vals),
      lookup: (ids, opt) => v.lookup(ids, opt),
      lookupSparse: (sp, w, opt) => v.lookupSparse(sp, w, opt),
      safeLookupSparse: (sp, w, opt) => v.safeLookupSparse(sp, w, opt),
      train: (opt, loss, so) => step(opt, loss, { ...so, async: true }),
      size: () => v.size(),
      rows: async () => sortedRows(await v.export(), v.dim),
      slotRows: async (opt, name) => sortedRows(await v.getSlot(opt, name).export(), v.dim),
      statusRows: async () => sortedRows(await v.status().export(), 1),
      restrict: (n, ro) => v.restrict(n, ro),
    };
  },
};

beforeAll(async () => {
  await ready();
  await tf.setBackend('cpu');
  pool = await WorkerPool.create({ size: 2 });
});

afterAll(async () => {
  await pool.terminate();
});

const name = (p: string) => `${p}_${serial++}`;
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
const keysOf = (rows: Rows) => rows.map((r) => Number(r[0])).sort((a, b) => a - b);

// A seeded LCG, so every run sees the same batches.
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe.each(Object.keys(placements))('lookups (%s)', (placement) => {
  const make = placements[placement];
  const base = (): VariableOptions => ({
    name: name('look'),
    keyDtype: 'int64',
    dim: 3,
    partitions: 3,
    initializer: randomNormal({ seed: 11, stddev: 1 }),
  });
  async function filled(): Promise<Face> {
    const f = await make(base());
    await f.upsert(
      [1, 2, 3, 4, 5],
      [
        [3, 4, 0],
        [1, 1, 1],
        [0, 0, 0.5],
        [-2, 0, 0],
        [0.1, 0.2, 0.3],
      ],
    );
    return f;
  }

  it('dense ids with maxNorm: v * maxNorm / max(|v|, maxNorm), missing ids read the initializer', async () => {
    const f = await filled();
    const out = (
      await f.lookup(
        [
          [1, 2],
          [3, 99],
        ],
        { maxNorm: 1 },
      )
    ).arraySync() as number[][][];
    expect(out[0][0]).toEqual([expect.closeTo(0.6, 6), expect.closeTo(0.8, 6), 0]);
    expect(out[0][1].map((x) => x * Math.sqrt(3))).toEqual([
      expect.closeTo(1, 6),
      expect.closeTo(1, 6),
      expect.closeTo(1, 6),
    ]);
    expect(out[1][0]).toEqual([0, 0, 0.5]);
    expect(Math.hypot(...out[1][1])).toBeLessThanOrEqual(1 + 1e-6);
    const raw = (await f.lookup([99, 99])).arraySync() as number[][];
    expect(raw[0]).toEqual(raw[1]); // keyed initializer: the same missing id reads the same vector
  });

  it.each(['sum', 'mean', 'sqrtn'] as SparseCombiner[])(
    'sparse combiner %s with weights and maxNorm',
    async (combiner) => {
      const f = await filled();
      const sp = new SparseTensor({
        indices: [
          [0, 0],
          [0, 1],
          [2, 0],
          [2, 1],
        ],
        values: [1, 4, 2, 2],
        denseShape: [3, 2],
      });
      const w = new SparseTensor({
        indices: [
          [0, 0],
          [0, 1],
          [2, 0],
          [2, 1],
        ],
        values: [2, 1, 0.5, 0.5],
        denseShape: [3, 2],
      });
      const got = (await f.lookupSparse(sp, w, { combiner, maxNorm: 2 })).arraySync() as number[][];
      // row 0: 2 * clip([3,4,0]) + 1 * clip([-2,0,0]) = 2*[1.2,1.6,0] + [-2,0,0] = [0.4, 3.2, 0]
      const sum0 = [0.4, 3.2, 0];
      const denom0 = combiner === 'sum' ? 1 : combiner === 'mean' ? 3 : Math.sqrt(5);
      got[0].forEach((x, d) => expect(x).toBeCloseTo(sum0[d] / denom0, 5));
      expect(got[1]).toEqual([0, 0, 0]); // an empty row is 0, never NaN
      const denom2 = combiner === 'sum' ? 1 : combiner === 'mean' ? 1 : Math.sqrt(0.5);
      got[2].forEach((x) => expect(x).toBeCloseTo(1 / denom2, 5));
    },
  );

  it('safe sparse lookup: rank 3, weights <= 0 pruned, empty rows read defaultId', async () => {
    const f = await filled();
    const sp = new SparseTensor({
      indices: [
        [0, 0, 0],
        [0, 0, 1],
        [1, 1, 0],
      ],
      values: [2, 3, 4],
      denseShape: [2, 2, 2],
    });
    const w = new SparseTensor({
      indices: [
        [0, 0, 0],
        [0, 0, 1],
        [1, 1, 0],
      ],
      values: [1, 3, -1],
      denseShape: [2, 2, 2],
    });
    const got = (await f.safeLookupSparse(sp, w, { combiner: 'mean', defaultId: 5 })).arraySync() as number[][][];
    // [0, 0]: (1*[1,1,1] + 3*[0,0,0.5]) / 4; [1, 1] had only a pruned entry: defaultId 5's row
    expect(got[0][0]).toEqual([expect.closeTo(0.25, 6), expect.closeTo(0.25, 6), expect.closeTo(0.625, 6)]);
    for (const r of [got[0][1], got[1][0], got[1][1]]) {
      expect(r).toEqual([expect.closeTo(0.1, 6), expect.closeTo(0.2, 6), expect.closeTo(0.3, 6)]);
    }
  });
});

describe.each(Object.keys(placements))('train.step (%s)', (placement) => {
  const make = placements[placement];

  it('inserts new keys, updates only touched rows and sums the gradient of repeated ids', async () => {
    const f = await make({ name: name('s'), keyDtype: 'int32', dim: 2, initializer: 1, partitions: 2 });
    await f.upsert([9], [[5, 5]]);
    const loss = await f.train(new SGD({ learningRate: 0.5 }), () => tf.sum(embeddingLookup(f.params, [1, 2, 1])));
    expect(loss).toBe(6);
    expect(await f.rows()).toEqual([
      ['1', [0, 0]],
      ['2', [0.5, 0.5]],
      ['9', [5, 5]],
    ]);
  });

  it('sums gradients across several reads of one Variable', async () => {
    const f = await make({ name: name('sh'), keyDtype: 'int32', dim: 1, initializer: 0 });
    await f.train(new SGD({ learningRate: 1 }), () =>
      tf.add(tf.sum(embeddingLookup(f.params, [3, 4])), tf.mul(tf.sum(embeddingLookup(f.params, [4])), 3)),
    );
    expect(await f.rows()).toEqual([
      ['3', [-1]],
      ['4', [-4]],
    ]);
  });

  it('trains dense tfjs variables used in the same loss', async () => {
    const f = await make({ name: name('d'), keyDtype: 'int32', dim: 2, initializer: 1 });
    const w = tf.variable(tf.tensor2d([[2], [3]]), true, name('tower'));
    await f.train(new Adagrad({ learningRate: 0.1 }), () =>
      tf.sum(tf.matMul(tf.reshape(embeddingLookup(f.params, [[1]]), [1, 2]), w)),
    );
    const delta = 0.1 / Math.sqrt(1.1 + 1e-7);
    expect(w.dataSync()[0]).toBeCloseTo(2 - delta, 6);
    expect((await f.rows())[0][1]).toEqual([
      expect.closeTo(1 - (0.1 * 2) / Math.sqrt(0.1 + 4), 5),
      expect.closeTo(1 - (0.1 * 3) / Math.sqrt(0.1 + 9), 5),
    ]);
    w.dispose();
  });

  it('clips written-back rows to the lookup maxNorm', async () => {
    const f = await make({ name: name('mn'), keyDtype: 'int32', dim: 2, initializer: 0 });
    await f.train(new SGD({ learningRate: 10 }), () =>
      tf.sum(tf.mul(embeddingLookup(f.params, [1], { maxNorm: 1 }), -1)),
    );
    const row = (await f.rows())[0][1];
    expect(Math.hypot(row[0], row[1])).toBeCloseTo(1, 6);
    expect(row[0]).toBeCloseTo(Math.SQRT1_2, 6);
  });

  it('Timestamp restrict keeps the most recent keys in the values, slots and status', async () => {
    const f = await make({
      name: name('r'),
      keyDtype: 'int32',
      dim: 3,
      initializer: 0.1,
      partitions: 1,
      restrictPolicy: TimestampRestrictPolicy,
    });
    const opt = new Adam({ learningRate: 0.01 });
    for (const b of [range(0, 5), range(4, 8)])
      await f.train(opt, () => tf.sum(tf.square(embeddingLookup(f.params, b))));
    const all = () => Promise.all([f.rows(), f.slotRows(opt, 'm'), f.slotRows(opt, 'v'), f.statusRows()]);
    for (const t of await all()) expect(t.length).toBe(9);
    const s = await f.statusRows();
    expect(s[8][1][0] - s[0][1][0]).toBe(1); // the status is the global step of the last update
    const before = (await f.rows()).slice(4);
    expect(await f.restrict(5, { trigger: 100 })).toBe(0);
    expect(await f.restrict(5, { trigger: 5 })).toBe(4);
    for (const t of await all()) expect(keysOf(t)).toEqual(range(4, 8));
    expect(await f.rows()).toEqual(before);
  });

  it('Frequency counts +1 per key per step and keeps the most frequent', async () => {
    const f = await make({
      name: name('f'),
      keyDtype: 'int32',
      dim: 3,
      initializer: 0.1,
      partitions: 1,
      restrictPolicy: FrequencyRestrictPolicy,
    });
    const opt = new Adam({ learningRate: 0.01 });
    for (const b of [range(0, 5), [...range(4, 8), 8, 8], range(6, 8)]) {
      await f.train(opt, () => tf.sum(tf.square(embeddingLookup(f.params, b))));
    }
    expect((await f.statusRows()).map((r) => r[1][0])).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 2]);
    expect(await f.restrict(5)).toBe(4);
    for (const t of [await f.rows(), await f.slotRows(opt, 'm'), await f.statusRows()]) {
      expect(keysOf(t)).toEqual(range(4, 8));
    }
  });
});

// Whole tables after a few steps of every optimizer, with maxNorm and bpV2: identical bits.
const optimizers: [string, () => Optimizer][] = [
  ['SGD', () => new SGD({ learningRate: 0.3 })],
  ['Momentum', () => new Momentum({ learningRate: 0.1, useNesterov: true })],
  ['Adagrad', () => new Adagrad({ learningRate: 0.2 })],
  ['Adam', () => new Adam({ learningRate: 0.05, amsgrad: true })],
  ['Ftrl', () => new Ftrl({ learningRate: 0.2, l1RegularizationStrength: 0.01 })],
  ['RMSprop', () => new RMSprop({ learningRate: 0.05, centered: true, momentum: 0.5 })],
];

async function trainRun(
  face: Face,
  opt: Optimizer,
  steps: number,
  o: { maxNorm?: number; bpV2?: boolean },
  onStep?: (s: number) => void,
): Promise<{ retried: number; committedOnDeath: number }> {
  let retried = 0;
  let committedOnDeath = 0;
  for (let s = 0; s < steps; s++) {
    const r = rng(500 + s);
    const batch = Array.from({ length: 24 }, () => Math.floor(r() * 40));
    const target = tf.tensor1d(Array.from({ length: 24 }, (_, i) => Math.sin(i + s)));
    for (;;) {
      onStep?.(s);
      try {
        await face.train(
          opt,
          () => {
            const e = embeddingLookup(face.params, batch, { maxNorm: o.maxNorm });
            return tf.mean(tf.square(tf.sub(tf.sum(e, 1), target)));
          },
          { bpV2: o.bpV2 },
        );
        break;
      } catch (e) {
        if (!(e instanceof WorkerDiedError)) throw e;
        if (e.applied) {
          committedOnDeath++; // the update is in the recovery log: the restored worker holds it
          break;
        }
        retried++; // the rows were not read: nothing changed, run the step again
        await pool.whenReady();
      }
    }
    target.dispose();
  }
  return { retried, committedOnDeath };
}

describe('whole tables equal in-process and pooled', () => {
  it.each(optimizers)('%s, maxNorm and bpV2, 3 partitions on 2 workers', async (_, makeOpt) => {
    for (const o of [{}, { maxNorm: 0.8 }, { bpV2: true }]) {
      const opts = (): VariableOptions => ({
        name: name('all'),
        keyDtype: 'int64',
        dim: 4,
        partitions: 3,
        initializer: randomNormal({ seed: 3, stddev: 0.3 }),
        restrictPolicy: FrequencyRestrictPolicy,
      });
      const results = [];
      for (const make of Object.values(placements)) {
        const face = await make(opts());
        const opt = makeOpt();
        await trainRun(face, opt, 4, o);
        const slots = await Promise.all(opt.slotSpecs().map((sp) => face.slotRows(opt, sp.name)));
        results.push({ rows: await face.rows(), slots, status: await face.statusRows() });
      }
      expect(results[1]).toEqual(results[0]);
      expect(results[0].rows.length).toBeGreaterThan(20);
    }
  });

  it('workers killed mid-training (during a read and during an update) lose nothing', async () => {
    const opts = (): VariableOptions => ({
      name: name('crash'),
      keyDtype: 'int32',
      dim: 4,
      partitions: 4,
      initializer: randomNormal({ seed: 8, stddev: 0.3 }),
      restrictPolicy: TimestampRestrictPolicy,
    });
    const step0 = globalStep(); // the timestamp status is the global step: start both runs at the same one
    const want = await placements['in-process'](opts());
    const wantOpt = new Adam({ learningRate: 0.05 });
    await trainRun(want, wantOpt, 30, { maxNorm: 1 });

    setGlobalStep(step0);
    const face = await placements.pooled(opts());
    const opt = new Adam({ learningRate: 0.05 });
    const restartsBefore = pool.stats().restarts;
    // Kill a worker right after the pool takes a call from this run: at step 8 a read (the
    // step's rows being fetched from worker 1), at step 20 an update (the step's training
    // mutation to worker 0, already in the recovery log).
    let arm: { method: string; worker: number } | undefined;
    const call = pool.call.bind(pool);
    pool.call = ((w: number, method: string, args: unknown[], o?: object) => {
      const p = call(w, method as 'size', args as [number], o);
      const isTrain = method === 'apply' && (args[1] as { op?: string })?.op === 'train';
      if (arm && w === arm.worker && (arm.method === 'gather' ? method === 'gather' : isTrain)) {
        arm = undefined;
        pool.killWorker(w);
      }
      return p;
    }) as typeof pool.call;
    let stats: { retried: number; committedOnDeath: number };
    try {
      stats = await trainRun(face, opt, 30, { maxNorm: 1 }, (s) => {
        if (s === 8 && pool.stats().restarts === restartsBefore) arm = { method: 'gather', worker: 1 };
        if (s === 20 && pool.stats().restarts === restartsBefore + 1) arm = { method: 'train', worker: 0 };
      });
    } finally {
      pool.call = call;
    }
    expect(pool.stats().restarts - restartsBefore).toBe(2);
    expect(stats).toEqual({ retried: 1, committedOnDeath: 1 });
    expect(await face.rows()).toEqual(await want.rows());
    for (const sp of opt.slotSpecs())
      expect(await face.slotRows(opt, sp.name)).toEqual(await want.slotRows(wantOpt, sp.name));
    expect(await face.statusRows()).toEqual(await want.statusRows());
  });
});
