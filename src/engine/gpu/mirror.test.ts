// The GPU mirror's logic on tfjs's cpu backend (Node has no WebGL; the same spec runs on WebGL
// in Chromium): same rows as Variable.lookup, incremental uploads, and the WASM fallback reason.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { backendInfo } from '../info.js';
import { randomNormal } from '../initializers.js';
import { embeddingLookup, embeddingLookupSparse } from '../lookup.js';
import { SparseTensor } from '../tensor.js';
import { Variable } from '../variable.js';
import { ready } from '../wasm.js';
import { restore, save } from '../checkpoint/checkpoint.js';
import { Adagrad } from '../train/optimizers/adagrad.js';
import { Adam } from '../train/optimizers/adam.js';
import { TimestampRestrictPolicy } from '../train/restrict.js';
import { type StepGradients, step } from '../train/step.js';
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

  it('sparse combiners with weights and maxNorm give the rows of embeddingLookupSparse', () => {
    const v = new Variable({
      name: 'sp',
      keyDtype: 'int32',
      dim: 3,
      partitions: 2,
      initializer: randomNormal({ seed: 4 }),
    });
    v.upsert(
      [1, 2, 3],
      [
        [3, 4, 0],
        [1, 1, 1],
        [0, 0, 2],
      ],
    );
    const g = new GpuGather(v);
    const sp = new SparseTensor({
      indices: [
        [0, 0],
        [0, 1],
        [2, 0],
        [2, 1],
      ],
      values: [1, 9, 2, 3],
      denseShape: [3, 2],
    });
    const w = new SparseTensor({
      indices: [
        [0, 0],
        [0, 1],
        [2, 0],
        [2, 1],
      ],
      values: [2, 1, 0.5, 3],
      denseShape: [3, 2],
    });
    for (const combiner of ['sum', 'mean', 'sqrtn'] as const) {
      for (const weights of [w, null]) {
        const got = g.lookupSparse(sp, weights, { combiner, maxNorm: 2 }).arraySync() as number[][];
        const want = embeddingLookupSparse(v, sp, weights, { combiner, maxNorm: 2 }).arraySync() as number[][];
        got.flat().forEach((x, i) => expect(x).toBeCloseTo(want.flat()[i], 6));
      }
    }
    expect(() => g.lookupSparse(sp, null, { combiner: 'max' as 'sum' })).toThrow(
      "combiner must be 'sum', 'mean' or 'sqrtn', got \"max\"",
    );
    g.dispose();
  });

  it('follows upsert, remove, accum and scatterAdd, uploading only the touched rows', () => {
    const v = new Variable({ name: 'h', keyDtype: 'int32', dim: 2, partitions: 2 });
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
    v.upsert([7], [[1, 2]]); // straight through the Variable: followed too
    expect(g.pendingRows).toBe(3);
    expect(g.lookup([5, 500, 7, 1]).arraySync()).toEqual([
      [9, 9],
      [8, 8],
      [1, 2],
      [1, -1],
    ]);
    expect(g.uploadedRows).toBe(103);
    expect(g.lookup([5, 7]).arraySync()).toEqual([
      [9, 9],
      [1, 2],
    ]);
    expect(g.uploadedRows).toBe(103); // nothing written, nothing uploaded
    expect(g.remove([5])).toBe(1);
    expect(g.lookup([5]).arraySync()).toEqual([[0, 0]]);
    expect(g.uploadedRows).toBe(103);
    v.accum(
      [8, 9, 900],
      [
        [8, -8],
        [0, 0],
        [0, 0],
      ],
      [
        [10, -8],
        [1, 1],
        [3, 3],
      ],
      [true, true, false],
    );
    v.shards[v.shardOf(Int32Array.of(20))[0]].scatterAdd(Int32Array.of(20), Float32Array.of(1, 1));
    expect(g.lookup([8, 9, 900, 20]).arraySync()).toEqual(v.lookup([8, 9, 900, 20]).arraySync());
    expect(g.uploadedRows).toBe(107);
    // a row freed by remove and reused by a new key is uploaded with the new key's values
    v.remove([1, 2, 3]);
    v.upsert(
      [1001, 1002],
      [
        [4, 4],
        [5, 5],
      ],
    );
    expect(g.lookup([1001, 1002, 1]).arraySync()).toEqual([
      [4, 4],
      [5, 5],
      [0, 0],
    ]);
    expect(g.uploadedRows).toBe(109);
    g.dispose();
  });

  it('merges many written rows with one gather, growing the mirror', () => {
    const v = new Variable({ name: 'many', keyDtype: 'int32', dim: 3 });
    v.upsert(
      [1, 2],
      [
        [1, 1, 1],
        [2, 2, 2],
      ],
    );
    const g = new GpuGather(v);
    const keys = Array.from({ length: 300 }, (_, i) => 10 + i);
    v.upsert(
      keys,
      keys.map((k) => [k, -k, k / 2]),
    );
    v.upsert([2], [[5, 5, 5]]);
    const probe = [1, 2, ...keys, 7];
    expect(g.lookup(probe).arraySync()).toEqual(v.lookup(probe).arraySync());
    expect(g.uploadedRows).toBe(2 + 301);
    g.dispose();
  });

  it('follows training, restrict and checkpoint restore incrementally', async () => {
    const v = new Variable({
      name: 'trained',
      keyDtype: 'int64',
      dim: 4,
      partitions: 2,
      initializer: randomNormal({ seed: 9, stddev: 0.5 }),
      restrictPolicy: TimestampRestrictPolicy,
    });
    v.upsert(
      Array.from({ length: 50 }, (_, i) => i),
      Array.from({ length: 50 }, (_, i) => [i, 1, 0, -1]),
    );
    const g = new GpuGather(v);
    expect(g.uploadedRows).toBe(50);
    const opt = new Adagrad({ learningRate: 0.1 });
    const batch = [3, 4, 60, 3]; // 3 distinct keys, one of them new
    step(opt, () => tf.sum(tf.square(embeddingLookup(v, batch, { maxNorm: 3 }))));
    expect(g.pendingRows).toBe(3);
    const probe = [3, 4, 60, 0, 49];
    expect(g.lookup(probe).arraySync()).toEqual(v.lookup(probe).arraySync());
    expect(g.uploadedRows).toBe(53);
    const saved = await save([v]);
    v.upsert(
      [0, 1],
      [
        [7, 7, 7, 7],
        [7, 7, 7, 7],
      ],
    );
    expect(v.restrict(10)).toBe(41);
    expect(g.lookup(probe).arraySync()).toEqual(v.lookup(probe).arraySync());
    expect(g.uploadedRows).toBe(55);
    await restore(saved, [v]); // clear + write every saved row: 51 rows
    expect(g.lookup(probe).arraySync()).toEqual(v.lookup(probe).arraySync());
    expect(g.uploadedRows).toBe(55 + 51);
    g.dispose();
  });
});

