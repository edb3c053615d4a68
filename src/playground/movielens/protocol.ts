// What the MovieLens view and its worker agree on: the worker's API (exposed over comlink by
// workers/movielens.worker.ts, wrapped by the app's slice) and the protocol's wording.
import type { CurvePoint } from './run.js';
import type { MovieInfo, RecommendedMovie, SessionInfo } from './session.js';

/** The protocol, in the words the view shows. */
export const MOVIELENS_PROTOCOL =
  "Each user's ratings are split 80/20 at random (fixed seed); every movie is ranked, the user's training movies " +
  'are excluded, and precision@10, recall@10 and NDCG@10 are averaged over users on the held-out 20 %, beside ' +
  'the popularity baseline (most-rated training movies) on the same split. Ratings count as implicit feedback.';

/** The MovieLens worker's calls (comlink makes each a Promise on the page's side). */
export interface MovieLensApi {
  /** Fetches the asset (a same-origin URL) and decodes it; returns its counts. */
  load(url: string): Promise<{ users: number; movies: number; ratings: number }>;
  start(seed: number): SessionInfo;
  train(ms: number): CurvePoint;
  search(query: string): MovieInfo[];
  recommendForUser(userId: number): { userId: number; heldOut: number; items: RecommendedMovie[] };
  rateMovies(movieIds: number[]): { userKey: number; userTableSize: number; items: RecommendedMovie[] };
}
