// The WebGL gather path: a mirror of a Variable's value arena as tfjs tensors (one per shard,
// row r of the tensor = row r of the shard's arena), so lookups gather rows on the GPU and the
// result stays there for the downstream model. The WASM table still maps keys to rows.
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, show } from '../errors.js';
import { checkCombiner, combinerScale, type SparseCombiner, sparseInputs } from '../lookup.js';
import {
  checkMaxNorm,
  clipByMaxNorm,
  currentReadTape,
  gatherByIndex,
  segmentSumRows,
  uniqueKeys,
  type UniqueRows,
} from '../read.js';
import type { RowWatch } from '../table.js';
import { pickKeys } from '../table-keys.js';
import type { IdsLike, Keys, RaggedTensor, SparseTensor } from '../tensor.js';
import type { Variable } from '../variable.js';

/**
 * A GPU mirror of a Variable's rows. It follows every write to the Variable on its own: the
 * shards record which rows upsert, accum, scatterAdd, training, restrict, checkpoint restore
 * and import write (HashTable.watchRows), and before each lookup only those rows are uploaded
 * (never the whole arena again). Removed keys need no upload: they no longer map to a row.
 *
 * @example
 * await tf.setBackend('webgl');
 * const g = new GpuGather(v);
 * const out = g.lookup([[1, 2]]); // tf.Tensor [1, 2, dim] on the GPU
 * v.upsert([3], [[0, 1]]);
 * g.lookup([3]);                  // uploads row 3's slot of the mirror only, then gathers
 */
export class GpuGather {
  private mirrors: tf.Tensor2D[];
  private readonly watches: RowWatch[];
  /** Rows uploaded since creation (the first upload counts the rows held then). */
  uploadedRows = 0;

  constructor(readonly variable: Variable) {
    // kept: a mirror outlives any tf.tidy its creator or a lookup runs in
    this.mirrors = variable.shards.map(() => tf.keep(tf.zeros([0, variable.dim]) as tf.Tensor2D));
    this.watches = variable.shards.map((shard) => shard.watchRows());
    variable.shards.forEach((shard, s) => {
      const { keys } = shard.export();
      if (keys.length > 0) this.writeShardRows(s, shard.find(keys).rows);
      this.watches[s].take(); // the rows just uploaded
    });
  }

  /** The tfjs backend the mirror lives on ('webgl' in a browser with a GPU). */
  get backend(): string {
    return tf.getBackend();
  }

  /** Rows written to the Variable and not yet uploaded (they are uploaded by the next lookup or flush). */
  get pendingRows(): number {
    return this.watches.reduce((a, w) => a + w.pending, 0);
  }

  // Uploads rows `rows` of shard s (their current values) into the mirror, growing it when needed.
  // Only these rows cross to the GPU. How they are merged there depends on how many there are:
  // tfjs's WebGL scatter loops over every update for every output row (rows x updates), so it
  // is used for a few rows only; more rows are merged by one gather over [mirror; new rows]
  // (one read per output row, plus an int32 index per mirror row); a first upload is a plain upload.
  private writeShardRows(s: number, rows: Int32Array): void {
    if (rows.length === 0) return;
    const dim = this.variable.dim;
    const shard = this.variable.shards[s];
    let maxRow = -1;
    for (const r of rows) if (r > maxRow) maxRow = r;
    const values = new Float32Array(rows.length * dim);
    shard.readRows(rows, values);
    const old = this.mirrors[s];
    const have = old.shape[0];
    const want = maxRow >= have ? Math.max(maxRow + 1, have * 2, 64) : have;
    let next: tf.Tensor2D;
    if (have === 0) {
      const dense = new Float32Array(want * dim);
      rows.forEach((r, j) => dense.set(values.subarray(j * dim, (j + 1) * dim), r * dim));
      next = tf.tensor2d(dense, [want, dim]);
    } else if (rows.length <= GpuGather.SCATTER_MAX_ROWS) {
      next = tf.tidy(() => {
        // grow on the GPU (the existing rows are not uploaded again)
        const base = want > have ? tf.concat([old, tf.zeros([want - have, dim])]) : old;
        return tf.tensorScatterUpdate(
          base,
          tf.tensor2d(rows, [rows.length, 1], 'int32'),
          tf.tensor2d(values, [rows.length, dim]),
        ) as tf.Tensor2D;
      });
    } else {
      const index = new Int32Array(want);
      for (let r = 0; r < have; r++) index[r] = r;
      for (let r = have; r < want; r++) index[r] = have + rows.length; // a zero row
      rows.forEach((r, j) => (index[r] = have + j));
      next = tf.tidy(
        () =>
          tf.gather(
            tf.concat([old, tf.tensor2d(values, [rows.length, dim]), tf.zeros([1, dim])]),
            tf.tensor1d(index, 'int32'),
          ) as tf.Tensor2D,
      );
    }
    old.dispose();
    this.mirrors[s] = tf.keep(next);
    this.uploadedRows += rows.length;
  }

  /** Up to this many rows, a write uses tf.tensorScatterUpdate (see writeShardRows). */
  static SCATTER_MAX_ROWS = 32;

