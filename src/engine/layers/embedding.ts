// TFRA keras.layers.Embedding: a dynamic table behind a Keras-style layer.
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, show } from '../errors.js';
import {
  fromConfig as initializerFromConfig,
  type Initializer,
  type InitializerConfig,
  type InitializerLike,
  randomNormal,
  resolveInitializer,
} from '../initializers.js';
import { canLookupDense, denseLookup } from '../dense-lookup.js';
import { checkMaxNorm, denseFromRows, readUnique, type UniqueRows } from '../read.js';
import type { IdsLike, KeyDtype } from '../tensor.js';
import { type Partitioner, type RestrictPolicyClass, Variable } from '../variable.js';
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

/** Combiners the TFRA layers know (`tf.math.reduce_*` / `unsorted_segment_*`). */
export type LayerCombiner = 'sum' | 'mean' | 'max' | 'min' | 'prod' | 'std' | 'sqrtn';

/** Options of {@link Embedding} and {@link SquashedEmbedding}. */
export interface EmbeddingOptions {
  embeddingSize: number;
  keyDtype?: KeyDtype;
  combiner?: LayerCombiner;
  initializer?: InitializerLike;
  withUnique?: boolean;
  maxNorm?: number;
  restrictPolicy?: RestrictPolicyClass;
  initCapacity?: number;
  partitions?: number;
  partitioner?: Partitioner;
  name?: string;
  trainable?: boolean;
  bpV2?: boolean;
}

/** The serializable part of an Embedding config (plus references to functions and classes). */
export interface EmbeddingConfig extends Omit<EmbeddingOptions, 'initializer'> {
  initializer: InitializerConfig;
  [key: string]: unknown;
}

const COMBINERS: readonly LayerCombiner[] = ['sum', 'mean', 'max', 'min', 'prod', 'std', 'sqrtn'];

/**
 * TFRA `keras.layers.Embedding`: ids of any shape -> `shape(ids) + [embeddingSize]`. The
 * combiner is stored but not applied (as TFRA). Keys are read once each (`withUnique`).
 *
 * @example
 * await de.ready();
 * const embedding = new de.layers.Embedding({ embeddingSize: 8 });
 * embedding.call([[15, 2], [4, 92], [22, 4]]).shape; // [3, 2, 8]
 */
export class Embedding extends Layer {
  readonly embeddingSize: number;
  readonly keyDtype: KeyDtype;
  readonly combiner: LayerCombiner;
  readonly initializer: Initializer;
  readonly withUnique: boolean;
  readonly maxNorm: number | undefined;
  readonly bpV2: boolean;
  /** The underlying dynamic Variable (TFRA `layer.params`). */
  readonly params: Variable;

  constructor(
    options: EmbeddingOptions,
    defaultName = 'embedding',
    allowedCombiners: readonly LayerCombiner[] = COMBINERS,
  ) {
    const what = new.target.name;
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError(`${what} expects options { embeddingSize, ... }, got ${show(options)}.`);
    }
    const embeddingSize = checkInt(options.embeddingSize, 'embeddingSize', 1, what);
    const combiner = options.combiner ?? 'sum';
    if (!allowedCombiners.includes(combiner)) {
      throw new InvalidArgumentError(
        `${what}: combiner must be one of ${allowedCombiners.join(', ')}; got ${show(combiner)}.`,
      );
    }
    if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) {
      throw new InvalidArgumentError(`${what}: name must be a non-empty string, got ${show(options.name)}.`);
    }
    const trainable = checkBool(options.trainable, 'trainable', true, what);
    super(options.name ?? uniqueName(defaultName), trainable);
    this.embeddingSize = embeddingSize;
    this.keyDtype = options.keyDtype ?? 'int64';
    this.combiner = combiner;
    this.initializer = resolveInitializer(options.initializer, embeddingSize, what, () =>
      randomNormal({ stddev: 0.05 }),
    );
    this.withUnique = checkBool(options.withUnique, 'withUnique', true, what);
    this.maxNorm = checkMaxNorm(options.maxNorm, what);
    this.bpV2 = checkBool(options.bpV2, 'bpV2', false, what);
    this.params = new Variable({
      name: this.name,
      keyDtype: this.keyDtype,
      dim: embeddingSize,
      initializer: this.initializer,
      initCapacity: options.initCapacity,
      partitions: options.partitions,
      partitioner: options.partitioner,
      restrictPolicy: options.restrictPolicy,
      trainable,
    });
  }

  /** Reads `ids` through the single read path: unique rows (maxNorm-clipped) and the ids' shape. */
  protected readIds(input: IdsLike): { rows: UniqueRows; shape: number[] } {
    const { keys, shape } = this.params.keysOf(input, `${this.constructor.name} ${show(this.name)} ids`);
    return { rows: readUnique(this.params, keys, { maxNorm: this.maxNorm, dedupe: this.withUnique }), shape };
  }

  /**
   * Looks up ids of any shape: `shape(ids) + [embeddingSize]`.
   *
   * @example
   * layer.call(tf.tensor2d([[1, 2]], [1, 2], 'int32')).shape; // [1, 2, embeddingSize]
   */
  call(input: IdsLike): tf.Tensor {
    if (canLookupDense(this.params)) {
      // outside training: the fused lookup (with or without withUnique, the same values)
      const { keys, shape } = this.params.keysOf(input, `${this.constructor.name} ${show(this.name)} ids`);
      return denseLookup(this.params, keys, shape, this.maxNorm, false).values;
    }
    return tf.tidy(() => {
      const { rows, shape } = this.readIds(input);
      return denseFromRows(rows, shape, this.embeddingSize);
    });
  }

  getConfig(): EmbeddingConfig {
    return {
      name: this.name,
      embeddingSize: this.embeddingSize,
      keyDtype: this.keyDtype,
      combiner: this.combiner,
      initializer: this.initializer.getConfig(),
      withUnique: this.withUnique,
      maxNorm: this.maxNorm,
      restrictPolicy: this.params.restrictPolicy,
      initCapacity: this.params.initCapacity,
      partitions: this.params.partitions,
      partitioner: this.params.partitioner,
      trainable: this.trainable,
      bpV2: this.bpV2,
    };
  }

  /**
   * Rebuilds a layer (with empty weights) from `getConfig()`.
   *
   * @example
   * const twin = de.layers.Embedding.fromConfig({ ...layer.getConfig(), name: 'twin' });
   */
  static fromConfig<T extends Embedding>(this: new (o: never) => T, config: EmbeddingConfig): T {
    if (config === null || typeof config !== 'object') {
      throw new InvalidArgumentError(`fromConfig expects a config object, got ${show(config)}.`);
    }
    // Subclasses take EmbeddingOptions plus their own keys, which the config carries.
    const Ctor = this as unknown as new (o: EmbeddingOptions) => T;
    return new Ctor({ ...config, initializer: initializerFromConfig(config.initializer) });
  }

  getWeights(): LayerWeight[] {
    return [variableWeight(this.params)];
  }

  setWeights(weights: LayerWeight[]): void {
    const what = `${this.constructor.name} ${show(this.name)}`;
    const [w] = checkWeightCount(weights, 1, what);
    checkVariableWeight(this.params, w, `${what}.setWeights`);
    setVariableWeight(this.params, w);
  }

  countParams(): number {
    return this.params.size() * this.embeddingSize;
  }

  computeOutputShape(inputShape: ShapeLike): ShapeLike {
    return [...checkShapeLike(inputShape, this.constructor.name), this.embeddingSize];
  }
}
