import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { setReadTape } from '../read.js';
import { ready } from '../wasm.js';
import { FieldWiseEmbedding } from './fieldwise.js';

beforeAll(async () => {
  await ready();
});

const bySlot = (flat: (number | bigint | string)[]) => flat.map((x) => Number(x) % 3);

function layer(combiner: 'sum' | 'mean' | 'sqrtn' | 'max' | 'min' | 'prod' = 'sum') {
  const f = new FieldWiseEmbedding({ embeddingSize: 2, nslots: 3, slotMapFn: bySlot, combiner });
  const keys = [1, 2, 3, 4, 6, 9];
  f.params.upsert(
    keys,
    keys.map((k) => [k, 1]),
  );
  return f;
}

describe('FieldWiseEmbedding', () => {
  // row 0: slot 1 = {1, 4}, slot 2 = {2}, slot 0 empty; row 1: slot 0 = {3, 6, 9}, slots 1, 2 empty
  const x = [
    [1, 2, 4],
    [3, 6, 9],
  ];
  const cases: Record<string, number[][][]> = {
    sum: [
      [
        [0, 0],
        [5, 2],
        [2, 1],
      ],
      [
        [18, 3],
        [0, 0],
        [0, 0],
      ],
    ],
    mean: [
      [
        [0, 0],
        [2.5, 1],
        [2, 1],
      ],
      [
        [6, 1],
        [0, 0],
        [0, 0],
      ],
    ],
    sqrtn: [
      [
        [0, 0],
        [5 / Math.SQRT2, 2 / Math.SQRT2],
        [2, 1],
      ],
      [
        [18 / Math.sqrt(3), 3 / Math.sqrt(3)],
        [0, 0],
        [0, 0],
      ],
    ],
    max: [
      [
        [0, 0],
        [4, 1],
        [2, 1],
      ],
      [
        [9, 1],
        [0, 0],
        [0, 0],
      ],
    ],
    min: [
      [
        [0, 0],
        [1, 1],
        [2, 1],
      ],
      [
        [3, 1],
        [0, 0],
        [0, 0],
      ],
    ],
    prod: [
      [
        [0, 0],
        [4, 1],
        [2, 1],
      ],
      [
        [162, 1],
        [0, 0],
        [0, 0],
      ],
    ],
  };
  for (const [combiner, want] of Object.entries(cases)) {
    it(`[b, n] -> [b, nslots, dim] with ${combiner}; empty slots are zeros`, () => {
      const out = layer(combiner as 'sum').call(x);
      expect(out.shape).toEqual([2, 3, 2]);
      const got = (out.arraySync() as number[][][]).flat(2);
      want.flat(2).forEach((w, i) => expect(got[i]).toBeCloseTo(w, 4));
    });
  }

  it('gradients reach the unique rows: sum 1, mean 1/count, max only the maximum (ties share)', () => {
    const want: Record<string, Record<number, number[]>> = {
      sum: { 1: [1, 1], 2: [1, 1], 4: [1, 1], 3: [1, 1], 6: [1, 1], 9: [1, 1] },
      mean: { 1: [0.5, 0.5], 2: [1, 1], 4: [0.5, 0.5], 3: [1 / 3, 1 / 3], 6: [1 / 3, 1 / 3], 9: [1 / 3, 1 / 3] },
      max: { 1: [0, 1], 2: [1, 1], 4: [1, 1], 3: [0, 1], 6: [0, 1], 9: [1, 1] },
    };
    for (const [combiner, byKey] of Object.entries(want)) {
      const f = layer(combiner as 'sum');
      let keys: bigint[] = [];
      const start = f.params.read(new BigInt64Array([1n, 2n, 4n, 3n, 6n, 9n])).values;
      const grad = tf.grad((rows: tf.Tensor) => {
        const prev = setReadTape({
          onRead: (r) => {
            keys = Array.from(r.keys as BigInt64Array);
            return rows as tf.Tensor2D;
          },
        });
        try {
          return tf.sum(f.call(x));
        } finally {
          setReadTape(prev);
        }
      });
      const g = grad(tf.tensor2d(start, [6, 2])).arraySync() as number[][];
      expect(keys.map(Number)).toEqual([1, 2, 4, 3, 6, 9]);
      keys.forEach((k, u) => {
        expect(g[u][0]).toBeCloseTo(byKey[Number(k)][0], 6);
        expect(g[u][1]).toBeCloseTo(byKey[Number(k)][1], 6);
      });
    }
  });

  it('rank-1 ids are one id per row; rank > 2 is refused', () => {
    const f = layer();
    expect(f.call([4, 9]).arraySync()).toEqual([
      [
        [0, 0],
        [4, 1],
        [0, 0],
      ],
      [
        [9, 1],
        [0, 0],
        [0, 0],
      ],
    ]);
    expect(f.computeOutputShape([null, 5])).toEqual([null, 3, 2]);
    expect(() => f.call([[[1]]])).toThrow(/rank > 2 is not supported \(as TFRA\), got shape \[1, 1, 1\]/);
    expect(() => f.computeOutputShape([1, 1, 1])).toThrow(/rank 1 or 2, got \[1, 1, 1\]/);
  });

  it('checks what slotMapFn returns', () => {
    const bad = new FieldWiseEmbedding({ embeddingSize: 2, nslots: 2, slotMapFn: (f) => f.map(() => 2) });
    expect(() => bad.call([[1, 2]])).toThrow(/slotMapFn returned 2 for id 1n; expected an integer slot in \[0, 2\)/);
    const short = new FieldWiseEmbedding({ embeddingSize: 2, nslots: 2, slotMapFn: () => [0] });
    expect(() => short.call([[1, 2]])).toThrow(/slotMapFn must return one slot per id \(2\), got an array of length 1/);
    expect(() => new FieldWiseEmbedding({ embeddingSize: 2, nslots: 0, slotMapFn: bySlot })).toThrow(
      /nslots must be an integer >= 1/,
    );
    expect(() => new FieldWiseEmbedding({ embeddingSize: 2, nslots: 2, slotMapFn: 'x' as never })).toThrow(
      /slotMapFn must be a function/,
    );
  });

  it('config round trip keeps nslots and slotMapFn; weights round trip', () => {
    const f = layer('mean');
    const twin = FieldWiseEmbedding.fromConfig({ ...f.getConfig(), name: 'fw_twin' });
    expect(twin).toBeInstanceOf(FieldWiseEmbedding);
    expect(twin.nslots).toBe(3);
    expect(twin.combiner).toBe('mean');
    twin.setWeights(f.getWeights());
    expect(
      twin
        .call([
          [1, 2, 4],
          [3, 6, 9],
        ])
        .arraySync(),
    ).toEqual(
      f
        .call([
          [1, 2, 4],
          [3, 6, 9],
        ])
        .arraySync(),
    );
    expect(twin.countParams()).toBe(12);
  });
});
