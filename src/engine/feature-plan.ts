// The plan of a feature lookup: which ids are read, which output vector ("cell") each one adds
// into and with what factor. Every feature kind is the same sum, out[cell[e]] += scale[e] * row(id[e]):
// - embedding (dense ids, no combiner): one cell per id, factor 1 (TFRA layers.Embedding);
// - squashed (dense ids, a combiner): one cell per example, factor 1, 1/n or 1/√n (SquashedEmbedding);
// - sparse (sparse / ragged rows, a combiner): one cell per row, factor w, w/Σw or w/√Σw², weights ≤ 0
//   dropped for mean / sqrtn, empty rows zeros (safeEmbeddingLookupSparse);
// - sequence (maxSequenceLength L > 0): cell r·L + j for the j-th id of row r, ids past L cut, the
//   rest zero padding (TensorX Lookup, TPUEmbedding sequence features).
// Planning looks at the spec and the batch only, never at a table, so it validates everything
// before anything is read.
import { InvalidArgumentError, show } from './errors.js';
import { combinerScale } from './lookup.js';
import { checkMaxNorm } from './read.js';
import type { Id } from './tensor.js';

/** How a feature's ids arrive: rectangular ids, or rows of ids (a SparseTensor / RaggedTensor in TF). */
export type FeatureInputKind = 'dense' | 'sparse' | 'ragged';

/** How a feature combines its ids: 'none' keeps one vector per id. */
export type FeatureCombiner = 'none' | 'sum' | 'mean' | 'sqrtn';

/** Which lookup a feature runs (see {@link featureOp}). */
export type FeatureOp = 'embedding' | 'squashed' | 'sparse' | 'sequence';

/** A feature: how its ids arrive and how they become vectors. */
export interface FeatureSpec {
  /** Used in error messages. */
  name?: string;
  /** Default 'dense'. */
  input?: FeatureInputKind;
  /** Default 'none' for dense input, 'mean' for sparse / ragged rows (TFRA's default). */
  combiner?: FeatureCombiner;
  /** > 0: a sequence feature, `[rows, maxSequenceLength, dim]`, rows cut or zero-padded to it. Default 0. */
  maxSequenceLength?: number;
  /** true: the batch must carry one weight per id; false: it must not; default: whatever the batch has. */
  weights?: boolean;
  /** Each looked-up vector v becomes `v * maxNorm / max(‖v‖, maxNorm)` before combining. */
  maxNorm?: number;
}

/** A batch of one feature's ids, flat and row-major. */
export interface FeatureBatch {
  ids: readonly Id[] | Int32Array | BigInt64Array;
  /** Dense ids: their shape (default `[ids.length]`); with `rowSplits`, `[rows]` or `[rows, longest]`. */
  shape?: readonly number[];
  /** Rows of different lengths: row r is `ids[rowSplits[r] .. rowSplits[r + 1])` (TF row_splits). */
  rowSplits?: ArrayLike<number> | null;
  /** One weight per id (sparse / ragged features with a combiner). */
  weights?: ArrayLike<number> | null;
}

/** Why an id was not read. */
export type DropReason = 'pruned' | 'cut';

/** What {@link planFeature} returns. */
export interface FeaturePlan {
  op: FeatureOp;
  /** The combiner applied ('none' for embedding and sequence). */
  combiner: FeatureCombiner;
  maxNorm: number | undefined;
  /** Positions (into `batch.ids`) of the ids read, in order. */
  read: Int32Array;
  /** The output vector each read id adds into, row-major over {@link FeaturePlan.outShape}. */
  cells: Int32Array;
  /** The factor of each read id (null: all 1). */
  scale: Float32Array | null;
  numCells: number;
  /** The output's shape without the trailing `dim`. */
  outShape: number[];
  /** Per id of the batch: null when read, else why not. */
  dropped: (DropReason | null)[];
  /** Per id: its cell (-1 when dropped) and factor (0 when dropped). */
  cellOf: Int32Array;
  weightOf: Float32Array;
}

const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;

/**
 * The lookup a feature runs: 'sequence' when `maxSequenceLength > 0`, else 'sparse' for sparse /
 * ragged input, else 'embedding' (no combiner) or 'squashed'.
 *
 * @example
 * featureOp({ input: 'ragged' }); // 'sparse'
 */
