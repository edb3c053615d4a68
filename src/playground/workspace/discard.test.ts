// Which changes empty a table holding keys (and so are asked about), and which keep its rows.
import { describe, expect, it } from 'vitest';
import { discardsOf } from './discard.js';
import { defaultTable, defaultWorkspace, type TableSpec, type Workspace } from './schema.js';

const two = (): Workspace => {
  const w = defaultWorkspace();
  return { ...w, tables: [defaultTable('user_emb'), defaultTable('item_emb')] };
};
const patch = (w: Workspace, i: number, p: Partial<TableSpec>): Workspace => ({
  ...w,
  tables: w.tables.map((t, k) => (k === i ? { ...t, ...p } : t)),
});
const sizes = { user_emb: 12, item_emb: 0 };

describe('discardsOf', () => {
  it('a creation field (dim, key dtype, initializer seed, restrict policy, placement…) empties the table', () => {
    const w = two();
    expect(discardsOf(w, patch(w, 0, { dim: 16 }), sizes)).toEqual([
      { table: 'user_emb', keys: 12, why: 'Dim 8 → 16' },
    ]);
    expect(discardsOf(w, patch(w, 0, { initSeed: 5, restrictPolicy: 'frequency' }), sizes)).toEqual([
      { table: 'user_emb', keys: 12, why: 'Initializer seed 1 → 5, Restrict policy none → frequency' },
    ]);
    expect(discardsOf(w, patch(w, 0, { placement: 'workers' }), sizes)[0].why).toBe('Placement in-process → workers');
  });

  it('learning rate, optimizer, maxNorm, restrict limit and gather path keep the rows', () => {
    const w = two();
    const soft = patch(w, 0, { learningRate: 0.5, optimizer: 'Adam', maxNorm: 2, restrictLimit: 10, gather: 'webgl' });
    expect(discardsOf(w, soft, sizes)).toEqual([]);
  });

  it('an empty table is never asked about', () => {
    const w = two();
    expect(discardsOf(w, patch(w, 1, { dim: 4 }), sizes)).toEqual([]);
  });

  it('renaming and deleting a table that holds keys empty it', () => {
    const w = two();
    expect(discardsOf(w, patch(w, 0, { name: 'users' }), sizes)).toEqual([
      { table: 'user_emb', keys: 12, why: 'renamed to users (a table is created under its name)' },
    ]);
    const deleted = { ...w, tables: [w.tables[1]] };
    expect(discardsOf(w, deleted, sizes)).toEqual([{ table: 'user_emb', keys: 12, why: 'deleted' }]);
  });

  it('a preset replaces every table that holds keys, even one with the same name and settings', () => {
    const w = two();
    expect(discardsOf(w, w, { user_emb: 3, item_emb: 4 }, true)).toEqual([
      { table: 'user_emb', keys: 3, why: 'the preset replaces every table' },
      { table: 'item_emb', keys: 4, why: 'the preset replaces every table' },
    ]);
  });
});
