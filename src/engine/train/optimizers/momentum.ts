// SGD with momentum (optionally Nesterov), with Keras's update rule (what TFRA trains with).
import { optionsOf } from '../../options.js';
import { checkFlag, checkHyper, type KernelArgs, Optimizer, type SlotSpec } from './optimizer.js';

/** Options of {@link Momentum}. */
export interface MomentumOptions {
  /** Default 0.01 (Keras SGD). */
  learningRate?: number;
  /** Default 0.9. */
  momentum?: number;
  /** Default false. */
  useNesterov?: boolean;
}

/**
 * Momentum as Keras's `SGD(momentum=...)` (and so TFRA) runs it: `a = momentum * a - lr * g`,
 * `w += a` (Nesterov: `w += momentum * a - lr * g`). Slot: `momentum` (Keras's velocity, starts
 * at 0). With a constant learning rate the weights follow tfjs's `tf.train.momentum` / TF1's
 * `MomentumOptimizer`, whose slot holds `a / -lr` instead.
 *
 * @example
 * const opt = new de.optimizers.Momentum({ learningRate: 0.05, momentum: 0.9, useNesterov: true });
 */
export class Momentum extends Optimizer {
  readonly className = 'Momentum';
  readonly momentum: number;
  readonly useNesterov: boolean;

  constructor(options: MomentumOptions = {}) {
    super('Momentum', optionsOf(options, 'Momentum').learningRate, 0.01);
    this.momentum = checkHyper('Momentum', 'momentum', options.momentum ?? 0.9, (x) => x >= 0, 'a finite number >= 0');
    this.useNesterov = checkFlag('Momentum', 'useNesterov', options.useNesterov, false);
  }

  slotSpecs(): readonly SlotSpec[] {
    return [{ name: 'momentum', initial: 0 }];
  }

  getConfig(): Record<string, number | boolean> {
    return { learningRate: this.learningRate, momentum: this.momentum, useNesterov: this.useNesterov };
  }

  protected runKernel(a: KernelArgs): void {
    a.k.momentumUpdate(
      a.w,
      a.s[0],
      a.g,
      a.n,
      a.dim,
      this.learningRate,
      this.momentum,
      this.useNesterov ? 1 : 0,
      a.maxNorm,
    );
  }
}
