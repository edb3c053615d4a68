// TFRA's sparse-lookup tests, translated: tensorflow_recommenders_addons/dynamic_embedding/python/
// kernel_tests/dynamic_embedding_ops_test.py (test_embedding_lookup_sparse_shape_checking with
// _ids_and_weights_3d; test_safe_embedding_lookup_sparse_partitioned's keys on 3 shards).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { embeddingLookupSparse } from './lookup.js';
import { SparseTensor } from './tensor.js';
import { Variable } from './variable.js';
import { ready } from './wasm.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await ready();
});

// _ids_and_weights_3d: 7 entries over a [2, 3, 4] batch, ids 0, 1, 2 and the "invalid" -100
const INDICES = [
  [0, 0, 0],
  [0, 0, 1],
  [0, 0, 2],
  [0, 1, 0],
  [1, 0, 0],
  [1, 1, 0],
  [1, 1, 1],
];
const IDS = [0, 1, -100, -100, 2, 0, 1];
const WEIGHTS = [1.0, 2.0, 1.0, 1.0, 3.0, 0.0, -0.5];
const ROW: Record<number, number[]> = { 0: [1, 2, 3, 4], 1: [10, 20, 30, 40], 2: [-1, 0, 1, 2], [-100]: [5, 5, 5, 5] };

function table(partitions: number): Variable {
  const v = new Variable({ name: `t3d_${partitions}`, keyDtype: 'int64', dim: 4, partitions });
  v.upsert([0, 1, 2, -100], [ROW[0], ROW[1], ROW[2], ROW[-100]]);
  return v;
}

const combine = (ids: number[], w: number[], scale: number) =>
  [0, 1, 2, 3].map((d) => ids.reduce((s, id, i) => s + w[i] * ROW[id][d], 0) / scale);

describe('TFRA embedding_lookup_sparse of rank > 2 groups by indices[:, 0]', () => {
  it('test_embedding_lookup_sparse_shape_checking: 3-D ids give [2, dim], like tf.nn.embedding_lookup_sparse', () => {
    for (const partitions of [1, 3]) {
      const v = table(partitions);
      const sp = new SparseTensor({ indices: INDICES, values: IDS, denseShape: [2, 3, 4] });
      const mean = embeddingLookupSparse(v, sp, null);
      expect(mean.shape).toEqual([2, 4]);
      // row 0 holds ids 0, 1, -100, -100 (from [0,0,*] and [0,1,0]); row 1 holds 2, 0, 1
      const want = [...combine([0, 1, -100, -100], [1, 1, 1, 1], 4), ...combine([2, 0, 1], [1, 1, 1], 3)];
      const got = mean.dataSync();
      want.forEach((x, i) => expect(got[i]).toBeCloseTo(x, 4));
      expect(want.slice(0, 4)).toEqual([5.25, 8, 10.75, 13.5]);
      // weighted sum and sqrtn with _ids_and_weights_3d's weights (the plain lookup prunes nothing)
      const w = new SparseTensor({ indices: INDICES, values: WEIGHTS, denseShape: [2, 3, 4] });
      const sum = embeddingLookupSparse(v, sp, w, { combiner: 'sum' }).dataSync();
      const wantSum = [...combine([0, 1, -100, -100], [1, 2, 1, 1], 1), ...combine([2, 0, 1], [3, 0, -0.5], 1)];
      wantSum.forEach((x, i) => expect(sum[i]).toBeCloseTo(x, 4));
      expect(wantSum.slice(4)).toEqual([-8, -10, -12, -14]);
      const sqrtn = embeddingLookupSparse(v, sp, w, { combiner: 'sqrtn' }).dataSync();
      const n0 = Math.sqrt(1 + 4 + 1 + 1);
      const n1 = Math.sqrt(9 + 0 + 0.25);
      wantSum.forEach((x, i) => expect(sqrtn[i]).toBeCloseTo(x / (i < 4 ? n0 : n1), 4));
      v.dispose();
    }
  });
});
