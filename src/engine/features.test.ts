// One spec, many backends (as tfjs's describeWithFlags): de.featureLookup's shapes, values,
// combiners, weights, padding, provenance, gradients and errors, asserted with the same numbers on
// every backend the engine has in Node: the WASM SIMD kernels, the WASM scalar kernels, the GPU
// mirror (de.gpu.GpuGather; Node has no WebGL, so its tensors live on tfjs's cpu backend, as in
// gpu/mirror.test.ts) and the worker pool (a Variable placed on worker_threads; needs `npm run build:lib`).
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from './errors.js';
import type { FeatureBatch, FeatureSpec } from './feature-plan.js';
import { featureLookup, featureLookupAsync, type FeatureLookupResult } from './features.js';
import { GpuGather } from './gpu/mirror.js';
import { WorkerPool } from './pool/pool.js';
import { placeVariable } from './pool/variable.js';
import { SGD } from './train/optimizers/index.js';
import { step } from './train/step.js';
import { Variable, type VariableOptions } from './variable.js';
import { hostSupportsSimd, ready, type WasmFlavour } from './wasm.js';

type Lookup = (spec: FeatureSpec, batch: FeatureBatch) => tf.Tensor;

/** One table on one backend. */
interface Table {
  upsert(ids: number[], rows: number[][]): Promise<void>;
  lookup(spec: FeatureSpec, batch: FeatureBatch, provenance?: boolean): Promise<FeatureLookupResult>;
  /** One SGD step on `loss(lookup)`; the lookup reads this table. */
  train(learningRate: number, loss: (lookup: Lookup) => tf.Scalar): Promise<number>;
  rows(): Promise<Record<string, number[]>>;
  size(): Promise<number>;
}

interface Backend {
  name: string;
  run: boolean;
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** The backend inserts on lookup when the Variable asks (the pool and the read-only mirror do not). */
  inserts: boolean;
  expectBackend: string;
  make(o: VariableOptions): Promise<Table>;
}

const rowsOf = (e: { keys: ArrayLike<unknown>; values: Float32Array; dim: number }) =>
  Object.fromEntries(
    Array.from(e.keys, (k, i) => [String(k), Array.from(e.values.subarray(i * e.dim, (i + 1) * e.dim))]),
  );

function inProcess(v: Variable, table: Variable | GpuGather): Table {
  return {
    upsert: async (ids, rows) => v.upsert(ids, rows),
    lookup: async (spec, batch, provenance) => featureLookup(table, spec, batch, { provenance }),
    train: async (lr, loss) =>
      step(new SGD({ learningRate: lr }), () => loss((s, b) => featureLookup(table, s, b).output)),
    rows: async () => rowsOf(v.export()),
    size: async () => v.size(),
  };
}

const wasm = (flavour: WasmFlavour): Backend => ({
  name: `WASM ${flavour}`,
  run: flavour === 'scalar' || hostSupportsSimd(),
  setup: async () => {
    await ready({ wasm: flavour });
    await tf.setBackend('cpu');
  },
  teardown: async () => undefined,
  inserts: true,
  expectBackend: 'wasm',
  make: async (o) => {
    const v = new Variable(o);
    // the kernels every shard runs are this backend's
    expect(v.shards.every((s) => s.heap.flavour === flavour)).toBe(true);
    return inProcess(v, v);
  },
});

let pool: WorkerPool | undefined;

const BACKENDS: Backend[] = [
  wasm('simd'),
  wasm('scalar'),
  {
    name: 'GPU mirror (GpuGather on tfjs cpu)',
    run: true,
    setup: async () => {
      await ready();
      await tf.setBackend('cpu');
    },
    teardown: async () => undefined,
    inserts: false,
    expectBackend: 'webgl',
    make: async (o) => {
      const v = new Variable(o);
      return inProcess(v, new GpuGather(v));
    },
  },
  {
    name: 'worker pool (2 worker_threads)',
    run: true,
    setup: async () => {
      await ready();
      await tf.setBackend('cpu');
      pool = await WorkerPool.create({ size: 2 });
    },
    teardown: async () => {
      await pool?.terminate();
    },
    inserts: false,
    expectBackend: 'pool',
    make: async (o) => {
      const v = await placeVariable(pool!, o);
      return {
        upsert: (ids, rows) => v.upsert(ids, rows),
        lookup: (spec, batch, provenance) => featureLookupAsync(v, spec, batch, { provenance }),
        train: (lr, loss) =>
          step(new SGD({ learningRate: lr }), () => loss((s, b) => featureLookup(v, s, b).output), { async: true }),
        rows: async () => rowsOf(await v.export()),
        size: () => v.size(),
      };
    },
  },
];