export function featureOp(feature: Pick<FeatureSpec, 'input' | 'combiner' | 'maxSequenceLength'>): FeatureOp {
  if ((feature.maxSequenceLength ?? 0) > 0) return 'sequence';
  if ((feature.input ?? 'dense') !== 'dense') return 'sparse';
  return (feature.combiner ?? 'none') === 'none' ? 'embedding' : 'squashed';
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], field: string, what: string): T | undefined {
  if (v === undefined) return undefined;
  if (!allowed.includes(v as T)) {
    throw new InvalidArgumentError(
      `${what}: ${field} must be ${allowed.map((a) => `'${a}'`).join(', ')}, got ${show(v)}.`,
    );
  }
  return v as T;
}

/** Row boundaries of the batch: its rowSplits, or `[rows, n]` rows of a rank-2 dense batch. */
function splitsOf(batch: FeatureBatch, n: number, shape: readonly number[], what: string, kind: string): Int32Array {
  const rs = batch.rowSplits;
  if (rs !== null && rs !== undefined) {
    const B = rs.length - 1;
    if (B < 0 || rs[0] !== 0 || rs[B] !== n) {
      throw new InvalidArgumentError(
        `${what}: rowSplits must start at 0 and end at ids.length (${n}), got ${show(Array.from(rs))}.`,
      );
    }
    const out = new Int32Array(rs.length);
    for (let r = 0; r <= B; r++) {
      const x = rs[r];
      if (!Number.isInteger(x) || (r > 0 && x < rs[r - 1])) {
        throw new InvalidArgumentError(
          `${what}: rowSplits must be non-decreasing integers, got ${show(x)} at ${r} (after ${show(rs[r - 1])}).`,
        );
      }
      out[r] = x;
    }
    return out;
  }
  if (shape.length !== 2) {
    throw new InvalidArgumentError(
      `${what}: a ${kind} feature takes rows of ids (rank 2, or rowSplits), got shape ${fmt(shape)}.`,
    );
  }
  const [B, w] = shape;
  return Int32Array.from({ length: B + 1 }, (_, r) => r * w);
}

function checkShape(batch: FeatureBatch, n: number, what: string): number[] {
  if (batch.shape === undefined) return batch.rowSplits ? [batch.rowSplits.length - 1] : [n];
  if (!Array.isArray(batch.shape) || batch.shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new InvalidArgumentError(`${what}: shape must be an array of integers >= 0, got ${show(batch.shape)}.`);
  }
  const shape = [...batch.shape];
  if (!batch.rowSplits && shape.reduce((a, b) => a * b, 1) !== n) {
    throw new InvalidArgumentError(`${what}: shape ${fmt(shape)} does not hold the ${n} ids given.`);
  }
  return shape;
}

function checkWeights(batch: FeatureBatch, n: number, what: string): Float32Array | null {
  const w = batch.weights;
  if (w === null || w === undefined) return null;
  if (w.length !== n) {
    throw new InvalidArgumentError(`${what}: expected one weight per id (${n}), got ${w.length} weights.`);
  }
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    if (typeof w[i] !== 'number' || !Number.isFinite(w[i])) {
      throw new InvalidArgumentError(`${what}: weights must be finite numbers, got ${show(w[i])} at ${i}.`);
    }
    out[i] = w[i];
  }
  return out;
}

/**
 * Validates a feature and a batch of its ids and plans the lookup (nothing is read). Throws an
 * InvalidArgumentError naming what was wrong, what was expected and what was given.
 *
 * @example
 * const p = planFeature({ input: 'ragged', combiner: 'mean' }, { ids: [4, 92, 7], rowSplits: [0, 2, 3] });
 * p.outShape; // [2]; p.cells: [0, 0, 1]; p.scale: [0.5, 0.5, 1]
 */
