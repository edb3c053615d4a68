// TFRA's default partitioner, shared by in-process Variables and the worker pool so both
// route every key to the same shard.
import { keyWords } from './keyhash.js';
import { hashKeyString, type Keys } from './table-keys.js';

/**
 * TFRA's default partitioner: `(key & 0x7fffffff) mod N` for integer keys (the low word),
 * `hashKeyString(key) mod N` for strings. The same routing as `Variable.shardOf`.
 *
 * @example
 * defaultShardOf(new Int32Array([5, 6]), 2); // Int32Array [1, 0]
 */
export function defaultShardOf(keys: Keys, partitions: number): Int32Array {
  const n = keys.length;
  const out = new Int32Array(n);
  if (partitions === 1) return out;
  if (Array.isArray(keys)) {
    const bn = BigInt(partitions);
    for (let i = 0; i < n; i++) out[i] = Number(hashKeyString(keys[i]) % bn);
    return out;
  }
  const words = new Uint32Array(2 * n);
  keyWords(keys, words);
  for (let i = 0; i < n; i++) out[i] = (words[2 * i] & 0x7fffffff) % partitions;
  return out;
}
