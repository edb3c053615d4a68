// What comes back from IndexedDB is checked before it reaches the worker or the charts.
import { describe, expect, it } from 'vitest';
import { validateSaved } from './saved.js';

const good = () => ({
  saved: {
    v: 2,
    key: '[...]',
    step: 3,
    globalStep: 3,
    tables: ['user_emb'],
    checkpoint: new Uint8Array([1, 2, 3]),
    pooled: [
      {
        name: 'item_emb',
        keyDtype: 'int64',
        dim: 2,
        rows: { keys: new BigInt64Array([5n, 9n]), values: new Float32Array(4) },
        status: { keys: new BigInt64Array([5n, 9n]), values: new Float32Array([1, 2]) },
        slots: [
          { optimizer: 0, slot: 'accumulator', rows: { keys: new BigInt64Array([5n]), values: new Float32Array(2) } },
        ],
      },
    ],
    dense: [new Float32Array(4)],
    denseSlots: [[new Float32Array(4)]],
  },
  metrics: [
    { step: 1, loss: 0.7, tables: { user_emb: { size: 5, capacity: 16, hitRate: 0, gradNorm: 1, evictions: 0 } } },
  ],
});

describe('validateSaved', () => {
  it('accepts a saved state', () => {
    const r = validateSaved(good());
    expect(r.ok).toBe(true);
  });

  it('accepts a version 1 state (before pooled tables were saved) as one with no pooled tables', () => {
    const { pooled, ...rest } = good().saved;
    expect(pooled.length).toBe(1);
    const r = validateSaved({ ...good(), saved: { ...rest, v: 1 } });
    expect(r.ok && r.state.saved.pooled).toEqual([]);
    expect(r.ok && r.state.saved.v).toBe(2);
  });

  it('refuses each malformed field with the reason', () => {
    type G = ReturnType<typeof good>;
    const makers: ((g: G) => unknown)[] = [
      (g) => ({ ...g, saved: { ...g.saved, v: 3 } }),
      (g) => ({ ...g, saved: { ...g.saved, step: -1 } }),
      (g) => ({ ...g, saved: { ...g.saved, tables: [1] } }),
      (g) => ({ ...g, saved: { ...g.saved, checkpoint: [1, 2] } }),
      (g) => ({ ...g, saved: { ...g.saved, dense: [[0, 1]] } }),
      (g) => ({ ...g, saved: { ...g.saved, denseSlots: [new Float32Array(1)] } }),
      (g) => ({ ...g, saved: { ...g.saved, pooled: undefined } }),
      (g) => ({ ...g, saved: { ...g.saved, pooled: [{ ...g.saved.pooled[0], dim: 0 }] } }),
      (g) => ({
        ...g,
        saved: { ...g.saved, pooled: [{ ...g.saved.pooled[0], rows: { keys: [5, 9], values: new Float32Array(4) } }] },
      }),
      (g) => ({
        ...g,
        saved: {
          ...g.saved,
          pooled: [{ ...g.saved.pooled[0], status: { keys: new BigInt64Array(2), values: [1, 2] } }],
        },
      }),
      (g) => ({
        ...g,
        saved: {
          ...g.saved,
          pooled: [
            {
              ...g.saved.pooled[0],
              slots: [
                { ...g.saved.pooled[0].slots[0], rows: { keys: new BigInt64Array(1), values: new Float32Array(3) } },
              ],
            },
          ],
        },
      }),
      (g) => ({ ...g, metrics: [{ step: 1, loss: 'x', tables: {} }] }),
      (g) => ({ ...g, metrics: [{ step: 1, loss: 1, tables: { t: { size: '<img>' } } }] }),
    ];
    const reasons = [
      'version 1 or 2',
      'step',
      'tables',
      'checkpoint',
      'dense must',
      'denseSlots',
      'saved.pooled must be a list',
      'saved.pooled[0] item_emb: dim must be an integer >= 1',
      'saved.pooled[0] item_emb: rows.keys must be a BigInt64Array (int64 keys)',
      'saved.pooled[0] item_emb: status.values must be a Float32Array of 2 x 1 values',
      'saved.pooled[0] item_emb: slot accumulator.values must be a Float32Array of 1 x 2 values',
      'metrics',
      'metrics',
    ];
    const cases = makers.map((f, i) => [f, reasons[i]] as const);
    for (const [make, reason] of cases) {
      const r = validateSaved(make(good()));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toContain(reason);
    }
    expect(validateSaved('x')).toEqual({ ok: false, reason: 'not an object' });
  });
});
