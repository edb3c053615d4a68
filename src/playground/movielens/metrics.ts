// Top-k ranking metrics over all items, the user's training items excluded: precision@k, recall@k
// (hits / held-out items) and NDCG@k (binary relevance, ideal DCG over min(k, held-out)), each
// averaged over the users that have held-out items. Scoring is plain typed-array arithmetic.
import type { UserItems } from './split.js';

export interface RankingMetrics {
  precision: number;
  recall: number;
  ndcg: number;
  /** Users scored (those with at least one held-out item). */
  users: number;
}

/**
 * The k best item indices of `scores`, best first, skipping items where `exclude[i]` is non-zero.
 *
 * @example
 * topKExcluding(Float32Array.of(0.1, 0.9, 0.5), new Uint8Array([0, 1, 0]), 2); // [2, 0]
 */
export function topKExcluding(scores: Float32Array, exclude: Uint8Array | null, k: number): number[] {
  const idx: number[] = [];
  const val: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    if (exclude && exclude[i]) continue;
    const s = scores[i];
    if (idx.length === k && !(s > val[k - 1])) continue;
    let p = idx.length === k ? k - 1 : idx.length;
    while (p > 0 && val[p - 1] < s) {
      if (p < k) {
        idx[p] = idx[p - 1];
        val[p] = val[p - 1];
      }
      p--;
    }
    idx[p] = i;
    val[p] = s;
  }
  return idx;
}

/**
 * Evaluates `scoreUser` (which fills `out[m]` with user u's score of movie m) on `heldOut`,
 * excluding each user's `seen` items from the ranking.
 *
 * @example
 * rankingMetrics(split.train, split.test, split.movies, (u, out) => out.set(popularity), 10).recall; // ≈ 0.07
 */
export function rankingMetrics(
  seen: UserItems,
  heldOut: UserItems,
  movies: number,
  scoreUser: (u: number, out: Float32Array) => void,
  k = 10,
  users?: ArrayLike<number>,
): RankingMetrics {
  const scores = new Float32Array(movies);
  const exclude = new Uint8Array(movies);
  const relevant = new Uint8Array(movies);
  const discount = Array.from({ length: k }, (_, i) => 1 / Math.log2(i + 2));
  let p = 0;
  let r = 0;
  let n = 0;
  let count = 0;
  const list = users ?? Array.from({ length: heldOut.offsets.length - 1 }, (_, u) => u);
  for (let t = 0; t < list.length; t++) {
    const u = list[t];
    const held = heldOut.items.subarray(heldOut.offsets[u], heldOut.offsets[u + 1]);
    if (held.length === 0) continue;
    const mine = seen.items.subarray(seen.offsets[u], seen.offsets[u + 1]);
    for (const m of mine) exclude[m] = 1;
    for (const m of held) relevant[m] = 1;
    scoreUser(u, scores);
    const top = topKExcluding(scores, exclude, k);
    let hits = 0;
    let dcg = 0;
    top.forEach((m, i) => {
      if (relevant[m]) {
        hits++;
        dcg += discount[i];
      }
    });
    let idcg = 0;
    for (let i = 0; i < Math.min(k, held.length); i++) idcg += discount[i];
    p += hits / k;
    r += hits / held.length;
    n += dcg / idcg;
    count++;
    for (const m of mine) exclude[m] = 0;
    for (const m of held) relevant[m] = 0;
  }
  const d = Math.max(1, count);
  return { precision: p / d, recall: r / d, ndcg: n / d, users: count };
}

/** Each movie's number of training interactions: the popularity baseline's scores. */
export function popularityScores(train: UserItems, movies: number): Float32Array {
  const counts = new Float32Array(movies);
  for (const m of train.items) counts[m]++;
  return counts;
}
