import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as initializers from '../initializers.js';
import { ids } from '../tensor.js';
import { ready } from '../wasm.js';
import { Embedding } from './embedding.js';
import { SquashedEmbedding } from './squashed.js';

beforeAll(async () => {
  await ready();
});

const snapshot = (e: Embedding) =>
  JSON.stringify(e.getWeights().map((w) => [Array.from(w.keys as ArrayLike<unknown>, String), Array.from(w.values)]));

describe('Embedding', () => {
  it('the seed example: Embedding(8) on [[15,2],[4,92],[22,4]] gives [3, 2, 8]; lookups do not insert', () => {
    const embedding = new Embedding({ embeddingSize: 8 });
    const out = embedding.call([
      [15, 2],
      [4, 92],
      [22, 4],
    ]);
    expect(out.shape).toEqual([3, 2, 8]);
    const a = out.arraySync() as number[][][];
    expect(a[1][0]).toEqual(a[2][1]); // id 4 twice: one keyed vector
    expect(a[0][0]).not.toEqual(a[0][1]);
    // default initializer: RandomNormal(stddev 0.05)
    expect(a.flat(2).every((x) => Math.abs(x) < 0.3 && x !== 0)).toBe(true);
    expect(embedding.params.size()).toBe(0);
    expect(embedding.params.keyDtype).toBe('int64');
  });

  it('ignores the combiner, honours maxNorm, and gives the same result without unique', () => {
    const init = initializers.constant([3, 4]);
    const e = new Embedding({ embeddingSize: 2, combiner: 'mean', initializer: init, maxNorm: 1 });
    expect(e.call([[1, 1, 2]]).arraySync()).toEqual([
      [
        [0.6, 0.8],
        [0.6, 0.8],
        [0.6, 0.8],
      ].map((r) => r.map(Math.fround)),
    ]);
    const u = new Embedding({ embeddingSize: 3, initializer: initializers.randomUniform({ seed: 4 }) });
    const nu = new Embedding({
      embeddingSize: 3,
      initializer: initializers.randomUniform({ seed: 4 }),
      withUnique: false,
    });
    const x = [
      [5, 6, 5],
      [6, 6, 7],
    ];
    expect(nu.call(x).arraySync()).toEqual(u.call(x).arraySync());
  });

  it('accepts tensors, de.ids and string keys', () => {
    const e = new Embedding({ embeddingSize: 2, keyDtype: 'string', initializer: 1 });
    e.params.upsert(['a'], [[5, 6]]);
    expect(e.call(tf.tensor(['a', 'b'], [1, 2], 'string')).arraySync()).toEqual([
      [
        [5, 6],
        [1, 1],
      ],
    ]);
    expect(e.call(ids(['a'], [1, 1, 1])).shape).toEqual([1, 1, 1, 2]);
    expect(() => e.call([1, 2])).toThrow(/key dtype mismatch: the table holds string keys, but the ids are numbers/);
  });

  it('getConfig / fromConfig round trip: same settings, same keyed initial values', () => {
    const e = new Embedding({
      embeddingSize: 4,
      initializer: initializers.truncatedNormal({ seed: 12 }),
      maxNorm: 2,
      partitions: 2,
      name: 'orig',
    });
    const cfg = e.getConfig();
    expect(JSON.parse(JSON.stringify(cfg))).toMatchObject({
      name: 'orig',
      embeddingSize: 4,
      keyDtype: 'int64',
      combiner: 'sum',
      withUnique: true,
      maxNorm: 2,
      partitions: 2,
      initializer: { className: 'TruncatedNormal', config: { seed: 12, stddev: 0.05, mean: 0 } },
    });
    const twin = Embedding.fromConfig({ ...cfg, name: 'twin' });
    expect(twin).toBeInstanceOf(Embedding);
    expect(twin.name).toBe('twin');
    expect(twin.params.partitions).toBe(2);
    expect(twin.call([[9, 10]]).arraySync()).toEqual(e.call([[9, 10]]).arraySync());
  });

  it('getWeights / setWeights / countParams / computeOutputShape', () => {
    const e = new Embedding({ embeddingSize: 2 });
    e.params.upsert(
      [1, 2, 3],
      [
        [1, 1],
        [2, 2],
        [3, 3],
      ],
    );
    expect(e.countParams()).toBe(6);
    const w = e.getWeights();
    expect(w).toHaveLength(1);
    expect(w[0].shape).toEqual([3, 2]);
    const f = new Embedding({ embeddingSize: 2 });
    f.params.upsert([99], [[9, 9]]);
    f.setWeights(w);
    expect(f.params.size()).toBe(3); // replaced, not merged
    expect(f.call([3, 1]).arraySync()).toEqual([
      [3, 3],
      [1, 1],
    ]);
    const before = snapshot(f);
    expect(() => f.setWeights([])).toThrow(/expected 1 weight \(as getWeights returns\), got an array of length 0/);
    expect(() => f.setWeights([{ ...w[0], values: new Float32Array(5) }])).toThrow(
      /Expected values of shape \[3, 2\] \(a Float32Array of length 6\).*got a Float32Array of length 5/,
    );
    expect(() => f.setWeights([{ ...w[0], keys: new Int32Array([1, 2, 3]) }])).toThrow(
      /must be int64 keys, got a Int32Array/,
    );
    expect(snapshot(f)).toBe(before);
    expect(e.computeOutputShape([null, 2])).toEqual([null, 2, 2]);
    expect(() => e.computeOutputShape([1.5] as never)).toThrow(/expected an array of integers >= 0 or null/);
  });

  it('validates options', () => {
    expect(() => new Embedding({ embeddingSize: 0 })).toThrow(/embeddingSize must be an integer >= 1, got 0/);
    expect(() => new Embedding({ embeddingSize: 2, combiner: 'median' as never })).toThrow(/combiner must be one of/);
    expect(() => new Embedding({ embeddingSize: 2, maxNorm: 0 })).toThrow(/maxNorm must be a finite number > 0/);
    expect(() => new Embedding({ embeddingSize: 2, initializer: [1, 2, 3] })).toThrow(/length dim = 2, got length 3/);
  });
});

