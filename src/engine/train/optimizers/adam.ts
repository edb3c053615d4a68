// Adam (optionally AMSGrad), with tfjs's AdamOptimizer update rule and Keras's defaults.
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
 * Adam: `m = b1 m + (1-b1) g`, `v = b2 v + (1-b2) g²`, with AMSGrad `vhat = max(vhat, v)` used
 * for v; `w -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + epsilon)` (tfjs's form, float32
 * powers `b^t` as tfjs accumulates them). Lazy, as TFRA: the bias correction uses the global
 * step `t` even for rows seen for the first time. Slots: `m`, `v` (and `vhat` with amsgrad).
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
  // b1^t and b2^t as tfjs keeps them: float32 products, one multiplication per step
  private accBeta1 = 1;
  private accBeta2 = 1;

  constructor(options: AdamOptions = {}) {
    super('Adam', options.learningRate, 0.001);
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

  override beginStep(): void {
    super.beginStep();
    this.accBeta1 = Math.fround(this.accBeta1 * Math.fround(this.beta1));
    this.accBeta2 = Math.fround(this.accBeta2 * Math.fround(this.beta2));
  }

  override setIterations(iterations: number): void {
    super.setIterations(iterations);
    this.accBeta1 = 1;
    this.accBeta2 = 1;
    for (let t = 0; t < iterations; t++) {
      this.accBeta1 = Math.fround(this.accBeta1 * Math.fround(this.beta1));
      this.accBeta2 = Math.fround(this.accBeta2 * Math.fround(this.beta2));
    }
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
      this.learningRate,
      this.beta1,
      this.beta2,
      f(1 - this.beta1),
      f(1 - this.beta2),
      f(1 - this.accBeta1),
      f(1 - this.accBeta2),
      this.epsilon,
      this.amsgrad ? 1 : 0,
      a.maxNorm,
    );
  }
}
