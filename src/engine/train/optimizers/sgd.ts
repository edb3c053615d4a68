// Plain stochastic gradient descent: w -= lr * g.
import { optionsOf } from '../../options.js';
import { type KernelArgs, Optimizer, type SlotSpec } from './optimizer.js';

/** Options of {@link SGD}. */
export interface SGDOptions {
  /** Default 0.01 (Keras). */
  learningRate?: number;
}

/**
 * SGD (Keras default learningRate 0.01): `w = w - lr * g` on the touched rows. No slots.
 *
 * @example
 * const opt = new de.optimizers.SGD({ learningRate: 0.1 });
 * de.train.step(opt, () => tf.sum(de.embeddingLookup(v, [1, 2])));
 */
export class SGD extends Optimizer {
  readonly className = 'SGD';

  constructor(options: SGDOptions = {}) {
    super('SGD', optionsOf(options, 'SGD').learningRate, 0.01);
  }

  slotSpecs(): readonly SlotSpec[] {
    return [];
  }

  getConfig(): Record<string, number | boolean> {
    return { learningRate: this.learningRate };
  }

  protected runKernel(a: KernelArgs): void {
    a.k.sgdUpdate(a.w, a.g, a.n, a.dim, this.learningRate, a.maxNorm);
  }
}
