import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { embeddingLookup, embeddingLookupSparse, embeddingLookupUnique, safeEmbeddingLookupSparse } from './lookup.js';
import { gatherByIndex, type RowRead, segmentCombineRows, segmentSumRows, setReadTape, uniqueKeys } from './read.js';
import { ids, RaggedTensor, SparseTensor } from './tensor.js';
import { Variable } from './variable.js';
import { ready } from './wasm.js';

let v: Variable;
function snapshot(x: Variable): string {
  const { keys, values } = x.export();
  return JSON.stringify([Array.from(keys as ArrayLike<bigint>, String), Array.from(values)]);
}
const close = (t: tf.Tensor, want: number[] | number[][] | number[][][]) => {
  const got = (t.arraySync() as number[]).flat(3) as number[];
  const exp = (want as number[]).flat(3) as number[];
  expect(got.length).toBe(exp.length);
  got.forEach((g, i) => expect(g).toBeCloseTo(exp[i], 5));
};

beforeAll(async () => {
  await ready();
  v = new Variable({ name: 'emb', keyDtype: 'int64', dim: 2 });
  v.upsert(
    [1, 2, 3, 4, -1],
    [
      [1, 0],
      [0, 2],
      [3, 4],
      [-1, -1],
      [7, 7],
    ],
  );
});

describe('embeddingLookup', () => {
  it('returns ids.shape + [dim] for any rank; missing keys read the initializer (zeros)', () => {
    const out = embeddingLookup(v, [[[1, 3]], [[4, 99]]]);
    expect(out.shape).toEqual([2, 1, 2, 2]);
    expect(out.dtype).toBe('float32');
    expect(out.arraySync()).toEqual([
      [
        [
          [1, 0],
          [3, 4],
        ],
      ],
      [
        [
          [-1, -1],
          [0, 0],
        ],
      ],
    ]);
    expect(embeddingLookup(v, 3).shape).toEqual([2]);
    expect(embeddingLookup(v, tf.tensor1d([2, 2], 'int32')).arraySync()).toEqual([
      [0, 2],
      [0, 2],
    ]);
    expect(embeddingLookup(v, ids(new BigInt64Array([-1n]), [1, 1])).arraySync()).toEqual([[[7, 7]]]);
    expect(v.size()).toBe(5);
  });

  it('maxNorm clips to v * maxNorm / max(|v|, maxNorm)', () => {
    close(embeddingLookup(v, [3, 1, 4], { maxNorm: 1 }), [
      [0.6, 0.8],
      [1, 0],
      [-Math.SQRT1_2, -Math.SQRT1_2],
    ]);
    close(embeddingLookup(v, [3], { maxNorm: 10 }), [[3, 4]]);
    close(embeddingLookupUnique(v, [3, 3], { maxNorm: 2.5 }), [
      [1.5, 2],
      [1.5, 2],
    ]);
  });

  it('returnTrainable gives the unique keys read', () => {
    const r = embeddingLookup(v, [3, 1, 3], { returnTrainable: true });
    expect(r.embeddings.shape).toEqual([3, 2]);
    expect(r.trainable.params).toBe(v);
    expect(Array.from(r.trainable.keys as BigInt64Array)).toEqual([3n, 1n]);
  });

  it('rejects bad input with what / expected / given, and never changes the table', () => {
    const before = snapshot(v);
    expect(() => embeddingLookup({} as never, [1])).toThrow(/params must be a de.Variable, got an object/);
    expect(() => embeddingLookup(v, ['a'])).toThrow(
      /key dtype mismatch: the table holds int64 keys, but the ids are string/,
    );
    expect(() => embeddingLookup(v, [[1], [2, 3]])).toThrow(/ragged nested array/);
    expect(() => embeddingLookup(v, [0.5])).toThrow(/ids must be integers, got 0.5/);
    expect(() => embeddingLookup(v, [2 ** 60])).toThrow(/beyond 2\^53/);
    expect(() => embeddingLookup(v, [])).toThrow(/the batch is empty/);
    expect(() => embeddingLookup(v, [1], { maxNorm: -1 })).toThrow(
      /maxNorm must be a finite number > 0 or undefined, got -1/,
    );
    expect(snapshot(v)).toBe(before);
  });

  it('a read tape sees every read and its substitute rows carry gradients to the unique rows', () => {
    const seen: RowRead[] = [];
    const grad = tf.grad((rows: tf.Tensor) => {
      const prev = setReadTape({
        onRead: (r) => {
          seen.push(r);
          return rows as tf.Tensor2D;
        },
      });
      try {
        return tf.sum(
          embeddingLookup(v, [
            [1, 1],
            [3, 1],
          ]),
        );
      } finally {
        setReadTape(prev);
      }
    });
    const g = grad(
      tf.tensor2d([
        [1, 0],
        [3, 4],
      ]),
    );
    expect(seen).toHaveLength(1);
    expect(Array.from(seen[0].keys as BigInt64Array)).toEqual([1n, 3n]);
    expect(g.arraySync()).toEqual([
      [3, 3],
      [1, 1],
    ]);
  });
});

