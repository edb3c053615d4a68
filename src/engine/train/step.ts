// One training step: run the loss under the tape, differentiate with tfjs, update the touched
// rows (and their slots) with the optimizer's WASM kernel, write them back, and let restrict
// policies record the touched keys. Dense tfjs variables in the loss are trained too.
import { checkFinite, optionsOf } from '../options.js';
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, show } from '../errors.js';
import { type PooledVariable, pooledOf, withPoolRows } from '../pool/variable.js';
import { ids, type Keys } from '../tensor.js';
import type { Variable } from '../variable.js';
import { Optimizer } from './optimizers/optimizer.js';
import { canUpdateInPlace, type PreparedUpdate, prepareInPlace } from './in-place.js';
import { policyOf } from './restrict.js';
import { RowTape } from './tape.js';

let step_ = 0;

/**
 * The global training step: how many `de.train.step` calls have completed in this process
 * (the clock of `TimestampRestrictPolicy`).
 *
 * @example
 * de.train.globalStep(); // 0 before any training
 */
export function globalStep(): number {
  return step_;
}

/**
 * Sets the global step (checkpoints restore it).
 *
 * @example
 * de.train.setGlobalStep(100);
 */
export function setGlobalStep(value: number): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new InvalidArgumentError(`setGlobalStep expects an integer >= 0, got ${show(value)}.`);
  }
  step_ = value;
}

/** Options of {@link step}. */
export interface StepOptions {
  /** Write every embedding update as a delta through `accum` (TFRA bp_v2). Default: per read (layers' `bpV2`). */
  bpV2?: boolean;
  /** The dense tfjs variables to train; default: every trainable registered variable the loss depends on. */
  varList?: tf.Variable[];
  /**
   * Required when the loss reads a Variable placed on the worker pool: the step then returns a
   * Promise. The loss runs twice — once to learn which ids it reads (with zero rows; its tensors
   * are disposed), then for real over the rows fetched from the workers — so it must read the
   * same ids both times. The update of pooled rows (optimizer, slots, maxNorm, restrict status)
   * runs on the workers and is in the pool's recovery log before it is sent.
   */
  async?: boolean;
  /**
   * Called once per step, before any row is written, with the gradient of every Variable the
   * loss read: its unique keys (repeated and shared reads summed) and `grad[keys.length * dim]`.
   * For gradient-norm charts and debugging; the arrays are the step's own (do not keep them).
   */
  onGradients?: (rows: readonly StepGradients[]) => void;
  /**
   * Apply gradients that hold NaN or Infinity (TFRA does). Default false: such a step throws and
   * changes nothing, since a NaN that enters a row or an optimizer slot stays there for good.
   */
  allowNonFinite?: boolean;
}

/** One Variable's gradient in a step (see {@link StepOptions.onGradients}). */
export interface StepGradients {
  /** The Variable read (a Variable placed on the worker pool is reported as itself). */
  readonly variable: Variable | PooledVariable;
  /** The unique keys read. */
  readonly keys: Keys;
  /** Summed gradient per key, `[keys.length * dim]`. */
  readonly grad: Float32Array;
  /** 1 where the key was stored before the step, 0 where training inserts it. */
  readonly exists: Uint8Array;
}

/**
 * Runs one training step and returns the loss. Every embedding read inside `lossFn`
 * (lookups and layers) is recorded; the gradient with respect to the unique rows read is
 * computed by tfjs; the optimizer updates only those rows and their slots (new keys are
 * inserted), clipping to the read's `maxNorm`; then restrict policies record the touched
 * keys. Trainable dense tfjs variables the loss depends on are updated by the same optimizer.
 *
 * @example
 * const v = new de.Variable({ name: 'emb', dim: 4, initializer: 0.1 });
 * const opt = new de.optimizers.Adagrad({ learningRate: 0.1 });
 * const loss = de.train.step(opt, () => tf.sum(tf.square(de.embeddingLookup(v, [1, 2, 1]))));
 * v.size(); // 2: keys 1 and 2 were inserted by training
 */
