// Per-step training metrics in a ring buffer: a plain module-level structure, not store state.
// The worker's replies are pushed here; components read it on animation frames (useMetricsFrame),
// so a step never causes a setState.
import { startTransition, useEffect, useState } from 'react';
import type { NormHistogram, StepMetrics } from '../../playground/protocol.js';

export const RING_CAPACITY = 2000;

class Ring {
  readonly steps: StepMetrics[] = [];
  /** The table names seen, in order (for legends). */
  tables: string[] = [];
  histograms: NormHistogram[] = [];
  /** The loss chart's reference lines (nats): the labels' entropy and the ground truth's loss; null for an imported log. */
  reference: { baseline: number; ceiling: number } | null = null;
  /** The step the model is at (after the last pushed step, or after step back / reset). */
  step = 0;
  /** Steps dropped from the front because the ring was full. */
  dropped = 0;
  version = 0;

  push(ms: StepMetrics[]): void {
    for (const m of ms) {
      this.steps.push(m);
      for (const name of Object.keys(m.tables)) if (!this.tables.includes(name)) this.tables.push(name);
      this.step = m.step;
    }
    const over = this.steps.length - RING_CAPACITY;
    if (over > 0) {
      this.steps.splice(0, over);
      this.dropped += over;
    }
    this.version++;
  }

  /** Forgets the steps after `step` (step back). */
  truncate(step: number): void {
    while (this.steps.length > 0 && this.steps[this.steps.length - 1].step > step) this.steps.pop();
    this.step = step;
    this.version++;
  }

  /** The tables being trained, known before the first step (so the charts' series are mounted once). */
  setTables(names: string[]): void {
    for (const n of names) if (!this.tables.includes(n)) this.tables.push(n);
    this.version++;
  }

  setReference(r: { baseline: number; ceiling: number } | null): void {
    this.reference = r;
    this.version++;
  }

  setHistograms(h: NormHistogram[]): void {
    this.histograms = h;
    this.version++;
  }

  clear(): void {
    this.steps.length = 0;
    this.tables = [];
    this.histograms = [];
    this.reference = null;
    this.step = 0;
    this.dropped = 0;
    this.version++;
  }
}

export const metrics = new Ring();

interface Reader {
  seen: number;
  last: number;
  minMs: number;
  update(version: number): void;
}

const readers: Reader[] = [];
let next = 0;
let raf = 0;

/**
 * One animation-frame loop for every reader: each frame it wakes at most one reader whose data is
 * stale (round robin), so redraws are spread over frames instead of landing in one long task.
 */
function frame(now: number): void {
  raf = requestAnimationFrame(frame);
  for (let k = 0; k < readers.length; k++) {
    const r = readers[(next + k) % readers.length];
    if (r.seen !== metrics.version && now - r.last >= r.minMs) {
      r.seen = metrics.version;
      r.last = now;
      next = (next + k + 1) % readers.length;
      r.update(r.seen);
      return;
    }
  }
}

/**
 * Re-renders the calling component when the ring changed, checked on animation frames, at most
 * every `minMs`, and never in the same frame as another reader. Returns the ring's version.
 */
export function useMetricsFrame(minMs = 0): number {
  const [version, setVersion] = useState(metrics.version);
  useEffect(() => {
    // A transition: React renders it in slices that yield to the page, so a chart's redraw is
    // never one long task.
    const r: Reader = { seen: metrics.version, last: 0, minMs, update: (v) => startTransition(() => setVersion(v)) };
    readers.push(r);
    if (readers.length === 1) raf = requestAnimationFrame(frame);
    return () => {
      readers.splice(readers.indexOf(r), 1);
      if (readers.length === 0) cancelAnimationFrame(raf);
    };
  }, [minMs]);
  return version;
}

/** A chart row: the step and one number per series. */
export type Row = Record<string, number>;

/**
 * How a bucket of steps becomes one chart point: loss and hit rate are averaged (a trend);
 * size, capacity, gradient norm and evictions keep the bucket's maximum, so a spike (an eviction
 * burst, a gradient blow-up, the peak size before a restrict) is never thinned away.
 */
export const AGGREGATE = {
  loss: 'mean',
  'hit rate': 'mean',
  size: 'max',
  capacity: 'max',
  'grad norm': 'max',
  evictions: 'max',
} as const;

/** The chart rows of one step (hit rate in %). */
export function stepRow(m: StepMetrics): Row {
  const r: Row = { step: m.step, loss: m.loss };
  // Measured every few steps: a bucket averages the measurements it holds.
  if (m.heldOutLoss !== null && m.heldOutLoss !== undefined) r['held-out loss'] = m.heldOutLoss;
  for (const [name, t] of Object.entries(m.tables)) {
    r[`${name} size`] = t.size;
    // A table on the worker pool reports its size, not its capacity: no capacity point.
    if (t.capacity !== null) r[`${name} capacity`] = t.capacity;
    r[`${name} hit rate`] = t.hitRate * 100;
    r[`${name} grad norm`] = t.gradNorm;
    r[`${name} evictions`] = t.evictions;
  }
  return r;
}

function aggregateOf(key: string): 'mean' | 'max' {
  for (const [suffix, how] of Object.entries(AGGREGATE)) if (key === suffix || key.endsWith(` ${suffix}`)) return how;
  return 'mean';
}

/**
 * At most `max` chart points from `steps`: consecutive buckets of `every` steps (the last bucket
 * ends at the last step; the first may be shorter), each drawn at its last step, its values
 * aggregated as {@link AGGREGATE} says. `every` is 1 when nothing is merged.
 */
export function aggregateSteps(steps: readonly StepMetrics[], max: number): { rows: Row[]; every: number } {
  const every = Math.max(1, Math.ceil(steps.length / max));
  const rows: Row[] = [];
  for (let end = steps.length; end > 0; end -= every) {
    const bucket = steps.slice(Math.max(0, end - every), end).map(stepRow);
    const r: Row = { step: bucket[bucket.length - 1].step };
    const sums: Record<string, { sum: number; n: number; max: number }> = {};
    for (const x of bucket) {
      for (const [k, v] of Object.entries(x)) {
        if (k === 'step') continue;
        const a = (sums[k] ??= { sum: 0, n: 0, max: -Infinity });
        a.sum += v;
        a.n++;
        a.max = Math.max(a.max, v);
      }
    }
    for (const [k, a] of Object.entries(sums)) r[k] = aggregateOf(k) === 'max' ? a.max : a.sum / a.n;
    rows.push(r);
  }
  return { rows: rows.reverse(), every };
}
