// Reading rows without side effects: what a lookup would return for `keys` and which of them the
// table holds, without inserting anything (even in a Variable with insertOnLookup). The inspector
// reads it before a lookup (hit / miss / inserted), the trainer for its hit rate.
import * as de from '../../engine/index.js';

/**
 * The rows of `keys` as a lookup would read them (stored rows, the initializer's value for missing
 * keys) and which are stored, without inserting anything, even in a Variable with insertOnLookup.
 *
 * @example
 * peek(v, Int32Array.of(1, 2)).exists; // Uint8Array [1, 0] when only key 1 is held
 */
export function peek(v: de.Variable, keys: de.Keys): { values: Float32Array; exists: Uint8Array } {
  const dim = v.dim;
  const values = new Float32Array(keys.length * dim);
  const exists = new Uint8Array(keys.length);
  const shard = v.shardOf(keys);
  const pick = (idx: number[]) =>
    (keys instanceof Int32Array
      ? Int32Array.from(idx, (i) => keys[i])
      : keys instanceof BigInt64Array
        ? BigInt64Array.from(idx, (i) => keys[i])
        : idx.map((i) => keys[i])) as de.Keys;
  v.shards.forEach((table, s) => {
    const idx: number[] = [];
    for (let i = 0; i < keys.length; i++) if (shard[i] === s) idx.push(i);
    if (idx.length === 0) return;
    const part = new Float32Array(idx.length * dim);
    const ex = table.gather(pick(idx), part);
    const missing = idx.filter((_, j) => !ex[j]);
    const init = new Float32Array(missing.length * dim);
    if (missing.length > 0) v.initializer.fill(pick(missing), dim, init);
    let m = 0;
    idx.forEach((i, j) => {
      exists[i] = ex[j];
      values.set(ex[j] ? part.subarray(j * dim, (j + 1) * dim) : init.subarray(m * dim, (m++ + 1) * dim), i * dim);
    });
  });
  return { values, exists };
}
