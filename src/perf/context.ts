// What every benchmark case is given (the engine, tfjs, the size, where events go, clocks), the
// sizes of the cases, and the small helpers they share: the progress stepper, rows, filled tables.
import type * as tfjs from '@tensorflow/tfjs';
import type * as Engine from '../engine/index.js';
import { keysOfRanks, keysOfRanks64 } from './ids.js';
import { JsTable } from './js-table.js';
import type { PerfEvent, PerfRow, PerfSize, SectionId } from './sections.js';
import { timePair, type TimingOptions } from './timing.js';

export interface PerfContext {
  de: typeof Engine;
  tf: typeof tfjs;
  size: PerfSize;
  emit(e: PerfEvent): void;
  /**
   * Checks, apart from this thread and with a time limit, whether tfjs's WebGL backend works;
   * resolves null when it does, else why not. Without it the check runs here, unguarded.
   */
  probeWebgl?: (size: { keys: number; dim: number; batch: number }) => Promise<string | null>;
  /** Measure WebGL even on a software renderer (SwiftShader, llvmpipe): slow, and says nothing about a GPU. */
  softwareWebgl?: boolean;
  /** Starts one pool worker (browser: de.pool.browserSpawner(); Node: await de.pool.nodeSpawner()). */
  spawn?: Engine.pool.Spawner;
  /**
   * The CPU seconds this process has used (Node: process.cpuUsage). When given, the single-thread
   * cases are timed by CPU time (a loaded machine makes the wall clock measure waiting for a
   * core), each row's note giving the wall-clock ratio too, and pool rows note their CPU per key.
   */
  cpuSeconds?: () => number;
  /**
   * Also run the deeper cases `npm run bench` adds to the page's: bytes per key, lookup + gather
   * against the plain-JS table, resolved-row and dense random-row copies, tfjs tf.gather, the
   * sparse training step, the stock tf.layers.embedding step extrapolated, and (full size) a
   * 10-million-key table. Too slow for a page a person waits on.
   */
  deep?: boolean;
  /**
   * A native reference lookup (Node: bench/native/lookup.cpp, compiled with g++ -O3): a table of
   * `keys` (row i = key i) looked up with `ids`, each row of `dim` floats copied out; the median
   * CPU seconds of one batch, or why it was skipped (no g++).
   */
  native?: (keys: BigInt64Array, ids: BigInt64Array, dim: number, minMs: number) => NativeTiming;
}

/** What {@link PerfContext.native} returns. */
export type NativeTiming = { cpuSec: number; wallSec: number; runs: number } | { skipped: string };

/** The sizes of each case, quick and full. */
export const SIZES = {
  quick: {
    hashSizes: [10_000, 100_000],
    hashBatch: 16_384,
    gatherKeys: 100_000,
    gatherBatch: 16_384,
    gpuKeys: 65_536,
    poolKeys: 200_000,
    poolBatch: 16_384,
    trainVocab: 100_000,
    trainBatch: 512,
    minMs: 100,
  },
  full: {
    hashSizes: [10_000, 100_000, 1_000_000],
    hashBatch: 65_536,
    gatherKeys: 1_000_000,
    gatherBatch: 65_536,
    gpuKeys: 262_144,
    poolKeys: 1_000_000,
    poolBatch: 16_384,
    trainVocab: 1_000_000,
    trainBatch: 4096,
    minMs: 300,
  },
} as const;

/** The table sizes of the hash-table section (the deep full run adds 10 million keys). */
export function hashSizes(ctx: Pick<PerfContext, 'size' | 'deep'>): number[] {
  const sizes: number[] = [...SIZES[ctx.size].hashSizes];
  if (ctx.deep && ctx.size === 'full') sizes.push(10_000_000);
  return sizes;
}

