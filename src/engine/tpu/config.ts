// TableConfig and FeatureConfig (tf.tpu.experimental.embedding.TableConfig / FeatureConfig),
// validated as TF validates them, with TF's wording where TF has one.
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, show } from '../errors.js';
import { TPUEmbeddingOptimizer } from './optimizers.js';

/** How the ids of one example are reduced to one vector. */
export type Combiner = 'mean' | 'sum' | 'sqrtn';
const COMBINERS: readonly Combiner[] = ['mean', 'sum', 'sqrtn'];

/**
 * A table initializer: a function of the shape `[vocabularySize, dim]` returning the values, or a
 * tfjs initializer (`tf.initializers.constant({ value: 0 })`, anything with `apply(shape)`).
 */
export type TableInitializer =
  | ((shape: [number, number]) => tf.Tensor | Float32Array | readonly (readonly number[])[])
  | { apply(shape: number[]): tf.Tensor };

/** Options of {@link TableConfig}, as TF's `TableConfig(vocabulary_size, dim, initializer, optimizer, combiner, name)`. */
export interface TableConfigOptions {
  vocabularySize: number;
  dim: number;
  initializer?: TableInitializer;
  optimizer?: TPUEmbeddingOptimizer;
  combiner?: Combiner;
  name?: string;
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/**
 * One embedding table: a fixed vocabulary of `vocabularySize` rows of `dim` floats.
 * Default initializer: truncated normal, mean 0, stddev `1/sqrt(dim)`; default combiner `mean`.
 * An unnamed table is named `table_{i}` by the TPUEmbeddingV0 that uses it (i = order of first use).
 *
 * @example
 * const video = new de.tpu.TableConfig({ vocabularySize: 8, dim: 4, combiner: 'sum', name: 'video' });
 */
export class TableConfig {
  readonly vocabularySize: number;
  readonly dim: number;
  readonly initializer: TableInitializer | undefined;
  readonly optimizer: TPUEmbeddingOptimizer | undefined;
  readonly combiner: Combiner;
  /** Set by the constructor, or to `table_{i}` by TPUEmbeddingV0 when not given (as TF). */
  name: string | undefined;

  constructor(options: TableConfigOptions) {
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError(
        `TableConfig expects an options object { vocabularySize, dim, ... }, got ${show(options)}.`,
      );
    }
    const { vocabularySize, dim, initializer, optimizer, combiner = 'mean', name } = options;
    if (!isInt(vocabularySize) || vocabularySize < 1) {
      throw new InvalidArgumentError(
        `Argument vocabularySize must be an int and must be >= 1. Received: ${show(vocabularySize)}.`,
      );
    }
    if (!isInt(dim) || dim < 1) {
      throw new InvalidArgumentError(
        `Argument dim (embedding dimension) must be an int and must be >= 1. Received: ${show(dim)}.`,
      );
    }
    if (
      initializer !== undefined &&
      typeof initializer !== 'function' &&
      (initializer === null || typeof initializer !== 'object' || typeof initializer.apply !== 'function')
    ) {
      throw new InvalidArgumentError(
        `Argument initializer must be a callable (shape) => values or a tfjs initializer if specified. Received: ${show(initializer)}.`,
      );
    }
    if (optimizer !== undefined && !(optimizer instanceof TPUEmbeddingOptimizer)) {
      throw new InvalidArgumentError(
        `Argument optimizer must be a TPU embedding optimizer (de.tpu.SGD, Adagrad, Adam or FTRL) if specified. Received: ${show(optimizer)}.`,
      );
    }
    if (!COMBINERS.includes(combiner)) {
      throw new InvalidArgumentError(
        `Argument combiner must be one of ${COMBINERS.map((c) => `'${c}'`).join(', ')}. Received: ${show(combiner)}.`,
      );
    }
    if (name !== undefined && (typeof name !== 'string' || name.length === 0)) {
      throw new InvalidArgumentError(`Argument name must be a non-empty string if specified. Received: ${show(name)}.`);
    }
    this.vocabularySize = vocabularySize;
    this.dim = dim;
    this.initializer = initializer;
    this.optimizer = optimizer;
    this.combiner = combiner;
    this.name = name;
  }

  /** A readable one-liner, as TF's repr. */
  toString(): string {
    return `TableConfig(vocabularySize=${this.vocabularySize}, dim=${this.dim}, combiner='${this.combiner}', name=${this.name === undefined ? 'None' : `'${this.name}'`})`;
  }
}

/**
 * The table's initial values, `[vocabularySize * dim]` row-major, validated against the shape.
 *
 * @example
 * const t = new de.tpu.TableConfig({ vocabularySize: 2, dim: 2, initializer: () => [[0, 1], [2, 3]] });
 * initialTableValues(t); // Float32Array [0, 1, 2, 3]
 */
