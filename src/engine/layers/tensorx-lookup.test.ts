import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as initializers from '../initializers.js';
import { SparseTensor } from '../tensor.js';
import { Variable } from '../variable.js';
import { ready } from '../wasm.js';
import { Lookup, LookupView } from './tensorx-lookup.js';

beforeAll(async () => {
  await ready();
});

// w[i] = [10i, 10i + 1, 10i + 2]
const W = Float32Array.from({ length: 30 }, (_, k) => 10 * Math.floor(k / 3) + (k % 3));
const row = (i: number) => [10 * i, 10 * i + 1, 10 * i + 2];
const Z = [0, 0, 0];

function fixed(opts: Partial<ConstructorParameters<typeof Lookup>[0]> = {}) {
  const l = new Lookup({ seqSize: 4, embeddingShape: [10, 3], ...opts });
  const ws = [{ name: 'w', shape: [10, 3], values: W }];
  if (l.addBias) ws.push({ name: 'b', shape: [10], values: new Float32Array(10).fill(0.5) });
  l.setWeights(ws);
  return l;
}

describe('Lookup over a fixed [vocab, n] table', () => {
  it('dense [b, s] -> [batchSize, seqSize, n], zero padded on both axes', () => {
    const out = fixed({ batchSize: 3 }).call([
      [1, 2],
      [3, 4],
    ]);
    expect(out.shape).toEqual([3, 4, 3]);
    expect(out.arraySync()).toEqual([
      [row(1), row(2), Z, Z],
      [row(3), row(4), Z, Z],
      [Z, Z, Z, Z],
    ]);
  });

  it('never truncates; batchPadding false skips batch padding; rank-1 ids are one sequence', () => {
    const l = fixed({ batchSize: 1 });
    expect(
      l.call([
        [1, 2, 3, 4, 5],
        [0, 0, 0, 0, 0],
      ]).shape,
    ).toEqual([2, 5, 3]);
    expect(fixed({ batchSize: 3, batchPadding: false }).call([[1]]).shape).toEqual([1, 4, 3]);
    expect(fixed().call([7, 8]).arraySync()).toEqual([[row(7), row(8), Z, Z]]);
    expect(
      fixed()
        .call(tf.tensor2d([[9]], [1, 1], 'int32'))
        .arraySync(),
    ).toEqual([[row(9), Z, Z, Z]]);
  });

  it('addBias adds the per-id scalar to every component', () => {
    const out = fixed({ addBias: true })
      .call([[2]])
      .arraySync() as number[][][];
    expect(out[0][0]).toEqual([20.5, 21.5, 22.5]);
    expect(out[0][1]).toEqual(Z);
  });

  it('a SparseTensor gives one weighted-sum vector per row, rows padded to a multiple of seqSize', () => {
    const sp = new SparseTensor({
      indices: [
        [0, 1],
        [0, 2],
        [1, 3],
        [2, 0],
      ],
      values: [1, 0.5, 2, 1],
      denseShape: [3, 10],
    });
    const l = fixed({ seqSize: 2 });
    const out = l.call(sp);
    expect(out.shape).toEqual([2, 2, 3]);
    expect(out.arraySync()).toEqual([
      [
        [20, 21.5, 23],
        [60, 62, 64],
      ],
      [row(0), Z],
    ]);
    const withBatch = fixed({ seqSize: 2, batchSize: 3, addBias: true }).call(sp).arraySync() as number[][][];
    expect(withBatch).toHaveLength(3);
    expect(withBatch[0][0]).toEqual([20.75, 22.25, 23.75]); // + 0.5·1 + 0.5·0.5
    expect(withBatch[2]).toEqual([Z, Z]);
    expect(() => fixed({ seqSize: undefined }).call(sp)).toThrow(/a SparseTensor input needs seqSize/);
  });

  it('asConcat gives [b, seqSize * n]; permuteBatchTime gives [seqSize, b, n]', () => {
    const l = fixed({ seqSize: 2 });
    const c = l.asConcat();
    expect(c.call([[1], [2]]).arraySync()).toEqual([
      [...row(1), ...Z],
      [...row(2), ...Z],
    ]);
    expect(c.computeOutputShape([null, 1])).toEqual([null, 6]);
    const p = l.permuteBatchTime();
    expect(p.call([[1], [2]]).arraySync()).toEqual([
      [row(1), row(2)],
      [Z, Z],
    ]);
    expect(p.computeOutputShape([2, 1])).toEqual([2, 2, 3]);
    expect(c.countParams()).toBe(30);
    const again = LookupView.fromConfig(c.getConfig() as Parameters<typeof LookupView.fromConfig>[0]);
    expect(again.mode).toBe('concat');
    again.setWeights(c.getWeights());
    expect(again.call([[1], [2]]).arraySync()).toEqual(c.call([[1], [2]]).arraySync());
    expect(() => LookupView.fromConfig({ lookup: l.getConfig(), mode: 'flat' as never })).toThrow(
      /mode must be 'concat' or 'permute', got "flat"/,
    );
  });

  it('shareStateWith and reuseWith share the weights; a different shape is refused', () => {
    const a = fixed({ addBias: true });
    const b = new Lookup({ seqSize: 1, embeddingShape: [10, 3], shareStateWith: a, addBias: true });
    const c = a.reuseWith({ name: 'reused' });
    expect(b.weights).toBe(a.weights);
    expect(c.weights).toBe(a.weights);
    expect(c.bias).toBe(a.bias);
    expect(c.name).toBe('reused');
    expect(b.call([[3]]).arraySync()).toEqual([[[30.5, 31.5, 32.5]]]);
    expect(() => new Lookup({ seqSize: 1, embeddingShape: [10, 4], shareStateWith: a })).toThrow(
      /same embeddingShape; expected \[10,4\], the other layer has \[10,3\]/,
    );
    const noBias = fixed();
    expect(() => new Lookup({ seqSize: 1, embeddingShape: [10, 3], shareStateWith: noBias, addBias: true })).toThrow(
      /has no bias to share/,
    );
  });

  it('glorotUniform over fans (vocab, n); fromConfig rebuilds the same keyed weights', () => {
    const l = new Lookup({
      seqSize: 2,
      embeddingShape: [1000, 4],
      weightInit: initializers.glorotUniform({ seed: 3 }),
    });
    const [w] = l.getWeights();
    const limit = Math.sqrt(6 / 1004);
    expect(Math.max(...w.values)).toBeLessThanOrEqual(limit);
    expect(Math.max(...w.values)).toBeGreaterThan(0.95 * limit);
    const twin = Lookup.fromConfig(JSON.parse(JSON.stringify({ ...l.getConfig(), name: 'twin' })));
    expect(Array.from(twin.getWeights()[0].values)).toEqual(Array.from(w.values));
    expect(twin.getConfig()).toMatchObject({
      seqSize: 2,
      embeddingShape: [1000, 4],
      addBias: false,
      batchPadding: true,
    });
    // the same name twice (a config reused as is) gets distinct tfjs Variables
    const same = Lookup.fromConfig(l.getConfig());
    expect(same.name).toBe(l.name);
    expect((same.weights as tf.Variable).name).not.toBe((l.weights as tf.Variable).name);
  });

  it('weights, params and shapes', () => {
    const l = fixed({ addBias: true, batchSize: 3 });
    expect(l.countParams()).toBe(40);
    expect(l.getWeights().map((w) => w.shape)).toEqual([[10, 3], [10]]);
    expect(l.computeOutputShape([2, 2])).toEqual([3, 4, 3]);
    expect(l.computeOutputShape([null, 6])).toEqual([null, 6, 3]);
    expect(new Lookup({ seqSize: 2, embeddingShape: [10, 3], shape: [8, 2, 3] }).computeOutputShape([1, 1])).toEqual([
      8, 2, 3,
    ]);
    const before = JSON.stringify(l.getWeights().map((w) => Array.from(w.values)));
    expect(() =>
      l.setWeights([{ name: 'w', shape: [10, 3], values: new Float32Array(29) }, l.getWeights()[1]]),
    ).toThrow(/Expected shape \[10, 3\] for weight 0, got a Float32Array of length 29/);
    expect(() => l.setWeights([l.getWeights()[0]])).toThrow(/expected 2 weights/);
    expect(JSON.stringify(l.getWeights().map((w) => Array.from(w.values)))).toBe(before);
  });

  it('rejects out-of-vocabulary ids, rank-3 ids and bad options', () => {
    const l = fixed();
    expect(() => l.call([[10]])).toThrow(/id 10 at 0 is out of range; expected an integer in \[0, 10\)/);
    expect(() => l.call([[-1]])).toThrow(/out of range/);
    expect(() => l.call([[[1]]])).toThrow(/dense ids must have rank < 3/);
    expect(() => l.call(['a'])).toThrow(/must be integers, got strings/);
    expect(() => new Lookup({ seqSize: 0, embeddingShape: [10, 3] })).toThrow(/seqSize must be an integer >= 1, got 0/);
    expect(() => new Lookup({ seqSize: 1, embeddingShape: [10] as never })).toThrow(
      /embeddingShape must be \[vocab, n\]/,
    );
  });
});

