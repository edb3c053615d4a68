// The TensorX `Lookup` layer: sequences of ids -> [batch, seqSize, n], zero-padded, over either a
// fixed [vocab, n] table (a tfjs Variable) or a dynamic one (a de.Variable, through readUnique).
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, show } from '../errors.js';
import {
  fromConfig as initializerFromConfig,
  glorotUniform,
  type Initializer,
  type InitializerConfig,
  type InitializerLike,
  resolveInitializer,
  zeros,
} from '../initializers.js';
import { gatherByIndex, readUnique, segmentSumRows } from '../read.js';
import { type Ids, type IdsLike, ids, type KeyDtype, SparseTensor, toIds, toKeys } from '../tensor.js';
import { Variable } from '../variable.js';
import {
  checkBool,
  checkInt,
  checkShapeLike,
  checkVariableWeight,
  checkWeightCount,
  Layer,
  type LayerWeight,
  type ShapeLike,
  setVariableWeight,
  uniqueName,
  variableWeight,
} from './base.js';

/** A dynamic table of `dim` values per id (no vocabulary). */
export interface DynamicShape {
  dim: number;
  dynamic: true;
  keyDtype?: KeyDtype;
}

/** Options of {@link Lookup}. */
export interface LookupOptions {
  seqSize?: number;
  embeddingShape: [number, number] | DynamicShape;
  weightInit?: InitializerLike;
  batchSize?: number;
  addBias?: boolean;
  biasInit?: InitializerLike;
  shape?: ShapeLike;
  shareStateWith?: Lookup;
  batchPadding?: boolean;
  name?: string;
  trainable?: boolean;
}

/** The serializable config of a Lookup. */
export interface LookupConfig {
  name: string;
  seqSize: number | undefined;
  embeddingShape: [number, number] | DynamicShape;
  weightInit: InitializerConfig;
  batchSize: number | undefined;
  addBias: boolean;
  biasInit: InitializerConfig;
  shape: ShapeLike | undefined;
  batchPadding: boolean;
  trainable: boolean;
  [key: string]: unknown;
}

type LookupState =
  | { kind: 'fixed'; vocab: number; n: number; weights: tf.Variable; bias?: tf.Variable }
  | { kind: 'dynamic'; n: number; table: Variable; bias?: Variable };

// tfjs Variables need process-wide unique names; two layers may share a name (fromConfig).
function freshVariableName(base: string): string {
  const taken = tf.engine().registeredVariables;
  if (!(base in taken)) return base;
  for (let i = 1; ; i++) if (!(`${base}_${i}` in taken)) return `${base}_${i}`;
}

function range(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}

/**
 * TensorX `Lookup`: dense ids `[b, s]` -> `[b', seqSize, n]` (sequence zero-padded up to
 * `seqSize`, batch zero-padded up to `batchSize` when `batchPadding`; never truncated); a
 * SparseTensor `[rows, vocab]` (column = id, value = weight) gives one weighted-sum vector per
 * row, rows padded to a multiple of `seqSize` then reshaped to `[-1, seqSize, n]`; a 1-D
 * SparseTensor `[vocab]` makes each value its own row (TensorX). With
 * `addBias`, a per-id scalar bias is added to every component. Rank-1 ids are one sequence.
 *
 * @example
 * const lookup = new de.layers.Lookup({ seqSize: 4, embeddingShape: [10, 3], batchSize: 3 });
 * lookup.call([[1, 2], [3, 4]]).shape;           // [3, 4, 3]
 * lookup.asConcat().call([[1, 2], [3, 4]]).shape; // [3, 12]
 */
export class Lookup extends Layer {
  readonly seqSize: number | undefined;
  readonly n: number;
  readonly embeddingShape: [number, number] | DynamicShape;
  readonly weightInit: Initializer;
  readonly biasInit: Initializer;
  readonly batchSize: number | undefined;
  readonly addBias: boolean;
  readonly batchPadding: boolean;
  readonly shape: ShapeLike | undefined;
  private readonly state: LookupState;