let serial = 0;
const ROWS: [number, number[]][] = [
  [1, [1, 0]],
  [2, [0, 4]],
  [3, [3, 4]],
  [4, [-2, 0]],
];

for (const backend of BACKENDS) {
  describe.runIf(backend.run)(`de.featureLookup on ${backend.name}`, () => {
    beforeAll(backend.setup, 60_000);
    afterAll(backend.teardown);

    /** int64 keys, dim 2, 2 shards (key mod 2), missing keys read zeros. */
    async function table(extra: Partial<VariableOptions> = {}): Promise<Table> {
      const o: VariableOptions = { name: `feat_${serial++}`, keyDtype: 'int64', dim: 2, partitions: 2, ...extra };
      const t = await backend.make(o);
      const empty = await t.lookup({}, { ids: [] }); // an empty batch is a valid lookup of nothing
      expect(empty.output.shape).toEqual([0, 2]);
      return t;
    }

    /** {@link table} holding rows 1-4. */
    async function filled(extra: Partial<VariableOptions> = {}): Promise<Table> {
      const t = await table(extra);
      await t.upsert(
        ROWS.map(([k]) => k),
        ROWS.map(([, r]) => r),
      );
      expect(await t.rows()).toEqual(Object.fromEntries(ROWS.map(([k, r]) => [String(k), r])));
      return t;
    }

    it('embedding: dense ids give shape(ids) + [dim], missing keys read zeros, maxNorm clips each vector', async () => {
      const t = await filled();
      const r = await t.lookup({ input: 'dense' }, { ids: [1, 2, 9, 3], shape: [2, 2] });
      expect(r.op).toBe('embedding');
      expect(r.backend).toBe(backend.expectBackend);
      expect(r.provenance).toBeNull();
      expect(r.output.shape).toEqual([2, 2, 2]);
      expect(r.output.arraySync()).toEqual([
        [
          [1, 0],
          [0, 4],
        ],
        [
          [0, 0],
          [3, 4],
        ],
      ]);
      const c = await t.lookup({ maxNorm: 2 }, { ids: [3, 2, 1] });
      const got = (c.output.arraySync() as number[][]).flat();
      [1.2, 1.6, 0, 2, 1, 0].forEach((x, i) => expect(got[i]).toBeCloseTo(x, 6));
      expect(await t.size()).toBe(4); // a lookup never inserts
    });

    it('squashed: dense ids combined per example with sum, mean and sqrtn; rank 1 gives one vector', async () => {
      const t = await filled();
      const batch = { ids: [1, 2, 3, 4], shape: [2, 2] };
      expect((await t.lookup({ combiner: 'sum' }, batch)).output.arraySync()).toEqual([
        [1, 4],
        [1, 4],
      ]);
      expect((await t.lookup({ combiner: 'mean' }, batch)).output.arraySync()).toEqual([
        [0.5, 2],
        [0.5, 2],
      ]);
      const sq = (await t.lookup({ combiner: 'sqrtn' }, batch)).output.arraySync() as number[][];
      [1 / Math.SQRT2, 4 / Math.SQRT2].forEach((x, i) => expect(sq[1][i]).toBeCloseTo(x, 6));
      const one = await t.lookup({ combiner: 'sum' }, { ids: [1, 2, 3] });
      expect(one.op).toBe('squashed');
      expect(one.output.arraySync()).toEqual([4, 8]);
    });

    it('sparse / ragged rows: weighted combiners, empty rows zeros, weights ≤ 0 pruned for mean', async () => {
      const t = await filled();
      const batch = { ids: [1, 2, 9], rowSplits: [0, 2, 2, 3], weights: [1, 3, 1] };
      const mean = await t.lookup({ input: 'ragged', combiner: 'mean', weights: true }, batch);
      expect(mean.op).toBe('sparse');
      expect(mean.output.arraySync()).toEqual([
        [0.25, 3],
        [0, 0],
        [0, 0],
      ]);
      expect((await t.lookup({ input: 'sparse', combiner: 'sum' }, batch)).output.arraySync()).toEqual([
        [1, 12],
        [0, 0],
        [0, 0],
      ]);
      const sqrtn = (await t.lookup({ input: 'ragged', combiner: 'sqrtn' }, batch)).output.arraySync() as number[][];
      [1 / Math.sqrt(10), 12 / Math.sqrt(10)].forEach((x, i) => expect(sqrtn[0][i]).toBeCloseTo(x, 6));
      // a rank-2 dense batch read as rows; id 2's weight -1 is pruned by mean, kept by sum
      const pruned = { ids: [1, 2, 3, 4], shape: [2, 2], weights: [1, -1, 1, 1] };
      expect((await t.lookup({ input: 'sparse', combiner: 'mean' }, pruned)).output.arraySync()).toEqual([
        [1, 0],
        [0.5, 2],
      ]);
      expect((await t.lookup({ input: 'sparse', combiner: 'sum' }, pruned)).output.arraySync()).toEqual([
        [1, -4],
        [1, 4],
      ]);
      expect(await t.size()).toBe(4);
    });

    it('sequence: rows zero-padded to maxSequenceLength, ids past it cut', async () => {
      const t = await filled();
      const r = await t.lookup(
        { input: 'ragged', maxSequenceLength: 3 },
        { ids: [1, 2, 3, 4, 1], rowSplits: [0, 1, 5] },
        true,
      );
      expect(r.op).toBe('sequence');
      expect(r.output.shape).toEqual([2, 3, 2]);
      expect(r.output.arraySync()).toEqual([
        [
          [1, 0],
          [0, 0],
          [0, 0],
        ],
        [
          [0, 4],
          [3, 4],
          [-2, 0],
        ],
      ]);
      expect(r.call).toContain('padded with zero vectors to [2, 3, 2]');
      expect(r.provenance!.map((p) => [p.cell, p.dropped])).toEqual([
        [0, null],
        [3, null],
        [4, null],
        [5, null],
        [-1, 'cut'],
      ]);
    });

    it('provenance: hit / miss, shard, slot, row, worker, output cell and factor, vector before maxNorm', async () => {
      const t = await filled();
      const r = await t.lookup(
        { input: 'ragged', combiner: 'mean', maxNorm: 4.5 },
        { ids: [3, 2, 9, 1], rowSplits: [0, 3, 3, 4], weights: [1, 3, 0, 2] },
        true,
      );
      const p = r.provenance!;
      expect(p.map((x) => x.id)).toEqual([3, 2, 9, 1]);
      expect(p.map((x) => x.status)).toEqual(['hit', 'hit', 'miss', 'hit']);
      expect(p.map((x) => x.shard)).toEqual([1, 0, 1, 1]); // (key & 0x7fffffff) mod 2
      expect(p.map((x) => x.cell)).toEqual([0, 0, -1, 2]);
      expect(p.map((x) => x.dropped)).toEqual([null, null, 'pruned', null]);
      expect(p.map((x) => x.weight)).toEqual([0.25, 0.75, 0, 1]); // id 1: 2 / Σw = 1
      expect(Array.from(p[0].vector)).toEqual([3, 4]);
      expect(p[0].norm).toBe(5);
      expect(p.map((x) => x.clipped)).toEqual([true, false, false, false]);
      if (backend.expectBackend === 'pool') {
        expect(p.map((x) => [x.worker, x.slot, x.row])).toEqual([
          [1, -1, -1],
          [0, -1, -1],
          [1, -1, -1],
          [1, -1, -1],
        ]);
      } else {
        expect(p.map((x) => x.worker)).toEqual([-1, -1, -1, -1]);
        expect(p[2].row).toBe(-1);
        expect(p[2].slot).toBe(-1);
        // held keys: distinct rows of their shard, each at a real slot
        for (const x of [p[0], p[1], p[3]]) {
          expect(x.row).toBeGreaterThanOrEqual(0);
          expect(x.slot).toBeGreaterThanOrEqual(0);
        }
        expect(p[0].row).not.toBe(p[3].row);
      }
      const out = r.output.arraySync() as number[][];
      // row 0 = 0.25 · clip([3, 4], 4.5) + 0.75 · [0, 4]
      [0.25 * 2.7, 0.25 * 3.6 + 3].forEach((x, i) => expect(out[0][i]).toBeCloseTo(x, 5));
      expect(out[1]).toEqual([0, 0]);
      expect(out[2]).toEqual([1, 0]);
    });

    it.runIf(backend.inserts)('insertOnLookup: missing ids are inserted and reported as inserted', async () => {
      const t = await table({ insertOnLookup: true });
      const r = await t.lookup({}, { ids: [5, 6, 5] }, true);
      expect(r.provenance!.map((x) => x.status)).toEqual(['inserted', 'inserted', 'inserted']);
      expect(r.provenance!.every((x) => x.row >= 0 && x.slot >= 0)).toBe(true);
      expect(await t.size()).toBe(2);
      const again = await t.lookup({}, { ids: [5] }, true);
      expect(again.provenance![0].status).toBe('hit');
    });

    it('gradients: de.train.step through the lookup updates exactly the rows read, by their factors', async () => {
      const t = await filled();
      const spec: FeatureSpec = { input: 'ragged', combiner: 'mean', maxSequenceLength: 0 };
      const batch = { ids: [1, 2, 9], rowSplits: [0, 2, 2, 3], weights: [1, 3, 1] };
      const loss = await t.train(1, (lookup) => tf.sum(lookup(spec, batch)) as tf.Scalar);
      expect(loss).toBeCloseTo(3.25, 6);
      // SGD, lr 1: row -= factor (id 1: 1/4, id 2: 3/4, id 9: its own row's mean, 1); rows 3, 4 unread
      expect(await t.rows()).toEqual({
        '1': [0.75, -0.25],
        '2': [-0.75, 3.25],
        '3': [3, 4],
        '4': [-2, 0],
        '9': [-1, -1],
      });
      // a sequence feature: the cut id 4 is never read, so never trained
      await t.train(
        1,
        (lookup) =>
          tf.sum(lookup({ input: 'ragged', maxSequenceLength: 1 }, { ids: [3, 4], rowSplits: [0, 2] })) as tf.Scalar,
      );
      const rows = await t.rows();
      expect(rows['3']).toEqual([2, 3]);
      expect(rows['4']).toEqual([-2, 0]);
    });

    it('bad specs and batches: a clear error, and the table is unchanged', async () => {
      const t = await filled();
      const bad: [FeatureSpec, FeatureBatch, string][] = [
        [
          { input: 'ragged', combiner: 'none' },
          { ids: [1], rowSplits: [0, 1] },
          "needs a combiner ('sum', 'mean' or 'sqrtn'), got 'none'",
        ],
        [{}, { ids: [1, 2], rowSplits: [0, 1, 2] }, 'dense input takes rectangular ids, but the batch has rowSplits'],
        [{ combiner: 'mean' }, { ids: [1, 2], shape: [3] }, 'shape [3] does not hold the 2 ids given'],
        [
          { input: 'ragged', combiner: 'sum', weights: true },
          { ids: [1], rowSplits: [0, 1] },
          'this feature takes weights, but the batch has none',
        ],
        [{ maxSequenceLength: 2 }, { ids: [1, 2], weights: [1, 1] }, 'weights apply to sparse or ragged features'],
        [
          { input: 'ragged' },
          { ids: [1, 2], rowSplits: [0, 3] },
          'rowSplits must start at 0 and end at ids.length (2)',
        ],
        [
          { input: 'sparse', combiner: 'sum' },
          { ids: [1, 2] },
          'takes rows of ids (rank 2, or rowSplits), got shape [2]',
        ],
        [{ maxNorm: -1 }, { ids: [1] }, 'maxNorm must be a finite number > 0'],
        [{ combiner: 'max' as 'sum' }, { ids: [1] }, "combiner must be 'none', 'sum', 'mean', 'sqrtn', got \"max\""],
        [{}, { ids: ['a'] }, 'key dtype mismatch'],
        [
          { input: 'ragged', combiner: 'mean' },
          { ids: [1, 2], rowSplits: [0, 2], weights: [1, Number.NaN] },
          'weights must be finite numbers',
        ],
      ];
      for (const [spec, batch, message] of bad) {
        const e = await t.lookup(spec, batch).catch((x: unknown) => x);
        expect(e).toBeInstanceOf(InvalidArgumentError);
        expect((e as Error).message).toContain(message);
      }
      expect(await t.size()).toBe(4);
    });
  });
}