describe('embeddingLookupSparse', () => {
  const sp = new SparseTensor({
    indices: [
      [0, 0],
      [0, 1],
      [2, 0],
    ],
    values: [1, 3, 2],
    denseShape: [5, 2],
  });
  const w = new SparseTensor({
    indices: [
      [0, 0],
      [0, 1],
      [2, 0],
    ],
    values: [2, 1, 3],
    denseShape: [5, 2],
  });

  it('combines rows with sum / mean / sqrtn; output [maxRow + 1, dim]; empty rows are zero', () => {
    const sum = embeddingLookupSparse(v, sp, null, { combiner: 'sum' });
    expect(sum.shape).toEqual([3, 2]);
    expect(sum.arraySync()).toEqual([
      [4, 4],
      [0, 0],
      [0, 2],
    ]);
    close(embeddingLookupSparse(v, sp, null), [
      [2, 2],
      [0, 0],
      [0, 2],
    ]);
    close(embeddingLookupSparse(v, sp, null, { combiner: 'sqrtn' }), [
      [4 / Math.SQRT2, 4 / Math.SQRT2],
      [0, 0],
      [0, 2],
    ]);
  });

  it('weights: sum Σwv, mean Σwv/Σw, sqrtn Σwv/√Σw²', () => {
    close(embeddingLookupSparse(v, sp, w, { combiner: 'sum' }), [
      [5, 4],
      [0, 0],
      [0, 6],
    ]);
    close(embeddingLookupSparse(v, sp, w, { combiner: 'mean' }), [
      [5 / 3, 4 / 3],
      [0, 0],
      [0, 2],
    ]);
    close(embeddingLookupSparse(v, sp, w, { combiner: 'sqrtn' }), [
      [5 / Math.sqrt(5), 4 / Math.sqrt(5)],
      [0, 0],
      [0, 2],
    ]);
  });

  it('weights summing to zero give 0, not NaN; maxNorm applies before combining', () => {
    const z = new SparseTensor({
      indices: [
        [0, 0],
        [0, 1],
      ],
      values: [1, -1],
      denseShape: [1, 2],
    });
    const s2 = new SparseTensor({
      indices: [
        [0, 0],
        [0, 1],
      ],
      values: [1, 2],
      denseShape: [1, 2],
    });
    expect(embeddingLookupSparse(v, s2, z, { combiner: 'mean' }).arraySync()).toEqual([[0, 0]]);
    close(embeddingLookupSparse(v, sp, null, { combiner: 'sum', maxNorm: 1 }), [
      [1.6, 0.8],
      [0, 0],
      [0, 1],
    ]);
  });

  it('accepts a RaggedTensor as rows of ids', () => {
    const r = new RaggedTensor({ values: [1, 3, 2], rowSplits: [0, 2, 2, 3] });
    close(embeddingLookupSparse(v, r, null), [
      [2, 2],
      [0, 0],
      [0, 2],
    ]);
  });

  it('rejects mismatched weights, other ranks, unknown combiners and empty batches', () => {
    const before = snapshot(v);
    const w2 = new SparseTensor({
      indices: [
        [0, 0],
        [0, 1],
        [3, 0],
      ],
      values: [2, 1, 3],
      denseShape: [5, 2],
    });
    expect(() => embeddingLookupSparse(v, sp, w2)).toThrow(/same indices as spIds; they differ at flat position 4/);
    const r1 = new SparseTensor({ indices: [[0]], values: [1], denseShape: [1] });
    expect(() => embeddingLookupSparse(v, r1, null)).toThrow(/spIds must have rank >= 2, got denseShape \[1\]/);
    expect(() => embeddingLookupSparse(v, sp, null, { combiner: 'max' as never })).toThrow(
      /combiner must be 'sum', 'mean' or 'sqrtn', got "max"/,
    );
    const empty = new SparseTensor({ indices: [], values: [], denseShape: [2, 2] });
    expect(() => embeddingLookupSparse(v, empty, null)).toThrow(/the batch is empty/);
    expect(() => embeddingLookupSparse(v, [1, 2] as never, null)).toThrow(
      /expected a de.SparseTensor or de.RaggedTensor/,
    );
    expect(snapshot(v)).toBe(before);
  });
});

