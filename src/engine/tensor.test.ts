import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from './errors.js';
import { Ids, ids, isTensor, RaggedTensor, SparseTensor, toIds, toKeys } from './tensor.js';

describe('toIds', () => {
  it('infers the shape of nested number, bigint and string arrays', () => {
    const a = toIds([
      [15, 2],
      [4, 92],
      [22, 4],
    ]);
    expect(a.shape).toEqual([3, 2]);
    expect(a.dtype).toBe('number');
    expect(Array.from(a.data as Float64Array)).toEqual([15, 2, 4, 92, 22, 4]);
    const b = toIds([[[1n], [2n]]]);
    expect(b.shape).toEqual([1, 2, 1]);
    expect(b.dtype).toBe('int64');
    const c = toIds(['a', 'b', 'c']);
    expect(c.shape).toEqual([3]);
    expect(c.data).toEqual(['a', 'b', 'c']);
    expect(toIds(7).shape).toEqual([]);
  });

  it('rejects ragged nested arrays, naming the row and the expected length', () => {
    expect(() => toIds([[1, 2], [3]])).toThrow(/ragged nested array: \[1\] has length 1, expected length 2/);
    expect(() => toIds([[1, 2], 3])).toThrow(/ragged nested array: \[1\] has a single id 3, expected length 2/);
    expect(() => toIds([1, [2]])).toThrow(InvalidArgumentError);
  });

  it('rejects non-integers, unsafe numbers, mixed types and empty batches', () => {
    expect(() => toIds([1, 2.5])).toThrow(/ids must be integers, got 2.5 at \[1\]/);
    expect(() => toIds([2 ** 53 + 2])).toThrow(/beyond 2\^53.*bigint \(9007199254740994n/);
    expect(() => toIds([1, '2'])).toThrow(/all ids must be of one type \(number\), got "2" at \[1\]/);
    expect(() => toIds([])).toThrow(/the batch is empty \(shape \[0\]\)/);
    expect(() => toIds([[], []])).toThrow(/the batch is empty \(shape \[2, 0\]\)/);
    expect(() => toIds(ids(new Int32Array(0)))).toThrow(/empty/);
    expect(() => toIds([[1n << 64n]])).toThrow(/does not fit in a signed 64-bit/);
    expect(() => toIds(new Int32Array([1]) as never)).toThrow(/wrap a typed array with de.ids/);
  });

  it('reads int32 and string tensors and rejects float tensors', () => {
    const t = toIds(tf.tensor2d([[1, 2, 3]], [1, 3], 'int32'));
    expect(t.shape).toEqual([1, 3]);
    expect(Array.from(t.data as Int32Array)).toEqual([1, 2, 3]);
    const s = toIds(tf.tensor(['x', 'yz'], [2, 1], 'string'));
    expect(s.shape).toEqual([2, 1]);
    expect(s.data).toEqual(['x', 'yz']);
    expect(() => toIds(tf.tensor([1.5]))).toThrow(/dtype int32 or string, got float32/);
  });

  it('reads a tensor from another copy of tfjs (duck-typed, not instanceof)', () => {
    const foreign = { dtype: 'int32', shape: [1, 2], size: 2, dataSync: () => new Int32Array([3, 4]) };
    expect(isTensor(foreign)).toBe(true);
    expect(isTensor({ shape: [1] })).toBe(false);
    const x = toIds(foreign as unknown as tf.Tensor);
    expect(x.shape).toEqual([1, 2]);
    expect(Array.from(x.data as Int32Array)).toEqual([3, 4]);
  });

  it('de.ids checks the shape against the data', () => {
    const x = ids(new BigInt64Array([1n, 2n, 3n, 4n, 5n, 6n]), [2, 3]);
    expect(x).toBeInstanceOf(Ids);
    expect(x.shape).toEqual([2, 3]);
    expect(() => ids(new Int32Array([1, 2, 3]), [2, 2])).toThrow(/shape \[2, 2\] holds 4 ids, but 3 were given/);
    expect(() => ids([1, 2] as never)).toThrow(/strings only; element 0 is 1/);
  });
});

describe('toKeys', () => {
  it('widens numbers and int32 to int64, and checks int32 range', () => {
    expect(Array.from(toKeys(toIds([1, -2]), 'int64') as BigInt64Array)).toEqual([1n, -2n]);
    expect(Array.from(toKeys(ids(new Int32Array([7])), 'int64') as BigInt64Array)).toEqual([7n]);
    expect(Array.from(toKeys(toIds([1, -2]), 'int32') as Int32Array)).toEqual([1, -2]);
    expect(() => toKeys(toIds([2 ** 31]), 'int32')).toThrow(/does not fit the table's int32 keys/);
  });
  it('names key dtype mismatches', () => {
    expect(() => toKeys(toIds(['a']), 'int64')).toThrow(
      /key dtype mismatch: the table holds int64 keys, but the ids are string/,
    );
    expect(() => toKeys(toIds([1]), 'string')).toThrow(/holds string keys, but the ids are numbers/);
    expect(() => toKeys(toIds([1n]), 'int32')).toThrow(/holds int32 keys, but the ids are int64/);
  });
});

describe('SparseTensor and RaggedTensor', () => {
  it('accepts nested and flat indices', () => {
    const a = new SparseTensor({
      indices: [
        [0, 0],
        [0, 1],
        [2, 0],
      ],
      values: [7, 8, 9],
      denseShape: [3, 2],
    });
    const b = new SparseTensor({ indices: new Int32Array([0, 0, 0, 1, 2, 0]), values: [7, 8, 9], denseShape: [3, 2] });
    expect(Array.from(a.indices)).toEqual(Array.from(b.indices));
    expect(a.nnz).toBe(3);
    expect(Array.from(a.valuesAsIds().data as Float64Array)).toEqual([7, 8, 9]);
  });
  it('rejects out-of-bounds and mismatched indices', () => {
    expect(() => new SparseTensor({ indices: [[3, 0]], values: [1], denseShape: [3, 2] })).toThrow(
      /indices\[0\]\[0\] = 3 is out of bounds; expected \[0, 3\)/,
    );
    expect(() => new SparseTensor({ indices: [[0, 0]], values: [1, 2], denseShape: [3, 2] })).toThrow(
      /indices has 1 entries but values has 2/,
    );
    expect(() => new SparseTensor({ indices: new Int32Array(3), values: [1, 2], denseShape: [3, 2] })).toThrow(
      /length nnz\*rank = 2\*2 = 4, got 3/,
    );
    const w = new SparseTensor({ indices: [[0, 0]], values: [0.5], denseShape: [1, 1] });
    expect(() => w.valuesAsIds()).toThrow(/ids must be integers, got 0.5/);
    expect(Array.from(w.valuesAsWeights())).toEqual([0.5]);
  });
  it('ragged rows become sparse rows', () => {
    const r = new RaggedTensor({ values: ['a', 'b', 'c'], rowSplits: [0, 2, 2, 3] });
    const sp = r.toSparse();
    expect(sp.denseShape).toEqual([3, 2]);
    expect(Array.from(sp.indices)).toEqual([0, 0, 0, 1, 2, 0]);
    expect(() => new RaggedTensor({ values: [1, 2], rowSplits: [0, 3] })).toThrow(/end at values.length \(2\)/);
    expect(() => new RaggedTensor({ values: [1, 2], rowSplits: [0, 2, 1, 2] })).toThrow(/non-decreasing/);
  });
});
