// Converts MovieLens "ml-latest-small" (ratings.csv, movies.csv, README.txt) into the compact binary
// asset the app and the Node evaluation ship with: public/data/movielens/ml-latest-small.bin, with the
// data set's README.txt (its terms of use) copied beside it. Run once when the data changes:
//   node scripts/movielens-asset.mjs [/path/to/ml-latest-small]   (default: ../shared/datasets/ml-latest-small)
// The reader is src/playground/movielens/asset.ts; the layout is described there and in the header.
//
// Only movies with at least one rating are kept (the data set's 9,066), in ascending movieId order;
// ratings are grouped by user in the file's order. Timestamps are dropped (nothing uses them).
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import Papa from 'papaparse';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = resolve(process.argv[2] ?? join(root, '../shared/datasets/ml-latest-small'));
// e.g. from a worktree: node scripts/movielens-asset.mjs /work/shared/datasets/ml-latest-small
const outDir = join(root, 'public/data/movielens');

/** The 19 MovieLens genres plus "(no genres listed)", in a fixed order: bit g of genreBits is GENRES[g]. */
const GENRES = [
  'Action',
  'Adventure',
  'Animation',
  'Children',
  'Comedy',
  'Crime',
  'Documentary',
  'Drama',
  'Fantasy',
  'Film-Noir',
  'Horror',
  'IMAX',
  'Musical',
  'Mystery',
  'Romance',
  'Sci-Fi',
  'Thriller',
  'War',
  'Western',
  '(no genres listed)',
];

function parseCsv(text, file) {
  const out = Papa.parse(text, { header: true, skipEmptyLines: true });
  if (out.errors.length) throw new Error(`${file}: ${out.errors[0].message} (row ${out.errors[0].row})`);
  return out.data;
}

const movies = parseCsv(await readFile(join(src, 'movies.csv'), 'utf8'), 'movies.csv');
const ratings = parseCsv(await readFile(join(src, 'ratings.csv'), 'utf8'), 'ratings.csv');

const movieRow = new Map();
for (const m of movies) movieRow.set(Number(m.movieId), m);
const rated = new Set(ratings.map((r) => Number(r.movieId)));
const movieIds = [...rated].sort((a, b) => a - b);
for (const id of movieIds)
  if (!movieRow.has(id)) throw new Error(`ratings.csv rates movie ${id}, absent from movies.csv`);
const movieIndex = new Map(movieIds.map((id, i) => [id, i]));
if (movieIds.length > 65535) throw new Error(`${movieIds.length} movies do not fit the Uint16 movie index`);

const enc = new TextEncoder();
const titleBytes = [];
const titleOffsets = new Uint32Array(movieIds.length + 1);
const genreBits = new Uint32Array(movieIds.length);
let pos = 0;
movieIds.forEach((id, i) => {
  const m = movieRow.get(id);
  const b = enc.encode(m.title.trim());
  titleBytes.push(b);
  pos += b.length;
  titleOffsets[i + 1] = pos;
  for (const g of m.genres.split('|')) {
    const k = GENRES.indexOf(g);
    if (k < 0) throw new Error(`movie ${id}: unknown genre "${g}"`);
    genreBits[i] |= 1 << k;
  }
});
const titles = new Uint8Array(pos);
let at = 0;
for (const b of titleBytes) {
  titles.set(b, at);
  at += b.length;
}

const byUser = new Map();
for (const r of ratings) {
  const u = Number(r.userId);
  if (!byUser.has(u)) byUser.set(u, []);
  byUser.get(u).push(r);
}
const userIds = [...byUser.keys()].sort((a, b) => a - b);
const userOffsets = new Uint32Array(userIds.length + 1);
const ratingMovie = new Uint16Array(ratings.length);
const ratingHalfStars = new Uint8Array(ratings.length);
let k = 0;
userIds.forEach((u, i) => {
  for (const r of byUser.get(u)) {
    ratingMovie[k] = movieIndex.get(Number(r.movieId));
    const half = Math.round(Number(r.rating) * 2);
    if (!(half >= 1 && half <= 10)) throw new Error(`rating ${r.rating} of user ${u} is outside 0.5..5`);
    ratingHalfStars[k++] = half;
  }
  userOffsets[i + 1] = k;
});

const sections = [
  ['movieIds', Int32Array.from(movieIds)],
  ['genreBits', genreBits],
  ['titleOffsets', titleOffsets],
  ['userIds', Int32Array.from(userIds)],
  ['userOffsets', userOffsets],
  ['ratingMovie', ratingMovie],
  ['ratingHalfStars', ratingHalfStars],
  ['titles', titles],
];
const header = {
  format: 'dynemb-movielens',
  version: 1,
  source: 'MovieLens ml-latest-small (GroupLens Research, University of Minnesota); see README.txt beside this file',
  license:
    'research and education use, non-commercial, redistribution under the same terms; cite Harper & Konstan 2015',
  users: userIds.length,
  movies: movieIds.length,
  ratings: ratings.length,
  genres: GENRES,
  sections: [],
};
// Sections start at multiples of 8 so every typed array can view the buffer without copying.
const align = (n) => (n + 7) & ~7;
let offset = 0;
for (let pass = 0; pass < 3; pass++) {
  offset = align(12 + enc.encode(JSON.stringify(header)).length);
  header.sections = sections.map(([name, arr]) => {
    const s = { name, type: arr.constructor.name, offset, length: arr.length };
    offset = align(offset + arr.byteLength);
    return s;
  });
}
const headBytes = enc.encode(JSON.stringify(header));
if (align(12 + headBytes.length) !== header.sections[0].offset) throw new Error('header layout did not settle');
const out = new Uint8Array(offset);
out.set(enc.encode('DEML'), 0);
new DataView(out.buffer).setUint32(4, 1, true);
new DataView(out.buffer).setUint32(8, headBytes.length, true);
out.set(headBytes, 12);
for (const [i, [, arr]] of sections.entries()) {
  out.set(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength), header.sections[i].offset);
}

await mkdir(outDir, { recursive: true });
await writeFile(join(outDir, 'ml-latest-small.bin'), out);
await copyFile(join(src, 'README.txt'), join(outDir, 'README.txt'));
console.log(
  JSON.stringify({
    users: header.users,
    movies: header.movies,
    ratings: header.ratings,
    bytes: out.length,
    gzipBytes: gzipSync(out, { level: 9 }).length,
    out: 'public/data/movielens/ml-latest-small.bin',
  }),
);
