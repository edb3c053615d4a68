// What comes back from IndexedDB is checked before it reaches the worker or the charts.
import { describe, expect, it } from 'vitest';
import { validateSaved } from './saved.js';

const good = () => ({
  saved: {
    v: 1,
    key: '[...]',
    step: 3,
    globalStep: 3,
    tables: ['user_emb'],
    checkpoint: new Uint8Array([1, 2, 3]),
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

  it('refuses each malformed field with the reason', () => {
    type G = ReturnType<typeof good>;
    const makers: ((g: G) => unknown)[] = [
      (g) => ({ ...g, saved: { ...g.saved, v: 2 } }),
      (g) => ({ ...g, saved: { ...g.saved, step: -1 } }),
      (g) => ({ ...g, saved: { ...g.saved, tables: [1] } }),
      (g) => ({ ...g, saved: { ...g.saved, checkpoint: [1, 2] } }),
      (g) => ({ ...g, saved: { ...g.saved, dense: [[0, 1]] } }),
      (g) => ({ ...g, saved: { ...g.saved, denseSlots: [new Float32Array(1)] } }),
      (g) => ({ ...g, metrics: [{ step: 1, loss: 'x', tables: {} }] }),
      (g) => ({ ...g, metrics: [{ step: 1, loss: 1, tables: { t: { size: '<img>' } } }] }),
    ];
    const reasons = ['version 1', 'step', 'tables', 'checkpoint', 'dense must', 'denseSlots', 'metrics', 'metrics'];
    const cases = makers.map((f, i) => [f, reasons[i]] as const);
    for (const [make, reason] of cases) {
      const r = validateSaved(make(good()));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toContain(reason);
    }
    expect(validateSaved('x')).toEqual({ ok: false, reason: 'not an object' });
  });
});