  constructor(options: LookupOptions) {
    const what = 'Lookup';
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError(`${what} expects options { seqSize, embeddingShape, ... }, got ${show(options)}.`);
    }
    if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) {
      throw new InvalidArgumentError(`${what}: name must be a non-empty string, got ${show(options.name)}.`);
    }
    const trainable = checkBool(options.trainable, 'trainable', true, what);
    super(options.name ?? uniqueName('lookup'), trainable);
    const es = options.embeddingShape;
    let n: number;
    if (Array.isArray(es)) {
      if (es.length !== 2) {
        throw new InvalidArgumentError(
          `${what}: embeddingShape must be [vocab, n] or { dim, dynamic: true }, got [${es.join(', ')}].`,
        );
      }
      checkInt(es[0], 'embeddingShape[0] (vocab)', 1, what);
      n = checkInt(es[1], 'embeddingShape[1] (n)', 1, what);
      this.embeddingShape = [es[0], es[1]];
    } else if (es !== null && typeof es === 'object' && es.dynamic === true) {
      n = checkInt(es.dim, 'embeddingShape.dim', 1, what);
      const keyDtype = es.keyDtype ?? 'int64';
      if (keyDtype !== 'int32' && keyDtype !== 'int64') {
        throw new InvalidArgumentError(
          `${what}: a dynamic table's keyDtype must be 'int32' or 'int64', got ${show(keyDtype)}.`,
        );
      }
      this.embeddingShape = { dim: n, dynamic: true, keyDtype };
    } else {
      throw new InvalidArgumentError(
        `${what}: embeddingShape must be [vocab, n] or { dim, dynamic: true }, got ${show(es)}.`,
      );
    }
    this.n = n;
    this.seqSize = options.seqSize === undefined ? undefined : checkInt(options.seqSize, 'seqSize', 1, what);
    this.batchSize = options.batchSize === undefined ? undefined : checkInt(options.batchSize, 'batchSize', 1, what);
    this.addBias = checkBool(options.addBias, 'addBias', false, what);
    this.batchPadding = checkBool(options.batchPadding, 'batchPadding', true, what);
    this.shape = options.shape === undefined ? undefined : [...checkShapeLike(options.shape, what)];
    this.weightInit = resolveInitializer(options.weightInit, n, what, () => glorotUniform());
    this.biasInit = resolveInitializer(options.biasInit, 1, what, zeros);

    const other = options.shareStateWith;
    if (other !== undefined) {
      if (!(other instanceof Lookup)) {
        throw new InvalidArgumentError(`${what}: shareStateWith must be a Lookup layer, got ${show(other)}.`);
      }
      if (JSON.stringify(other.embeddingShape) !== JSON.stringify(this.embeddingShape)) {
        throw new InvalidArgumentError(
          `${what}: shareStateWith must have the same embeddingShape; expected ${JSON.stringify(this.embeddingShape)}, the other layer has ${JSON.stringify(other.embeddingShape)}.`,
        );
      }
      if (this.addBias && other.state.bias === undefined) {
        throw new InvalidArgumentError(
          `${what}: addBias is true but the layer in shareStateWith (${show(other.name)}) has no bias to share.`,
        );
      }
      this.state = { ...other.state, bias: this.addBias ? other.state.bias : undefined } as LookupState;
      return;
    }
    if (Array.isArray(es)) {
      const vocab = es[0];
      const w = new Float32Array(vocab * n);
      this.weightInit.fill(range(vocab), n, w, { fanIn: vocab, fanOut: n });
      const weights = tf.variable(tf.tensor2d(w, [vocab, n]), trainable, freshVariableName(`${this.name}/weights`));
      let bias: tf.Variable | undefined;
      if (this.addBias) {
        const b = new Float32Array(vocab);
        this.biasInit.fill(range(vocab), 1, b);
        bias = tf.variable(tf.tensor1d(b), trainable, freshVariableName(`${this.name}/bias`));
      }
      this.state = { kind: 'fixed', vocab, n, weights, bias };
    } else {
      const keyDtype = (this.embeddingShape as DynamicShape).keyDtype ?? 'int64';
      const table = new Variable({
        name: `${this.name}/weights`,
        keyDtype,
        dim: n,
        initializer: this.weightInit,
        trainable,
      });
      const bias = this.addBias
        ? new Variable({ name: `${this.name}/bias`, keyDtype, dim: 1, initializer: this.biasInit, trainable })
        : undefined;
      this.state = { kind: 'dynamic', n, table, bias };
    }
  }

  /** The fixed table (`[vocab, n]` tfjs Variable) or the dynamic one (de.Variable). */
  get weights(): tf.Variable | Variable {
    return this.state.kind === 'fixed' ? this.state.weights : this.state.table;
  }

  /** The bias (`[vocab]` tfjs Variable or a dim-1 de.Variable), when `addBias`. */
  get bias(): tf.Variable | Variable | undefined {
    return this.state.bias;
  }

  // Checks ids against the table: integers, in [0, vocab) for a fixed table.
  private keysFor(x: Ids, what: string): Int32Array | BigInt64Array {
    const st = this.state;
    if (st.kind === 'dynamic') return toKeys(x, st.table.keyDtype, what) as Int32Array | BigInt64Array;
    if (x.dtype === 'string') {
      throw new InvalidArgumentError(`${what}: ids of a fixed [vocab, n] table must be integers, got strings.`);
    }
    const src = x.data as Int32Array | BigInt64Array | Float64Array;
    const out = new Int32Array(src.length);
    for (let i = 0; i < src.length; i++) {
      const v = Number(src[i]);
      if (!(v >= 0 && v < st.vocab)) {
        throw new InvalidArgumentError(
          `${what}: id ${show(src[i])} at ${i} is out of range; expected an integer in [0, ${st.vocab}) (the vocabulary).`,
        );
      }
      out[i] = v;
    }
    return out;
  }

  // The [count, n] rows (+ bias broadcast over n) of the ids, built with tfjs ops.
  private rowsOf(keys: Int32Array | BigInt64Array): tf.Tensor2D {
    const st = this.state;
    if (st.kind === 'fixed') {
      const idx = keys as Int32Array;
      let rows = gatherByIndex(st.weights as tf.Tensor2D, idx);
      if (st.bias) rows = tf.add(rows, gatherByIndex(tf.reshape(st.bias, [-1, 1]) as tf.Tensor2D, idx));
      return rows;
    }
    const r = readUnique(st.table, keys);
    let rows = gatherByIndex(r.rows, r.index);
    if (st.bias) {
      const b = readUnique(st.bias, keys);
      rows = tf.add(rows, gatherByIndex(b.rows, b.index));
    }
    return rows;
  }

  private padBatch(out: tf.Tensor3D): tf.Tensor3D {
    if (!this.batchPadding || this.batchSize === undefined) return out;
    const extra = Math.max(this.batchSize - out.shape[0], 0);
    return extra > 0
      ? tf.pad(out, [
          [0, extra],
          [0, 0],
          [0, 0],
        ])
      : out;
  }

  /**
   * Looks up dense ids (rank ≤ 2) or a SparseTensor of weights (rank 2, column = id; rank 1, one row per value).
   *
   * @example
   * const sp = new de.SparseTensor({ indices: [[0, 1], [0, 2], [1, 3]], values: [1, 0.5, 2], denseShape: [2, 10] });
   * new de.layers.Lookup({ seqSize: 2, embeddingShape: [10, 4] }).call(sp).shape; // [1, 2, 4]
   */
  call(input: IdsLike | SparseTensor): tf.Tensor3D {
    const what = `Lookup ${show(this.name)}`;
    if (input instanceof SparseTensor) return this.callSparse(input, what);
    const x = toIds(input as IdsLike, `${what} ids`);
    if (x.shape.length > 2) {
      throw new InvalidArgumentError(
        `${what}: dense ids must have rank < 3 ([batch, seq] or [seq]), got shape [${x.shape.join(', ')}].`,
      );
    }
    const keys = this.keysFor(x, `${what} ids`);
    const [b, s] = x.shape.length === 2 ? x.shape : [1, x.size];
    return tf.tidy(() => {
      let out = tf.reshape(this.rowsOf(keys), [b, s, this.n]) as tf.Tensor3D;
      out = this.padBatch(out);
      if (this.seqSize !== undefined && this.seqSize > s)
        out = tf.pad(out, [
          [0, 0],
          [0, this.seqSize - s],
          [0, 0],
        ]);
      return out;
    });
  }

  private callSparse(sp: SparseTensor, what: string): tf.Tensor3D {
    if (this.seqSize === undefined) {
      throw new InvalidArgumentError(
        `${what}: a SparseTensor input needs seqSize (rows are grouped into sequences of seqSize), got undefined.`,
      );
    }
    if (sp.rank !== 1 && sp.rank !== 2) {
      throw new InvalidArgumentError(
        `${what}: a SparseTensor input must have rank 2 ([rows, vocab]) or 1 ([vocab], each value its own row), got denseShape [${sp.denseShape.join(', ')}].`,
      );
    }
    if (sp.nnz === 0) throw new InvalidArgumentError(`${what}: the batch is empty (the SparseTensor has no values).`);
    const weights = sp.valuesAsWeights(`${what} sparse values (weights)`);
    const cols = new Int32Array(sp.nnz);
    const rows = new Int32Array(sp.nnz);
    let maxRow = 0;
    for (let i = 0; i < sp.nnz; i++) {
      // rank 1: TensorX makes value i row i (its matrix_indices), as a 1-D dense input is one id per step
      rows[i] = sp.rank === 1 ? i : sp.indices[2 * i];
      cols[i] = sp.rank === 1 ? sp.indices[i] : sp.indices[2 * i + 1];
      maxRow = Math.max(maxRow, rows[i]);
    }
    const keys = this.keysFor(ids(cols), `${what} sparse column ids`);
    const seq = this.seqSize;
    // Rows as TF's embedding_lookup_sparse gives them: max row + 1.
    const numRows = maxRow + 1;
    const padded = Math.ceil(numRows / seq) * seq;
    return tf.tidy(() => {
      let out2 = segmentSumRows(this.rowsOf(keys), rows, numRows, weights);
      if (padded > numRows)
        out2 = tf.pad(out2, [
          [0, padded - numRows],
          [0, 0],
        ]);
      return this.padBatch(tf.reshape(out2, [-1, seq, this.n]) as tf.Tensor3D);
    });
  }

  /**
   * A new Lookup sharing this one's weights (and bias).
   *
   * @example
   * const b = a.reuseWith({ name: 'decoder_lookup' }); // b.weights === a.weights
   */
  reuseWith(options: { name?: string } = {}): Lookup {
    return new Lookup({ ...this.options(), name: options.name, shareStateWith: this });
  }

  /**
   * A view whose call gives `[batch, seqSize * n]` (TensorX `as_concat`).
   *
   * @example
   * lookup.asConcat().call([[1, 2]]).shape; // [batch, seqSize * n]
   */
  asConcat(): LookupView {
    return new LookupView(this, 'concat');
  }

  /**
   * A view whose call gives `[seqSize, batch, n]` (TensorX `permute_batch_time`).
   *
   * @example
   * lookup.permuteBatchTime().call([[1, 2]]).shape; // [seqSize, batch, n]
   */
  permuteBatchTime(): LookupView {
    return new LookupView(this, 'permute');
  }

  private options(): LookupOptions {
    return {
      seqSize: this.seqSize,
      embeddingShape: this.embeddingShape,
      weightInit: this.weightInit,
      batchSize: this.batchSize,
      addBias: this.addBias,
      biasInit: this.biasInit,
      shape: this.shape,
      batchPadding: this.batchPadding,
      trainable: this.trainable,
    };
  }

  getConfig(): LookupConfig {
    return {
      name: this.name,
      seqSize: this.seqSize,
      embeddingShape: Array.isArray(this.embeddingShape) ? [...this.embeddingShape] : { ...this.embeddingShape },
      weightInit: this.weightInit.getConfig(),
      batchSize: this.batchSize,
      addBias: this.addBias,
      biasInit: this.biasInit.getConfig(),
      shape: this.shape,
      batchPadding: this.batchPadding,
      trainable: this.trainable,
    };
  }

  /**
   * Rebuilds a Lookup (fresh weights, drawn by the same keyed initializers) from `getConfig()`.
   *
   * @example
   * const twin = de.layers.Lookup.fromConfig({ ...lookup.getConfig(), name: 'twin' });
   */
  static fromConfig(config: LookupConfig): Lookup {
    if (config === null || typeof config !== 'object') {
      throw new InvalidArgumentError(`Lookup.fromConfig expects a config object, got ${show(config)}.`);
    }
    return new Lookup({
      ...config,
      weightInit: initializerFromConfig(config.weightInit),
      biasInit: initializerFromConfig(config.biasInit),
    });
  }

  getWeights(): LayerWeight[] {
    const st = this.state;
    if (st.kind === 'fixed') {
      const out: LayerWeight[] = [
        {
          name: st.weights.name,
          shape: [st.vocab, st.n],
          values: Float32Array.from(st.weights.dataSync() as Float32Array),
        },
      ];
      if (st.bias)
        out.push({
          name: st.bias.name,
          shape: [st.vocab],
          values: Float32Array.from(st.bias.dataSync() as Float32Array),
        });
      return out;
    }
    const out = [variableWeight(st.table)];
    if (st.bias) out.push(variableWeight(st.bias));
    return out;
  }

  setWeights(weights: LayerWeight[]): void {
    const what = `Lookup ${show(this.name)}`;
    const st = this.state;
    const ws = checkWeightCount(weights, st.bias ? 2 : 1, what);
    if (st.kind === 'fixed') {
      const shapes = [[st.vocab, st.n], [st.vocab]];
      ws.forEach((w, i) => {
        const want = shapes[i];
        if (
          w === null ||
          typeof w !== 'object' ||
          !(w.values instanceof Float32Array) ||
          w.values.length !== want.reduce((a, b) => a * b, 1)
        ) {
          throw new InvalidArgumentError(
            `${what}.setWeights: Expected shape [${want.join(', ')}] for weight ${i}, got ${w && typeof w === 'object' ? show(w.values) : show(w)}.`,
          );
        }
      });
      st.weights.assign(tf.tensor2d(ws[0].values, [st.vocab, st.n]));
      if (st.bias) st.bias.assign(tf.tensor1d(ws[1].values));
      return;
    }
    checkVariableWeight(st.table, ws[0], `${what}.setWeights`);
    if (st.bias) checkVariableWeight(st.bias, ws[1], `${what}.setWeights`);
    setVariableWeight(st.table, ws[0]);
    if (st.bias) setVariableWeight(st.bias, ws[1]);
  }

  countParams(): number {
    const st = this.state;
    if (st.kind === 'fixed') return st.vocab * st.n + (st.bias ? st.vocab : 0);
    return st.table.size() * st.n + (st.bias ? st.bias.size() : 0);
  }

  computeOutputShape(inputShape: ShapeLike): ShapeLike {
    if (this.shape !== undefined) return [...this.shape];
    const s = checkShapeLike(inputShape, 'Lookup');
    if (s.length === 0 || s.length > 2) {
      throw new InvalidArgumentError(
        `Lookup.computeOutputShape: expected a dense input of rank 1 or 2, got [${s.join(', ')}].`,
      );
    }
    const [b, len] = s.length === 2 ? s : [1, s[0]];
    const batch = this.batchPadding && this.batchSize !== undefined && b !== null ? Math.max(b, this.batchSize) : b;
    const seq = this.seqSize === undefined ? len : len === null ? null : Math.max(len, this.seqSize);
    return [batch, seq, this.n];
  }
}