describe('safeEmbeddingLookupSparse', () => {
  // rank 3, denseShape [2, 2, 3]: flattened rows 0 = {1, 3}, 1 = {}, 2 = {}, 3 = {-1}
  const sp = new SparseTensor({
    indices: [
      [0, 0, 0],
      [0, 0, 1],
      [1, 1, 0],
    ],
    values: [1, 3, -1],
    denseShape: [2, 2, 3],
  });

  it('any rank: output denseShape[:-1] + [dim]; negative ids are keys; empty rows are zeros', () => {
    const out = safeEmbeddingLookupSparse(v, sp, null);
    expect(out.shape).toEqual([2, 2, 2]);
    expect(out.arraySync()).toEqual([
      [
        [2, 2],
        [0, 0],
      ],
      [
        [0, 0],
        [7, 7],
      ],
    ]);
  });

  it('defaultId fills empty rows with its vector', () => {
    expect(safeEmbeddingLookupSparse(v, sp, null, { defaultId: 2 }).arraySync()).toEqual([
      [
        [2, 2],
        [0, 2],
      ],
      [
        [0, 2],
        [7, 7],
      ],
    ]);
  });

  it('prunes weights <= 0 for mean / sqrtn but not for sum; never NaN', () => {
    const w = new SparseTensor({
      indices: [
        [0, 0, 0],
        [0, 0, 1],
        [1, 1, 0],
      ],
      values: [1, 0, -1],
      denseShape: [2, 2, 3],
    });
    expect(safeEmbeddingLookupSparse(v, sp, w, { combiner: 'mean' }).arraySync()).toEqual([
      [
        [1, 0],
        [0, 0],
      ],
      [
        [0, 0],
        [0, 0],
      ],
    ]);
    expect(safeEmbeddingLookupSparse(v, sp, w, { combiner: 'sqrtn', defaultId: 4 }).arraySync()).toEqual([
      [
        [1, 0],
        [-1, -1],
      ],
      [
        [-1, -1],
        [-1, -1],
      ],
    ]);
    expect(safeEmbeddingLookupSparse(v, sp, w, { combiner: 'sum' }).arraySync()).toEqual([
      [
        [1, 0],
        [0, 0],
      ],
      [
        [0, 0],
        [-7, -7],
      ],
    ]);
    const allPruned = new SparseTensor({ indices: [[0, 0, 0]], values: [0], denseShape: [2, 2, 3] });
    const one = new SparseTensor({ indices: [[0, 0, 0]], values: [1], denseShape: [2, 2, 3] });
    const res = safeEmbeddingLookupSparse(v, one, allPruned, { combiner: 'sqrtn' }).dataSync();
    expect(Array.from(res)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('a batch without any id is all zeros (or all defaultId); an empty dense shape is an error', () => {
    const none = new SparseTensor({ indices: [], values: [], denseShape: [3, 4] });
    expect(safeEmbeddingLookupSparse(v, none, null).arraySync()).toEqual([
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
    expect(safeEmbeddingLookupSparse(v, none, null, { defaultId: 3 }).arraySync()).toEqual([
      [3, 4],
      [3, 4],
      [3, 4],
    ]);
    const zero = new SparseTensor({ indices: [], values: [], denseShape: [0, 4] });
    expect(() => safeEmbeddingLookupSparse(v, zero, null)).toThrow(/the batch is empty \(denseShape \[0, 4\]\)/);
    expect(() => safeEmbeddingLookupSparse(v, sp, null, { defaultId: 'x' })).toThrow(/defaultId: key dtype mismatch/);
  });
});

describe('linear-time row ops (the cpu paths replacing tf.gather / tf.unsortedSegmentSum)', () => {
  const rng = (seed: number) => () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 4294967296;
  };
  const near = (a: tf.Tensor, b: tf.Tensor) => {
    const x = a.dataSync();
    const y = b.dataSync();
    expect(a.shape).toEqual(b.shape);
    for (let i = 0; i < x.length; i++) expect(Math.abs(x[i] - y[i])).toBeLessThan(1e-5);
  };

  it('gatherByIndex and segmentSumRows give tf.gather / tf.unsortedSegmentSum values and gradients', () => {
    const r = rng(5);
    const rows = tf.tensor2d(
      Float32Array.from({ length: 7 * 3 }, () => r() - 0.5),
      [7, 3],
    );
    const index = Int32Array.from({ length: 40 }, () => Math.floor(r() * 7));
    const dy = tf.tensor2d(
      Float32Array.from({ length: 40 * 3 }, () => r() - 0.5),
      [40, 3],
    );
    near(gatherByIndex(rows, index), tf.gather(rows, tf.tensor1d(index, 'int32')));
    const ours = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(gatherByIndex(x as tf.Tensor2D, index), dy)));
    const theirs = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.gather(x, tf.tensor1d(index, 'int32')), dy)));
    near(ours(rows), theirs(rows));

    const seg = Int32Array.from({ length: 40 }, () => Math.floor(r() * 9)); // some of the 9 segments stay empty
    const dz = tf.tensor2d(
      Float32Array.from({ length: 9 * 3 }, () => r() - 0.5),
      [9, 3],
    );
    near(segmentSumRows(dy, seg, 9), tf.unsortedSegmentSum(dy, tf.tensor1d(seg, 'int32'), 9));
    const ours2 = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(segmentSumRows(x as tf.Tensor2D, seg, 9), dz)));
    const theirs2 = tf.grad((x: tf.Tensor) =>
      tf.sum(tf.mul(tf.unsortedSegmentSum(x, tf.tensor1d(seg, 'int32'), 9), dz)),
    );
    near(ours2(dy), theirs2(dy));
  });

  it('segmentCombineRows (scaled gather + segment sum, fused) matches the tfjs-op formula, values and gradient', () => {
    const r = rng(11);
    const rows = tf.tensor2d(
      Float32Array.from({ length: 6 * 4 }, () => r() - 0.5),
      [6, 4],
    );
    const index = Int32Array.from({ length: 50 }, () => Math.floor(r() * 6));
    const seg = Int32Array.from({ length: 50 }, () => Math.floor(r() * 12));
    const scale = Float32Array.from({ length: 50 }, () => r() * 2 - 1);
    const dz = tf.tensor2d(
      Float32Array.from({ length: 12 * 4 }, () => r() - 0.5),
      [12, 4],
    );
    const ref = (x: tf.Tensor) =>
      tf.unsortedSegmentSum(
        tf.mul(tf.gather(x, tf.tensor1d(index, 'int32')), tf.tensor2d(scale, [50, 1])),
        tf.tensor1d(seg, 'int32'),
        12,
      );
    near(segmentCombineRows(rows, index, seg, 12, scale), ref(rows));
    near(segmentSumRows(tf.gather(rows, tf.tensor1d(index, 'int32')) as tf.Tensor2D, seg, 12, scale), ref(rows));
    const ours = tf.grad((x: tf.Tensor) =>
      tf.sum(tf.mul(segmentCombineRows(x as tf.Tensor2D, index, seg, 12, scale), dz)),
    );
    const theirs = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(ref(x), dz)));
    near(ours(rows), theirs(rows));
    expect(() => segmentCombineRows(rows, new Int32Array([6]), new Int32Array([0]), 1)).toThrow(
      /row index 6 at 0 is out of range; expected an integer in \[0, 6\)/,
    );
    expect(() => segmentCombineRows(rows, new Int32Array([0]), new Int32Array([0]), 1, new Float32Array(2))).toThrow(
      /one value per entry; got 1, 1 and 2/,
    );
  });

  it('segmentSumRows refuses segment ids out of range and a length mismatch', () => {
    const x = tf.tensor2d([
      [1, 2],
      [3, 4],
    ]);
    expect(() => segmentSumRows(x, new Int32Array([0, 2]), 2)).toThrow(/segment id 2 at 1 is out of range.*\[0, 2\)/);
    expect(() => segmentSumRows(x, new Int32Array([0]), 2)).toThrow(/one segment id per entry \(2\), got 1/);
  });

  it('uniqueKeys: first-seen order and index for int32, int64 (both words compared) and string keys', () => {
    const a = uniqueKeys(new Int32Array([5, -3, 5, 0, -3, 2147483647]));
    expect(Array.from(a.unique as Int32Array)).toEqual([5, -3, 0, 2147483647]);
    expect(Array.from(a.index)).toEqual([0, 1, 0, 2, 1, 3]);
    // keys equal in their low word (or high word) only must stay distinct
    const big = new BigInt64Array([1n, 1n + (1n << 32n), -1n, 1n, 4294967295n, -1n, 1n << 32n]);
    const b = uniqueKeys(big);
    expect(Array.from(b.unique as BigInt64Array)).toEqual([1n, 1n + (1n << 32n), -1n, 4294967295n, 1n << 32n]);
    expect(Array.from(b.index)).toEqual([0, 1, 2, 0, 3, 2, 4]);
    const c = uniqueKeys(['x', 'y', 'x']);
    expect(c.unique).toEqual(['x', 'y']);
    expect(Array.from(c.index)).toEqual([0, 1, 0]);
    // many keys (the scratch table grows and is reused): same answer as a Map
    const r = rng(9);
    const many = Int32Array.from({ length: 50_000 }, () => Math.floor(r() * 20_000) - 10_000);
    const m = new Map<number, number>();
    const want = Array.from(many, (k) => {
      if (!m.has(k)) m.set(k, m.size);
      return m.get(k)!;
    });
    const u = uniqueKeys(many);
    expect(Array.from(u.index)).toEqual(want);
    expect(Array.from(u.unique as Int32Array)).toEqual([...m.keys()]);
  });

  it('embeddingLookupSparse: the gradient to the unique rows is that of the tfjs-op formula (weighted mean)', () => {
    const r = rng(3);
    const n = 30;
    const indices = Array.from({ length: n }, (_, i) => [Math.floor(i / 3), i % 3]);
    const keys = Array.from({ length: n }, () => 1 + Math.floor(r() * 4)); // keys 1..4 are stored in v
    const wts = Array.from({ length: n }, () => r() + 0.1);
    const sp = new SparseTensor({ indices, values: keys, denseShape: [10, 3] });
    const sw = new SparseTensor({ indices, values: wts, denseShape: [10, 3] });
    const dz = tf.tensor2d(
      Float32Array.from({ length: 10 * 2 }, () => r() - 0.5),
      [10, 2],
    );
    let unique: bigint[] = [];
    const ours = tf.grad((rows: tf.Tensor) => {
      const prev = setReadTape({
        onRead: (rd) => {
          unique = Array.from(rd.keys as BigInt64Array);
          return rows as tf.Tensor2D;
        },
      });
      try {
        return tf.sum(tf.mul(embeddingLookupSparse(v, sp, sw, { combiner: 'mean' }), dz));
      } finally {
        setReadTape(prev);
      }
    });
    const init = tf.tensor2d(
      Float32Array.from({ length: 4 * 2 }, () => r()),
      [4, 2],
    );
    const g = ours(init);
    const pos = keys.map((k) => unique.indexOf(BigInt(k)));
    const seg = tf.tensor1d(
      Int32Array.from(indices, ([row]) => row),
      'int32',
    );
    const w = tf.tensor1d(wts);
    const denom = tf.expandDims(tf.unsortedSegmentSum(w, seg, 10), 1);
    const theirs = tf.grad((rows: tf.Tensor) => {
      const e = tf.mul(tf.gather(rows, tf.tensor1d(pos, 'int32')), tf.expandDims(w, 1));
      const mean = tf.div(tf.unsortedSegmentSum(e, seg, 10), denom); // no row is empty
      return tf.sum(tf.mul(mean, dz));
    });
    near(g, theirs(init));
  });

  it('mean over a zero-weight row: output 0 and a zero (not NaN) gradient for its rows', () => {
    const sp = new SparseTensor({
      indices: [
        [0, 0],
        [0, 1],
        [1, 0],
      ],
      values: [1, 2, 3],
      denseShape: [2, 2],
    });
    const sw = new SparseTensor({
      indices: [
        [0, 0],
        [0, 1],
        [1, 0],
      ],
      values: [1, -1, 2],
      denseShape: [2, 2],
    });
    let unique: bigint[] = [];
    const g = tf.grad((rows: tf.Tensor) => {
      const prev = setReadTape({
        onRead: (rd) => {
          unique = Array.from(rd.keys as BigInt64Array);
          return rows as tf.Tensor2D;
        },
      });
      try {
        return tf.sum(embeddingLookupSparse(v, sp, sw, { combiner: 'mean' }));
      } finally {
        setReadTape(prev);
      }
    })(tf.ones([3, 2]));
    expect(unique).toEqual([1n, 2n, 3n]);
    expect(g.arraySync()).toEqual([
      [0, 0],
      [0, 0],
      [1, 1],
    ]);
  });
});
