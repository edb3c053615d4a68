// What one core does in a step: the user's step function on the core's activations (forward and
// backward, on the host), and the calls that make a core gather, scatter, read rows and apply its
// optimizer through a CoreExecutor (in-process or on the core's pool worker, with the same code).
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, RuntimeError, show } from '../errors.js';
import type { GatherJob } from './core.js';
import type { CoreExecutor } from './execution.js';
import type { PreparedFeature } from './lookup.js';
import type { GlobalBatch, StepFn } from './batch.js';
import type { RunContext, VirtualTPUStrategy } from './strategy.js';

/** One table update a core applies: the gradient of its (shard of the) table and the rows it touched. */
export type Update = { table: number; grad: Float32Array; rows: Int32Array };

/** What one core's forward and backward pass produced. */
export interface CoreResult {
  /** The unscaled loss. */
  loss: number;
  /** d(loss / n) / d(leaf) for every leaf, flat, zeros where the loss does not depend on it. */
  grads: Float32Array[];
}

/**
 * Runs the step function as one core: `leaves` are the tensors the core's lookups read
 * (the core's activations), `ctx` resolves lookups against them.
 * Returns the loss and the gradient of `loss * scale` with respect to each leaf.
 */
export function coreForwardBackward(
  strategy: VirtualTPUStrategy,
  ctx: RunContext,
  leaves: tf.Tensor[],
  step: StepFn,
  slice: GlobalBatch,
  scale: number,
): CoreResult {
  let loss = 0;
  const { value, grads } = strategy.withContext(ctx, () =>
    tf.engine().gradients(
      () => {
        const out: unknown = step(slice);
        if (!(out instanceof tf.Tensor) || out.size !== 1) {
          throw new InvalidArgumentError(
            `strategy.run: the step function must return (synchronously) a scalar tf.Tensor loss, got ${out instanceof tf.Tensor ? `a tensor of shape [${out.shape.join(', ')}]` : show(out)}.`,
          );
        }
        loss = out.dataSync()[0];
        return tf.mul(tf.reshape(out, []), scale);
      },
      leaves,
      undefined,
      true,
    ),
  );
  value.dispose();
  const flat = leaves.map((leaf, i) => {
    const g = grads[i];
    const data = g ? Float32Array.from(g.dataSync()) : new Float32Array(leaf.size);
    g?.dispose();
    return data;
  });
  return { loss, grads: flat };
}

export function allRows(rows: number): number[] {
  return Array.from({ length: rows }, (_, i) => i);
}

/** The shape of stage A's output for `p` on `cols` columns. */
export function stageAShape(p: PreparedFeature, cols: number): number[] {
  return p.kind === 'combine' ? [p.entryShape[0], cols] : [...p.entryShape, cols];
}

/** The gather job of a prepared feature on `table` (its own ids and weights unless given). */
export function jobOf(
  p: PreparedFeature,
  table: number,
  ids: Int32Array = p.ids,
  weights: Float32Array | null = p.weights,
  source?: Float32Array,
): GatherJob {
  const job: GatherJob = { table, kind: p.kind, entryShape: [...p.entryShape], ids, weights };
  if (source) job.source = source;
  return job;
}

/** Runs `fn` for every core at once (cores on different workers work in parallel). */
export function allCores<T>(n: number, fn: (core: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: n }, (_, c) => fn(c)));
}

/** Core `core`'s stage-A outputs of `jobs` (its activations). */
export async function forwardOn(cores: CoreExecutor, core: number, jobs: GatherJob[]): Promise<Float32Array[]> {
  if (jobs.length === 0) return [];
  const res = await cores.work(core, { op: 'forward', jobs });
  if (res.op !== 'forward') throw new RuntimeError(`core ${core} answered ${res.op} to forward.`);
  return res.outputs;
}

/** Core `core`'s table gradients of `jobs` given their output gradients `dys`. */
export async function backwardOn(
  cores: CoreExecutor,
  core: number,
  jobs: GatherJob[],
  dys: Float32Array[],
): Promise<(Float32Array | null)[]> {
  if (jobs.length === 0) return [];
  const res = await cores.work(core, { op: 'backward', jobs, dys });
  if (res.op !== 'backward') throw new RuntimeError(`core ${core} answered ${res.op} to backward.`);
  return res.grads;
}

/** Rows `rows` of table `table` as core `core` holds them. */
export async function rowsOn(
  cores: CoreExecutor,
  core: number,
  table: number,
  rows: Int32Array,
): Promise<Float32Array> {
  const res = await cores.work(core, { op: 'rows', table, rows });
  if (res.op !== 'rows') throw new RuntimeError(`core ${core} answered ${res.op} to rows.`);
  return res.values;
}

/** Core `core` applies the optimizer to its tables. */
export async function applyOn(cores: CoreExecutor, core: number, updates: Update[]): Promise<void> {
  if (updates.length === 0) return;
  const res = await cores.work(core, { op: 'apply', updates });
  if (res.op !== 'apply') throw new RuntimeError(`core ${core} answered ${res.op} to apply.`);
}