  /**
   * Uploads the rows written since the last flush (lookup calls it first). Returns how many.
   *
   * @example
   * de.train.step(opt, loss); g.flush(); // uploads only the rows the step touched
   */
  flush(): number {
    if (this.watches.length === 0) {
      throw new InvalidArgumentError(`GpuGather(${show(this.variable.name)}): the mirror was disposed.`);
    }
    let n = 0;
    this.watches.forEach((w, s) => {
      if (w.pending === 0) return;
      const rows = w.take();
      this.writeShardRows(s, rows);
      n += rows.length;
    });
    return n;
  }

  /**
   * Re-uploads the rows of `ids` now. Writes are followed automatically; this forces an upload
   * (e.g. to pay the upload cost before a timed section).
   *
   * @example
   * g.sync([1, 2]);
   */
  sync(idsLike: IdsLike): void {
    const { keys } = this.variable.keysOf(idsLike, `GpuGather(${show(this.variable.name)}).sync`);
    const shardOf = this.variable.shardOf(keys);
    this.variable.shards.forEach((shard, s) => {
      const idx: number[] = [];
      for (let i = 0; i < keys.length; i++) if (shardOf[i] === s) idx.push(i);
      if (idx.length === 0) return;
      const { rows, exists } = shard.find(pickKeys(keys, idx));
      const present = rows.filter((_, j) => exists[j] === 1);
      this.writeShardRows(s, present);
    });
  }

  /**
   * Upserts through the Variable (the mirror follows at the next lookup).
   *
   * @example
   * g.upsert([1, 2], [[1, 1], [2, 2]]);
   */
  upsert(idsLike: IdsLike, values: Parameters<Variable['upsert']>[1]): void {
    this.variable.upsert(idsLike, values);
  }

  /**
   * Removes keys; the mirror needs no write (removed keys no longer map to rows).
   *
   * @example
   * g.remove([1]);
   */
  remove(idsLike: IdsLike): number {
    return this.variable.remove(idsLike);
  }

  /**
   * Rows of ids of any shape, gathered on the mirror's backend: a float32 tensor
   * `ids.shape + [dim]` (missing keys read the initializer's value), clipped to `maxNorm`.
   *
   * @example
   * g.lookup([4, 5], { maxNorm: 1 }); // Tensor [2, dim]
   */
  lookup(idsLike: IdsLike, options: { maxNorm?: number } = {}): tf.Tensor {
    const what = `GpuGather(${show(this.variable.name)}).lookup`;
    const maxNorm = checkMaxNorm(options.maxNorm, what);
    const { keys, shape } = this.variable.keysOf(idsLike, what);
    return tf.tidy(() => tf.reshape(this.rowsOf(keys, maxNorm, what), [...shape, this.variable.dim]));
  }

  /**
   * `de.embeddingLookupSparse` on the mirror: a sparse batch of rank >= 2 (rows from `indices[:, 0]`), each row's vectors (clipped
   * to `maxNorm`) combined with 'sum' | 'mean' | 'sqrtn' and optional weights, on the GPU:
   * `[maxRow + 1, dim]`.
   *
   * @example
   * g.lookupSparse(sp, null, { combiner: 'sqrtn' });
   */
  lookupSparse(
    spIds: SparseTensor | RaggedTensor,
    spWeights: SparseTensor | RaggedTensor | null,
    options: { combiner?: SparseCombiner; maxNorm?: number } = {},
  ): tf.Tensor2D {
    const what = `GpuGather(${show(this.variable.name)}).lookupSparse`;
    const combiner = checkCombiner(options.combiner ?? 'mean', what);
    const maxNorm = checkMaxNorm(options.maxNorm, what);
    const { sp, keys, weights } = sparseInputs(this.variable, spIds, spWeights, what);
    if (sp.rank < 2) {
      throw new InvalidArgumentError(
        `${what}: spIds must have rank >= 2, got denseShape [${sp.denseShape.join(', ')}].`,
      );
    }
    if (sp.nnz === 0) {
      throw new InvalidArgumentError(`${what}: the batch is empty (spIds has no values); expected at least one id.`);
    }
    const rows = new Int32Array(sp.nnz); // segments from indices[:, 0], as TF
    let maxRow = 0;
    for (let i = 0; i < sp.nnz; i++) {
      rows[i] = sp.indices[sp.rank * i];
      maxRow = Math.max(maxRow, rows[i]);
    }
    const numRows = maxRow + 1;
    const scale = combinerScale(rows, weights, combiner, numRows);
    return tf.tidy(() => segmentSumRows(this.rowsOf(keys, maxNorm, what), rows, numRows, scale));
  }

