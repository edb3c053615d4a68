// TPU embedding optimizers (tf.tpu.experimental.embedding.SGD / Adagrad / Adam / FTRL) with the TPU
// defaults and slot names. Updates are applied row-wise on flat Float32Arrays, only to the rows a step
// touched (TPU embedding updates are lazy), so every core that applies the same gradient to the same
// replica ends bit-identical. Every rule is element-wise, which is what lets row-, mod- and
// column-sharded tables train to the same values as replicated ones.
import { InvalidArgumentError, show } from '../errors.js';

/** Options every TPU embedding optimizer takes (as `tpu_embedding_v2_utils._Optimizer`). */
export interface CommonOptimizerOptions {
  learningRate?: number;
  /** Clip updated weights to at least this value. */
  clipWeightMin?: number;
  /** Clip updated weights to at most this value. */
  clipWeightMax?: number;
  /** Adds `weightDecayFactor * w` to the gradient before the update (TF: weight_decay_factor). */
  weightDecayFactor?: number;
  /** When true the weight decay is also multiplied by the learning rate (TF: multiply_weight_decay_factor_by_learning_rate). */
  multiplyWeightDecayFactorByLearningRate?: boolean;
  /** Gradient clipping: a number c clips to [-c, c]; a pair [lo, hi] clips to [lo, hi] (TF: clipvalue). */
  clipvalue?: number | [number, number];
}

/** A slot variable the optimizer keeps beside each table, with its initial value. */
export interface SlotSpec {
  name: string;
  initialValue: number;
}

function checkNumber(what: string, name: string, v: unknown, opts: { positive?: boolean; min?: number } = {}): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new InvalidArgumentError(`${what}: ${name} must be a finite number, got ${show(v)}.`);
  }
  if (opts.positive && !(v > 0)) throw new InvalidArgumentError(`${what}: ${name} must be > 0, got ${v}.`);
  if (opts.min !== undefined && v < opts.min) {
    throw new InvalidArgumentError(`${what}: ${name} must be >= ${opts.min}, got ${v}.`);
  }
  return v;
}

/**
 * The base of the TPU embedding optimizers. `apply` updates the given rows of a flat `[rows, width]`
 * parameter array (and its slots) in place from a flat gradient of the same layout.
 *
 * @example
 * const opt = new de.tpu.SGD({ learningRate: 0.1 });
 * const w = new Float32Array([1, 2]);
 * opt.apply(w, [], new Float32Array([10, 10]), 2, [0]); // w = [0, 1]
 */
export abstract class TPUEmbeddingOptimizer {
  /** The optimizer's TF class name, for messages and exports. */
  abstract readonly kind: 'SGD' | 'Adagrad' | 'Adam' | 'FTRL';
  readonly learningRate: number;
  readonly clipWeightMin: number;
  readonly clipWeightMax: number;
  readonly weightDecayFactor: number;
  readonly multiplyWeightDecayFactorByLearningRate: boolean;
  readonly clipvalue: [number, number] | undefined;

  protected constructor(what: string, o: CommonOptimizerOptions, defaultLr: number) {
    if (o === null || typeof o !== 'object')
      throw new InvalidArgumentError(`${what} expects an options object, got ${show(o)}.`);
    this.learningRate = checkNumber(what, 'learningRate', o.learningRate ?? defaultLr, { positive: true });
    this.clipWeightMin =
      o.clipWeightMin === undefined ? -Infinity : checkNumber(what, 'clipWeightMin', o.clipWeightMin);
    this.clipWeightMax = o.clipWeightMax === undefined ? Infinity : checkNumber(what, 'clipWeightMax', o.clipWeightMax);
    if (this.clipWeightMin > this.clipWeightMax) {
      throw new InvalidArgumentError(
        `${what}: clipWeightMin (${this.clipWeightMin}) must be <= clipWeightMax (${this.clipWeightMax}).`,
      );
    }
    this.weightDecayFactor = checkNumber(what, 'weightDecayFactor', o.weightDecayFactor ?? 0, { min: 0 });
    this.multiplyWeightDecayFactorByLearningRate = o.multiplyWeightDecayFactorByLearningRate ?? false;
    const c = o.clipvalue;
    if (c === undefined) this.clipvalue = undefined;
    else if (typeof c === 'number') {
      checkNumber(what, 'clipvalue', c, { positive: true });
      this.clipvalue = [-c, c];
    } else if (Array.isArray(c) && c.length === 2) {
      const lo = checkNumber(what, 'clipvalue[0]', c[0]);
      const hi = checkNumber(what, 'clipvalue[1]', c[1]);
      if (lo > hi) throw new InvalidArgumentError(`${what}: clipvalue [lo, hi] needs lo <= hi, got [${lo}, ${hi}].`);
      this.clipvalue = [lo, hi];
    } else {
      throw new InvalidArgumentError(`${what}: clipvalue must be a number or a [lo, hi] pair, got ${show(c)}.`);
    }
  }

