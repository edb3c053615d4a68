// Which slot Variables belong to a Variable, across every optimizer that trained it, so that
// `restrict` can remove evicted keys from all of them (TFRA removes them from every slot).
import type { Variable } from '../variable.js';

const slotsOf = new WeakMap<Variable, Set<Variable>>();

/** Records `slots` as optimizer slots of `variable`. Internal. */
export function registerSlots(variable: Variable, slots: readonly Variable[]): void {
  let set = slotsOf.get(variable);
  if (!set) {
    set = new Set();
    slotsOf.set(variable, set);
  }
  for (const s of slots) set.add(s);
}

/**
 * Every optimizer slot Variable of `variable` created so far.
 *
 * @example
 * slotVariablesOf(v).map((s) => s.name); // ['user_emb/accumulator']
 */
export function slotVariablesOf(variable: Variable): Variable[] {
  return [...(slotsOf.get(variable) ?? [])];
}