export function planFeature(feature: FeatureSpec, batch: FeatureBatch, what = 'featureLookup'): FeaturePlan {
  if (feature === null || typeof feature !== 'object') {
    throw new InvalidArgumentError(
      `${what}: feature must be an object ({ input, combiner, ... }), got ${show(feature)}.`,
    );
  }
  if (feature.name !== undefined) what = `${what} (feature ${show(feature.name)})`;
  if (batch === null || typeof batch !== 'object') {
    throw new InvalidArgumentError(
      `${what}: batch must be an object ({ ids, shape?, rowSplits?, weights? }), got ${show(batch)}.`,
    );
  }
  const input = oneOf(feature.input, ['dense', 'sparse', 'ragged'], 'input', what) ?? 'dense';
  const given = oneOf(feature.combiner, ['none', 'sum', 'mean', 'sqrtn'], 'combiner', what);
  const L = feature.maxSequenceLength ?? 0;
  if (!Number.isInteger(L) || L < 0) {
    throw new InvalidArgumentError(`${what}: maxSequenceLength must be an integer >= 0, got ${show(L)}.`);
  }
  const maxNorm = checkMaxNorm(feature.maxNorm, what);
  const ids = batch.ids;
  if (!Array.isArray(ids) && !(ids instanceof Int32Array) && !(ids instanceof BigInt64Array)) {
    throw new InvalidArgumentError(
      `${what}: batch.ids must be a flat array of ids (or an Int32Array / BigInt64Array), got ${show(ids)}.`,
    );
  }
  const n = ids.length;
  const shape = checkShape(batch, n, what);
  const weights = checkWeights(batch, n, what);
  const op = featureOp({ input, combiner: given, maxSequenceLength: L });
  if (feature.weights === true && !weights) {
    throw new InvalidArgumentError(
      `${what}: this feature takes weights, but the batch has none (expected one per id).`,
    );
  }
  if (feature.weights === false && weights) {
    throw new InvalidArgumentError(`${what}: the batch has weights, but the feature has weights: false.`);
  }
  if (weights && op !== 'sparse') {
    throw new InvalidArgumentError(
      `${what}: weights apply to sparse or ragged features with a combiner; this is ${op === 'sequence' ? 'a sequence feature' : 'a dense feature'}.`,
    );
  }
  if (op === 'sparse' && given === 'none') {
    throw new InvalidArgumentError(
      `${what}: a ${input} feature needs a combiner ('sum', 'mean' or 'sqrtn'), got 'none'.`,
    );
  }
  if ((op === 'embedding' || op === 'squashed') && batch.rowSplits) {
    throw new InvalidArgumentError(
      `${what}: dense input takes rectangular ids, but the batch has rowSplits; set input to 'ragged' (with a combiner) or set a maxSequenceLength.`,
    );
  }
  const combiner: FeatureCombiner = op === 'sequence' || op === 'embedding' ? 'none' : (given ?? 'mean');
  const dropped: (DropReason | null)[] = new Array<DropReason | null>(n).fill(null);
  const cellOf = new Int32Array(n).fill(-1);
  const weightOf = new Float32Array(n);
  let outShape: number[];
  let numCells: number;
  if (op === 'embedding' || op === 'squashed') {
    if (op === 'squashed' && shape.length === 0) {
      throw new InvalidArgumentError(`${what}: a combiner needs at least one axis of ids (a list), got a single id.`);
    }
    const rows = op === 'embedding' || shape.length === 1 ? n : shape[0];
    const per = op === 'embedding' ? 1 : shape.length === 1 ? n : rows === 0 ? 0 : n / rows;
    outShape = op === 'embedding' ? shape : shape.length === 1 ? [] : [rows];
    numCells = op === 'embedding' ? n : shape.length === 1 ? 1 : rows;
    for (let i = 0; i < n; i++) cellOf[i] = op === 'embedding' ? i : shape.length === 1 ? 0 : Math.floor(i / per);
  } else if (op === 'sparse') {
    const splits = splitsOf(batch, n, shape, what, input);
    numCells = splits.length - 1;
    outShape = [numCells];
    for (let r = 0; r < numCells; r++) {
      for (let k = splits[r]; k < splits[r + 1]; k++) {
        // safeEmbeddingLookupSparse: with a non-sum combiner, weights <= 0 are dropped
        if (weights && combiner !== 'sum' && weights[k] <= 0) dropped[k] = 'pruned';
        else cellOf[k] = r;
      }
    }
  } else {
    const splits = splitsOf(batch, n, shape, what, 'sequence');
    const B = splits.length - 1;
    outShape = [B, L];
    numCells = B * L;
    for (let r = 0; r < B; r++) {
      for (let k = splits[r]; k < splits[r + 1]; k++) {
        const j = k - splits[r];
        if (j < L) cellOf[k] = r * L + j;
        else dropped[k] = 'cut';
      }
    }
  }
  let m = 0;
  for (let i = 0; i < n; i++) if (cellOf[i] >= 0) m++;
  const read = new Int32Array(m);
  const cells = new Int32Array(m);
  const w = weights ? new Float32Array(m) : null;
  for (let i = 0, e = 0; i < n; i++) {
    if (cellOf[i] < 0) continue;
    read[e] = i;
    cells[e] = cellOf[i];
    if (w) w[e] = weights![i];
    e++;
  }
  const scale = combiner === 'none' ? w : combinerScale(cells, w, combiner, numCells);
  for (let e = 0; e < m; e++) weightOf[read[e]] = scale ? scale[e] : 1;
  return { op, combiner, maxNorm, read, cells, scale, numCells, outShape, dropped, cellOf, weightOf };
}
