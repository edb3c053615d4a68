// The MovieLens asset's reader: one binary file written by scripts/movielens-asset.mjs from the
// "ml-latest-small" data set (GroupLens Research; research and education use, non-commercial,
// redistribution under the same terms; cite Harper & Konstan 2015 — its README.txt sits beside the
// asset). Layout: "DEML", u32 version, u32 header length, a JSON header naming each section's typed
// array type, byte offset and length, then the sections (8-byte aligned, little-endian). Typed arrays
// view the buffer directly, so loading 100,004 ratings costs no parsing beyond the header.

/** Where the asset lives, relative to the app's base URL (and to the project root's `public/`). */
export const MOVIELENS_ASSET_PATH = 'data/movielens/ml-latest-small.bin';

/** The data set's terms, as its README.txt states them, for the app and reports. */
export const MOVIELENS_TERMS =
  'MovieLens ml-latest-small (F. M. Harper and J. A. Konstan, 2015, "The MovieLens Datasets: History and Context", ' +
  'ACM TiiS 5(4):19), by GroupLens Research, University of Minnesota: research and education use only, ' +
  'non-commercial, redistribution under the same terms.';

/** The decoded data set. Movie and user indices are dense (0-based); ids are MovieLens's own. */
export interface MovieLensData {
  users: number;
  movies: number;
  ratings: number;
  genres: readonly string[];
  /** MovieLens movieId of movie index m. */
  movieIds: Int32Array;
  /** Bit g set: the movie has genre `genres[g]`. */
  genreBits: Uint32Array;
  titleOffsets: Uint32Array;
  titles: Uint8Array;
  /** MovieLens userId of user index u. */
  userIds: Int32Array;
  /** User u's ratings are `ratingMovie[userOffsets[u] .. userOffsets[u+1])`. */
  userOffsets: Uint32Array;
  ratingMovie: Uint16Array;
  /** The rating times two (1..10 for 0.5..5 stars). */
  ratingHalfStars: Uint8Array;
}

const SECTION_TYPES = {
  Int32Array,
  Uint32Array,
  Uint16Array,
  Uint8Array,
} as const;
type SectionType = keyof typeof SECTION_TYPES;

const SECTIONS: Record<string, SectionType> = {
  movieIds: 'Int32Array',
  genreBits: 'Uint32Array',
  titleOffsets: 'Uint32Array',
  userIds: 'Int32Array',
  userOffsets: 'Uint32Array',
  ratingMovie: 'Uint16Array',
  ratingHalfStars: 'Uint8Array',
  titles: 'Uint8Array',
};

function fail(what: string): never {
  throw new Error(`MovieLens asset: ${what}`);
}

/**
 * Decodes the asset's bytes (checked: magic, version, every section's type and bounds, the
 * cross-references between sections).
 *
 * @example
 * const data = parseMovieLens(readFileSync('public/data/movielens/ml-latest-small.bin').buffer);
 * data.ratings; // 100004
 */
export function parseMovieLens(buffer: ArrayBuffer): MovieLensData {
  if (!(buffer instanceof ArrayBuffer)) fail(`expected an ArrayBuffer, got ${typeof buffer}`);
  if (buffer.byteLength < 12) fail(`expected at least 12 bytes, got ${buffer.byteLength}`);
  const view = new DataView(buffer);
  const magic = new TextDecoder().decode(new Uint8Array(buffer, 0, 4));
  if (magic !== 'DEML') fail(`expected the magic "DEML", got ${JSON.stringify(magic)} (not a MovieLens asset)`);
  const version = view.getUint32(4, true);
  if (version !== 1) fail(`expected format version 1, got ${version}`);
  const headerLength = view.getUint32(8, true);
  if (12 + headerLength > buffer.byteLength) fail(`header of ${headerLength} bytes runs past the file's end`);
  let header: {
    users: number;
    movies: number;
    ratings: number;
    genres: string[];
    sections: { name: string; type: string; offset: number; length: number }[];
  };
  try {
    header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 12, headerLength))) as typeof header;
  } catch (e) {
    fail(`header is not JSON (${(e as Error).message})`);
  }
  const out: Record<string, unknown> = {};
  for (const [name, type] of Object.entries(SECTIONS)) {
    const s = header.sections?.find((x) => x.name === name);
    if (!s) fail(`section "${name}" is missing`);
    if (s.type !== type) fail(`section "${name}" should be ${type}, got ${s.type}`);
    const Ctor = SECTION_TYPES[type];
    const end = s.offset + s.length * Ctor.BYTES_PER_ELEMENT;
    if (!Number.isInteger(s.offset) || s.offset % 8 !== 0 || !Number.isInteger(s.length) || end > buffer.byteLength) {
      fail(
        `section "${name}" (offset ${s.offset}, length ${s.length}) lies outside the ${buffer.byteLength}-byte file`,
      );
    }
    out[name] = new Ctor(buffer, s.offset, s.length);
  }
  const data = {
    users: header.users,
    movies: header.movies,
    ratings: header.ratings,
    genres: header.genres,
    ...out,
  } as unknown as MovieLensData;
  if (data.movieIds.length !== data.movies || data.genreBits.length !== data.movies)
    fail('movie sections disagree with the header');
  if (data.titleOffsets.length !== data.movies + 1 || data.titleOffsets[data.movies] !== data.titles.length) {
    fail('title offsets do not cover the titles');
  }
  if (data.userIds.length !== data.users || data.userOffsets.length !== data.users + 1)
    fail('user sections disagree with the header');
  if (data.userOffsets[data.users] !== data.ratings || data.ratingMovie.length !== data.ratings) {
    fail(`rating sections hold ${data.ratingMovie.length} ratings, the header says ${data.ratings}`);
  }
  for (let i = 0; i < data.ratings; i++) {
    if (data.ratingMovie[i] >= data.movies)
      fail(`rating ${i} names movie index ${data.ratingMovie[i]} of ${data.movies}`);
  }
  return data;
}

const decoder = new TextDecoder();

/** Movie index m's title, e.g. "Toy Story (1995)". */
export function movieTitle(data: MovieLensData, m: number): string {
  return decoder.decode(data.titles.subarray(data.titleOffsets[m], data.titleOffsets[m + 1]));
}

/** Movie index m's genres, e.g. ["Adventure", "Animation", ...]. */
export function movieGenres(data: MovieLensData, m: number): string[] {
  const bits = data.genreBits[m];
  return data.genres.filter((_, g) => (bits >>> g) & 1);
}