describe('SquashedEmbedding', () => {
  it('the seed examples: [3, 2] ids -> [3, 8]; [5] ids -> [8]', () => {
    const embedding = new SquashedEmbedding({ embeddingSize: 8 });
    expect(
      embedding.call([
        [15, 2],
        [4, 92],
        [22, 4],
      ]).shape,
    ).toEqual([3, 8]);
    expect(embedding.call([2, 7, 4, 1, 5]).shape).toEqual([8]);
    expect(embedding.computeOutputShape([3, 2])).toEqual([3, 8]);
    expect(embedding.computeOutputShape([5])).toEqual([8]);
  });

  const table: [number, number[]][] = [
    [1, [1, 2]],
    [2, [3, 4]],
    [3, [-1, 0]],
  ];
  const expected: Record<string, number[][]> = {
    sum: [
      [4, 6],
      [2, 4],
    ],
    mean: [
      [2, 3],
      [1, 2],
    ],
    max: [
      [3, 4],
      [3, 4],
    ],
    min: [
      [1, 2],
      [-1, 0],
    ],
    prod: [
      [3, 8],
      [-3, 0],
    ],
    std: [
      [1, 1],
      [2, 2],
    ],
  };
  for (const combiner of ['sum', 'mean', 'max', 'min', 'prod', 'std'] as const) {
    it(`combiner ${combiner} reduces the ids axis`, () => {
      const s = new SquashedEmbedding({ embeddingSize: 2, combiner });
      s.params.upsert(
        table.map((t) => t[0]),
        table.map((t) => t[1]),
      );
      const out = s
        .call([
          [1, 2],
          [2, 3],
        ])
        .arraySync() as number[][];
      out.flat().forEach((x, i) => expect(x).toBeCloseTo(expected[combiner].flat()[i], 5));
    });
  }

  it('rank > 2 ids reduce to [batch, dim]; a single id and sqrtn are refused', () => {
    const s = new SquashedEmbedding({ embeddingSize: 2, initializer: 1 });
    const out = s.call([[[1, 2]], [[3, 4]]]);
    expect(out.shape).toEqual([2, 2]);
    expect(out.arraySync()).toEqual([
      [2, 2],
      [2, 2],
    ]);
    expect(s.computeOutputShape([2, 1, 2])).toEqual([2, 2]);
    expect(() => s.call(7)).toThrow(/expected ids of rank >= 1 \(a list or a batch\), got a single id/);
    expect(() => new SquashedEmbedding({ embeddingSize: 2, combiner: 'sqrtn' })).toThrow(
      /combiner must be one of sum, mean, max, min, prod, std; got "sqrtn"/,
    );
    const twin = SquashedEmbedding.fromConfig({ ...s.getConfig(), name: 'sq_twin', combiner: 'max' });
    expect(twin).toBeInstanceOf(SquashedEmbedding);
    expect(twin.combiner).toBe('max');
  });
});