describe('Lookup over a dynamic table', () => {
  it('reads keyed glorot rows for unseen ids (fans = dim) without inserting; upserts show through', () => {
    const l = new Lookup({
      seqSize: 3,
      embeddingShape: { dim: 3, dynamic: true },
      weightInit: initializers.glorotUniform({ seed: 1 }),
    });
    const out = l.call([[5, 1_000_000_007]]).arraySync() as number[][][];
    expect(out[0][2]).toEqual(Z);
    expect(out[0][0].every((x) => Math.abs(x) <= 1 && x !== 0)).toBe(true);
    expect(l.call([[5]]).arraySync()).toEqual([[out[0][0], Z, Z]]);
    const table = l.weights as Variable;
    expect(table).toBeInstanceOf(Variable);
    expect(table.size()).toBe(0);
    table.upsert([5], [[1, 2, 3]]);
    expect(l.call([[5]]).arraySync()).toEqual([[[1, 2, 3], Z, Z]]);
    expect(l.countParams()).toBe(3);
  });

  it('sparse input, bias, weights round trip and config', () => {
    const l = new Lookup({
      seqSize: 2,
      embeddingShape: { dim: 2, dynamic: true },
      addBias: true,
      biasInit: 1,
      weightInit: 0,
    });
    (l.weights as Variable).upsert(
      [7, 8],
      [
        [1, 1],
        [2, 0],
      ],
    );
    const sp = new SparseTensor({
      indices: [
        [0, 7],
        [0, 8],
      ],
      values: [1, 2],
      denseShape: [1, 100],
    });
    // 1·([1,1] + 1) + 2·([2,0] + 1) = [8, 4]
    expect(l.call(sp).arraySync()).toEqual([
      [
        [8, 4],
        [0, 0],
      ],
    ]);
    const twin = Lookup.fromConfig({ ...l.getConfig(), name: 'dyn_twin' });
    expect(twin.getConfig().embeddingShape).toEqual({ dim: 2, dynamic: true, keyDtype: 'int64' });
    twin.setWeights(l.getWeights());
    expect(twin.call(sp).arraySync()).toEqual([
      [
        [8, 4],
        [0, 0],
      ],
    ]);
    expect(twin.countParams()).toBe(4);
  });
});