/** Reports each case before it runs (for the progress bar), and yields so a cancel gets through. */
export class Stepper {
  done = 0;
  constructor(
    private readonly ctx: PerfContext,
    readonly total: number,
  ) {}
  /** Reports the case about to run, then yields so the report (and a cancel) can get through. */
  async next(label: string): Promise<void> {
    this.ctx.emit({ kind: 'progress', done: this.done, total: this.total, label });
    this.done++;
    await new Promise((r) => setTimeout(r, 0));
  }
}

/** A row with its ratio: value / baseline, or baseline / value when lower is better. */
export function row(
  section: SectionId,
  name: string,
  value: number,
  unit: string,
  baseline: number | undefined,
  baselineName: string | undefined,
  params: PerfRow['params'],
  extra: { note?: string; lowerIsBetter?: boolean; target?: string } = {},
): PerfRow {
  let ratio: number | undefined;
  if (baseline !== undefined && baseline > 0) ratio = extra.lowerIsBetter ? baseline / value : value / baseline;
  const r: PerfRow = { section, name, value, unit, baseline, baselineName, ratio, note: extra.note, params };
  if (extra.target !== undefined) r.target = extra.target;
  return r;
}

/** `n` rows of `dim` values in [0, 1). */
export function values(n: number, dim: number): Float32Array {
  const v = new Float32Array(n * dim);
  for (let i = 0; i < v.length; i++) v[i] = (i % 97) / 97;
  return v;
}

/** Seconds on the context's clock: CPU time where it has one, else the wall clock. */
export function clock(ctx: PerfContext): number {
  return ctx.cpuSeconds ? ctx.cpuSeconds() : performance.now() / 1000;
}

/**
 * Times `a` (the engine) against `b` (its baseline) alternately, on the context's clock; `note`
 * is the wall-clock ratio b/a when that clock is CPU time (else undefined).
 */
export function pair(
  ctx: PerfContext,
  a: () => void,
  b: () => void,
  opts: TimingOptions,
): { a: number; b: number; note: (words?: string) => string | undefined } {
  const t = timePair(a, b, opts, ctx.cpuSeconds);
  const wall = ctx.cpuSeconds ? `wall-clock ratio ${(t.wallB / t.wallA).toFixed(2)}` : undefined;
  return {
    a: t.a,
    b: t.b,
    note: (words) => (words && wall ? `${words}; ${wall}` : (words ?? wall)),
  };
}

/**
 * Fills an engine table and (optionally) the plain-JS one with ranks 0..n-1, int32 keys (or int64
 * keys and a bigint-keyed plain-JS table); times each fill on the context's clock.
 */
export function fill(ctx: PerfContext, n: number, dim: number, batch: number, withJs: boolean) {
  return fillAs(ctx, 'int32', n, dim, batch, withJs);
}

export function fillAs(
  ctx: PerfContext,
  keyDtype: 'int32' | 'int64',
  n: number,
  dim: number,
  batch: number,
  withJs: boolean,
) {
  const wasm = new ctx.de.HashTable({ keyDtype, dim });
  const js = withJs ? new JsTable(dim) : undefined;
  const vals = values(batch, dim);
  let wasmSec = 0;
  let jsSec = 0;
  for (let start = 0; start < n; start += batch) {
    const count = Math.min(batch, n - start);
    const ranks = Int32Array.from({ length: count }, (_, i) => start + i);
    const keys = keyDtype === 'int64' ? keysOfRanks64(ranks) : keysOfRanks(ranks);
    const v = vals.subarray(0, count * dim);
    let t0 = clock(ctx);
    wasm.upsert(keys, v);
    wasmSec += clock(ctx) - t0;
    if (js) {
      t0 = clock(ctx);
      js.upsert(keys, v);
      jsSec += clock(ctx) - t0;
    }
  }
  return { wasm, js, wasmSec, jsSec };
}

export const JS_BASELINE = 'plain JS (Map + Float32Array arena)';
export const JS_BASELINE_64 = 'plain JS (Map<bigint, row> + Float32Array arena)';

/** Collects garbage where the host lets us (node --expose-gc), so one case's garbage is not the next's. */
export function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