export function initialTableValues(table: TableConfig): Float32Array {
  const shape: [number, number] = [table.vocabularySize, table.dim];
  const n = shape[0] * shape[1];
  const init = table.initializer;
  const where = `the initializer of table ${table.name ?? '(unnamed)'}`;
  if (init === undefined) {
    const t = tf.truncatedNormal(shape, 0, 1 / Math.sqrt(table.dim), 'float32');
    const out = Float32Array.from(t.dataSync());
    t.dispose();
    return out;
  }
  const produced = typeof init === 'function' ? init(shape) : init.apply(shape);
  let out: Float32Array;
  if (produced instanceof tf.Tensor) {
    if (produced.size !== n) {
      throw new InvalidArgumentError(
        `${where} returned a tensor of shape [${produced.shape.join(', ')}], expected [${shape.join(', ')}].`,
      );
    }
    out = Float32Array.from(produced.dataSync());
    produced.dispose();
  } else if (produced instanceof Float32Array) {
    if (produced.length !== n) {
      throw new InvalidArgumentError(
        `${where} returned ${produced.length} values, expected ${n} ([${shape.join(', ')}]).`,
      );
    }
    out = Float32Array.from(produced);
  } else if (Array.isArray(produced)) {
    if (produced.length !== shape[0] || produced.some((r) => !Array.isArray(r) || r.length !== shape[1])) {
      throw new InvalidArgumentError(`${where} returned nested arrays that are not [${shape.join(', ')}].`);
    }
    out = Float32Array.from(produced.flat());
  } else {
    throw new InvalidArgumentError(
      `${where} returned ${show(produced)}; expected a tf.Tensor, a Float32Array or nested arrays of shape [${shape.join(', ')}].`,
    );
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(out[i])) {
      throw new InvalidArgumentError(`${where} produced a non-finite value ${out[i]} at flat index ${i}.`);
    }
  }
  return out;
}

/** Options of {@link FeatureConfig}, as TF's `FeatureConfig(table, max_sequence_length, output_shape, name)`. */
export interface FeatureConfigOptions {
  table: TableConfig;
  maxSequenceLength?: number;
  outputShape?: readonly number[];
  name?: string;
}

/**
 * One feature: which table it reads, whether it is a sequence feature (`maxSequenceLength > 0`:
 * output `[B, L, dim]` instead of the combined `[B, dim]`) and an optional `outputShape`.
 *
 * @example
 * const watched = new de.tpu.FeatureConfig({ table: video, name: 'watched' });
 * const history = new de.tpu.FeatureConfig({ table: video, maxSequenceLength: 5 });
 */
export class FeatureConfig {
  readonly table: TableConfig;
  readonly maxSequenceLength: number;
  readonly outputShape: number[] | undefined;
  readonly name: string | undefined;

  constructor(options: FeatureConfigOptions) {
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError(`FeatureConfig expects an options object { table, ... }, got ${show(options)}.`);
    }
    const { table, maxSequenceLength = 0, outputShape, name } = options;
    if (!(table instanceof TableConfig)) {
      throw new InvalidArgumentError(`Argument table has invalid type ${show(table)}. Expected de.tpu.TableConfig.`);
    }
    if (!isInt(maxSequenceLength) || maxSequenceLength < 0) {
      throw new InvalidArgumentError(
        `Argument maxSequenceLength must be an int and must be >= 0. Received: ${show(maxSequenceLength)}.`,
      );
    }
    if (outputShape !== undefined) {
      if (!Array.isArray(outputShape) || outputShape.length === 0 || outputShape.some((d) => !isInt(d) || d < 1)) {
        throw new InvalidArgumentError(
          `Argument outputShape must be a non-empty list of ints >= 1 if specified. Received: ${Array.isArray(outputShape) ? `[${outputShape.join(', ')}]` : show(outputShape)}.`,
        );
      }
    }
    if (name !== undefined && (typeof name !== 'string' || name.length === 0)) {
      throw new InvalidArgumentError(`Argument name must be a non-empty string if specified. Received: ${show(name)}.`);
    }
    this.table = table;
    this.maxSequenceLength = maxSequenceLength;
    this.outputShape = outputShape === undefined ? undefined : [...outputShape];
    this.name = name;
  }

  /** A readable one-liner, as TF's repr. */
  toString(): string {
    return `FeatureConfig(table=${this.table.name ?? 'None'}, maxSequenceLength=${this.maxSequenceLength}, outputShape=${this.outputShape ? `[${this.outputShape.join(', ')}]` : 'None'}, name=${this.name === undefined ? 'None' : `'${this.name}'`})`;
  }
}