export function step(optimizer: Optimizer, lossFn: () => tf.Scalar, options?: StepOptions & { async?: false }): number;
export function step(
  optimizer: Optimizer,
  lossFn: () => tf.Scalar,
  options: StepOptions & { async: true },
): Promise<number>;
export function step(optimizer: Optimizer, lossFn: () => tf.Scalar, options?: StepOptions): number | Promise<number> {
  options = optionsOf(options, 'train.step');
  for (const flag of ['async', 'bpV2', 'allowNonFinite'] as const) {
    if (options[flag] !== undefined && typeof options[flag] !== 'boolean') {
      throw new InvalidArgumentError(`train.step: options.${flag} must be true or false, got ${show(options[flag])}.`);
    }
  }
  if (!(optimizer instanceof Optimizer)) {
    throw new InvalidArgumentError(`train.step expects a de.optimizers.* optimizer, got ${show(optimizer)}.`);
  }
  if (typeof lossFn !== 'function') {
    throw new InvalidArgumentError(`train.step expects a loss function () => scalar tensor, got ${show(lossFn)}.`);
  }
  if (options.async !== undefined && typeof options.async !== 'boolean') {
    throw new InvalidArgumentError(`train.step: options.async must be true or false, got ${show(options.async)}.`);
  }
  if (options.async) return stepOnPool(optimizer, lossFn, options);
  const pending: Promise<void>[] = [];
  const loss = runStep(optimizer, lossFn, options, pending);
  if (pending.length > 0) throw new Error('train.step: internal error: pooled updates outside an async step.');
  return loss;
}

async function stepOnPool(optimizer: Optimizer, lossFn: () => tf.Scalar, options: StepOptions): Promise<number> {
  const pending: Promise<void>[] = [];
  const loss = await withPoolRows(lossFn, () => runStep(optimizer, lossFn, options, pending));
  // Every update is logged by the pool before it is sent: a worker that dies now is restored with it.
  const settled = await Promise.allSettled(pending);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return loss;
}

