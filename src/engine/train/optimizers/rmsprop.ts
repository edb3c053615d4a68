// RMSprop, with TF/Keras's update rule (what TFRA trains with) and Keras's defaults.
import { optionsOf } from '../../options.js';
import { checkFlag, checkHyper, type KernelArgs, Optimizer, type SlotSpec } from './optimizer.js';

/** Options of {@link RMSprop}. */
export interface RMSpropOptions {
  /** Default 0.001. */
  learningRate?: number;
  /** Decay of the mean square (Keras `rho`, tfjs `decay`); default 0.9. */
  rho?: number;
  /** Default 0. */
  momentum?: number;
  /** Default 1e-7. */
  epsilon?: number;
  /** Default false. */
  centered?: boolean;
}

/**
 * RMSprop as TF/Keras (and so TFRA) runs it, where epsilon's place depends on momentum:
 * - momentum 0 (Keras's own update): `rms = rho rms + (1-rho) g²`, `w -= lr g / (sqrt(rms) + eps)`;
 *   centered: `mg = rho mg + (1-rho) g`, `w -= lr g / (sqrt(rms - mg²) + eps)`. No momentum slot.
 * - momentum > 0 (TF's ApplyRMSProp / ApplyCenteredRMSProp): `mom = momentum mom + lr g / sqrt(rms + eps)`
 *   (centered: `sqrt(rms - mg² + eps)`), `w -= mom`.
 * tfjs always puts epsilon inside the root (and subtracts it when centered); at |g| ~ 1e-6 the
 * momentum-0 updates differ ~1000x. Slots: `rms`, `momentum` (only when momentum > 0, as Keras),
 * `mg` (when centered), all starting at 0.
 *
 * @example
 * const opt = new de.optimizers.RMSprop({ learningRate: 0.01, centered: true });
 */
export class RMSprop extends Optimizer {
  readonly className = 'RMSprop';
  readonly rho: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly centered: boolean;

  constructor(options: RMSpropOptions = {}) {
    super('RMSprop', optionsOf(options, 'RMSprop').learningRate, 0.001);
    this.rho = checkHyper('RMSprop', 'rho', options.rho ?? 0.9, (x) => x >= 0 && x < 1, 'a number in [0, 1)');
    this.momentum = checkHyper('RMSprop', 'momentum', options.momentum ?? 0, (x) => x >= 0, 'a finite number >= 0');
    this.epsilon = checkHyper('RMSprop', 'epsilon', options.epsilon ?? 1e-7, (x) => x >= 0, 'a finite number >= 0');
    this.centered = checkFlag('RMSprop', 'centered', options.centered, false);
  }

  slotSpecs(): readonly SlotSpec[] {
    const s = [{ name: 'rms', initial: 0 }];
    if (this.momentum > 0) s.push({ name: 'momentum', initial: 0 });
    if (this.centered) s.push({ name: 'mg', initial: 0 });
    return s;
  }

  getConfig(): Record<string, number | boolean> {
    return {
      learningRate: this.learningRate,
      rho: this.rho,
      momentum: this.momentum,
      epsilon: this.epsilon,
      centered: this.centered,
    };
  }

  protected runKernel(a: KernelArgs): void {
    a.k.rmspropUpdate(
      a.w,
      a.s[0],
      this.momentum > 0 ? a.s[1] : 0,
      this.centered ? a.s[a.s.length - 1] : 0,
      a.g,
      a.n,
      a.dim,
      this.learningRate,
      this.rho,
      Math.fround(1 - this.rho),
      this.momentum,
      this.epsilon,
      this.centered ? 1 : 0,
      a.maxNorm,
    );
  }
}
