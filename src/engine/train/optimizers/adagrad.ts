// Adagrad, with TF/Keras's update rule (what TFRA trains with) and Keras's defaults.
import { optionsOf } from '../../options.js';
import { checkHyper, type KernelArgs, Optimizer, type SlotSpec } from './optimizer.js';

/** Options of {@link Adagrad}. */
export interface AdagradOptions {
  /** Default 0.001 (Keras). */
  learningRate?: number;
  /** Default 0.1 (Keras, tfjs). */
  initialAccumulatorValue?: number;
  /** Default 1e-7 (Keras). */
  epsilon?: number;
}

/**
 * Adagrad as TF/Keras (and so TFRA) runs it: `a += g²`, `w -= lr * g / (sqrt(a) + epsilon)`
 * (epsilon outside the root; tfjs adds it inside). Slot: `accumulator`, starting at
 * `initialAccumulatorValue`.
 *
 * @example
 * const opt = new de.optimizers.Adagrad({ learningRate: 0.1 });
 * opt.getSlot(v, 'accumulator'); // a dynamic Variable named `${v.name}/accumulator`
 */
export class Adagrad extends Optimizer {
  readonly className = 'Adagrad';
  readonly initialAccumulatorValue: number;
  readonly epsilon: number;

  constructor(options: AdagradOptions = {}) {
    super('Adagrad', optionsOf(options, 'Adagrad').learningRate, 0.001);
    this.initialAccumulatorValue = checkHyper(
      'Adagrad',
      'initialAccumulatorValue',
      options.initialAccumulatorValue ?? 0.1,
      (x) => x >= 0,
      'a finite number >= 0',
    );
    this.epsilon = checkHyper('Adagrad', 'epsilon', options.epsilon ?? 1e-7, (x) => x >= 0, 'a finite number >= 0');
  }

  slotSpecs(): readonly SlotSpec[] {
    return [{ name: 'accumulator', initial: this.initialAccumulatorValue }];
  }

  getConfig(): Record<string, number | boolean> {
    return {
      learningRate: this.learningRate,
      initialAccumulatorValue: this.initialAccumulatorValue,
      epsilon: this.epsilon,
    };
  }

  protected runKernel(a: KernelArgs): void {
    a.k.adagradUpdate(a.w, a.s[0], a.g, a.n, a.dim, this.learningRate, this.epsilon, a.maxNorm);
  }
}