  /** The slots this optimizer keeps per table, in TF's order and names. */
  abstract slots(): SlotSpec[];

  /** The element-wise rule: given weight w, gradient g and slot values s (mutated), returns the new weight. */
  protected abstract rule(w: number, g: number, s: Float64Array): number;

  /**
   * Updates `rows` of `params` (flat `[rows, width]`) and the matching rows of `slots` (same layout,
   * in the order of {@link slots}) from `grad` (same layout). Rows not listed are not touched.
   */
  apply(params: Float32Array, slots: Float32Array[], grad: Float32Array, width: number, rows: Iterable<number>): void {
    const s = new Float64Array(slots.length);
    const decay = this.weightDecayFactor * (this.multiplyWeightDecayFactorByLearningRate ? this.learningRate : 1);
    for (const row of rows) {
      const base = row * width;
      for (let j = 0; j < width; j++) {
        const k = base + j;
        const w = params[k];
        let g = grad[k];
        if (this.clipvalue) g = Math.min(Math.max(g, this.clipvalue[0]), this.clipvalue[1]);
        if (decay !== 0) g += decay * w;
        for (let i = 0; i < slots.length; i++) s[i] = slots[i][k];
        const nw = this.rule(w, Math.fround(g), s);
        for (let i = 0; i < slots.length; i++) slots[i][k] = s[i];
        params[k] = Math.min(Math.max(nw, this.clipWeightMin), this.clipWeightMax);
      }
    }
  }

  /** Whether rows the step did not touch are updated too (only non-lazy Adam). */
  updatesUntouchedRows(): boolean {
    return false;
  }
}

/**
 * Plain SGD: `w -= lr * g`. TPU default learning rate 0.01; no slots.
 *
 * @example
 * const opt = new de.tpu.SGD({ learningRate: 0.1 });
 */
export class SGD extends TPUEmbeddingOptimizer {
  readonly kind = 'SGD' as const;
  constructor(options: CommonOptimizerOptions = {}) {
    super('SGD', options, 0.01);
  }
  slots(): SlotSpec[] {
    return [];
  }
  protected rule(w: number, g: number): number {
    return w - this.learningRate * g;
  }
}

/** Adagrad options: the common ones plus the initial accumulator (TPU default 0.1). */
export interface AdagradOptions extends CommonOptimizerOptions {
  initialAccumulatorValue?: number;
}

/**
 * Adagrad: `a += g²; w -= lr * g / √a`. TPU defaults: learning rate 0.001, initial accumulator 0.1;
 * slot `accumulators`.
 *
 * @example
 * const opt = new de.tpu.Adagrad({ learningRate: 0.1 });
 * opt.slots(); // [{ name: 'accumulators', initialValue: 0.1 }]
 */
export class Adagrad extends TPUEmbeddingOptimizer {
  readonly kind = 'Adagrad' as const;
  readonly initialAccumulatorValue: number;
  constructor(options: AdagradOptions = {}) {
    super('Adagrad', options, 0.001);
    this.initialAccumulatorValue = checkNumber(
      'Adagrad',
      'initialAccumulatorValue',
      options.initialAccumulatorValue ?? 0.1,
      { positive: true },
    );
  }
  slots(): SlotSpec[] {
    return [{ name: 'accumulators', initialValue: this.initialAccumulatorValue }];
  }
  protected rule(w: number, g: number, s: Float64Array): number {
    const a = Math.fround(s[0] + g * g);
    s[0] = a;
    return w - (this.learningRate * g) / Math.sqrt(a);
  }
}

/** Adam options (TPU embedding Adam). */
export interface AdamOptions extends CommonOptimizerOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Only rows looked up in the step are updated (default true, as TPU embedding). */
  lazyAdam?: boolean;
  /** `m / √(v + ε²)` when true (default), `m / (√v + ε)` otherwise. */
  sumInsideSqrt?: boolean;
}

/**
 * Adam as the TPU embedding runs it: `m = β1 m + (1-β1) g; v = β2 v + (1-β2) g²;
 * w -= lr * m / √(v + ε²)`, no bias correction, lazy by default. Defaults: lr 0.001, β1 0.9,
 * β2 0.999, ε 1e-7. Slots `momenta`, `velocities` (both start at 0).
 *
 * @example
 * const opt = new de.tpu.Adam({ learningRate: 0.01 });
 * opt.slots().map((s) => s.name); // ['momenta', 'velocities']
 */
