// Helpers of the in-browser benchmarks (the Performance page and `npm run bench:browser`): timing,
// id distributions, the plain-JS baseline table, result rows and their markdown. No DOM and no
// engine import here, so a Node script can import these modules too (the engine and tfjs come in
// through the run context).
//
// Every figure is a ratio against a baseline measured in the same run, timed alternately with it
// (A, B, A, B, ...), because the machines these run on are shared and noisy.

/** The benchmark sections, in the order they run. */
// (WebGL last: a software renderer may leave the GPU process busy after its time limit.)
export const SECTIONS = ['hashtable', 'gather', 'workers', 'train', 'gpu'] as const;
export type SectionId = (typeof SECTIONS)[number];

export const SECTION_TITLES: Record<SectionId, string> = {
  hashtable: 'Hash table vs a plain-JS table',
  gather: 'Gather bandwidth vs memory.copy',
  gpu: 'WASM vs WebGL gather',
  workers: 'Worker scaling',
  train: 'Training step vs dense tfjs',
};

export type PerfSize = 'quick' | 'full';

/** One measured figure: `value` of the engine against `baseline` measured in the same run. */
export interface PerfRow {
  section: SectionId;
  name: string;
  value: number;
  unit: string;
  /** What the baseline is (e.g. 'plain JS Map + Float32Array'). */
  baselineName?: string;
  baseline?: number;
  /** How many times better than the baseline (higher is better, whatever the unit). */
  ratio?: number;
  note?: string;
  /** Plain parameters for the charts (size, distribution, operation, ...). */
  params: Record<string, string | number>;
}

/** What the run reports as it goes. */
export type PerfEvent =
  | { kind: 'progress'; done: number; total: number; label: string }
  | { kind: 'row'; row: PerfRow }
  | { kind: 'note'; section: SectionId; text: string };

function now(): number {
  return performance.now();
}

/** Median seconds per call of `fn`, run for at least `minMs` after one warm-up call. */
export function timeIt(fn: () => void, { minMs = 200, minRuns = 3, maxRuns = 200 } = {}): number {
  fn();
  const times: number[] = [];
  const start = now();
  while (times.length < minRuns || (now() - start < minMs && times.length < maxRuns)) {
    const t0 = now();
    fn();
    times.push(now() - t0);
  }
  return median(times) / 1000;
}

/** Async {@link timeIt} (for calls that await, e.g. a worker pool's or a GPU read-back). */
export async function timeItAsync(
  fn: () => Promise<unknown>,
  { minMs = 200, minRuns = 3, maxRuns = 100 } = {},
): Promise<number> {
  await fn();
  const times: number[] = [];
  const start = now();
  while (times.length < minRuns || (now() - start < minMs && times.length < maxRuns)) {
    const t0 = now();
    await fn();
    times.push(now() - t0);
  }
  return median(times) / 1000;
}

/**
 * Times two functions alternately (A, B, A, B, ...) so that drifting load hits both alike;
 * returns the median seconds per call of each.
 */
export function timePair(
  a: () => void,
  b: () => void,
  { minMs = 200, minRuns = 5, maxRuns = 200 } = {},
): [number, number] {
  a();
  b();
  const ta: number[] = [];
  const tb: number[] = [];
  const start = now();
  while (ta.length < minRuns || (now() - start < 2 * minMs && ta.length < maxRuns)) {
    let t0 = now();
    a();
    ta.push(now() - t0);
    t0 = now();
    b();
    tb.push(now() - t0);
  }
  return [median(ta) / 1000, median(tb) / 1000];
}

/**
 * Async {@link timePair}: `a` and `b` awaited alternately (A, B, A, B, ...), so the drifting
 * load of a shared machine hits both alike; returns the median seconds per call of each.
 */
export async function timePairAsync(
  a: () => Promise<unknown>,
  b: () => Promise<unknown>,
  { minMs = 200, minRuns = 5, maxRuns = 100 } = {},
): Promise<[number, number]> {
  await a();
  await b();
  const ta: number[] = [];
  const tb: number[] = [];
  const start = now();
  while (ta.length < minRuns || (now() - start < 2 * minMs && ta.length < maxRuns)) {
    let t0 = now();
    await a();
    ta.push(now() - t0);
    t0 = now();
    await b();
    tb.push(now() - t0);
  }
  return [median(ta) / 1000, median(tb) / 1000];
}

export function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[s.length >> 1];
}

/** A small seeded PRNG (mulberry32) returning floats in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` ranks in [0, n) drawn uniformly. */
export function uniformRanks(n: number, count: number, seed: number): Int32Array {
  const r = rng(seed);
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) out[i] = Math.floor(r() * n);
  return out;
}

