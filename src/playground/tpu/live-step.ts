// One engine step of the Virtual TPU held open ring step by ring step: strategy.run starts when
// the all-reduce phase is entered, and its onRingStep hook waits after every ring step until the
// panel asks for the next one, so the ring drawn is the engine's own.
import type * as de from '../../engine/index.js';

/**
 * One engine step held at its ring steps: `strategy.run` starts at once and waits in its
 * onRingStep hook until `next()` asks for the following ring step; `next()` resolves with that
 * step's event, or null when the step has finished (applied).
 *
 * @example
 * const live = new LiveStep(before, (onRingStep) => strategy.run(step, batch, { onRingStep }));
 * await live.next(); // the first ring step's event
 */
export class LiveStep {
  /** The ring step shown now (the engine waits after it). */
  shown: de.tpu.RingStepEvent | null = null;
  /** Bytes sent on each link in the ring shown so far. */
  bytesPerLink: number[] = [];
  /** Per ring (table): every core's buffer after its last ring step. */
  readonly lastBuffers: Float32Array[][] = [];
  /** Resolves when strategy.run has returned (rejects if it failed). */
  readonly finished: Promise<void>;
  private resume: ((go: boolean) => void) | null = null;
  private arrived: ((e: de.tpu.RingStepEvent | null) => void) | null = null;
  private started = false;
  private done = false;
  private failure: unknown = null;
  private readonly start: () => void;

  constructor(
    readonly before: Float32Array[][],
    run: (onRingStep: (e: de.tpu.RingStepEvent) => Promise<void>) => Promise<void>,
  ) {
    let begin!: () => void;
    const gate = new Promise<void>((r) => (begin = r));
    this.start = begin;
    this.finished = gate
      .then(() => run((e) => this.onRingStep(e)))
      .then(
        () => {
          this.done = true;
          this.arrived?.(null);
        },
        (err: unknown) => {
          this.done = true;
          this.failure = err;
          this.arrived?.(null);
          throw err;
        },
      );
    this.finished.catch(() => undefined);
  }

  private onRingStep(e: de.tpu.RingStepEvent): Promise<void> {
    if (e.done === e.total) this.lastBuffers[e.ring] = e.buffers;
    return new Promise<void>((resolve, reject) => {
      this.resume = (go) => (go ? resolve() : reject(new Error('The step was abandoned (the panel restarted).')));
      const arrived = this.arrived;
      this.arrived = null;
      arrived?.(e);
    });
  }

  /** Lets the engine run its next ring step and returns it, or null once the step is applied. */
  async next(): Promise<de.tpu.RingStepEvent | null> {
    if (this.failure) throw this.failure;
    if (this.done) return null;
    const e = await new Promise<de.tpu.RingStepEvent | null>((resolve) => {
      this.arrived = resolve;
      if (!this.started) {
        this.started = true;
        this.start();
      } else {
        const resume = this.resume;
        this.resume = null;
        resume?.(true);
      }
    });
    if (this.failure) throw this.failure;
    if (e) {
      if (!this.shown || this.shown.ring !== e.ring) this.bytesPerLink = new Array(e.buffers.length).fill(0);
      for (const m of e.report.messages) this.bytesPerLink[m.from] += m.bytes;
      this.shown = e;
    }
    return e;
  }

  /** Ends a held step with no change (its strategy.run rejects). */
  abort(): void {
    const resume = this.resume;
    this.resume = null;
    resume?.(false);
  }
}
