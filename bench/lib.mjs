// Shared helpers for benchmark sections: timing, id distributions, formatting.
//
// Every figure is a ratio measured in the same run against a baseline, because the machines
// these run on are shared and noisy: absolute numbers drift, ratios much less.

/** Runs `fn` repeatedly for at least `minMs` (after one warm-up call); returns the median seconds per call. */
export function timeIt(fn, { minMs = 300, minRuns = 3, maxRuns = 200 } = {}) {
  fn();
  const times = [];
  const start = performance.now();
  while (times.length < minRuns || (performance.now() - start < minMs && times.length < maxRuns)) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1] / 1000;
}

/**
 * Times two functions alternately (A, B, A, B, ...) so that drifting load on a shared machine
 * hits both alike; returns the median seconds per call of each.
 */
export function timePair(a, b, { minMs = 300, minRuns = 5, maxRuns = 200 } = {}) {
  a();
  b();
  const ta = [];
  const tb = [];
  const start = performance.now();
  while (ta.length < minRuns || (performance.now() - start < 2 * minMs && ta.length < maxRuns)) {
    let t0 = performance.now();
    a();
    ta.push(performance.now() - t0);
    t0 = performance.now();
    b();
    tb.push(performance.now() - t0);
  }
  const med = (xs) => xs.sort((x, y) => x - y)[xs.length >> 1] / 1000;
  return [med(ta), med(tb)];
}

/** CPU seconds (user + system) this process has used. */
export function cpuSeconds() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * Like timePair, but each call is timed twice: by the CPU time this process used and by the
 * wall clock. On a shared, loaded machine the wall clock mostly measures how long the process
 * waited for a core (a longer call is descheduled more often), while CPU time keeps measuring
 * the work, stalls on memory included. Returns medians { a, b } (CPU s) and { wallA, wallB }.
 */
export function timePairCpu(a, b, { minMs = 300, minRuns = 5, maxRuns = 200 } = {}) {
  a();
  b();
  const ca = [];
  const cb = [];
  const wa = [];
  const wb = [];
  const start = performance.now();
  while (ca.length < minRuns || (performance.now() - start < 2 * minMs && ca.length < maxRuns)) {
    let w0 = performance.now();
    let c0 = cpuSeconds();
    a();
    ca.push(cpuSeconds() - c0);
    wa.push((performance.now() - w0) / 1000);
    w0 = performance.now();
    c0 = cpuSeconds();
    b();
    cb.push(cpuSeconds() - c0);
    wb.push((performance.now() - w0) / 1000);
  }
  const med = (xs) => xs.sort((x, y) => x - y)[xs.length >> 1];
  return { a: med(ca), b: med(cb), wallA: med(wa), wallB: med(wb) };
}

/** A small seeded PRNG (mulberry32) returning floats in [0, 1). */
export function rng(seed) {
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
export function uniformRanks(n, count, seed) {
  const r = rng(seed);
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) out[i] = Math.floor(r() * n);
  return out;
}

/** `count` ranks in [0, n) drawn from Zipf(s): P(rank k) proportional to 1/(k+1)^s. */
export function zipfRanks(n, count, s, seed) {
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

const MASK64 = (1n << 64n) - 1n;
/** The int64 key of a rank: an odd-multiplier bijection, so popular keys are not neighbours. */
export function keyOfRank(rank) {
  return BigInt.asIntN(64, (BigInt(rank) * 0x9e3779b97f4a7c15n + 0x632be59bd9b4e019n) & MASK64);
}

export function keysOfRanks(ranks) {
  const out = new BigInt64Array(ranks.length);
  for (let i = 0; i < ranks.length; i++) out[i] = keyOfRank(ranks[i]);
  return out;
}

export function gc() {
  if (globalThis.gc) globalThis.gc();
}

function fmt(x) {
  if (typeof x !== 'number') return x ?? '';
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1e6) return x.toExponential(3);
  if (a >= 100) return x.toFixed(0);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(3);
}

/** Rows as a markdown table: section, name, value, unit, baseline, ratio, target, note. */
export function markdown(rows) {
  const cols = ['section', 'name', 'value', 'unit', 'baseline', 'ratio', 'target', 'note'];
  const lines = [`| ${cols.join(' | ')} |`, `|${cols.map(() => '---').join('|')}|`];
  for (const r of rows) lines.push(`| ${cols.map((c) => String(fmt(r[c])).replace(/\|/g, '\\|')).join(' | ')} |`);
  return lines.join('\n');
}