  /**
   * The distinct keys of `keys` and their rows gathered on the mirror (`[numUnique, dim]`, clipped
   * to `maxNorm`), with each key's position among them and which were stored. Inside a training
   * step the read is recorded on the tape as the WASM path records it. `de.featureLookup` reads
   * through this.
   *
   * @example
   * const { rows, index, exists } = g.readUnique(new Int32Array([4, 4, 9]));
   */
  readUnique(keys: Keys, maxNorm?: number, what = `GpuGather(${show(this.variable.name)}).readUnique`): UniqueRows {
    const v = this.variable;
    const { unique, index } = uniqueKeys(keys);
    const tape = currentReadTape();
    if (tape === undefined) {
      const exists = new Uint8Array(unique.length);
      const rows = this.gatherKeys(unique, maxNorm, what, undefined, exists);
      return { rows, index, unique, exists };
    }
    const { values, exists } = v.read(unique);
    let rows = this.gatherKeys(unique, undefined, what, values);
    const sub = tape.onRead({ variable: v, keys: unique, rows, exists, values, maxNorm });
    if (sub !== undefined) {
      if (sub.shape[0] !== unique.length || sub.shape[1] !== v.dim) {
        throw new InvalidArgumentError(
          `The read tape returned rows of shape [${sub.shape.join(', ')}], expected [${unique.length}, ${v.dim}].`,
        );
      }
      rows.dispose();
      rows = sub;
    }
    if (maxNorm !== undefined) rows = clipByMaxNorm(rows, maxNorm);
    return { rows, index, unique, exists };
  }

  // Rows of `keys` ([n, dim], clipped to maxNorm). Inside a training step (a read tape is
  // installed) the read is recorded as readUnique records it: the unique keys, their rows as
  // gathered on the GPU (the tensor the gradient is taken against), which existed, and the same
  // rows read from the WASM table (the optimizer's old values, with no GPU read-back); then the
  // clip and the gather to every id, so the gradient flows back to the unique rows.
  private rowsOf(keys: Keys, maxNorm: number | undefined, what: string): tf.Tensor2D {
    if (currentReadTape() === undefined) return this.gatherKeys(keys, maxNorm, what);
    // stored rows, initializer rows for missing keys (inserted when insertOnLookup), as the WASM path reads them
    const { rows, index } = this.readUnique(keys, maxNorm, what);
    return gatherByIndex(rows, index);
  }

  // Rows of `keys` ([n, dim]) gathered from the mirror, clipped to maxNorm. Missing keys read
  // `known` (the rows of every key, `[n * dim]`) when given, else the initializer.
  // `exists`, when given, receives 1 for every key the Variable holds.
  private gatherKeys(
    keys: Keys,
    maxNorm: number | undefined,
    what: string,
    known?: Float32Array,
    exists?: Uint8Array,
  ): tf.Tensor2D {
    this.flush();
    const v = this.variable;
    const dim = v.dim;
    const n = keys.length;
    const shardOf = v.shardOf(keys);
    // position of each key's row in the concatenation [shard 0 rows, shard 1 rows, ..., initializer rows]
    const perm = new Int32Array(n);
    const missing: number[] = [];
    const parts: { s: number; rows: Int32Array }[] = [];
    let off = 0;
    v.shards.forEach((shard, s) => {
      const idx: number[] = [];
      for (let i = 0; i < n; i++) if (shardOf[i] === s) idx.push(i);
      if (idx.length === 0) return;
      const { rows, exists: held } = shard.find(pickKeys(keys, idx));
      const found: number[] = [];
      idx.forEach((i, j) => {
        if (held[j]) {
          if (exists) exists[i] = 1;
          perm[i] = off + found.length;
          found.push(rows[j]);
        } else missing.push(i);
      });
      const mirrorRows = this.mirrors[s].shape[0];
      for (const r of found) {
        // tf.gather returns zeros for out-of-range indices silently: refuse instead
        if (r < 0 || r >= mirrorRows) {
          throw new InvalidArgumentError(
            `${what}: row ${r} of shard ${s} is not in the GPU mirror (${mirrorRows} rows); the shard was written without recording the row (an engine bug).`,
          );
        }
      }
      if (found.length > 0) parts.push({ s, rows: Int32Array.from(found) });
      off += found.length;
    });
    missing.forEach((i, m) => (perm[i] = off + m));
    return tf.tidy(() => {
      const pieces: tf.Tensor2D[] = parts.map((p) => tf.gather(this.mirrors[p.s], tf.tensor1d(p.rows, 'int32')));
      if (missing.length > 0) {
        const init = new Float32Array(missing.length * dim);
        if (known) missing.forEach((i, m) => init.set(known.subarray(i * dim, (i + 1) * dim), m * dim));
        else v.initializer.fill(pickKeys(keys, missing), dim, init);
        pieces.push(tf.tensor2d(init, [missing.length, dim]));
      }
      let rows = pieces.length === 1 ? pieces[0] : (tf.concat(pieces) as tf.Tensor2D);
      if (maxNorm !== undefined) rows = clipByMaxNorm(rows, maxNorm);
      return parts.length === 1 && missing.length === 0
        ? rows
        : (tf.gather(rows, tf.tensor1d(perm, 'int32')) as tf.Tensor2D);
    });
  }

  /** Frees the mirror's GPU memory and stops following the Variable's writes. */
  dispose(): void {
    for (const w of this.watches) w.close();
    this.watches.length = 0;
    for (const m of this.mirrors) m.dispose();
    this.mirrors = [];
  }
}
