// TFRA's default partitioner, shared by in-process Variables and the worker pool so both
// route every key to the same shard.
import { keyWords } from './keyhash.js';
import { hashKeyString, type Keys } from './table-keys.js';

/**
 * TFRA's default partitioner (CPU): `key mod N` as a floor-mod over the full signed integer range
 * (`tf.math.mod`, so `-1 mod 4 = 3` and `-2^63 mod 3 = 1`), `hashKeyString(key) mod N` for strings.
 * The same routing as `Variable.shardOf`, the worker pool and the TFRA export's tables.
 *
 * @example
 * defaultShardOf(new Int32Array([5, 6, -1]), 4); // Int32Array [1, 2, 3]
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
  if (keys instanceof Int32Array) {
    for (let i = 0; i < n; i++) {
      const r = keys[i] % partitions;
      out[i] = r < 0 ? r + partitions : r;
    }
    return out;
  }
  if (partitions > 2 ** 26) {
    const bn = BigInt(partitions);
    for (let i = 0; i < n; i++) out[i] = Number((((keys[i] as bigint) % bn) + bn) % bn);
    return out;
  }
  // int64 = hi * 2^32 + lo (hi signed, lo unsigned): floor-mod each part; exact in doubles
  // while partitions <= 2^26
  const words = new Uint32Array(2 * n);
  keyWords(keys, words);
  const wrap = 2 ** 32 % partitions;
  for (let i = 0; i < n; i++) {
    let hi = (words[2 * i + 1] | 0) % partitions;
    if (hi < 0) hi += partitions;
    out[i] = (hi * wrap + (words[2 * i] % partitions)) % partitions;
  }
  return out;
}