export class Adam extends TPUEmbeddingOptimizer {
  readonly kind = 'Adam' as const;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly lazyAdam: boolean;
  readonly sumInsideSqrt: boolean;
  constructor(options: AdamOptions = {}) {
    super('Adam', options, 0.001);
    this.beta1 = checkNumber('Adam', 'beta1', options.beta1 ?? 0.9, { min: 0 });
    this.beta2 = checkNumber('Adam', 'beta2', options.beta2 ?? 0.999, { min: 0 });
    if (this.beta1 >= 1) throw new InvalidArgumentError(`Adam: beta1 must be in [0, 1), got ${this.beta1}.`);
    if (this.beta2 >= 1) throw new InvalidArgumentError(`Adam: beta2 must be in [0, 1), got ${this.beta2}.`);
    this.epsilon = checkNumber('Adam', 'epsilon', options.epsilon ?? 1e-7, { positive: true });
    this.lazyAdam = options.lazyAdam ?? true;
    this.sumInsideSqrt = options.sumInsideSqrt ?? true;
  }
  slots(): SlotSpec[] {
    return [
      { name: 'momenta', initialValue: 0 },
      { name: 'velocities', initialValue: 0 },
    ];
  }
  protected rule(w: number, g: number, s: Float64Array): number {
    const m = Math.fround(this.beta1 * s[0] + (1 - this.beta1) * g);
    const v = Math.fround(this.beta2 * s[1] + (1 - this.beta2) * g * g);
    s[0] = m;
    s[1] = v;
    const denom = this.sumInsideSqrt ? Math.sqrt(v + this.epsilon * this.epsilon) : Math.sqrt(v) + this.epsilon;
    return w - (this.learningRate * m) / denom;
  }
  override updatesUntouchedRows(): boolean {
    return !this.lazyAdam;
  }
}

/** FTRL options (TPU embedding FTRL). */
export interface FTRLOptions extends CommonOptimizerOptions {
  learningRatePower?: number;
  l1RegularizationStrength?: number;
  l2RegularizationStrength?: number;
  beta?: number;
  initialAccumulatorValue?: number;
}

/**
 * FTRL-proximal as the TPU embedding runs it. Defaults: lr 0.001, learning rate power -0.5,
 * l1 = l2 = β = 0, initial accumulator 0.1. Slots `accumulators` (0.1) and `linears` (0).
 * `a' = a + g²; σ = (a'^-p − a^-p)/lr; linear += g − σ w; w = (sign(linear) l1 − linear) / ((β + a'^-p)/lr + 2 l2)`
 * when |linear| > l1, else 0.
 *
 * @example
 * const opt = new de.tpu.FTRL({ learningRate: 0.1 });
 * opt.slots().map((s) => s.name); // ['accumulators', 'linears']
 */
export class FTRL extends TPUEmbeddingOptimizer {
  readonly kind = 'FTRL' as const;
  readonly learningRatePower: number;
  readonly l1RegularizationStrength: number;
  readonly l2RegularizationStrength: number;
  readonly beta: number;
  readonly initialAccumulatorValue: number;
  constructor(options: FTRLOptions = {}) {
    super('FTRL', options, 0.001);
    this.learningRatePower = checkNumber('FTRL', 'learningRatePower', options.learningRatePower ?? -0.5);
    if (this.learningRatePower > 0) {
      throw new InvalidArgumentError(`FTRL: learningRatePower must be <= 0, got ${this.learningRatePower}.`);
    }
    this.l1RegularizationStrength = checkNumber(
      'FTRL',
      'l1RegularizationStrength',
      options.l1RegularizationStrength ?? 0,
      {
        min: 0,
      },
    );
    this.l2RegularizationStrength = checkNumber(
      'FTRL',
      'l2RegularizationStrength',
      options.l2RegularizationStrength ?? 0,
      {
        min: 0,
      },
    );
    this.beta = checkNumber('FTRL', 'beta', options.beta ?? 0, { min: 0 });
    this.initialAccumulatorValue = checkNumber(
      'FTRL',
      'initialAccumulatorValue',
      options.initialAccumulatorValue ?? 0.1,
      {
        positive: true,
      },
    );
  }
  slots(): SlotSpec[] {
    return [
      { name: 'accumulators', initialValue: this.initialAccumulatorValue },
      { name: 'linears', initialValue: 0 },
    ];
  }
  protected rule(w: number, g: number, s: Float64Array): number {
    const p = -this.learningRatePower;
    const a = s[0];
    const a2 = Math.fround(a + g * g);
    const sigma = (a2 ** p - a ** p) / this.learningRate;
    const linear = Math.fround(s[1] + g - sigma * w);
    s[0] = a2;
    s[1] = linear;
    const l1 = this.l1RegularizationStrength;
    if (Math.abs(linear) <= l1) return 0;
    const quadratic = (this.beta + a2 ** p) / this.learningRate + 2 * this.l2RegularizationStrength;
    return (Math.sign(linear) * l1 - linear) / quadratic;
  }
}
