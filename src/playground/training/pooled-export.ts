// In-process copies of a model's trained tables for the Code panel's downloads: de.checkpoint
// and de.interop read in-process Variables only, so a table on the worker pool is copied (rows,
// restrict status, optimizer slots) into a temporary de.Variable and temporary optimizers that
// they can write, and freed afterwards. Only the engine's public face: the copy is created
// from the options the table was created with, its restrict status read and written through
// de.policyOf.
import * as de from '../../engine/index.js';
import type { SavedPooledTable } from '../protocol.js';
import { savePooled } from './pooled-state.js';

type Rows = { keys: Int32Array | BigInt64Array | string[]; values: Float32Array };

/**
 * A table's rows, restrict status and the slots `optimizers` keep for it: a pooled table's read
 * from the workers by savePooled (what a reload keeps), an in-process table's in the same form.
 */
async function contentsOf(
  v: de.Variable | de.pool.PooledVariable,
  optimizers: de.optimizers.Optimizer[],
): Promise<Pick<SavedPooledTable, 'rows' | 'status' | 'slots'>> {
  if (v instanceof de.pool.PooledVariable) return savePooled(v, optimizers);
  const slots: SavedPooledTable['slots'] = [];
  for (const [i, opt] of optimizers.entries()) {
    // only slots training created: getSlot would create empty ones for an untrained table
    if (!opt.trainedVariables().includes(v)) continue;
    for (const spec of opt.slotSpecs()) {
      const rows = opt.getSlot(v, spec.name).export();
      if (rows.keys.length > 0) slots.push({ optimizer: i, slot: spec.name, rows });
    }
  }
  return { rows: v.export(), status: de.policyOf(v)?.status.export() ?? null, slots };
}

/**
 * An in-process copy of a trained table (pooled or in-process) for the downloads, since
 * de.checkpoint and de.interop read in-process Variables only: a de.Variable created with the
 * table's `options` (name, key dtype, dim, initializer, partitions, restrict policy) holding its
 * rows and restrict status, and the slots `optimizers` keep for it written into `copies`
 * (temporary optimizers of the same kinds, in the same order). The caller disposes the copy, its
 * status and the copies' slots.
 *
 * @example
 * const copy = await inProcessCopy(pooledTable, optionsItWasCreatedWith, model.optimizers, copies);
 * try { await de.checkpoint.save([copy, ...copies]); } finally { disposeCopy(copy, copies); }
 */
export async function inProcessCopy(
  v: de.Variable | de.pool.PooledVariable,
  options: de.VariableOptions,
  optimizers: de.optimizers.Optimizer[],
  copies: de.optimizers.Optimizer[],
): Promise<de.Variable> {
  if (options.name !== v.name || options.dim !== v.dim || (options.keyDtype ?? 'int64') !== v.keyDtype) {
    throw new Error(
      `The options to copy table ${v.name} (${v.keyDtype} keys, dim ${v.dim}) describe another table: ${options.name} (${options.keyDtype ?? 'int64'} keys, dim ${options.dim}).`,
    );
  }
  // The copy lives in-process whatever the table's placement.
  const copy = new de.Variable({ ...options, placement: 'local' });
  try {
    const write = (to: de.Variable, rows: Rows) => {
      if (rows.keys.length > 0) to.upsert(Array.from(rows.keys as ArrayLike<number | bigint | string>), rows.values);
    };
    const { rows, status, slots } = await contentsOf(v, optimizers);
    write(copy, rows);
    const policy = de.policyOf(copy);
    if (policy && status) write(policy.status, status);
    for (const s of slots) write(copies[s.optimizer].getSlot(copy, s.slot), s.rows);
    return copy;
  } catch (e) {
    disposeCopy(copy, copies);
    throw e;
  }
}

/**
 * Frees an {@link inProcessCopy}: the Variable, its restrict status and its slots in `copies`.
 *
 * @example
 * disposeCopy(copy, copies);
 */
export function disposeCopy(copy: de.Variable, copies: de.optimizers.Optimizer[]): void {
  for (const opt of copies)
    if (opt.trainedVariables().includes(copy)) for (const s of opt.slotVariables(copy)) s.dispose();
  de.policyOf(copy)?.status.dispose();
  copy.dispose();
}
