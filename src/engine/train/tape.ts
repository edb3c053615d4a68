// The training tape: watches every embedding read made inside a loss function (through the
// read.ts hook) and keeps what the update needs: the Variable, its unique keys, the rows as
// read (initializer values for missing keys), which keys existed, and the rows tensor the
// gradient is taken against.
import type * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '../errors.js';
import { type ReadTape, type RowRead, setReadTape } from '../read.js';
import type { Keys } from '../tensor.js';
import type { Variable } from '../variable.js';

/** One recorded read. */
export interface TapedRead {
  readonly variable: Variable;
  readonly keys: Keys;
  /** The rows as read, `[keys.length * dim]`. */
  readonly old: Float32Array;
  readonly exists: Uint8Array;
  /** The tensor the forward pass used; gradients are taken with respect to it. */
  readonly rows: tf.Tensor2D;
  readonly maxNorm: number | undefined;
  readonly bpV2: boolean;
}

/** The rows of one Variable touched by a step, deduplicated across its reads. */
export interface TouchedRows {
  readonly variable: Variable;
  readonly keys: Keys;
  readonly old: Float32Array;
  readonly exists: Uint8Array;
  /** Summed gradient per key, `[keys.length * dim]`. */
  readonly grad: Float32Array;
  readonly maxNorm: number;
  readonly bpV2: boolean;
}

/**
 * Records the reads of trainable Variables while installed. Internal to `de.train`.
 *
 * @example
 * const tape = new RowTape();
 * const loss = tape.record(() => tf.sum(de.embeddingLookup(v, [1, 2])));
 * tape.reads.length; // 1
 */
export class RowTape implements ReadTape {
  readonly reads: TapedRead[] = [];

  onRead(read: RowRead): tf.Tensor2D | undefined {
    if (!read.variable.trainable) return undefined;
    this.reads.push({
      variable: read.variable,
      keys: read.keys,
      // the reader's CPU copy, else the tensor's own data (no copy): read-only here, the step
      // copies before updating
      old: read.values ?? (read.rows.dataSync() as Float32Array),
      exists: read.exists,
      rows: read.rows,
      maxNorm: read.maxNorm,
      bpV2: read.bpV2 ?? false,
    });
    return undefined;
  }

  /** Runs `f` with this tape installed (nested tapes are restored afterwards). */
  record<T>(f: () => T): T {
    const prev = setReadTape(this);
    try {
      return f();
    } finally {
      setReadTape(prev);
    }
  }

  /**
   * Groups the reads by Variable and sums gradients of repeated keys. `grads[i]` is the
   * gradient of `reads[i].rows` (null when the loss does not depend on it).
   */
  touched(grads: readonly (tf.Tensor | null)[]): TouchedRows[] {
    const byVar = new Map<Variable, number[]>();
    this.reads.forEach((r, i) => {
      const list = byVar.get(r.variable);
      if (list) list.push(i);
      else byVar.set(r.variable, [i]);
    });
    const out: TouchedRows[] = [];
    for (const [variable, idx] of byVar) {
      const dim = variable.dim;
      const first = this.reads[idx[0]];
      let maxNorm = 0;
      let bpV2 = false;
      for (const i of idx) {
        const m = this.reads[i].maxNorm;
        if (m !== undefined && (maxNorm === 0 || m < maxNorm)) maxNorm = m;
        bpV2 ||= this.reads[i].bpV2;
      }
      if (idx.length === 1) {
        const g = grads[idx[0]];
        // read-only (the optimizer copies it into its heap): the gradient tensor's own data
        const grad = g ? (g.dataSync() as Float32Array) : new Float32Array(first.old.length);
        checkLength(grad.length, first.old.length);
        out.push({ variable, keys: first.keys, old: first.old, exists: first.exists, grad, maxNorm, bpV2 });
        continue;
      }
      // several reads of one Variable (shared tables): one row per distinct key, gradients summed
      const pos = new Map<number | bigint | string, number>();
      const order: { read: number; row: number }[] = [];
      for (const i of idx) {
        const keys = this.reads[i].keys;
        for (let j = 0; j < keys.length; j++) {
          if (!pos.has(keys[j])) {
            pos.set(keys[j], order.length);
            order.push({ read: i, row: j });
          }
        }
      }
      const n = order.length;
      const old = new Float32Array(n * dim);
      const exists = new Uint8Array(n);
      const grad = new Float32Array(n * dim);
      const picked: (number | bigint | string)[] = [];
      order.forEach(({ read, row }, u) => {
        const r = this.reads[read];
        old.set(r.old.subarray(row * dim, (row + 1) * dim), u * dim);
        exists[u] = r.exists[row];
        picked.push(r.keys[row]);
      });
      for (const i of idx) {
        const g = grads[i];
        if (!g) continue;
        const gd = g.dataSync() as Float32Array;
        const keys = this.reads[i].keys;
        checkLength(gd.length, keys.length * dim);
        for (let j = 0; j < keys.length; j++) {
          const u = pos.get(keys[j])!;
          for (let d = 0; d < dim; d++) grad[u * dim + d] += gd[j * dim + d];
        }
      }
      const keys: Keys =
        first.keys instanceof Int32Array
          ? Int32Array.from(picked as number[])
          : first.keys instanceof BigInt64Array
            ? BigInt64Array.from(picked as bigint[])
            : (picked as string[]);
      out.push({ variable, keys, old, exists, grad, maxNorm, bpV2 });
    }
    return out;
  }
}

function checkLength(got: number, want: number): void {
  if (got !== want) {
    throw new InvalidArgumentError(`The gradient of an embedding read has ${got} values, expected ${want}.`);
  }
}
