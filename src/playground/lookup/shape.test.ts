import { describe, expect, it } from 'vitest';
import { parseBatch } from '../batch/parse.js';
import { PRESETS } from '../workspace/presets.js';
import { validateWorkspace } from '../workspace/validate.js';
import { outputShape } from './shape.js';

function batch(text: string) {
  const r = parseBatch(text);
  if (!r.ok) throw new Error(r.error.message);
  return r.batch;
}

describe('outputShape', () => {
  const dense = { input: 'dense', combiner: 'none', maxSequenceLength: 0, weights: false } as const;

  it('states the TFRA Embedding rule', () => {
    const r = outputShape(dense, batch('[[15, 2], [4, 92], [22, 4]]'), 8);
    expect(r).toEqual({
      ok: true,
      op: 'embedding',
      shape: [3, 2, 8],
      rule: 'shape(ids) + [dim] = [3, 2] + [8] = [3, 2, 8]',
    });
  });

  it('squashes as SquashedEmbedding: (3, 2) -> (3, 8), (5,) -> (8,)', () => {
    const f = { ...dense, combiner: 'sum' } as const;
    expect(outputShape(f, batch('[[15,2],[4,92],[22,4]]'), 8)).toMatchObject({ op: 'squashed', shape: [3, 8] });
    expect(outputShape(f, batch('[2, 7, 4, 1, 5]'), 8)).toMatchObject({ shape: [8] });
  });

  it('gives one vector per row for sparse features and demands matching weights', () => {
    const f = { input: 'sparse', combiner: 'mean', maxSequenceLength: 0, weights: true } as const;
    expect(outputShape(f, batch('[[7:1, 8:0.5], [9:2]]'), 4)).toMatchObject({ op: 'sparse', shape: [2, 4] });
    expect(outputShape(f, batch('[[7, 8], [9]]'), 4)).toMatchObject({ ok: false });
    expect(outputShape({ ...f, weights: false }, batch('[[7:1]]'), 4)).toMatchObject({ ok: false });
  });

  it('pads sequences to the max sequence length and refuses longer rows', () => {
    const f = { ...dense, maxSequenceLength: 4 };
    expect(outputShape(f, batch('[[1, 2, 3], [4, 5, 6]]'), 6)).toMatchObject({ op: 'sequence', shape: [2, 4, 6] });
    expect(outputShape(f, batch('[[1], [4, 5, 6]]'), 6)).toMatchObject({ shape: [2, 4, 6] });
    const long = outputShape(f, batch('[[1, 2, 3, 4, 5]]'), 6);
    expect(long.ok).toBe(false);
  });

  it('refuses ragged ids for Embedding', () => {
    expect(outputShape(dense, batch('[[1, 2], [3]]'), 8).ok).toBe(false);
  });

  it('every preset is valid, and its documented shape matches the rule', () => {
    for (const p of PRESETS) {
      const w = validateWorkspace(p.build());
      if (!p.expected) continue;
      const f = w.features[0];
      const t = w.tables.find((x) => x.name === f.table)!;
      const r = outputShape(f, batch(w.batches[f.name]), t.dim);
      expect(r.ok && `(${r.shape.join(', ')})`, p.id).toBe(p.expected);
    }
  });
});