/** `count` ranks in [0, n) drawn from Zipf(s): P(rank k) proportional to 1/(k+1)^s. */
export function zipfRanks(n: number, count: number, s: number, seed: number): Int32Array {
  const cdf = new Float64Array(n);
  let acc = 0;
  for (let k = 0; k < n; k++) {
    acc += 1 / (k + 1) ** s;
    cdf[k] = acc;
  }
  const r = rng(seed);
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const u = r() * acc;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    out[i] = lo;
  }
  return out;
}

/**
 * The int32 key of a rank: an odd-multiplier bijection of 32-bit integers, so popular keys are
 * not neighbours and keys are spread over the whole int32 range (as hashed ids are).
 */
export function keyOfRank(rank: number): number {
  return Math.imul(rank, 0x9e3779b1) ^ 0x632be59b;
}

export function keysOfRanks(ranks: Int32Array): Int32Array {
  const out = new Int32Array(ranks.length);
  for (let i = 0; i < ranks.length; i++) out[i] = keyOfRank(ranks[i]);
  return out;
}

/**
 * The plain-JS dynamic table a JavaScript developer would write: a Map from id to row over a
 * growable Float32Array arena (doubling), freed rows reused. Number keys (the fastest Map keys
 * V8 has), so the baseline is the strong one, not a BigInt straw man.
 */
export class JsTable {
  readonly dim: number;
  private map = new Map<number, number>();
  arena: Float32Array;
  private rows = 0;
  private free: number[] = [];

  constructor(dim: number) {
    this.dim = dim;
    this.arena = new Float32Array(dim * 1024);
  }

  get size(): number {
    return this.map.size;
  }

  upsert(keys: Int32Array, values: Float32Array): void {
    const dim = this.dim;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      let r = this.map.get(k);
      if (r === undefined) {
        r = this.free.length > 0 ? (this.free.pop() as number) : this.rows++;
        if ((r + 1) * dim > this.arena.length) {
          const bigger = new Float32Array(this.arena.length * 2);
          bigger.set(this.arena);
          this.arena = bigger;
        }
        this.map.set(k, r);
      }
      const a = this.arena;
      const o = r * dim;
      const v = i * dim;
      for (let j = 0; j < dim; j++) a[o + j] = values[v + j];
    }
  }

  find(keys: Int32Array, rows: Int32Array, exists: Uint8Array): void {
    for (let i = 0; i < keys.length; i++) {
      const r = this.map.get(keys[i]);
      rows[i] = r === undefined ? -1 : r;
      exists[i] = r === undefined ? 0 : 1;
    }
  }

  gather(keys: Int32Array, out: Float32Array, exists: Uint8Array): void {
    const dim = this.dim;
    const a = this.arena;
    for (let i = 0; i < keys.length; i++) {
      const r = this.map.get(keys[i]);
      if (r === undefined) {
        exists[i] = 0;
        out.fill(0, i * dim, (i + 1) * dim);
        continue;
      }
      exists[i] = 1;
      const o = r * dim;
      const d = i * dim;
      for (let j = 0; j < dim; j++) out[d + j] = a[o + j];
    }
  }
}

function fmt(x: unknown): string {
  if (typeof x !== 'number') return x === undefined || x === null ? '' : String(x);
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1e6) return x.toExponential(3);
  if (a >= 100) return x.toFixed(0);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(3);
}

/** Formats a figure for tables: 3 significant-ish digits, exponents for millions and up. */
export function formatNumber(x: number | undefined): string {
  return fmt(x);
}

/**
 * A figure for people (the Performance page's table and axes): 3 significant digits, with k, M
 * or G from ten thousand up, so 2.501e7 reads "25.0 M". `trim` drops trailing zeros (axis ticks).
 *
 * @example
 * formatReadable(25_010_000); // '25.0 M'
 * formatReadable(12, { trim: true }); // '12'
 */
export function formatReadable(x: number | undefined, opts: { trim?: boolean } = {}): string {
  if (x === undefined) return '';
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  const [d, suffix] = a >= 1e9 ? [x / 1e9, ' G'] : a >= 1e6 ? [x / 1e6, ' M'] : a >= 1e4 ? [x / 1e3, ' k'] : [x, ''];
  // 1000..9999 and 100..999.x: whole numbers (toPrecision would write 1.23e+3)
  const body = Math.abs(d) >= 100 ? d.toFixed(0) : opts.trim ? String(Number(d.toPrecision(3))) : d.toPrecision(3);
  return `${body}${suffix}`;
}

/** Rows as a GitHub markdown table: section, name, value, unit, baseline, ratio, note. */
export function toMarkdown(rows: PerfRow[]): string {
  const head = ['section', 'case', 'value', 'unit', 'baseline', 'baseline value', 'ratio', 'note'];
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    lines.push(
      `| ${[
        r.section,
        r.name,
        fmt(r.value),
        r.unit,
        r.baselineName ?? '',
        fmt(r.baseline),
        r.ratio === undefined ? '' : `${fmt(r.ratio)}x`,
        r.note ?? '',
      ]
        .map(cell)
        .join(' | ')} |`,
    );
  }
  return lines.join('\n');
}
