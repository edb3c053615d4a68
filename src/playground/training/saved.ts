// The trained state kept across a reload: the worker's tables (de.checkpoint.save bytes), the
// model's optimizers and head, the step and the chart history, in IndexedDB beside the workspace.
// Saved a moment after training stops changing it (and every few seconds while it plays); on
// start-up it is restored into a model with exactly the saved settings. What comes back from
// IndexedDB is checked field by field (the checkpoint itself is checked by de.checkpoint.restore,
// the pooled tables against their tables by the worker). Version 1 had no pooled tables.
import type { SavedTraining, StepMetrics, TableMetrics } from '../protocol.js';
import { pooledShapeProblem } from './pooled-state.js';

export const TRAINED_KEY = 'trained';

/** trainRestore's reason when the saved state belongs to a model with other settings (not an error). */
export const OTHER_SETTINGS = 'the saved model had other settings';

export interface SavedState {
  saved: SavedTraining;
  metrics: StepMetrics[];
}

const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

function isTableMetrics(x: unknown): x is TableMetrics {
  if (typeof x !== 'object' || x === null) return false;
  const m = x as Record<string, unknown>;
  return (
    isNum(m.size) &&
    (m.capacity === null || isNum(m.capacity)) &&
    isNum(m.hitRate) &&
    isNum(m.gradNorm) &&
    isNum(m.evictions)
  );
}

/**
 * The saved state, or a reason it cannot be used.
 *
 * @example
 * validateSaved(await idb.get(TRAINED_KEY)); // { ok: true, state } or { ok: false, reason: '...' }
 */
export function validateSaved(raw: unknown): { ok: true; state: SavedState } | { ok: false; reason: string } {
  if (typeof raw !== 'object' || raw === null) return { ok: false, reason: 'not an object' };
  const r = raw as Record<string, unknown>;
  const s = r.saved as Record<string, unknown> | undefined;
  if (typeof s !== 'object' || s === null || (s.v !== 1 && s.v !== 2)) {
    return { ok: false, reason: 'no saved model (version 1 or 2)' };
  }
  if (typeof s.key !== 'string') return { ok: false, reason: 'saved.key must be a string' };
  if (!isInt(s.step) || !isInt(s.globalStep)) return { ok: false, reason: 'saved.step must be an integer >= 0' };
  if (!Array.isArray(s.tables) || !s.tables.every((t) => typeof t === 'string')) {
    return { ok: false, reason: 'saved.tables must be a list of names' };
  }
  if (!(s.checkpoint instanceof Uint8Array)) return { ok: false, reason: 'saved.checkpoint must be bytes' };
  const pooled = s.v === 1 ? [] : s.pooled;
  if (!Array.isArray(pooled)) return { ok: false, reason: 'saved.pooled must be a list of pooled tables' };
  for (const [i, p] of (pooled as unknown[]).entries()) {
    const problem = pooledShapeProblem(p, `saved.pooled[${i}]`);
    if (problem) return { ok: false, reason: problem };
  }
  if (!Array.isArray(s.dense) || !s.dense.every((d) => d instanceof Float32Array)) {
    return { ok: false, reason: 'saved.dense must be Float32Arrays' };
  }
  if (
    !Array.isArray(s.denseSlots) ||
    !s.denseSlots.every((d) => Array.isArray(d) && d.every((x) => x instanceof Float32Array))
  ) {
    return { ok: false, reason: 'saved.denseSlots must be lists of Float32Arrays' };
  }
  const metrics = r.metrics;
  if (
    !Array.isArray(metrics) ||
    !metrics.every(
      (m: unknown) =>
        typeof m === 'object' &&
        m !== null &&
        isInt((m as StepMetrics).step) &&
        isNum((m as StepMetrics).loss) &&
        typeof (m as StepMetrics).tables === 'object' &&
        (m as StepMetrics).tables !== null &&
        Object.values((m as StepMetrics).tables).every(isTableMetrics),
    )
  ) {
    return { ok: false, reason: 'metrics must be the per-step metrics' };
  }
  const saved = { ...s, v: 2, pooled } as unknown as SavedTraining;
  return { ok: true, state: { saved, metrics: metrics as StepMetrics[] } };
}
