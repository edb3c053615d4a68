// The evaluation protocol's split: each user's ratings are shuffled with a fixed seed and cut 80/20
// (at least one held out), so every model and the popularity baseline are scored on the same
// held-out 20 %. Ratings count as implicit feedback: a rating of any value is a positive.
import { mulberry32 } from '../../engine/index.js';
import type { MovieLensData } from './asset.js';

/** Per-user item lists in CSR form: user u's items are `items[offsets[u] .. offsets[u+1])`. */
export interface UserItems {
  offsets: Uint32Array;
  items: Uint16Array;
}

export interface Split {
  seed: number;
  testFraction: number;
  users: number;
  movies: number;
  train: UserItems;
  test: UserItems;
}

/**
 * Splits every user's ratings at random: `testFraction` of them (rounded, at least 1 when the user
 * has 2 or more) held out. `maxUsers` keeps only the first users (for quick tests).
 *
 * @example
 * const s = splitRatings(data, { seed: 42 });
 * s.test.offsets[1] - s.test.offsets[0]; // round(0.2 * ratings of user 0)
 */
export function splitRatings(
  data: MovieLensData,
  options: { seed: number; testFraction?: number; maxUsers?: number },
): Split {
  const { seed, testFraction = 0.2 } = options;
  if (!Number.isInteger(seed)) throw new Error(`splitRatings: seed must be an integer, got ${seed}`);
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new Error(`splitRatings: testFraction must be in (0, 1), got ${testFraction}`);
  }
  const users = Math.min(data.users, options.maxUsers ?? data.users);
  if (!(users >= 1)) throw new Error(`splitRatings: maxUsers must be at least 1, got ${options.maxUsers}`);
  const total = data.userOffsets[users];
  const trainItems = new Uint16Array(total);
  const testItems = new Uint16Array(total);
  const trainOffsets = new Uint32Array(users + 1);
  const testOffsets = new Uint32Array(users + 1);
  const rand = mulberry32(seed);
  let tr = 0;
  let te = 0;
  for (let u = 0; u < users; u++) {
    const mine = Array.from(data.ratingMovie.subarray(data.userOffsets[u], data.userOffsets[u + 1]));
    for (let i = mine.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [mine[i], mine[j]] = [mine[j], mine[i]];
    }
    const nTest = mine.length < 2 ? 0 : Math.max(1, Math.round(testFraction * mine.length));
    for (let i = 0; i < mine.length; i++) {
      if (i < nTest) testItems[te++] = mine[i];
      else trainItems[tr++] = mine[i];
    }
    trainOffsets[u + 1] = tr;
    testOffsets[u + 1] = te;
  }
  return {
    seed,
    testFraction,
    users,
    movies: data.movies,
    train: { offsets: trainOffsets, items: trainItems.slice(0, tr) },
    test: { offsets: testOffsets, items: testItems.slice(0, te) },
  };
}

/** Moves `fraction` of each user's training items (at least 1 for users with 5+) into a validation set. */
export function carveValidation(
  train: UserItems,
  fraction: number,
  seed: number,
): { train: UserItems; validation: UserItems } {
  const users = train.offsets.length - 1;
  const rand = mulberry32(seed ^ 0x5bd1e995);
  const tOff = new Uint32Array(users + 1);
  const vOff = new Uint32Array(users + 1);
  const tItems = new Uint16Array(train.items.length);
  const vItems = new Uint16Array(train.items.length);
  let t = 0;
  let v = 0;
  for (let u = 0; u < users; u++) {
    const mine = train.items.subarray(train.offsets[u], train.offsets[u + 1]);
    const nVal = mine.length < 5 ? 0 : Math.max(1, Math.round(fraction * mine.length));
    const order = Array.from(mine.keys());
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    order.forEach((k, i) => {
      if (i < nVal) vItems[v++] = mine[k];
      else tItems[t++] = mine[k];
    });
    tOff[u + 1] = t;
    vOff[u + 1] = v;
  }
  return {
    train: { offsets: tOff, items: tItems.slice(0, t) },
    validation: { offsets: vOff, items: vItems.slice(0, v) },
  };
}
