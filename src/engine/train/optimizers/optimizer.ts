// The optimizer base: hyper-parameter checks, slot bookkeeping and the one place where rows
// are copied into WASM memory and updated by a kernel of src/wasm/optimizers.ts.
//
// Why rows are copied into the optimizer's own heap instead of being updated in their tables:
// every table owns its WebAssembly instance (one table's growth never detaches another's
// views), so a variable and its slot variables do not share a memory. A step touches
// thousands of rows, not millions, so the copies cost little next to the hash probes.
import type * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, show } from '../../errors.js';
import { SHARD_HEAP, Variable } from '../../variable.js';
import { type KernelExports, Scratch, WasmHeap } from '../../wasm.js';
import { registerSlots } from '../slots.js';

/** A slot an optimizer keeps per trained row: its name and the value a new row starts from. */
export interface SlotSpec {
  readonly name: string;
  readonly initial: number;
}

/** Pointers handed to a kernel: u32 row-pointer arrays for the value rows and each slot, and the gradient block. */
export interface KernelArgs {
  readonly k: KernelExports;
  readonly w: number;
  readonly s: readonly number[];
  readonly g: number;
  readonly n: number;
  readonly dim: number;
  readonly maxNorm: number;
}

/** The serialisable state of an optimizer besides its slots (for checkpoints). */
export interface OptimizerState {
  readonly className: string;
  readonly config: Record<string, number | boolean>;
  readonly iterations: number;
}

let sharedHeap: WasmHeap | undefined;
let scratch: Scratch[] = [];

function heap(): WasmHeap {
  if (!sharedHeap) {
    sharedHeap = new WasmHeap();
    scratch = [];
  }
  return sharedHeap;
}

function block(i: number, bytes: number): number {
  const h = heap();
  while (scratch.length <= i) scratch.push(new Scratch(h));
  return scratch[i].get(bytes);
}

/** Throws unless `value` is a finite number satisfying `ok`; returns it. */
export function checkHyper(
  optimizer: string,
  name: string,
  value: unknown,
  ok: (x: number) => boolean,
  expected: string,
): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) {
    throw new InvalidArgumentError(`${optimizer}: ${name} must be ${expected}, got ${show(value)}.`);
  }
  return value;
}

/** Throws unless `value` is a boolean (or undefined, giving `fallback`). */
export function checkFlag(optimizer: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new InvalidArgumentError(`${optimizer}: ${name} must be true or false, got ${show(value)}.`);
  }
  return value;
}

/**
 * The base of the dynamic-embedding optimizers (SGD, Momentum, Adagrad, Adam, Ftrl, RMSprop).
 * An optimizer updates only the rows a step touched, and their slots (lazy updates).
 * Use it through `de.train.step(optimizer, lossFn)`; slots are read with `getSlot`.
 *
 * @example
 * const opt = new de.optimizers.Adagrad({ learningRate: 0.1 });
 * de.train.step(opt, () => loss());
 * opt.getSlot(v, 'accumulator').lookup([1]);
 */
export abstract class Optimizer {
  /** The class name used in checkpoints and the TFRA export ('Adam', 'SGD', ...). */
  abstract readonly className: string;
  readonly learningRate: number;
  /** Completed training steps (tfjs `iterations`). */
  iterations = 0;
  private readonly slotVars = new Map<Variable, Variable[]>();
  private readonly denseSlots = new Map<tf.Variable, Float32Array[]>();

  constructor(name: string, learningRate: unknown, fallback: number) {
    this.learningRate = checkHyper(name, 'learningRate', learningRate ?? fallback, (x) => x > 0, 'a finite number > 0');
  }

  /** The slots this optimizer keeps per row, in kernel order. */
  abstract slotSpecs(): readonly SlotSpec[];

  /** Hyper-parameters, as given to the constructor (for getConfig, checkpoints and the TFRA export). */
  abstract getConfig(): Record<string, number | boolean>;

  /** Runs the kernel over n rows. */
  protected abstract runKernel(args: KernelArgs): void;

  /** Called once per training step before any row is updated (bias corrections read the new step). */
  beginStep(): void {
    this.iterations++;
  }

  /** Called once per training step after every row was updated. */
  endStep(): void {}

  /** Restores the step counter (and anything derived from it) from a checkpoint. */
  setIterations(iterations: number): void {
    if (!Number.isInteger(iterations) || iterations < 0) {
      throw new InvalidArgumentError(`${this.className}: iterations must be an integer >= 0, got ${show(iterations)}.`);
    }
    this.iterations = iterations;
  }

  /**
   * The slot Variables of a trained Variable, in {@link slotSpecs} order, created on first use:
   * dynamic Variables named `${variable.name}/${slot}` with the slot's initial value, the same
   * key dtype, dim and partitioning.
   *
   * @example
   * opt.slotVariables(v).map((s) => s.name); // ['user_emb/m', 'user_emb/v'] for Adam
   */
  slotVariables(variable: Variable): Variable[] {
    if (!(variable instanceof Variable)) {
      throw new InvalidArgumentError(`${this.className}: expected a de.Variable, got ${show(variable)}.`);
    }
    let vars = this.slotVars.get(variable);
    if (!vars) {
      vars = this.slotSpecs().map(
        (spec) =>
          new Variable({
            name: `${variable.name}/${spec.name}`,
            keyDtype: variable.keyDtype,
            dim: variable.dim,
            initializer: spec.initial,
            initCapacity: variable.initCapacity,
            partitions: variable.partitions,
            partitioner: variable.partitioner,
            trainable: false,
            // one heap with the Variable's shards: train.step updates rows and slots in place
            [SHARD_HEAP]: variable.shards[0]?.heap,
          }),
      );
      this.slotVars.set(variable, vars);
      registerSlots(variable, vars);
    }
    return vars;
  }

