// The MovieLens session as the worker drives it: search, recommend for a data-set user (held-out
// movies marked), and "rate a few movies" inserting a new user row and folding it in.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, it } from 'vitest';
import * as de from '../../engine/index.js';
import { MOVIELENS_ASSET_PATH } from './asset.js';
import { MovieLensSession } from './session.js';

let s: MovieLensSession;

beforeAll(async () => {
  await de.ready();
  await tf.setBackend('cpu');
  const file = readFileSync(join(__dirname, '../../../public', MOVIELENS_ASSET_PATH));
  s = new MovieLensSession(file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer);
});

it('searches titles (most rated first), recommends for users and folds a new user in', () => {
  expect(() => s.recommendForUser(1)).toThrow('no model yet; start a run first');
  const info = s.start(42);
  expect(info.popularity.recall).toBeGreaterThan(0.06);
  expect(s.search('star wars')[0].title).toBe('Star Wars: Episode IV - A New Hope (1977)');
  expect(s.search('   ')).toEqual([]);
  s.train(1500);
  const user = s.recommendForUser(1);
  expect(user.items).toHaveLength(10);
  expect(user.heldOut).toBe(4);
  expect(() => s.recommendForUser(9999)).toThrow('no user 9999; user ids run from 1 to 671');

  // Five Star Wars / Lord of the Rings picks: ten titled recommendations, none of the picks, each with reasons.
  const picks = [260, 1196, 1210, 4993, 5952];
  const before = s.recommendForUser(2).items.map((m) => m.movieId);
  const rated = s.rateMovies(picks);
  expect(rated.userKey).toBe(1_000_001);
  expect(rated.items).toHaveLength(10);
  for (const m of rated.items) {
    expect(picks).not.toContain(m.movieId);
    expect(m.title.length).toBeGreaterThan(3);
    expect(m.because).toHaveLength(2);
  }
  // The fold-in wrote the new row only: data-set users' recommendations are unchanged.
  expect(s.recommendForUser(2).items.map((m) => m.movieId)).toEqual(before);
  expect(() => s.rateMovies([260, 42424242])).toThrow('no movie with movieId 42424242');
  expect(() => s.rateMovies([])).toThrow('rate between 1 and 50 movies, got 0');
  s.dispose();
});
