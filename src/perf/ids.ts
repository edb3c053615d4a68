// The ids the benchmark cases look up: ranks drawn uniformly or from a Zipf law (seeded, so a
// run is repeatable), and the int32 key of each rank.
import { mulberry32 } from '../engine/index.js';

/**
 * `count` ranks in [0, n) drawn uniformly.
 *
 * @example
 * uniformRanks(1000, 4, 7); // four ranks below 1000, the same every run
 */
export function uniformRanks(n: number, count: number, seed: number): Int32Array {
  const r = mulberry32(seed);
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) out[i] = Math.floor(r() * n);
  return out;
}

/**
 * `count` ranks in [0, n) drawn from Zipf(s): P(rank k) proportional to 1/(k+1)^s.
 *
 * @example
 * zipfRanks(1000, 20_000, 1.1, 1); // about a third of them below 10
 */
export function zipfRanks(n: number, count: number, s: number, seed: number): Int32Array {
  const cdf = new Float64Array(n);
  let acc = 0;
  for (let k = 0; k < n; k++) {
    acc += 1 / (k + 1) ** s;
    cdf[k] = acc;
  }
  const r = mulberry32(seed);
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

/** The keys of `ranks` (see {@link keyOfRank}). */
export function keysOfRanks(ranks: Int32Array): Int32Array {
  const out = new Int32Array(ranks.length);
  for (let i = 0; i < ranks.length; i++) out[i] = keyOfRank(ranks[i]);
  return out;
}

/** The keys of ranks start, start + 1, ..., start + count - 1. */
export function keysFrom(start: number, count: number): Int32Array {
  return keysOfRanks(Int32Array.from({ length: count }, (_, i) => start + i));
}

const MASK64 = (1n << 64n) - 1n;

/** The int64 keys of `ranks`: an odd-multiplier bijection of 64-bit integers (as {@link keyOfRank}). */
export function keysOfRanks64(ranks: Int32Array): BigInt64Array {
  const out = new BigInt64Array(ranks.length);
  for (let i = 0; i < ranks.length; i++) {
    out[i] = BigInt.asIntN(64, (BigInt(ranks[i]) * 0x9e3779b97f4a7c15n + 0x632be59bd9b4e019n) & MASK64);
  }
  return out;
}
