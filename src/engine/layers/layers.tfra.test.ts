// TFRA's SquashedEmbedding reduction (tensorflow_recommenders_addons/dynamic_embedding/python/
// keras/layers/embedding.py reduce_pooling; its test: keras/layers/embedding_test.py
// SquashedEmbeddingLayerTest.test_forward) and TensorX's Lookup on a 1-D SparseTensor
// (tensorx tests/test_layers.py test_lookup_sequence_sparse).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { SparseTensor } from '../tensor.js';
import { ready } from '../wasm.js';
import { SquashedEmbedding } from './squashed.js';
import { Lookup } from './tensorx-lookup.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await ready();
});

const std = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
};

describe('SquashedEmbedding reduces rank >= 3 ids as reduce_pooling', () => {
  it('test_forward: ids [3, 0, 1, 2] over rows of ones (2 is missing: zeros) sum to [3, 3]', () => {
    const layer = new SquashedEmbedding({ embeddingSize: 2, initializer: 0, name: 'tr423' });
    layer.params.upsert(
      [3, 0, 1],
      [
        [1, 1],
        [1, 1],
        [1, 1],
      ],
    );
    expect(Array.from(layer.call([3, 0, 1, 2]).dataSync())).toEqual([3, 3]);
  });

  it('std over a [3, 2, 2] batch is a std of stds (axis 1 twice), not the std of the 4 ids', () => {
    const layer = new SquashedEmbedding({ embeddingSize: 1, combiner: 'std', initializer: 0, name: 'sq_std' });
    const value: Record<number, number> = { 1: 1, 2: 2, 3: 10, 4: 30, 5: 0, 6: 100, 7: 7, 8: 7 };
    layer.params.upsert(
      Object.keys(value).map(Number),
      Object.values(value).map((x) => [x]),
    );
    const ids = [
      [
        [1, 2],
        [3, 4],
      ],
      [
        [5, 6],
        [7, 8],
      ],
      [
        [1, 3],
        [2, 4],
      ],
    ];
    const out = layer.call(ids);
    expect(out.shape).toEqual([3, 1]);
    // reduce_pooling: std over axis 1 (pairs of inner rows), then over axis 1 again
    const want = ids.map((b) => {
      const first = [0, 1].map((j) => std([value[b[0][j]], value[b[1][j]]]));
      return std(first);
    });
    // batch 0: std(std(1, 10), std(2, 30)) = std(4.5, 14) = 4.75; flattened std(1, 2, 10, 30) = 11.65
    expect(want[0]).toBeCloseTo(4.75, 6);
    expect(std([1, 2, 10, 30])).toBeCloseTo(11.6485, 3);
    Array.from(out.dataSync()).forEach((x, i) => expect(x).toBeCloseTo(want[i], 4));
    // batch 1: std(std(0, 7), std(100, 7)) = std(3.5, 46.5) = 21.5, vs 37.74 flattened
    expect(out.dataSync()[1]).toBeCloseTo(21.5, 4);
    // sum / max are unchanged by the order: [3, 2, 2] ids sum every id of a batch row
    const sum = new SquashedEmbedding({ embeddingSize: 1, combiner: 'sum', initializer: 0, name: 'sq_sum' });
    sum.params.upsert(
      Object.keys(value).map(Number),
      Object.values(value).map((x) => [x]),
    );
    expect(Array.from(sum.call(ids).dataSync())).toEqual([43, 114, 43]);
    expect(sum.computeOutputShape([3, 2, 2])).toEqual([3, 1]);
  });
});

describe('TensorX Lookup on a 1-D SparseTensor: each value its own row', () => {
  it('test_lookup_sequence_sparse: 3 values, seqSize 2, n 3, batchSize 3 -> (3, 2, 3)', () => {
    const lookup = new Lookup({ seqSize: 2, embeddingShape: [10, 3], batchSize: 3, batchPadding: true });
    const sp1d = new SparseTensor({ indices: [[2], [0], [1]], values: [1, 1, 1], denseShape: [10] });
    const out = lookup.call(sp1d);
    expect(out.shape).toEqual([3, 2, 3]);
    // rows: id 2, id 0 | id 1, padding | batch padding
    const w = (lookup.weights as tf.Variable).arraySync() as number[][];
    const got = out.arraySync() as number[][][];
    const close = (a: number[], b: number[]) => a.forEach((x, i) => expect(x).toBeCloseTo(b[i], 6));
    close(got[0][0], w[2]);
    close(got[0][1], w[0]);
    close(got[1][0], w[1]);
    expect(got[1][1]).toEqual([0, 0, 0]);
    expect(got[2]).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    // the 2-D form of the same test: [[0, 2], [1, 0], [2, 1]] without batch padding -> (2, 2, 3)
    const sp2d = new SparseTensor({
      indices: [
        [0, 2],
        [1, 0],
        [2, 1],
      ],
      values: [1, 1, 1],
      denseShape: [3, 10],
    });
    const noPad = new Lookup({ seqSize: 2, embeddingShape: [10, 3], batchSize: 3, batchPadding: false });
    expect(noPad.call(sp2d).shape).toEqual([2, 2, 3]);
    expect(lookup.call(sp2d).shape).toEqual([3, 2, 3]);
    const sp3d = new SparseTensor({ indices: [[0, 0, 1]], values: [1], denseShape: [1, 1, 10] });
    expect(() => lookup.call(sp3d)).toThrow(/must have rank 2 \(\[rows, vocab\]\) or 1 .* got denseShape \[1, 1, 10\]/);
  });
});
