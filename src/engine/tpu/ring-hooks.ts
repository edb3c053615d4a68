// The ring collectives of a step, run one ring step at a time so `strategy.run`'s onRingStep hook
// sees (and may hold) every step with the data each core holds after it.
import type { RingCollective, RingStepReport } from './collectives.js';

/** One ring step of a collective inside `strategy.run`, with the data every core holds after it. */
export interface RingStepEvent {
  kind: 'all-reduce' | 'reduce-scatter' | 'all-gather';
  /** What the ring reduces: a table name (all-reduce) or `${feature}/outputs`, `${feature}/output gradients`. */
  name: string;
  pass: 'forward' | 'backward';
  /** Index of this ring among the rings of the step (0, 1, ...). */
  ring: number;
  /** The messages of this ring step (from, to, chunk, bytes, delivered / late / dropped). */
  report: RingStepReport;
  /** Every core's buffer after this ring step (copies). */
  buffers: Float32Array[];
  /** Floats of each chunk (chunk i ends on core i after the reduce-scatter). */
  chunkSizes: number[];
  /** Ring steps of this collective done so far (1-based) and in all. */
  done: number;
  total: number;
}

/** Options of `strategy.run`. */
export interface RunHooks {
  /**
   * Called after every ring step of every ring collective of the step, with the real data; the
   * step waits for a returned promise (so a UI can animate the step one ring step at a time).
   * Nothing is applied until the last ring ends; a hook that throws fails the step with no change.
   */
  onRingStep?: (event: RingStepEvent) => void | Promise<void>;
}

/**
 * Runs a ring to the end, reporting each ring step to `hooks.onRingStep` (and counting the rings
 * of the step in `hooks.rings`).
 *
 * @example
 * const ring = await runRing(new RingCollective(buffers, { op: 'all-reduce' }), 'video', 'backward', hooks);
 */
export async function runRing(
  ring: RingCollective,
  name: string,
  pass: 'forward' | 'backward',
  hooks: RunHooks & { rings?: number },
): Promise<RingCollective> {
  const hook = hooks.onRingStep;
  if (!hook) return ring.run();
  const index = hooks.rings ?? 0;
  hooks.rings = index + 1;
  const total = (ring.op === 'all-reduce' ? 2 : 1) * (ring.n - 1);
  for (let done = 1; ring.phase !== 'done'; done++) {
    const report = ring.step();
    await hook({
      kind: ring.op,
      name,
      pass,
      ring: index,
      report,
      buffers: ring.results(),
      chunkSizes: [...ring.chunkSizes],
      done,
      total,
    });
  }
  return ring;
}