  /**
   * One slot Variable of a trained Variable, as TFRA's `optimizer.get_slot(var, name)`.
   *
   * @example
   * const m = opt.getSlot(v, 'm'); // a de.Variable named `${v.name}/m`
   * m.lookup([1]);
   */
  getSlot(variable: Variable, name: string): Variable {
    const specs = this.slotSpecs();
    const i = specs.findIndex((s) => s.name === name);
    if (i < 0) {
      throw new InvalidArgumentError(
        `${this.className}.getSlot: unknown slot ${show(name)}; this optimizer keeps ${specs.length ? specs.map((s) => JSON.stringify(s.name)).join(', ') : 'no slots'}.`,
      );
    }
    return this.slotVariables(variable)[i];
  }

  /** The dynamic Variables this optimizer has slots for (those it has trained or restored). */
  trainedVariables(): Variable[] {
    return [...this.slotVars.keys()];
  }

  /** The slot values of a dense tfjs variable (flat, like the variable), created on first use. */
  denseSlotValues(variable: tf.Variable): Float32Array[] {
    let s = this.denseSlots.get(variable);
    if (!s) {
      s = this.slotSpecs().map((spec) => new Float32Array(variable.size).fill(spec.initial));
      this.denseSlots.set(variable, s);
    }
    return s;
  }

  /** The state a checkpoint stores besides the slots. */
  getState(): OptimizerState {
    return { className: this.className, config: this.getConfig(), iterations: this.iterations };
  }

  /**
   * Updates `n` rows in place where they are stored: `w` and each of `s` are u32 arrays (in the
   * memory of `k`) of row addresses — a Variable's rows and its slots' rows, which share one
   * heap — and `g` the `[n, dim]` gradient block there. The same kernel as {@link updateRows},
   * so the same bits. Internal: `train.step`'s in-place path (train/in-place.ts).
   *
   * @example
   * opt.updateRowsAt(heap.exports, wPtrs, [accPtrs], gradPtr, n, dim, 0);
   */
  updateRowsAt(
    k: KernelExports,
    w: number,
    s: readonly number[],
    g: number,
    n: number,
    dim: number,
    maxNorm = 0,
  ): void {
    if (s.length !== this.slotSpecs().length) {
      throw new InvalidArgumentError(
        `${this.className}.updateRowsAt: expected ${this.slotSpecs().length} slot pointer arrays, got ${s.length}.`,
      );
    }
    if (n > 0) this.runKernel({ k, w, s, g, n, dim, maxNorm });
  }

  /**
   * Updates `n` rows of width `dim` in place: `values` and each of `slots` are row-major
   * `[n, dim]`, `grads` is the gradient of the values. Rows are clipped to `maxNorm` (> 0)
   * after the update. Internal: `train.step` calls it with the rows it gathered.
   */
  updateRows(
    values: Float32Array,
    slots: readonly Float32Array[],
    grads: Float32Array,
    n: number,
    dim: number,
    maxNorm = 0,
  ): void {
    const specs = this.slotSpecs();
    const len = n * dim;
    if (values.length !== len || grads.length !== len || slots.length !== specs.length) {
      throw new InvalidArgumentError(
        `${this.className}.updateRows: expected ${specs.length} slot blocks and values/grads of ${len} floats, got ${slots.length} slots, ${values.length} values, ${grads.length} grads.`,
      );
    }
    for (const s of slots) {
      if (s.length !== len) {
        throw new InvalidArgumentError(
          `${this.className}.updateRows: every slot block must hold ${len} floats, got ${s.length}.`,
        );
      }
    }
    if (n === 0) return;
    const h = heap();
    const bytes = len * 4;
    const ptrBytes = n * 4;
    // allocate everything first so an out-of-memory error changes nothing
    const wBlock = block(0, bytes);
    const gBlock = block(1, bytes);
    const wPtrs = block(2, ptrBytes);
    const sBlocks: number[] = [];
    const sPtrs: number[] = [];
    for (let i = 0; i < slots.length; i++) {
      sBlocks.push(block(3 + 2 * i, bytes));
      sPtrs.push(block(4 + 2 * i, ptrBytes));
    }
    const k = h.exports;
    const stride = dim * 4;
    h.f32.set(values, wBlock >>> 2);
    h.f32.set(grads, gBlock >>> 2);
    k.rowPointers(wPtrs, wBlock, stride, n);
    for (let i = 0; i < slots.length; i++) {
      h.f32.set(slots[i], sBlocks[i] >>> 2);
      k.rowPointers(sPtrs[i], sBlocks[i], stride, n);
    }
    this.runKernel({ k, w: wPtrs, s: sPtrs, g: gBlock, n, dim, maxNorm });
    const f32 = h.f32;
    values.set(f32.subarray(wBlock >>> 2, (wBlock >>> 2) + len));
    for (let i = 0; i < slots.length; i++) slots[i].set(f32.subarray(sBlocks[i] >>> 2, (sBlocks[i] >>> 2) + len));
  }
}
