// Every output vector of a lookup is labelled with the ids (and weights) that made it.
import { describe, expect, it } from 'vitest';
import { parseBatch } from '../../playground/batch/parse.js';
import { outputLabels } from './provenance.js';

const batch = (t: string) => {
  const r = parseBatch(t);
  if (!r.ok) throw new Error(r.error.message);
  return r.batch;
};

describe('outputLabels', () => {
  it('Embedding (no combiner): one label per id, at its index', () => {
    expect(
      outputLabels({ input: 'dense', combiner: 'none', maxSequenceLength: 0 }, batch('[[15, 2], [4, 92]]')),
    ).toEqual([
      'ids[0][0] = id 15: its row, not combined',
      'ids[0][1] = id 2: its row, not combined',
      'ids[1][0] = id 4: its row, not combined',
      'ids[1][1] = id 92: its row, not combined',
    ]);
  });

  it('SquashedEmbedding: each example combined over its ids', () => {
    expect(
      outputLabels({ input: 'dense', combiner: 'sum', maxSequenceLength: 0 }, batch('[[15, 2], [4, 92]]')),
    ).toEqual([
      'example 0: combined with sum over ids 15, 2 (n = 2) = Σ vᵢ',
      'example 1: combined with sum over ids 4, 92 (n = 2) = Σ vᵢ',
    ]);
    expect(outputLabels({ input: 'dense', combiner: 'mean', maxSequenceLength: 0 }, batch('[1, 2, 3]'))).toEqual([
      'all 3 ids: combined with mean over ids 1, 2, 3 = Σ vᵢ / n',
    ]);
  });

  it('weighted sparse rows: ids, weights and the formula; empty rows and pruned weights said', () => {
    expect(
      outputLabels(
        { input: 'ragged', combiner: 'mean', maxSequenceLength: 0 },
        batch('[[1:0.5, 2:1], [], [3:-1, 4:2]]'),
      ),
    ).toEqual([
      'row 0: combined with mean over ids 1, 2, weights 0.5, 1 = Σ wᵢvᵢ / Σ wᵢ',
      'row 1: no ids, so the zero vector (safe lookup)',
      'row 2: combined with mean over ids 3, 4, weights -1, 2 = Σ wᵢvᵢ / Σ wᵢ (1 weight ≤ 0 pruned by the safe lookup)',
    ]);
    expect(outputLabels({ input: 'sparse', combiner: 'sqrtn', maxSequenceLength: 0 }, batch('[["a", "b"]]'))).toEqual([
      'row 0: combined with sqrtn over ids "a", "b" (n = 2) = Σ vᵢ / √n',
    ]);
  });

  it('TensorX Lookup: one label per step, padding marked', () => {
    expect(outputLabels({ input: 'dense', combiner: 'none', maxSequenceLength: 3 }, batch('[[7, 8], [9]]'))).toEqual([
      'row 0, step 0: id 7, not combined',
      'row 0, step 1: id 8, not combined',
      'row 0, step 2: padding (zero vector; the row has 2 ids)',
      'row 1, step 0: id 9, not combined',
      'row 1, step 1: padding (zero vector; the row has 1 id)',
      'row 1, step 2: padding (zero vector; the row has 1 id)',
    ]);
  });
});
