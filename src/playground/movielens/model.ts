// Matrix factorisation on dynamic tables for MovieLens implicit feedback. Three de.Variables: user
// vectors keyed by MovieLens userId, movie vectors keyed by movieId, genre vectors keyed by genre
// index; a movie's vector is its own row plus its genres' rows through one 'mean' combiner
// (de.embeddingLookupSparse), so a rarely rated movie still leans on its genres. Rows are inserted
// the first time a step trains them (TFRA semantics: lookups never insert). Loss: BPR (one sampled
// negative per positive) or a sampled softmax grouped by user (in-batch plus shared uniform
// negatives); the evaluation (scripts/eval-movielens.mjs) measured both, see DEFAULT_MODEL.
import * as tf from '@tensorflow/tfjs';
import * as de from '../../engine/index.js';
import type { MovieLensData } from './asset.js';
import { bprGradients, softmaxGradients } from './gradients.js';
import type { UserItems } from './split.js';

export type MovieLensLoss = 'bpr' | 'softmax';

export interface ModelConfig {
  dim: number;
  loss: MovieLensLoss;
  batchSize: number;
  /** Shared uniform negatives per step (softmax) — BPR draws one per positive. */
  negatives: number;
  learningRate: number;
  /** L2 penalty on the rows a step reads. */
  l2: number;
  seed: number;
  optimizer: 'adam' | 'adagrad';
  /** Softmax: other users' positives in the step are candidates too (popularity-drawn negatives). */
  inBatch: boolean;
}

/**
 * Chosen by measurement (npm run eval:movielens, the protocol's split, 30–60 s of CPU time on a
 * loaded 2-core machine): BPR with uniform negatives reached recall@10 0.108 after 30 s (tuned l2;
 * with weak l2 it stalled at the popularity level, 0.08); this user-grouped sampled softmax reached
 * 0.135 after 30 s and kept rising with l2 = 0.1 (with l2 ≤ 0.02 it peaked near 0.137 and slid).
 * batchSize counts users per step for the softmax and positives per step for BPR.
 */
export const DEFAULT_MODEL: ModelConfig = {
  dim: 32,
  loss: 'softmax',
  batchSize: 32,
  negatives: 1024,
  learningRate: 0.02,
  l2: 0.1,
  seed: 7,
  optimizer: 'adam',
  inBatch: true,
};

let instances = 0;

/**
 * The model and its training loop over one split's training items. Call `await de.ready()` first.
 *
 * @example
 * const m = new MovieLensModel(data, split.train, DEFAULT_MODEL);
 * m.trainSteps(100); const { items } = m.itemMatrix(); // Float32Array [movies * (dim + 1)]
 */
export class MovieLensModel {
  readonly config: ModelConfig;
  readonly users: de.Variable;
  readonly movies: de.Variable;
  readonly genres: de.Variable;
  readonly bias: de.Variable;
  private readonly opt: de.optimizers.Optimizer;
  private readonly rand: () => number;
  /** Training pairs (user index, movie index), shuffled each epoch. */
  private readonly pairUser: Uint16Array;
  private readonly pairMovie: Uint16Array;
  private cursor = 0;
  /** Users in a per-epoch shuffled order (the softmax's batches). */
  private readonly userOrder: Uint16Array;
  private userCursor = 0;
  /** Per-movie genre lists: movie m's genre indices are genreItems[genreOffsets[m]..]. */
  private readonly genreOffsets: Uint32Array;
  private readonly genreItems: Int32Array;
  steps = 0;
  epochs = 0;
  lastLoss = Number.NaN;

  constructor(
    readonly data: MovieLensData,
    readonly train: UserItems,
    config: ModelConfig,
  ) {
    this.config = { ...config };
    const id = instances++;
    const init = (salt: number) =>
      de.initializers.randomNormal({ mean: 0, stddev: 0.05, seed: (config.seed * 7919 + salt) | 0 });
    this.users = new de.Variable({
      name: `ml_user_emb_${id}`,
      keyDtype: 'int32',
      dim: config.dim,
      initializer: init(1),
    });
    this.movies = new de.Variable({
      name: `ml_movie_emb_${id}`,
      keyDtype: 'int32',
      dim: config.dim,
      initializer: init(2),
    });
    this.genres = new de.Variable({
      name: `ml_genre_emb_${id}`,
      keyDtype: 'int32',
      dim: config.dim,
      initializer: init(3),
    });
    this.bias = new de.Variable({ name: `ml_movie_bias_${id}`, keyDtype: 'int32', dim: 1, initializer: 0 });
    this.opt =
      config.optimizer === 'adagrad'
        ? new de.optimizers.Adagrad({ learningRate: config.learningRate })
        : new de.optimizers.Adam({ learningRate: config.learningRate });
    this.rand = de.mulberry32(config.seed);
    const n = train.items.length;
    this.pairUser = new Uint16Array(n);
    this.pairMovie = Uint16Array.from(train.items);
    for (let u = 0; u + 1 < train.offsets.length; u++) this.pairUser.fill(u, train.offsets[u], train.offsets[u + 1]);
    this.shuffle();
    this.userOrder = Uint16Array.from({ length: train.offsets.length - 1 }, (_, u) => u);
    shuffleInPlace(this.userOrder, this.rand);
    this.genreOffsets = new Uint32Array(data.movies + 1);
    const g: number[] = [];
    for (let m = 0; m < data.movies; m++) {
      for (let k = 0; k < data.genres.length; k++) if ((data.genreBits[m] >>> k) & 1) g.push(k);
      this.genreOffsets[m + 1] = g.length;
    }
    this.genreItems = Int32Array.from(g);
  }

