// Per-step training metrics in a ring buffer: a plain module-level structure, not store state.
// The worker's replies are pushed here; components read it on animation frames (useMetricsFrame),
// so a step never causes a setState.
import { startTransition, useEffect, useState } from 'react';
import type { NormHistogram, StepMetrics } from '../../../workers/trainer.js';

export const RING_CAPACITY = 2000;

class Ring {
  readonly steps: StepMetrics[] = [];
  /** The table names seen, in order (for legends). */
  tables: string[] = [];
  histograms: NormHistogram[] = [];
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

  setHistograms(h: NormHistogram[]): void {
    this.histograms = h;
    this.version++;
  }

  clear(): void {
    this.steps.length = 0;
    this.tables = [];
    this.histograms = [];
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

/** At most `max` points of `xs`, every k-th, keeping the last; with k for the "every k-th" note. */
export function downsample<T>(xs: readonly T[], max: number): { points: T[]; every: number } {
  if (xs.length <= max) return { points: xs.slice(), every: 1 };
  const every = Math.ceil(xs.length / max);
  const points: T[] = [];
  for (let i = (xs.length - 1) % every; i < xs.length; i += every) points.push(xs[i]);
  return { points, every };
}
