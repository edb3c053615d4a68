// The MovieLens pipeline headless: the shipped asset decodes to the data set's counts, the split
// follows the protocol, the metrics and gradients are right on hand-made cases, and a short run on
// a slice of the users beats the popularity baseline measured on the same split.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as de from '../../engine/index.js';
import { MOVIELENS_ASSET_PATH, movieGenres, movieTitle, parseMovieLens, type MovieLensData } from './asset.js';
import { bprGradients, softmaxGradients } from './gradients.js';
import { rankingMetrics, topKExcluding } from './metrics.js';
import { MovieLensRun } from './run.js';
import { splitRatings } from './split.js';

let data: MovieLensData;
let bytes: ArrayBuffer;

beforeAll(async () => {
  await de.ready();
  await tf.setBackend('cpu');
  const file = readFileSync(join(__dirname, '../../../public', MOVIELENS_ASSET_PATH));
  bytes = file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer;
  data = parseMovieLens(bytes);
});

describe('MovieLens asset', () => {
  it('holds ml-latest-small: 671 users, 9,066 rated movies, 100,004 ratings, titles and genres', () => {
    expect([data.users, data.movies, data.ratings]).toEqual([671, 9066, 100004]);
    expect(data.movieIds[0]).toBe(1);
    expect(movieTitle(data, 0)).toBe('Toy Story (1995)');
    expect(movieGenres(data, 0)).toEqual(['Adventure', 'Animation', 'Children', 'Comedy', 'Fantasy']);
    // ratings.csv's first line: user 1 rated movie 31 with 2.5 stars.
    expect(data.userIds[0]).toBe(1);
    expect(data.movieIds[data.ratingMovie[0]]).toBe(31);
    expect(data.ratingHalfStars[0]).toBe(5);
  });

  it('refuses bytes that are not the asset, saying what was expected', () => {
    expect(() => parseMovieLens(new ArrayBuffer(4))).toThrow('expected at least 12 bytes, got 4');
    const wrong = new Uint8Array(bytes.slice(0));
    wrong.set([88, 88, 88, 88], 0);
    expect(() => parseMovieLens(wrong.buffer)).toThrow('expected the magic "DEML", got "XXXX"');
    expect(() => parseMovieLens(bytes.slice(0, 5000))).toThrow(/lies outside the 5000-byte file/);
  });
});

describe('protocol', () => {
  it('splits each user 80/20 with a fixed seed, the same on every call', () => {
    const a = splitRatings(data, { seed: 42 });
    const b = splitRatings(data, { seed: 42 });
    expect(a.test.items).toEqual(b.test.items);
    expect(a.train.items.length + a.test.items.length).toBe(100004);
    // user 1 (index 0) has 20 ratings: 4 held out, 16 kept.
    expect(a.test.offsets[1]).toBe(4);
    expect(a.train.offsets[1]).toBe(16);
    expect(splitRatings(data, { seed: 43 }).test.items).not.toEqual(a.test.items);
    expect(() => splitRatings(data, { seed: 1.5 })).toThrow('seed must be an integer, got 1.5');
  });

  it('ranks all items with the seen ones excluded: precision, recall and NDCG@k by hand', () => {
    expect(topKExcluding(Float32Array.of(0.1, 0.9, 0.5, 0.7), Uint8Array.of(0, 1, 0, 0), 2)).toEqual([3, 2]);
    const seen = { offsets: Uint32Array.of(0, 1), items: Uint16Array.of(0) };
    const held = { offsets: Uint32Array.of(0, 2), items: Uint16Array.of(2, 3) };
    // Scores rank 0 (seen, skipped), 1, 2: the top-2 is [1, 2], one hit at rank 2 of 2 held out.
    const m = rankingMetrics(seen, held, 4, (_u, out) => out.set([9, 8, 7, 1]), 2);
    expect(m.precision).toBe(0.5);
    expect(m.recall).toBe(0.5);
    expect(m.ndcg).toBeCloseTo(1 / Math.log2(3) / (1 + 1 / Math.log2(3)), 12);
  });

  it('the losses give the gradients a finite difference gives', () => {
    const rows = {
      dim: 2,
      users: Float32Array.of(0.3, -0.2),
      items: Float32Array.of(0.5, 0.1, -0.4, 0.2, 0.05, 0.3),
      bias: Float32Array.of(0.1, 0, -0.1),
      user: Int32Array.of(0),
      pos: Int32Array.of(0),
      neg: Int32Array.of(1, 2),
      posOffsets: Int32Array.of(0, 1),
    };
    for (const f of [
      (r: typeof rows) => bprGradients({ ...r, neg: Int32Array.of(1) }, 0.01),
      (r: typeof rows) => softmaxGradients(r, 0.01),
      (r: typeof rows) => softmaxGradients(r, 0.01, false),
    ]) {
      const g = f(rows);
      const h = 1e-3;
      const up = { ...rows, users: Float32Array.of(0.3 + h, -0.2) };
      const down = { ...rows, users: Float32Array.of(0.3 - h, -0.2) };
      expect((f(up).loss - f(down).loss) / (2 * h)).toBeCloseTo(g.users[0], 3);
      const upI = { ...rows, items: rows.items.map((v, i) => (i === 1 ? v + h : v)) };
      const downI = { ...rows, items: rows.items.map((v, i) => (i === 1 ? v - h : v)) };
      expect((f(upI).loss - f(downI).loss) / (2 * h)).toBeCloseTo(g.items[1], 3);
    }
  });
});

describe('training', () => {
  it('a short run on 150 users beats popularity on the same split; rows are inserted as trained', () => {
    const run = new MovieLensRun(data, { seed: 42, maxUsers: 150, model: { batchSize: 16 } });
    expect(run.model.users.size()).toBe(0);
    const before = run.evaluate();
    run.trainSteps(60);
    const after = run.evaluate();
    expect(run.model.users.size()).toBe(150);
    expect(run.model.movies.size()).toBeGreaterThan(4000);
    expect(run.popularity.users).toBe(150);
    expect(after.recall).toBeGreaterThan(before.recall);
    expect(after.recall).toBeGreaterThan(run.popularity.recall * 1.15);
    expect(after.precision).toBeGreaterThan(run.popularity.precision);
    run.dispose();
  }, 180_000);
});