  private shuffle(): void {
    const { pairUser: u, pairMovie: m, rand } = this;
    for (let i = u.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      const tu = u[i];
      u[i] = u[j];
      u[j] = tu;
      const tm = m[i];
      m[i] = m[j];
      m[j] = tm;
    }
  }

  /** Genre ids of `movies` as a [movies, genres] sparse tensor, for the shared 'mean' combiner. */
  private genreIds(movies: ArrayLike<number>): de.SparseTensor {
    const idx: number[] = [];
    const vals: number[] = [];
    for (let row = 0; row < movies.length; row++) {
      const m = movies[row];
      for (let k = this.genreOffsets[m]; k < this.genreOffsets[m + 1]; k++) {
        idx.push(row, k - this.genreOffsets[m]);
        vals.push(this.genreItems[k]);
      }
    }
    return new de.SparseTensor({
      indices: Int32Array.from(idx),
      values: Int32Array.from(vals),
      denseShape: [movies.length, this.data.genres.length],
    });
  }

  /** Looks up `movies`' rows: own vectors, the genres' combined vectors, biases (tensors on the tape). */
  private movieRows(movies: ArrayLike<number>): { own: tf.Tensor; genre: tf.Tensor; bias: tf.Tensor } {
    const keys = de.ids(
      Int32Array.from(movies, (m) => this.data.movieIds[m]),
      [movies.length],
    );
    return {
      own: de.embeddingLookup(this.movies, keys),
      genre: de.safeEmbeddingLookupSparse(this.genres, this.genreIds(movies), null, { combiner: 'mean' }),
      bias: de.embeddingLookup(this.bias, keys),
    };
  }

  private nextBatch(size: number): { users: Uint16Array; movies: Uint16Array } {
    const users = new Uint16Array(size);
    const movies = new Uint16Array(size);
    for (let i = 0; i < size; i++) {
      if (this.cursor >= this.pairUser.length) {
        this.cursor = 0;
        this.epochs++;
        this.shuffle();
      }
      users[i] = this.pairUser[this.cursor];
      movies[i] = this.pairMovie[this.cursor++];
    }
    return { users, movies };
  }

