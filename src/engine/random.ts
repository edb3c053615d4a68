// The engine's one seeded generator of uniform floats, for anything that must draw the same
// numbers from the same seed in Node, a worker and the page: batch generators, demo worlds,
// benchmark ids, tests.

/**
 * mulberry32: a small, fast, well-mixed 32-bit PRNG. Returns a function giving floats in [0, 1),
 * the same sequence for the same seed everywhere (only 32-bit integer math).
 *
 * @example
 * const r = de.mulberry32(7);
 * r(); // 0.011704753153026104 for seed 7, on every machine
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
