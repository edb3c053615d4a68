// In-process copies of a model's trained tables for the Code panel's downloads: de.checkpoint
// and de.interop read in-process Variables only, so a table on the worker pool is copied (rows,
// restrict status, optimizer slots) into a temporary de.Variable and temporary optimizers that
// they can write, and freed afterwards. Kept apart from pooled-state.ts, which the app's main
// thread imports (for its checks) without the engine.
import * as de from '../src/engine/index.js';
import { policyOf } from '../src/engine/train/restrict.js';
import { VARIABLE_VIEW } from '../src/engine/variable.js';

type Keys = Int32Array | BigInt64Array | string[];

type Rows = { keys: Keys; values: Float32Array };

/** The optimizer slot rows of an in-process table (none when `opt` never trained it). */
function localSlot(v: de.Variable, opt: de.optimizers.Optimizer, slot: string): Rows | null {
  return opt.trainedVariables().includes(v) ? opt.getSlot(v, slot).export() : null;
}

/**
 * An in-process copy of a trained table (pooled or in-process) for the downloads, since
 * de.checkpoint and de.interop read in-process Variables only: a de.Variable with the table's
 * options (name, key dtype, dim, initializer, partitions, restrict policy) holding its rows and
 * restrict status, and the slots `optimizers` keep for it written into `copies` (temporary
 * optimizers of the same kinds, in the same order). The caller disposes the copy, its status
 * and the copies' slots.
 */
export async function inProcessCopy(
  v: de.Variable | de.pool.PooledVariable,
  optimizers: de.optimizers.Optimizer[],
  copies: de.optimizers.Optimizer[],
): Promise<de.Variable> {
  const pooled = v instanceof de.pool.PooledVariable;
  const base: de.Variable = pooled ? v[VARIABLE_VIEW] : v;
  const copy = new de.Variable({
    name: base.name,
    keyDtype: base.keyDtype,
    dim: base.dim,
    initializer: base.initializer,
    partitions: base.partitions,
    partitioner: base.partitioner,
    restrictPolicy: base.restrictPolicy,
    trainable: base.trainable,
    insertOnLookup: base.insertOnLookup,
  });
  try {
    const write = (to: de.Variable, rows: Rows) => {
      if (rows.keys.length > 0) to.upsert(Array.from(rows.keys as ArrayLike<number | bigint | string>), rows.values);
    };
    write(copy, await v.export());
    const policy = policyOf(copy);
    if (policy) {
      const status = pooled ? await v.status().export() : policyOf(v)!.status.export();
      write(policy.status, status);
    }
    for (const [i, opt] of optimizers.entries()) {
      for (const spec of opt.slotSpecs()) {
        const rows = pooled ? await v.getSlot(opt, spec.name).export() : localSlot(v, opt, spec.name);
        if (rows && rows.keys.length > 0) write(copies[i].getSlot(copy, spec.name), rows);
      }
    }
    return copy;
  } catch (e) {
    disposeCopy(copy, copies);
    throw e;
  }
}

/** Frees an {@link inProcessCopy}: the Variable, its restrict status and its slots in `copies`. */
export function disposeCopy(copy: de.Variable, copies: de.optimizers.Optimizer[]): void {
  for (const opt of copies)
    if (opt.trainedVariables().includes(copy)) for (const s of opt.slotVariables(copy)) s.dispose();
  policyOf(copy)?.status.dispose();
  copy.dispose();
}