  /** The next `size` users in a per-epoch shuffled order, with all their training items. */
  private nextUsers(size: number): { users: Uint16Array; movies: Uint16Array; posOffsets: Int32Array } {
    const n = Math.min(size, this.userOrder.length);
    const users = new Uint16Array(n);
    const posOffsets = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) {
      if (this.userCursor >= this.userOrder.length) {
        this.userCursor = 0;
        this.epochs++;
        shuffleInPlace(this.userOrder, this.rand);
      }
      users[i] = this.userOrder[this.userCursor++];
      posOffsets[i + 1] = posOffsets[i] + this.train.offsets[users[i] + 1] - this.train.offsets[users[i]];
    }
    const movies = new Uint16Array(posOffsets[n]);
    users.forEach((u, i) =>
      movies.set(this.train.items.subarray(this.train.offsets[u], this.train.offsets[u + 1]), posOffsets[i]),
    );
    return { users, movies, posOffsets };
  }

  /** Runs `n` training steps; returns their mean loss. */
  trainSteps(n: number): number {
    let sum = 0;
    for (let s = 0; s < n; s++) sum += this.trainStep();
    this.lastLoss = sum / n;
    return this.lastLoss;
  }

  /**
   * One step: the batch's unique user and movie rows are read through the engine (so the tape
   * knows them), the loss and its gradients are computed on typed arrays (gradients.ts), and the
   * step's loss tensor is Σ row ⊙ gradient — whose gradient is exactly those gradients — so
   * de.train.step's optimizer (Adam) updates just those rows, inserting rows trained the first time.
   */
  private trainStep(): number {
    const { batchSize, negatives, l2, loss: kind, dim } = this.config;
    // BPR walks the (user, movie) pairs; the softmax walks users, each with all its training items.
    const { users, movies, posOffsets } =
      kind === 'bpr' ? { ...this.nextBatch(batchSize), posOffsets: new Int32Array(0) } : this.nextUsers(batchSize);
    const nNeg = kind === 'bpr' ? movies.length : negatives;
    const neg = new Uint16Array(nNeg);
    for (let i = 0; i < nNeg; i++) neg[i] = Math.floor(this.rand() * this.data.movies);
    const uniq = (xs: Uint16Array[]) => {
      const row = new Map<number, number>();
      const refs = xs.map((x) => Int32Array.from(x, (v) => row.get(v) ?? (row.set(v, row.size), row.size - 1)));
      return { ids: [...row.keys()], refs };
    };
    const u = uniq([users]);
    const m = uniq([movies, neg]);
    let real = 0;
    de.train.step(this.opt, () =>
      tf.tidy(() => {
        const p = de.embeddingLookup(
          this.users,
          de.ids(
            Int32Array.from(u.ids, (x) => this.data.userIds[x]),
            [u.ids.length],
          ),
        );
        const { own, genre, bias } = this.movieRows(m.ids);
        const items = tf.add(own, genre);
        const rows = {
          dim,
          users: p.dataSync() as Float32Array,
          items: items.dataSync() as Float32Array,
          bias: bias.dataSync() as Float32Array,
          user: u.refs[0],
          pos: m.refs[0],
          neg: m.refs[1],
        };
        const g =
          kind === 'bpr' ? bprGradients(rows, l2) : softmaxGradients({ ...rows, posOffsets }, l2, this.config.inBatch);
        real = g.loss;
        // tf.dot of flat vectors: its backward pass is a [1,1]x[1,n] matMul; tf.sum's would be a
        // broadcasting multiply, which tfjs's CPU backend runs element by element through index maths.
        const flat = (t: tf.Tensor) => tf.reshape(t, [-1]) as tf.Tensor1D;
        // Adam is scale-free except for epsilon, which TF/Keras's rule puts beside sqrt(v) (not the
        // bias-corrected one): per-row gradients of a mean over thousands of positives (~1e-6)
        // would sit below it and barely move. The step therefore trains on the sum over its positives.
        const scale = m.refs[0].length;
        for (const a of [g.users, g.items, g.bias]) for (let i = 0; i < a.length; i++) a[i] *= scale;
        const gi = tf.tensor1d(g.items);
        return tf
          .addN([
            tf.dot(flat(p), tf.tensor1d(g.users)),
            tf.dot(flat(own), gi),
            tf.dot(flat(genre), gi),
            tf.dot(flat(bias), tf.tensor1d(g.bias)),
          ])
          .reshape([]) as tf.Scalar;
      }),
    );
    this.steps++;
    return real;
  }

  /** Every movie's vector (own + genres) and bias: [movies, dim] and [movies], as plain arrays. */
  itemMatrix(): { items: Float32Array; bias: Float32Array } {
    const all = Int32Array.from({ length: this.data.movies }, (_, m) => m);
    return tf.tidy(() => {
      const { own, genre, bias } = this.movieRows(all);
      return { items: tf.add(own, genre).dataSync() as Float32Array, bias: bias.dataSync() as Float32Array };
    });
  }

  /** User vectors for user indices 0..n-1 (a user never trained reads the initializer's vector). */
  userMatrix(n: number): Float32Array {
    const keys = this.data.userIds.subarray(0, n);
    return tf.tidy(
      () => (this.users.lookup(de.ids(Int32Array.from(keys), [n])) as tf.Tensor).dataSync() as Float32Array,
    );
  }

  dispose(): void {
    this.users.clear();
    this.movies.clear();
    this.genres.clear();
    this.bias.clear();
  }
}

/** Fills `out[m]` with u·items[m] + bias[m] for every movie (dim-strided rows). */
export function scoreAll(
  user: Float32Array,
  items: Float32Array,
  bias: Float32Array,
  dim: number,
  out: Float32Array,
): void {
  const n = bias.length;
  for (let m = 0, o = 0; m < n; m++, o += dim) {
    let s = bias[m];
    for (let d = 0; d < dim; d++) s += user[d] * items[o + d];
    out[m] = s;
  }
}

function shuffleInPlace(a: Uint16Array, rand: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}
