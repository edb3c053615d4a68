// The MovieLens view's worker: loads the shipped asset from the app's own origin and exposes a
// MovieLensSession (src/playground/movielens/session.ts) over comlink. Training runs here in
// chunks the page asks for, so Pause and Cancel take effect between chunks.
import * as tf from '@tensorflow/tfjs';
import { expose } from 'comlink';
import * as de from '../src/engine/index.js';
import type { MovieLensApi } from '../src/playground/movielens/protocol.js';
import { MovieLensSession } from '../src/playground/movielens/session.js';

let session: MovieLensSession | null = null;

function need(): MovieLensSession {
  if (!session) throw new Error('The MovieLens data is not loaded yet: call load(url) first.');
  return session;
}

const api: MovieLensApi = {
  async load(url: string): Promise<{ users: number; movies: number; ratings: number }> {
    await de.ready();
    await tf.setBackend('cpu');
    await tf.ready();
    const res = await fetch(url);
    if (!res.ok) throw new Error(`MovieLens asset ${url}: HTTP ${res.status}`);
    session?.dispose();
    session = new MovieLensSession(await res.arrayBuffer());
    const { users, movies, ratings } = session.data;
    return { users, movies, ratings };
  },
  start: (seed: number) => need().start(seed),
  train: (ms: number) => need().train(ms),
  search: (query: string) => need().search(query),
  recommendForUser: (userId: number) => need().recommendForUser(userId),
  rateMovies: (movieIds: number[]) => need().rateMovies(movieIds),
};

expose(api);
