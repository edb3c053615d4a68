// TFRA restrict policies: a status table per Variable (one number per key) that training
// updates, and `restrict(n)` which keeps the n keys with the largest status and removes the
// rest from the Variable, the status table and every optimizer slot.
//
// The status lives in a dim-1 dynamic Variable (float32: exact for clocks and counts below
// 2^24), so it is sharded like the Variable and saved by checkpoints like any Variable.
import { InvalidArgumentError, RuntimeError, show } from '../errors.js';
import { pickKeys } from '../table-keys.js';
import { ids, type Keys } from '../tensor.js';
import { setRestrictHandler, Variable } from '../variable.js';
import { slotVariablesOf } from './slots.js';

/**
 * The base of the restrict policies. A Variable names its policy class
 * (`restrictPolicy: de.TimestampRestrictPolicy`); the engine creates one instance per Variable.
 *
 * @example
 * const v = new de.Variable({ name: 'e', dim: 4, restrictPolicy: de.FrequencyRestrictPolicy });
 * de.train.step(opt, () => loss(v));
 * v.restrict(1000, { trigger: 1200 });
 */
export abstract class RestrictPolicy {
  readonly variable: Variable;
  /** The status table: one value per key (dim 1). */
  readonly status: Variable;

  constructor(variable: Variable, statusName: string) {
    if (!(variable instanceof Variable)) {
      throw new InvalidArgumentError(`A restrict policy needs a de.Variable, got ${show(variable)}.`);
    }
    this.variable = variable;
    this.status = new Variable({
      name: `${variable.name}/${statusName}`,
      keyDtype: variable.keyDtype,
      dim: 1,
      initializer: 0,
      initCapacity: variable.initCapacity,
      partitions: variable.partitions,
      partitioner: variable.partitioner,
      trainable: false,
    });
  }

  /** Records that training updated `keys` (distinct) at global step `step`. */
  abstract apply(keys: Keys, step: number): void;

  /**
   * Keeps the `numReserved` keys with the largest status (per shard: `floor(numReserved / partitions)`)
   * when `variable.size() > trigger`, and removes the others from the Variable, the status
   * table and every optimizer slot. Returns how many keys were removed.
   *
   * @example
   * policy.restrict(5, { trigger: 5 }); // with 9 keys stored: removes the 4 oldest / least frequent
   */
  restrict(numReserved: number, options: { trigger?: number } = {}): number {
    const what = `Variable ${show(this.variable.name)}.restrict`;
    if (!Number.isInteger(numReserved) || numReserved < 0) {
      throw new InvalidArgumentError(`${what}: numReserved must be an integer >= 0, got ${show(numReserved)}.`);
    }
    const trigger = options.trigger ?? numReserved;
    if (!Number.isInteger(trigger) || trigger < 0) {
      throw new InvalidArgumentError(`${what}: trigger must be an integer >= 0, got ${show(options.trigger)}.`);
    }
    const v = this.variable;
    if (v.size() <= trigger) return 0;
    const { keys } = v.export();
    const status = this.status.read(keys).values;
    const shard = v.shardOf(keys);
    const quota = v.partitions === 1 ? numReserved : Math.floor(numReserved / v.partitions);
    const byShard: number[][] = Array.from({ length: v.partitions }, () => []);
    for (let i = 0; i < keys.length; i++) byShard[shard[i]].push(i);
    const evict: number[] = [];
    for (const idx of byShard) {
      if (idx.length <= quota) continue;
      // largest status first; ties keep the smaller key, so the choice is deterministic
      idx.sort((a, b) => status[b] - status[a] || compareKeys(keys[a], keys[b]));
      for (let j = quota; j < idx.length; j++) evict.push(idx[j]);
    }
    if (evict.length === 0) return 0;
    const gone = ids(pickKeys(keys, evict));
    const removed = v.remove(gone);
    this.status.remove(gone);
    for (const slot of slotVariablesOf(v)) slot.remove(gone);
    return removed;
  }
}

function compareKeys(a: number | bigint | string, b: number | bigint | string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Keeps the most recently updated keys. The clock is the global training step
 * (`de.train.globalStep()`), not wall time as in TFRA, so runs are deterministic.
 * Status table: `${variable.name}/timestamp_status`.
 *
 * @example
 * const v = new de.Variable({ name: 'e', dim: 4, restrictPolicy: de.TimestampRestrictPolicy });
 */
export class TimestampRestrictPolicy extends RestrictPolicy {
  constructor(variable: Variable) {
    super(variable, 'timestamp_status');
  }

  apply(keys: Keys, step: number): void {
    if (keys.length === 0) return;
    this.status.writeRows(keys, new Float32Array(keys.length).fill(step));
  }
}

/**
 * Keeps the most frequently updated keys: each update call adds 1 per (distinct) key.
 * Status table: `${variable.name}/frequency_status`.
 *
 * @example
 * const v = new de.Variable({ name: 'e', dim: 4, restrictPolicy: de.FrequencyRestrictPolicy });
 */
export class FrequencyRestrictPolicy extends RestrictPolicy {
  constructor(variable: Variable) {
    super(variable, 'frequency_status');
  }

  apply(keys: Keys, _step: number): void {
    if (keys.length === 0) return;
    const counts = this.status.read(keys).values;
    for (let i = 0; i < counts.length; i++) counts[i] += 1;
    this.status.writeRows(keys, counts);
  }
}

const policies = new WeakMap<Variable, RestrictPolicy>();

/**
 * The restrict policy instance of a Variable (created on first use from its `restrictPolicy`
 * class), or undefined when it has none.
 *
 * @example
 * policyOf(v)?.status.size(); // keys with a recorded status
 */
export function policyOf(variable: Variable): RestrictPolicy | undefined {
  const cls = variable.restrictPolicy;
  if (cls === undefined) return undefined;
  let p = policies.get(variable);
  if (!p) {
    if (cls !== TimestampRestrictPolicy && cls !== FrequencyRestrictPolicy) {
      throw new RuntimeError(
        `Variable ${show(variable.name)}: restrictPolicy must be de.TimestampRestrictPolicy or de.FrequencyRestrictPolicy, got ${show(cls)}.`,
      );
    }
    p = cls === TimestampRestrictPolicy ? new TimestampRestrictPolicy(variable) : new FrequencyRestrictPolicy(variable);
    policies.set(variable, p);
  }
  return p;
}

setRestrictHandler((variable, numReserved, options) => policyOf(variable)!.restrict(numReserved, options));
