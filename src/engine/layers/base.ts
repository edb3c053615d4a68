// What every layer shares: a name, config round trip, weights as plain arrays, output shapes.
import type * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, show } from '../errors.js';
import type { Keys } from '../tensor.js';
import type { Variable } from '../variable.js';

/**
 * One weight of a layer, as plain data. Dynamic tables carry their `keys` (any order) and
 * `values` of shape `[keys.length, dim]`; fixed tables carry only `values` of `shape`.
 */
export interface LayerWeight {
  name: string;
  shape: number[];
  values: Float32Array;
  keys?: Keys;
}

/** An input shape, `null` for an unknown dimension (as Keras' `None`). */
export type ShapeLike = (number | null)[];

const usedNames = new Map<string, number>();

/**
 * A unique layer name: `base`, then `base_1`, `base_2`, ... (as Keras).
 *
 * @example
 * uniqueName('embedding'); // 'embedding', then 'embedding_1'
 */
export function uniqueName(base: string): string {
  const n = usedNames.get(base) ?? 0;
  usedNames.set(base, n + 1);
  return n === 0 ? base : `${base}_${n}`;
}

/**
 * The base of the engine's layers (Keras-like, eager): `call` maps ids to a float32 tensor.
 *
 * @example
 * const layer = new de.layers.Embedding({ embeddingSize: 8 });
 * layer.call([[1, 2]]).shape;               // [1, 2, 8]
 * layer.computeOutputShape([null, 2]);      // [null, 2, 8]
 */
export abstract class Layer {
  readonly name: string;
  readonly trainable: boolean;

  constructor(name: string, trainable: boolean) {
    this.name = name;
    this.trainable = trainable;
  }

  /** Runs the layer. */
  abstract call(input: unknown): tf.Tensor;
  /** A config `fromConfig` rebuilds the layer from (functions and classes are kept by reference). */
  abstract getConfig(): Record<string, unknown>;
  /** The layer's weights as plain arrays. */
  abstract getWeights(): LayerWeight[];
  /** Replaces the layer's weights (dynamic tables: clear, then insert). Validates everything first. */
  abstract setWeights(weights: LayerWeight[]): void;
  /** Number of scalars in the weights (dynamic tables: keys held × dim). */
  abstract countParams(): number;
  /** The output shape for an input shape. */
  abstract computeOutputShape(inputShape: ShapeLike): ShapeLike;

  /** Same as {@link call} (Keras spelling). */
  apply(input: unknown): tf.Tensor {
    return this.call(input);
  }
}

/** Checks an integer option. */
export function checkInt(v: unknown, name: string, min: number, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new InvalidArgumentError(`${what}: ${name} must be an integer >= ${min}, got ${show(v)}.`);
  }
  return v;
}

/** Checks a boolean option with a default. */
export function checkBool(v: unknown, name: string, dflt: boolean, what: string): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new InvalidArgumentError(`${what}: ${name} must be a boolean, got ${show(v)}.`);
  return v;
}

/** Checks an input shape for computeOutputShape. */
export function checkShapeLike(shape: unknown, what: string): ShapeLike {
  if (!Array.isArray(shape) || shape.some((d) => d !== null && (!Number.isInteger(d) || d < 0))) {
    throw new InvalidArgumentError(
      `${what}.computeOutputShape: expected an array of integers >= 0 or null, got ${show(shape)}${Array.isArray(shape) ? ` [${shape.join(', ')}]` : ''}.`,
    );
  }
  return shape as ShapeLike;
}

/** A dynamic Variable's content as a LayerWeight. */
export function variableWeight(v: Variable): LayerWeight {
  const { keys, values, dim } = v.export();
  return { name: v.name, shape: [keys.length, dim], values, keys };
}

/** Checks that `w` fits `v` (dtype, dim, lengths) without touching `v`. */
export function checkVariableWeight(v: Variable, w: LayerWeight, what: string): void {
  if (w === null || typeof w !== 'object' || w.keys === undefined) {
    throw new InvalidArgumentError(
      `${what}: the weight for ${show(v.name)} must have keys and values, got ${show(w)}.`,
    );
  }
  const k = w.keys;
  const okDtype =
    v.keyDtype === 'int32'
      ? k instanceof Int32Array
      : v.keyDtype === 'int64'
        ? k instanceof BigInt64Array
        : Array.isArray(k) && k.every((s) => typeof s === 'string');
  if (!okDtype) {
    throw new InvalidArgumentError(`${what}: the keys for ${show(v.name)} must be ${v.keyDtype} keys, got ${show(k)}.`);
  }
  if (!(w.values instanceof Float32Array) || w.values.length !== k.length * v.dim) {
    throw new InvalidArgumentError(
      `${what}: Expected values of shape [${k.length}, ${v.dim}] (a Float32Array of length ${k.length * v.dim}) for ${show(v.name)}, got ${show(w.values)}.`,
    );
  }
}

/** Replaces a Variable's content with a (checked) weight: clear, then insert, as TFRA restore. */
export function setVariableWeight(v: Variable, w: LayerWeight): void {
  v.clear();
  if (w.keys && w.keys.length > 0) v.writeRows(w.keys, w.values);
}

/** Checks the number of weights given to setWeights. */
export function checkWeightCount(weights: unknown, n: number, what: string): LayerWeight[] {
  if (!Array.isArray(weights) || weights.length !== n) {
    throw new InvalidArgumentError(
      `${what}.setWeights: expected ${n} weight${n === 1 ? '' : 's'} (as getWeights returns), got ${show(weights)}.`,
    );
  }
  return weights as LayerWeight[];
}