describe('de.featureLookup on a dense table tensor (TPU tables)', () => {
  beforeAll(async () => {
    await ready();
    await tf.setBackend('cpu');
  });

  it('reads rows by id, combines, and differentiates with tf.grads', () => {
    const table = tf.tensor2d([
      [1, 0],
      [0, 4],
      [3, 4],
    ]);
    const r = featureLookup(
      table,
      { input: 'ragged', combiner: 'sum' },
      { ids: [0, 2, 1], rowSplits: [0, 2, 3] },
      { provenance: true },
    );
    expect(r.backend).toBe('dense');
    expect(r.output.arraySync()).toEqual([
      [4, 4],
      [0, 4],
    ]);
    expect(r.provenance!.map((p) => [p.row, p.cell, p.status])).toEqual([
      [0, 0, 'hit'],
      [2, 0, 'hit'],
      [1, 1, 'hit'],
    ]);
    const g = tf.grad((t: tf.Tensor) =>
      tf.sum(
        tf.mul(
          featureLookup(t as tf.Tensor2D, { combiner: 'mean' }, { ids: [2, 2, 0, 1], shape: [2, 2] }).output,
          tf.tensor2d([
            [1, 2],
            [3, 4],
          ]),
        ),
      ),
    )(table);
    // row 0 = mean(t2, t2) · [1, 2]; row 1 = mean(t0, t1) · [3, 4]
    expect(g.arraySync()).toEqual([
      [1.5, 2],
      [1.5, 2],
      [1, 2],
    ]);
    expect(() => featureLookup(table, {}, { ids: [3] })).toThrow('expected an integer in [0, 3)');
  });
});
