// A table on the worker pool (de.pool.PooledVariable), kept across a reload: de.checkpoint reads
// in-process tables only, so a pooled table's rows, its restrict status and the optimizer slots
// the model's optimizers keep for it on the workers are exported part by part, and written back
// (upsert, PooledPart.import) into the same table of a model with the same settings. What is
// saved is checked (shape first, then against the table and the optimizers) before anything is
// written.
import type * as de from '../../engine/index.js';
import type { SavedPooledTable } from '../protocol.js';

type KeyDtype = 'int32' | 'int64' | 'string';
type Keys = Int32Array | BigInt64Array | string[];

const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;

/** Why `x` is not `SavedRows` of `keyDtype` keys with `dim` values each (null when it is). */
function rowsProblem(x: unknown, keyDtype: KeyDtype, dim: number, what: string): string | null {
  if (typeof x !== 'object' || x === null) return `${what} must be { keys, values }`;
  const { keys, values } = x as Record<string, unknown>;
  const keysOk =
    keyDtype === 'int32'
      ? keys instanceof Int32Array
      : keyDtype === 'int64'
        ? keys instanceof BigInt64Array
        : Array.isArray(keys) && keys.every((k) => typeof k === 'string');
  if (!keysOk) {
    const want = keyDtype === 'int32' ? 'an Int32Array' : keyDtype === 'int64' ? 'a BigInt64Array' : 'strings';
    return `${what}.keys must be ${want} (${keyDtype} keys)`;
  }
  const n = (keys as Keys).length;
  if (!(values instanceof Float32Array) || values.length !== n * dim) {
    return `${what}.values must be a Float32Array of ${n} x ${dim} values`;
  }
  return null;
}

/**
 * Why `x` is not a saved pooled table (null when it is): its shape only, as it comes back from
 * IndexedDB. {@link restoreProblem} then checks it against the table it is written into.
 */
export function pooledShapeProblem(x: unknown, what = 'pooled table'): string | null {
  if (typeof x !== 'object' || x === null) return `${what} must be an object`;
  const t = x as Record<string, unknown>;
  if (typeof t.name !== 'string') return `${what}.name must be a string`;
  const at = `${what} ${t.name}`;
  if (t.keyDtype !== 'int32' && t.keyDtype !== 'int64' && t.keyDtype !== 'string') {
    return `${at}: keyDtype must be int32, int64 or string`;
  }
  if (!isInt(t.dim) || t.dim < 1) return `${at}: dim must be an integer >= 1`;
  const bad = rowsProblem(t.rows, t.keyDtype, t.dim, `${at}: rows`);
  if (bad) return bad;
  if (t.status !== null) {
    const s = rowsProblem(t.status, t.keyDtype, 1, `${at}: status`);
    if (s) return s;
  }
  if (!Array.isArray(t.slots)) return `${at}: slots must be a list`;
  for (const [i, s] of (t.slots as unknown[]).entries()) {
    if (typeof s !== 'object' || s === null) return `${at}: slot ${i} must be an object`;
    const o = s as Record<string, unknown>;
    if (!isInt(o.optimizer) || typeof o.slot !== 'string') {
      return `${at}: slot ${i} needs an optimizer index and a slot name`;
    }
    const r = rowsProblem(o.rows, t.keyDtype, t.dim, `${at}: slot ${o.slot}`);
    if (r) return r;
  }
  return null;
}

/**
 * A pooled table's rows, restrict status and the slots `optimizers` keep for it (the parts that
 * hold keys), read from the workers.
 */
export async function savePooled(
  v: de.pool.PooledVariable,
  optimizers: de.optimizers.Optimizer[],
): Promise<SavedPooledTable> {
  const { keys, values } = await v.export();
  const status = v.policy === null ? null : await v.status().export();
  const slots: SavedPooledTable['slots'] = [];
  for (const [i, opt] of optimizers.entries()) {
    for (const spec of opt.slotSpecs()) {
      const part = await v.getSlot(opt, spec.name).export();
      if (part.keys.length > 0)
        slots.push({ optimizer: i, slot: spec.name, rows: { keys: part.keys, values: part.values } });
    }
  }
  return {
    name: v.name,
    keyDtype: v.keyDtype,
    dim: v.dim,
    rows: { keys, values },
    status: status && { keys: status.keys, values: status.values },
    slots,
  };
}

/** Why `saved` cannot be written into `v` with these optimizers (null when it can). */
export function restoreProblem(
  saved: SavedPooledTable,
  v: de.pool.PooledVariable,
  optimizers: de.optimizers.Optimizer[],
): string | null {
  const shape = pooledShapeProblem(saved);
  if (shape) return shape;
  if (saved.name !== v.name) return `the saved pooled table ${saved.name} is not ${v.name}`;
  if (saved.keyDtype !== v.keyDtype || saved.dim !== v.dim) {
    return `table ${v.name} has ${v.keyDtype} keys and dim ${v.dim}, the saved one ${saved.keyDtype} keys and dim ${saved.dim}`;
  }
  if ((saved.status === null) !== (v.policy === null)) {
    return `table ${v.name} ${v.policy === null ? 'has no' : 'has a'} restrict policy, the saved one ${saved.status === null ? 'had none' : 'had one'}`;
  }
  for (const s of saved.slots) {
    const opt = optimizers[s.optimizer];
    if (!opt)
      return `table ${v.name}: the saved slot ${s.slot} belongs to optimizer ${s.optimizer}, and this model has ${optimizers.length}`;
    if (!opt.slotSpecs().some((x) => x.name === s.slot)) {
      return `table ${v.name}: ${opt.className} keeps no slot ${s.slot}`;
    }
  }
  return null;
}

/**
 * Writes a saved pooled table back into `v` (emptied first: its values, status and slots), its
 * slots into the parts of `optimizers` (the model's, in the same order as when it was saved).
 * Check it with {@link restoreProblem} first.
 */
export async function restorePooled(
  saved: SavedPooledTable,
  v: de.pool.PooledVariable,
  optimizers: de.optimizers.Optimizer[],
): Promise<void> {
  const problem = restoreProblem(saved, v, optimizers);
  if (problem) throw new Error(`The saved pooled table cannot be restored: ${problem}.`);
  if ((await v.size()) > 0) {
    // restrict(0) removes every key from the values, the status and the slots on the workers.
    if (v.policy !== null) await v.restrict(0, { trigger: 0 });
    await v.clear();
  }
  for (const opt of optimizers) {
    for (const spec of opt.slotSpecs()) {
      if ((await v.getSlot(opt, spec.name).size()) > 0) {
        throw new Error(
          `Table ${v.name} still holds ${spec.name} slots of this model's ${opt.className}: it was trained already.`,
        );
      }
    }
  }
  const ids = Array.from(saved.rows.keys as ArrayLike<number | bigint | string>);
  if (ids.length > 0) await v.upsert(ids, saved.rows.values);
  if (saved.status && saved.status.keys.length > 0) await v.status().import(saved.status);
  for (const s of saved.slots) await v.getSlot(optimizers[s.optimizer], s.slot).import(s.rows);
}
