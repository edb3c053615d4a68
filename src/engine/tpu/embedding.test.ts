import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { FeatureConfig, TableConfig } from './config.js';
import { TPUEmbeddingV0 } from './embedding.js';
import { Adagrad, Adam, FTRL, SGD } from './optimizers.js';
import { VirtualTPUStrategy } from './strategy.js';

const iota = (shape: [number, number]) =>
  Array.from({ length: shape[0] }, (_, r) => Array.from({ length: shape[1] }, (_, c) => r * shape[1] + c));

describe('TableConfig and FeatureConfig validation', () => {
  it('rejects what TF rejects, with TF wording', () => {
    expect(() => new TableConfig({ vocabularySize: 0, dim: 2 })).toThrow(
      'Argument vocabularySize must be an int and must be >= 1. Received: 0.',
    );
    expect(() => new TableConfig({ vocabularySize: 2.5, dim: 2 })).toThrow(/vocabularySize must be an int/);
    expect(() => new TableConfig({ vocabularySize: 4, dim: 0 })).toThrow(
      'Argument dim (embedding dimension) must be an int and must be >= 1. Received: 0.',
    );
    expect(() => new TableConfig({ vocabularySize: 4, dim: 2, combiner: 'max' as 'sum' })).toThrow(
      /combiner must be one of 'mean', 'sum', 'sqrtn'. Received: "max"/,
    );
    const t = new TableConfig({ vocabularySize: 4, dim: 2 });
    expect(t.combiner).toBe('mean');
    expect(() => new FeatureConfig({ table: {} as TableConfig })).toThrow(/Argument table has invalid type/);
    expect(() => new FeatureConfig({ table: t, maxSequenceLength: -1 })).toThrow(
      'Argument maxSequenceLength must be an int and must be >= 0. Received: -1.',
    );
    expect(() => new FeatureConfig({ table: t, outputShape: [0] })).toThrow(
      /outputShape must be a non-empty list of ints >= 1/,
    );
  });

  it('default initializer: truncated normal with stddev 1/sqrt(dim), within 2 stddev', () => {
    const strategy = new VirtualTPUStrategy({ numCores: 1 });
    const t = new TableConfig({ vocabularySize: 500, dim: 16 });
    const emb = strategy.scope(() => new TPUEmbeddingV0({ featureConfig: new FeatureConfig({ table: t }) }));
    const v = emb.embeddingTables.get(t)!.dataSync();
    let sq = 0;
    for (const x of v) {
      expect(Math.abs(x)).toBeLessThanOrEqual(2 * 0.25 + 1e-6);
      sq += x * x;
    }
    // truncated at 2σ the std is ~0.88σ = 0.22; 8000 draws keep it within 0.2..0.24
    const std = Math.sqrt(sq / v.length);
    expect(std).toBeGreaterThan(0.2);
    expect(std).toBeLessThan(0.24);
  });

  it('names unnamed tables table_i in order of first use (sorted feature keys) and rejects duplicates', () => {
    const strategy = new VirtualTPUStrategy({ numCores: 1 });
    const a = new TableConfig({ vocabularySize: 4, dim: 2 });
    const b = new TableConfig({ vocabularySize: 4, dim: 2 });
    strategy.scope(
      () =>
        new TPUEmbeddingV0({
          featureConfig: { zeta: new FeatureConfig({ table: a }), alpha: new FeatureConfig({ table: b }) },
        }),
    );
    expect([b.name, a.name]).toEqual(['table_0', 'table_1']);
    const c = new TableConfig({ vocabularySize: 4, dim: 2, name: 'x' });
    const d = new TableConfig({ vocabularySize: 4, dim: 2, name: 'x' });
    const e = new TableConfig({ vocabularySize: 4, dim: 2 });
    expect(() =>
      strategy.scope(
        () =>
          new TPUEmbeddingV0({
            featureConfig: [
              new FeatureConfig({ table: e }),
              new FeatureConfig({ table: c }),
              new FeatureConfig({ table: d }),
            ],
          }),
      ),
    ).toThrow(new InvalidArgumentError('Tables must have a unique name. Multiple tables with name x found.'));
    expect(e.name).toBeUndefined(); // a failed constructor names nothing
    // An unnamed table is named table_i before the check (as TF), so it can collide with a given name.
    const f = new TableConfig({ vocabularySize: 4, dim: 2 });
    const g = new TableConfig({ vocabularySize: 4, dim: 2, name: 'table_0' });
    expect(() =>
      strategy.scope(
        () => new TPUEmbeddingV0({ featureConfig: [new FeatureConfig({ table: f }), new FeatureConfig({ table: g })] }),
      ),
    ).toThrow(new InvalidArgumentError('Tables must have a unique name. Multiple tables with name table_0 found.'));
    expect(f.name).toBeUndefined();
  });

  it('rejects an initializer that is neither a function nor a tfjs initializer, with the full message', () => {
    expect(() => new TableConfig({ vocabularySize: 4, dim: 2, initializer: 5 as unknown as () => number[][] })).toThrow(
      new InvalidArgumentError(
        'Argument initializer must be a callable (shape) => values or a tfjs initializer if specified. Received: 5.',
      ),
    );
    expect(
      () => new TableConfig({ vocabularySize: 4, dim: 2, initializer: {} as unknown as () => number[][] }),
    ).toThrow(
      new InvalidArgumentError(
        'Argument initializer must be a callable (shape) => values or a tfjs initializer if specified. Received: an object.',
      ),
    );
  });
});