describe('training through the GPU mirror', () => {
  const sortedRows = (v: Variable): [string, number[]][] => {
    const { keys, values } = v.export();
    return Array.from(keys as ArrayLike<number | bigint | string>, (k, i): [string, number[]] => [
      String(k),
      Array.from(values.subarray(i * v.dim, (i + 1) * v.dim)),
    ]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  };

  it.each(['adagrad', 'adam'] as const)(
    'de.train.step over g.lookup / g.lookupSparse trains the Variable as the WASM lookups do (%s)',
    (which) => {
      const dim = 4;
      const make = (name: string) => {
        const v = new Variable({
          name,
          keyDtype: 'int64',
          dim,
          partitions: 2,
          initializer: randomNormal({ seed: 11, stddev: 0.5 }),
        });
        v.upsert(
          Array.from({ length: 40 }, (_, i) => i),
          Array.from({ length: 40 }, (_, i) => [Math.sin(i), 1.5, -Math.cos(i), i / 20]),
        );
        return v;
      };
      const onGpu = make('trained_gpu');
      const onWasm = make('trained_wasm');
      const g = new GpuGather(onGpu);
      const opt = () => (which === 'adam' ? new Adam({ learningRate: 0.05 }) : new Adagrad({ learningRate: 0.2 }));
      const optGpu = opt();
      const optWasm = opt();
      const before = sortedRows(onGpu);
      const gradsOf = (out: StepGradients[][]) => (rows: readonly StepGradients[]) =>
        out.push(rows.map((r) => ({ ...r, keys: r.keys.slice(), grad: r.grad.slice() })));
      const gpuGrads: StepGradients[][] = [];
      const wasmGrads: StepGradients[][] = [];
      for (let s = 0; s < 6; s++) {
        // repeated ids, and ids 40+ that are not stored yet (training inserts them)
        const batch = Array.from({ length: 24 }, (_, i) => (i * 7 + s * 5) % 48);
        const sp = new SparseTensor({
          indices: [
            [0, 0],
            [0, 1],
            [1, 0],
            [2, 0],
            [2, 1],
          ],
          values: [s, 44, 3, s + 1, 3],
          denseShape: [3, 2],
        });
        const w = new SparseTensor({ indices: sp.indices, values: [1, 0.5, 2, 1.5, 1], denseShape: [3, 2] });
        const target = tf.tensor2d(
          Array.from({ length: 24 }, (_, i) => [Math.cos(i + s)]),
          [24, 1],
        );
        const loss = (dense: tf.Tensor, sparse: tf.Tensor) =>
          tf.add(tf.mean(tf.square(tf.sub(tf.sum(dense, 1, true), target))), tf.sum(tf.square(sparse))) as tf.Scalar;
        const lossGpu = step(
          optGpu,
          () => loss(g.lookup(batch, { maxNorm: 2 }), g.lookupSparse(sp, w, { combiner: 'sqrtn', maxNorm: 2 })),
          { onGradients: gradsOf(gpuGrads) },
        );
        const lossWasm = step(
          optWasm,
          () =>
            loss(
              embeddingLookup(onWasm, batch, { maxNorm: 2 }),
              embeddingLookupSparse(onWasm, sp, w, { combiner: 'sqrtn', maxNorm: 2 }),
            ),
          { onGradients: gradsOf(wasmGrads) },
        );
        target.dispose();
        expect(lossGpu).toBeCloseTo(lossWasm, 5);
      }
      // the same keys and gradients at every step, and the same tables after
      expect(gpuGrads.map((st) => st.map((r) => Array.from(r.keys as BigInt64Array, String).sort()))).toEqual(
        wasmGrads.map((st) => st.map((r) => Array.from(r.keys as BigInt64Array, String).sort())),
      );
      const after = sortedRows(onGpu);
      const want = sortedRows(onWasm);
      expect(after.map(([k]) => k)).toEqual(want.map(([k]) => k));
      expect(after.length).toBe(48); // the 8 new ids were inserted by training
      after.forEach(([, row], i) => row.forEach((x, d) => expect(x).toBeCloseTo(want[i][1][d], 5)));
      // training moved the rows (the gradient reached the table through the GPU path)
      const moved = after.filter(([k, row]) => {
        const old = before.find(([b]) => b === k);
        return old !== undefined && row.some((x, d) => Math.abs(x - old[1][d]) > 1e-4);
      }).length;
      expect(moved).toBeGreaterThan(30);
      // and the mirror follows: its next lookup equals the table
      const probe = Array.from({ length: 48 }, (_, i) => i);
      const got = g.lookup(probe).arraySync() as number[][];
      got.flat().forEach((x, i) => expect(x).toBe(onGpu.lookup(probe).dataSync()[i]));
      g.dispose();
    },
  );

  it('records one read per lookup on the tape, with the unique keys and which existed', () => {
    const v = new Variable({ name: 'taped', keyDtype: 'int32', dim: 2, partitions: 2 });
    v.upsert(
      [1, 2],
      [
        [1, 0],
        [0, 1],
      ],
    );
    const g = new GpuGather(v);
    const seen: StepGradients[] = [];
    step(new Adagrad({ learningRate: 0.1 }), () => tf.sum(g.lookup([2, 9, 2, 1])), {
      onGradients: (rows) =>
        seen.push(...rows.map((r) => ({ ...r, keys: r.keys.slice(), grad: r.grad.slice(), exists: r.exists.slice() }))),
    });
    expect(seen.length).toBe(1);
    expect(Array.from(seen[0].keys as Int32Array)).toEqual([2, 9, 1]);
    expect(Array.from(seen[0].exists)).toEqual([1, 0, 1]);
    expect(Array.from(seen[0].grad)).toEqual([2, 2, 1, 1, 1, 1]); // key 2 read twice
    g.dispose();
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

  it('refuses a bad budget and leaves the last choice as it was', async () => {
    await chooseGather('auto');
    const before = backendInfo().gatherReason;
    for (const budgetMs of [0, -1, Number.NaN, Infinity, '100' as unknown as number]) {
      await expect(chooseGather('auto', { budgetMs })).rejects.toThrow(
        'chooseGather: budgetMs must be a positive number of milliseconds, got',
      );
    }
    await expect(chooseGather('auto', null as unknown as object)).rejects.toThrow('options must be an object');
    expect(backendInfo().gatherReason).toBe(before);
  });

  it('resolves within its budget when the tfjs backend never becomes ready, choosing WASM with the reason', async () => {
    // a backend whose start never finishes: tf.ready() stays pending for good
    tf.registerBackend('never_ready', () => new Promise<tf.KernelBackend>(() => undefined), 99);
    void tf.setBackend('never_ready');
    try {
      const t0 = performance.now();
      const c = await chooseGather('auto', { budgetMs: 150 });
      expect(performance.now() - t0).toBeLessThan(5000); // bounded (generous on a loaded machine)
      expect(c.gather).toBe('wasm');
      expect(c.reason).toBe(
        'WebGL not used: the calibration budget of 150 ms ran out waiting for the tfjs backend to become ready (tf.ready()), so lookups gather in WASM',
      );
      expect(backendInfo().gatherReason).toBe(c.reason);
      await expect(chooseGather('webgl', { budgetMs: 50 })).rejects.toThrow(
        "chooseGather('webgl'): WebGL not used: the calibration budget of 50 ms ran out",
      );
    } finally {
      tf.removeBackend('never_ready');
      await tf.setBackend('cpu');
    }
    expect((await chooseGather('auto')).reason).toMatch(/^WebGL missing: the tfjs backend is 'cpu'/);
  });
});
