// FTRL-proximal, with Keras's Ftrl update rule (TF's ApplyFtrlV2) and defaults.
import { optionsOf } from '../../options.js';
import { checkHyper, type KernelArgs, Optimizer, type SlotSpec } from './optimizer.js';

/** Options of {@link Ftrl}. */
export interface FtrlOptions {
  /** Default 0.001. */
  learningRate?: number;
  /** Default -0.5 (must be <= 0). */
  learningRatePower?: number;
  /** Default 0.1. */
  initialAccumulatorValue?: number;
  /** Default 0. */
  l1RegularizationStrength?: number;
  /** Default 0. */
  l2RegularizationStrength?: number;
  /** Default 0. */
  l2ShrinkageRegularizationStrength?: number;
  /** Default 0. */
  beta?: number;
}

/**
 * Ftrl (Keras): with `p = -learningRatePower`, `a' = a + g²`,
 * `linear += g + 2 l2s w - (a'^p - a^p) / lr * w`, `w = (clip(linear, ±l1) - linear) / (a'^p / lr + 2 (l2 + beta / (2 lr)))`.
 * No epsilon anywhere (as Keras). The tests check it against these formulas (keras-formulas.spec.ts).
 * Slots: `accumulator` (starts at `initialAccumulatorValue`), `linear` (starts at 0).
 *
 * @example
 * const opt = new de.optimizers.Ftrl({ learningRate: 0.05, l1RegularizationStrength: 0.001 });
 */
export class Ftrl extends Optimizer {
  readonly className = 'Ftrl';
  readonly learningRatePower: number;
  readonly initialAccumulatorValue: number;
  readonly l1RegularizationStrength: number;
  readonly l2RegularizationStrength: number;
  readonly l2ShrinkageRegularizationStrength: number;
  readonly beta: number;

  constructor(options: FtrlOptions = {}) {
    super('Ftrl', optionsOf(options, 'Ftrl').learningRate, 0.001);
    const nonNeg = (x: number) => x >= 0;
    this.learningRatePower = checkHyper(
      'Ftrl',
      'learningRatePower',
      options.learningRatePower ?? -0.5,
      (x) => x <= 0,
      'a finite number <= 0',
    );
    this.initialAccumulatorValue = checkHyper(
      'Ftrl',
      'initialAccumulatorValue',
      options.initialAccumulatorValue ?? 0.1,
      nonNeg,
      'a finite number >= 0',
    );
    this.l1RegularizationStrength = checkHyper(
      'Ftrl',
      'l1RegularizationStrength',
      options.l1RegularizationStrength ?? 0,
      nonNeg,
      'a finite number >= 0',
    );
    this.l2RegularizationStrength = checkHyper(
      'Ftrl',
      'l2RegularizationStrength',
      options.l2RegularizationStrength ?? 0,
      nonNeg,
      'a finite number >= 0',
    );
    this.l2ShrinkageRegularizationStrength = checkHyper(
      'Ftrl',
      'l2ShrinkageRegularizationStrength',
      options.l2ShrinkageRegularizationStrength ?? 0,
      nonNeg,
      'a finite number >= 0',
    );
    this.beta = checkHyper('Ftrl', 'beta', options.beta ?? 0, nonNeg, 'a finite number >= 0');
  }

  slotSpecs(): readonly SlotSpec[] {
    return [
      { name: 'accumulator', initial: this.initialAccumulatorValue },
      { name: 'linear', initial: 0 },
    ];
  }

  getConfig(): Record<string, number | boolean> {
    return {
      learningRate: this.learningRate,
      learningRatePower: this.learningRatePower,
      initialAccumulatorValue: this.initialAccumulatorValue,
      l1RegularizationStrength: this.l1RegularizationStrength,
      l2RegularizationStrength: this.l2RegularizationStrength,
      l2ShrinkageRegularizationStrength: this.l2ShrinkageRegularizationStrength,
      beta: this.beta,
    };
  }

  protected runKernel(a: KernelArgs): void {
    const lr = this.learningRate;
    const l2Adj = this.l2RegularizationStrength + this.beta / (2 * lr);
    a.k.ftrlUpdate(
      a.w,
      a.s[0],
      a.s[1],
      a.g,
      a.n,
      a.dim,
      lr,
      -this.learningRatePower,
      this.l1RegularizationStrength,
      2 * l2Adj,
      2 * this.l2ShrinkageRegularizationStrength,
      a.maxNorm,
    );
  }
}