// The step itself (synchronous): pooled rows were fetched before it runs; their updates are
// sent to the workers and pushed on `pending`.
function runStep(
  optimizer: Optimizer,
  lossFn: () => tf.Scalar,
  options: StepOptions,
  pending: Promise<void>[],
): number {
  const engine = tf.engine();
  const dense = (options.varList ?? Object.values(engine.registeredVariables)).filter(
    (v) => v.trainable && v.dtype === 'float32',
  );
  const tape = new RowTape();
  // tfjs reads `xs` after running f, so the rows read during f are appended to it there.
  const xs: tf.Tensor[] = [...dense];
  const sentinel = xs.length === 0 ? tf.scalar(0) : undefined;
  if (sentinel) xs.push(sentinel);
  const numDense = xs.length;
  let result: { value: tf.Tensor; grads: tf.Tensor[] };
  try {
    result = tape.record(() =>
      engine.gradients(
        () => {
          const y = lossFn();
          if (!(y instanceof tf.Tensor) || y.rank !== 0) {
            throw new InvalidArgumentError(
              `train.step: the loss function must return a scalar tensor, got ${y instanceof tf.Tensor ? `a tensor of shape [${y.shape.join(', ')}]` : show(y)}.`,
            );
          }
          for (const r of tape.reads) xs.push(r.rows);
          return y;
        },
        xs,
        undefined,
        true,
      ),
    );
  } finally {
    sentinel?.dispose();
  }
  const { value, grads } = result;
  try {
    const touched = tape.touched(grads.slice(numDense));
    const denseGrads = grads.slice(0, dense.length);
    if (touched.length === 0 && denseGrads.every((g) => g == null)) {
      throw new InvalidArgumentError(
        'train.step: the loss does not depend on any embedding read or trainable variable; read embeddings (lookups, layers) inside the loss function.',
      );
    }
    const loss = value.dataSync()[0];
    options.onGradients?.(
      touched.map((t) => ({
        variable: pooledOf(t.variable) ?? t.variable,
        keys: t.keys,
        grad: t.grad,
        exists: t.exists,
      })),
    );
    if (!options.allowNonFinite) {
      for (const t of touched) checkFinite(t.grad, 'train.step', `the gradient of ${show(t.variable.name)}`);
    }
    // compute every update first, then write: a failure above leaves every table unchanged
    optimizer.beginStep();
    step_++;
    const remote = touched.filter((t) => pooledOf(t.variable) !== undefined);
    const local = touched.filter((t) => pooledOf(t.variable) === undefined);
    // rows and slots in one heap: updated where they are stored (in-place.ts); bpV2 writes deltas
    const inPlace = local.filter(
      (t) => !(t.bpV2 || options.bpV2) && canUpdateInPlace(t.variable, optimizer.slotVariables(t.variable)),
    );
    const updates = local
      .filter((t) => !inPlace.includes(t))
      .map((t) => {
        const n = t.keys.length;
        const slots = optimizer.slotVariables(t.variable);
        const slotReads = slots.map((s) => s.read(t.keys));
        const values = t.old.slice();
        // bpV2 needs the slot rows as read (accum adds new - old); otherwise update them in place
        const slotValues = slotReads.map((r) => (t.bpV2 || options.bpV2 ? r.values.slice() : r.values));
        optimizer.updateRows(values, slotValues, t.grad, n, t.variable.dim, t.maxNorm);
        return { t, slots, slotReads, values, slotValues };
      });
    const denseUpdates = dense.flatMap((v, i) => {
      const g = denseGrads[i];
      if (g == null) return [];
      const values = Float32Array.from(v.dataSync() as Float32Array);
      const slots = optimizer.denseSlotValues(v);
      const next = slots.map((s) => s.slice());
      optimizer.updateRows(values, next, g.dataSync() as Float32Array, 1, v.size, 0);
      return [{ v, values, slots, next }];
    });
    // last before writing, as it inserts the new keys (undone if any of them fails)
    const prepared: PreparedUpdate[] = [];
    try {
      for (const t of inPlace) prepared.push(prepareInPlace(optimizer, t, optimizer.slotVariables(t.variable)));
    } catch (e) {
      for (const p of prepared.reverse()) p.undo();
      throw e;
    }
    for (const p of prepared) p.run();
    for (const t of inPlace) policyOf(t.variable)?.apply(t.keys, step_);
    for (const { t, slots, slotReads, values, slotValues } of updates) {
      if (t.bpV2 || options.bpV2) {
        const k = ids(t.keys);
        // the gradients were checked above; what the optimizer made of them is written as is
        t.variable.accum(k, t.old, values, t.exists, { allowNonFinite: true });
        slots.forEach((s, i) =>
          s.accum(k, slotReads[i].values, slotValues[i], slotReads[i].exists, { allowNonFinite: true }),
        );
      } else {
        t.variable.writeRows(t.keys, values);
        slots.forEach((s, i) => s.writeRows(t.keys, slotValues[i]));
      }
      policyOf(t.variable)?.apply(t.keys, step_);
    }
    for (const t of remote) {
      const bpV2 = t.bpV2 || options.bpV2 === true;
      pending.push(pooledOf(t.variable)!.applyTraining({ ...t, bpV2 }, optimizer, step_));
    }
    for (const { v, values, slots, next } of denseUpdates) {
      v.assign(tf.tensor(values, v.shape, 'float32'));
      slots.forEach((s, i) => s.set(next[i]));
    }
    optimizer.endStep();
    return loss;
  } finally {
    value.dispose();
    for (const g of grads) g?.dispose();
  }
}
