// Adam (optionally AMSGrad), with TF/Keras's update rule (what TFRA trains with) and Keras's defaults.
import { optionsOf } from '../../options.js';
import { checkFlag, checkHyper, type KernelArgs, Optimizer, type SlotSpec } from './optimizer.js';

/** Options of {@link Adam}. */
export interface AdamOptions {
  /** Default 0.001. */
  learningRate?: number;
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-7. */
  epsilon?: number;
  /** Default false. */
  amsgrad?: boolean;
}

/**
 * Adam as TF/Keras (and so TFRA) runs it: `m = b1 m + (1-b1) g`, `v = b2 v + (1-b2) g²`
 * (AMSGrad: `vhat = max(vhat, v)` used for v), `lr_t = lr * sqrt(1-b2^t) / (1-b1^t)`,
 * `w -= lr_t * m / (sqrt(v) + epsilon)`. Epsilon sits beside `sqrt(v)`, not beside the
 * bias-corrected `sqrt(v / (1-b2^t))` as in tfjs's Adam, so at step 1 it weighs ~30x more
 * (`1/sqrt(1-b2)`). Lazy, as TFRA: the bias correction uses the global step `t` even for rows
 * seen for the first time. Slots: `m`, `v` (and `vhat` with amsgrad).
 *
 * @example
 * const opt = new de.optimizers.Adam({ learningRate: 0.001, amsgrad: true });
 */
export class Adam extends Optimizer {
  readonly className = 'Adam';
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly amsgrad: boolean;

  constructor(options: AdamOptions = {}) {
    super('Adam', optionsOf(options, 'Adam').learningRate, 0.001);
    const unit = (x: number) => x >= 0 && x < 1;
    this.beta1 = checkHyper('Adam', 'beta1', options.beta1 ?? 0.9, unit, 'a number in [0, 1)');
    this.beta2 = checkHyper('Adam', 'beta2', options.beta2 ?? 0.999, unit, 'a number in [0, 1)');
    this.epsilon = checkHyper('Adam', 'epsilon', options.epsilon ?? 1e-7, (x) => x >= 0, 'a finite number >= 0');
    this.amsgrad = checkFlag('Adam', 'amsgrad', options.amsgrad, false);
  }

  slotSpecs(): readonly SlotSpec[] {
    const s = [
      { name: 'm', initial: 0 },
      { name: 'v', initial: 0 },
    ];
    return this.amsgrad ? [...s, { name: 'vhat', initial: 0 }] : s;
  }

  getConfig(): Record<string, number | boolean> {
    return {
      learningRate: this.learningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      amsgrad: this.amsgrad,
    };
  }

  /**
   * The step size of step `iterations` (1-based): `lr * sqrt(1 - b2^t) / (1 - b1^t)`, in float32
   * as TF's kernel computes it (`b^t` is `pow` of float32 values, as Keras's `tf.pow`).
   */
  stepSize(t = this.iterations): number {
    const f = Math.fround;
    const b1t = f(Math.pow(f(this.beta1), t));
    const b2t = f(Math.pow(f(this.beta2), t));
    return f(f(f(this.learningRate) * f(Math.sqrt(f(1 - b2t)))) / f(1 - b1t));
  }

  protected runKernel(a: KernelArgs): void {
    const f = Math.fround;
    a.k.adamUpdate(
      a.w,
      a.s[0],
      a.s[1],
      this.amsgrad ? a.s[2] : 0,
      a.g,
      a.n,
      a.dim,
      this.stepSize(),
      f(1 - f(this.beta1)),
      f(1 - f(this.beta2)),
      this.epsilon,
      this.amsgrad ? 1 : 0,
      a.maxNorm,
    );
  }
}