/**
 * A view of a Lookup: `asConcat()` (`[batch, seqSize * n]`) or `permuteBatchTime()`
 * (`[seqSize, batch, n]`). It shares the Lookup's weights.
 *
 * @example
 * const concat = lookup.asConcat(); concat.getWeights() === lookup.getWeights(); // same data
 */
export class LookupView extends Layer {
  readonly lookup: Lookup;
  readonly mode: 'concat' | 'permute';

  constructor(lookup: Lookup, mode: 'concat' | 'permute') {
    super(`${lookup.name}/${mode === 'concat' ? 'concat' : 'permute_batch_time'}`, lookup.trainable);
    this.lookup = lookup;
    this.mode = mode;
  }

  call(input: IdsLike | SparseTensor): tf.Tensor {
    return tf.tidy(() => {
      const out = this.lookup.call(input);
      return this.mode === 'concat' ? tf.reshape(out, [out.shape[0], -1]) : tf.transpose(out, [1, 0, 2]);
    });
  }

  getConfig(): Record<string, unknown> {
    return { lookup: this.lookup.getConfig(), mode: this.mode };
  }

  /**
   * Rebuilds the view over a fresh Lookup.
   *
   * @example
   * de.layers.LookupView.fromConfig(lookup.asConcat().getConfig());
   */
  static fromConfig(config: { lookup: LookupConfig; mode: 'concat' | 'permute' }): LookupView {
    if (config?.mode !== 'concat' && config?.mode !== 'permute') {
      throw new InvalidArgumentError(
        `LookupView.fromConfig: mode must be 'concat' or 'permute', got ${show(config?.mode)}.`,
      );
    }
    return new LookupView(Lookup.fromConfig(config.lookup), config.mode);
  }

  getWeights(): LayerWeight[] {
    return this.lookup.getWeights();
  }

  setWeights(weights: LayerWeight[]): void {
    this.lookup.setWeights(weights);
  }

  countParams(): number {
    return this.lookup.countParams();
  }

  computeOutputShape(inputShape: ShapeLike): ShapeLike {
    const [b, s, n] = this.lookup.computeOutputShape(inputShape);
    if (this.mode === 'permute') return [s, b, n];
    return [b, s === null || n === null ? null : s * n];
  }
}