function setup(maxSequenceLength = 0, outputShape?: number[]) {
  const strategy = new VirtualTPUStrategy({ numCores: 1 });
  const t = new TableConfig({ vocabularySize: 6, dim: 2, initializer: iota, combiner: 'sqrtn', name: 't' });
  const emb = strategy.scope(
    () =>
      new TPUEmbeddingV0({
        featureConfig: new FeatureConfig({ table: t, maxSequenceLength, outputShape, name: 'f' }),
        optimizer: new SGD(),
      }),
  );
  return { emb, t };
}

describe('embeddingLookup', () => {
  it('dense ids: ids.shape + [dim], no combiner; also for an int32 tensor; call() is the same', () => {
    const { emb } = setup();
    const out = emb.embeddingLookup([
      [1, 2],
      [3, 4],
    ]) as tf.Tensor;
    expect(out.shape).toEqual([2, 2, 2]);
    expect(out.arraySync()).toEqual([
      [
        [2, 3],
        [4, 5],
      ],
      [
        [6, 7],
        [8, 9],
      ],
    ]);
    expect((emb.call(tf.tensor1d([5], 'int32')) as tf.Tensor).arraySync()).toEqual([[10, 11]]);
  });

  it('weighted sqrtn over sparse input: Σwe/√Σw², empty rows 0', () => {
    const { emb } = setup();
    const ids = {
      indices: [
        [0, 0],
        [0, 1],
        [2, 0],
      ],
      values: [1, 2, 5],
      denseShape: [3, 2],
    };
    const w = {
      indices: [
        [0, 0],
        [0, 1],
        [2, 0],
      ],
      values: [3, 4, 2],
      denseShape: [3, 2],
    };
    expect(() =>
      emb.embeddingLookup(ids, {
        ...w,
        indices: [
          [0, 0],
          [0, 1],
          [1, 0],
        ],
      }),
    ).toThrow(/same indices/);
    const out = emb.embeddingLookup(ids, w) as tf.Tensor;
    // row 0: (3*[2,3] + 4*[4,5]) / 5 = [22/5, 29/5]; row 1 empty; row 2: 2*[10,11]/2
    const v = out.arraySync() as number[][];
    expect(v[0][0]).toBeCloseTo(4.4, 6);
    expect(v[0][1]).toBeCloseTo(5.8, 6);
    expect(v[1]).toEqual([0, 0]);
    expect(v[2]).toEqual([10, 11]);
  });

  it('weighted mean over ragged input: weights [1, 3] on rows 1 and 2 give (row1 + 3 row2) / 4', () => {
    const strategy = new VirtualTPUStrategy({ numCores: 1 });
    const t = new TableConfig({ vocabularySize: 6, dim: 2, initializer: iota, combiner: 'mean', name: 't' });
    const emb = strategy.scope(
      () => new TPUEmbeddingV0({ featureConfig: new FeatureConfig({ table: t, name: 'f' }), optimizer: new SGD() }),
    );
    // row 1 = [2, 3], row 2 = [4, 5]: ([2, 3] + 3 [4, 5]) / 4 = [14 / 4, 18 / 4] = [3.5, 4.5];
    // example 1: row 5 = [10, 11] with weight 2 -> 2 [10, 11] / 2 = [10, 11]; example 2 empty -> 0.
    const out = emb.embeddingLookup(
      { values: [1, 2, 5], rowSplits: [0, 2, 3, 3] },
      { values: [1, 3, 2], rowSplits: [0, 2, 3, 3] },
    ) as tf.Tensor;
    expect(out.arraySync()).toEqual([
      [3.5, 4.5],
      [10, 11],
      [0, 0],
    ]);
    // Unweighted, the same ids give the plain mean [3, 4].
    expect((emb.embeddingLookup({ values: [1, 2], rowSplits: [0, 2] }) as tf.Tensor).arraySync()).toEqual([[3, 4]]);
  });

  it('sequence features from a SparseTensor: positions from the indices, truncated at L, zero-padded', () => {
    const { emb } = setup(2);
    // row 0 has ids at positions 0, 1, 2 (position 2 is cut at L = 2); row 1 is empty; row 2 has
    // one id at position 1 only, so its position 0 stays zero.
    const out = emb.embeddingLookup({
      indices: [
        [0, 0],
        [0, 1],
        [0, 2],
        [2, 1],
      ],
      values: [1, 2, 3, 4],
      denseShape: [3, 3],
    }) as tf.Tensor;
    expect(out.shape).toEqual([3, 2, 2]);
    expect(out.arraySync()).toEqual([
      [
        [2, 3],
        [4, 5],
      ],
      [
        [0, 0],
        [0, 0],
      ],
      [
        [0, 0],
        [8, 9],
      ],
    ]);
  });

  it('sequence features: [B, L, dim], truncated and zero-padded', () => {
    const { emb } = setup(2);
    const out = emb.embeddingLookup({ values: [1, 2, 3, 4], rowSplits: [0, 3, 4, 4] }) as tf.Tensor;
    expect(out.arraySync()).toEqual([
      [
        [2, 3],
        [4, 5],
      ],
      [
        [8, 9],
        [0, 0],
      ],
      [
        [0, 0],
        [0, 0],
      ],
    ]);
    expect(() => emb.embeddingLookup([[1]])).toThrow('Feature f is a sequence feature but a dense tensor was passed.');
    expect(() => emb.embeddingLookup({ values: [1], rowSplits: [0, 1] }, { values: [1], rowSplits: [0, 1] })).toThrow(
      'Weight specified for f, but this is a sequence feature.',
    );
  });

  it('the weight errors TF raises', () => {
    const { emb } = setup();
    expect(() => emb.embeddingLookup([[1]], [[1]])).toThrow('Weight specified for f, but input is dense.');
    expect(() =>
      emb.embeddingLookup({ values: [1], rowSplits: [0, 1] }, { indices: [[0, 0]], values: [1], denseShape: [1, 1] }),
    ).toThrow('Weight for f is of type SparseTensor but it does not match type of the input which is RaggedTensor.');
    expect(() => emb.embeddingLookup([[6]])).toThrow(/id 6 at 0 is out of range; expected an integer in \[0, 6\)/);
    expect(() => emb.embeddingLookup('x')).toThrow(InvalidArgumentError);
  });

  it('outputShape: product = B combines and reshapes; a multiple of B is a sequence; else an error', () => {
    const a = setup(0, [1, 2]).emb.embeddingLookup({ values: [1, 2, 3], rowSplits: [0, 2, 3] }) as tf.Tensor;
    expect(a.shape).toEqual([1, 2, 2]);
    const b = setup(0, [2, 3]).emb.embeddingLookup({ values: [1, 2, 3], rowSplits: [0, 2, 3] }) as tf.Tensor;
    expect(b.shape).toEqual([2, 3, 2]);
    expect(b.arraySync()).toEqual([
      [
        [2, 3],
        [4, 5],
        [0, 0],
      ],
      [
        [6, 7],
        [0, 0],
        [0, 0],
      ],
    ]);
    expect(() => setup(0, [3]).emb.embeddingLookup({ values: [1, 2, 3], rowSplits: [0, 2, 3] })).toThrow(
      'Output shape set in the FeatureConfig should be the factor of the input data batch size. But instead got output shape [3], input data batch size 2.',
    );
  });

  it('build() is idempotent and creates per-core replicas and slots', () => {
    const strategy = new VirtualTPUStrategy({ numCores: 3 });
    const t = new TableConfig({ vocabularySize: 4, dim: 2, initializer: iota, name: 't' });
    const emb = strategy.scope(
      () => new TPUEmbeddingV0({ featureConfig: new FeatureConfig({ table: t }), optimizer: new FTRL() }),
    );
    emb.build();
    const v = emb.embeddingTables.get(t)!;
    emb.build();
    expect(emb.embeddingTables.get(t)).toBe(v);
    for (let c = 0; c < 3; c++) {
      expect(Array.from(emb.shard(c, 0).params)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(emb.slot(t, 'accumulators', c)[7]).toBeCloseTo(0.1, 7);
      expect(emb.slot(t, 'linears', c)[7]).toBe(0);
    }
    expect(() => emb.slot(t, 'momenta')).toThrow(
      'Table t has no slot "momenta"; its optimizer has [accumulators, linears].',
    );
  });
});

describe('TPU optimizer rules, one element by hand', () => {
  it('Adam: m = 0.1 g, v = 0.001 g², w -= lr m / √(v + ε²) with no bias correction; lazy rows only', () => {
    const adam = new Adam({ learningRate: 0.1 });
    const w = new Float32Array([1, 1]);
    const m = new Float32Array(2);
    const v = new Float32Array(2);
    adam.apply(w, [m, v], new Float32Array([2, 2]), 1, [0]);
    expect(m[0]).toBeCloseTo(0.2, 6);
    expect(v[0]).toBeCloseTo(0.004, 7);
    expect(w[0]).toBeCloseTo(1 - (0.1 * 0.2) / Math.sqrt(0.004 + 1e-14), 5);
    expect([w[1], m[1], v[1]]).toEqual([1, 0, 0]); // row 1 not touched
  });

  it('Adam with a large epsilon: sumInsideSqrt puts ε² inside the root, false adds ε outside', () => {
    // g = 2: m = 0.1 * 2 = 0.2, v = 0.001 * 4 = 0.004, lr m = 0.02.
    // inside:  w = 1 - 0.02 / √(0.004 + 0.25) = 1 - 0.02 / 0.5039841 = 0.9603162
    // outside: w = 1 - 0.02 / (√0.004 + 0.5) = 1 - 0.02 / 0.5632456 = 0.9644915
    const run = (sumInsideSqrt: boolean) => {
      const adam = new Adam({ learningRate: 0.1, epsilon: 0.5, sumInsideSqrt });
      const w = new Float32Array([1]);
      const m = new Float32Array(1);
      const v = new Float32Array(1);
      adam.apply(w, [m, v], new Float32Array([2]), 1, [0]);
      expect(m[0]).toBeCloseTo(0.2, 6);
      expect(v[0]).toBeCloseTo(0.004, 7);
      return w[0];
    };
    expect(run(true)).toBeCloseTo(0.9603162, 6);
    expect(run(false)).toBeCloseTo(0.9644915, 6);
  });

  it('FTRL with defaults: a′ = a + g², σ = (√a′ − √a)/lr, linear += g − σw, w = −linear/(√a′/lr)', () => {
    const ftrl = new FTRL({ learningRate: 0.5 });
    const w = new Float32Array([1]);
    const a = new Float32Array([0.1]);
    const lin = new Float32Array([0]);
    ftrl.apply(w, [a, lin], new Float32Array([1]), 1, [0]);
    const sigma = (Math.sqrt(1.1) - Math.sqrt(0.1)) / 0.5;
    const linear = 1 - sigma * 1;
    expect(a[0]).toBeCloseTo(1.1, 6);
    expect(lin[0]).toBeCloseTo(linear, 6);
    expect(w[0]).toBeCloseTo(-linear / (Math.sqrt(1.1) / 0.5), 6);
  });

  it('defaults are the TPU ones', () => {
    expect(new SGD().learningRate).toBe(0.01);
    const adam = new Adam();
    expect([adam.learningRate, adam.beta1, adam.beta2, adam.epsilon, adam.lazyAdam, adam.sumInsideSqrt]).toEqual([
      0.001,
      0.9,
      0.999,
      1e-7,
      true,
      true,
    ]);
    expect(adam.slots()).toEqual([
      { name: 'momenta', initialValue: 0 },
      { name: 'velocities', initialValue: 0 },
    ]);
    expect([new Adagrad().learningRate, new Adam().learningRate, new FTRL().learningRate]).toEqual([
      0.001, 0.001, 0.001,
    ]);
    expect(new Adagrad().slots()).toEqual([{ name: 'accumulators', initialValue: 0.1 }]);
    expect(new FTRL().slots()).toEqual([
      { name: 'accumulators', initialValue: 0.1 },
      { name: 'linears', initialValue: 0 },
    ]);
    expect(() => new SGD({ learningRate: 0 })).toThrow('SGD: learningRate must be > 0, got 0.');
  });
});
