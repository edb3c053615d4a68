// Key batches for the hash-table kernels: validation, and the one copy into WASM memory.
//
// int32 keys are copied as they are (the kernel widens them to i64), int64 keys as 8-byte
// integers, string keys as UTF-8 bytes plus n+1 offsets, so every key type goes through the
// same kernels with a `mode` argument.
import { InvalidArgumentError, show } from './errors.js';
import type { WasmHeap } from './wasm.js';

/** The key type of a table. */
export type KeyDtype = 'int32' | 'int64' | 'string';
/** A batch of keys: int32 tables take Int32Array, int64 tables BigInt64Array, string tables string[]. */
export type Keys = Int32Array | BigInt64Array | string[];

/** Kernel key modes. */
export const KEY_MODE: Record<KeyDtype, number> = { int32: 0, int64: 1, string: 2 };

const encoder = new TextEncoder();
const LONE_SURROGATE = /\p{Cs}/u;

/** Throws unless `keys` is a batch of the table's key type; returns its length. */
export function checkKeys(method: string, dtype: KeyDtype, keys: unknown): number {
  const ok =
    dtype === 'int32'
      ? keys instanceof Int32Array
      : dtype === 'int64'
        ? keys instanceof BigInt64Array
        : Array.isArray(keys);
  if (!ok) {
    const want = dtype === 'int32' ? 'an Int32Array' : dtype === 'int64' ? 'a BigInt64Array' : 'an array of strings';
    throw new InvalidArgumentError(`HashTable.${method}: a ${dtype} table expects keys as ${want}, got ${show(keys)}.`);
  }
  if (dtype === 'string') {
    const arr = keys as unknown[];
    for (let i = 0; i < arr.length; i++) {
      if (typeof arr[i] !== 'string') {
        throw new InvalidArgumentError(`HashTable.${method}: key ${i} must be a string, got ${show(arr[i])}.`);
      }
    }
  }
  return (keys as ArrayLike<unknown>).length;
}

/** Bytes of scratch the key batch needs (an upper bound for strings). */
export function keyBytes(dtype: KeyDtype, keys: Keys): number {
  if (dtype === 'int32') return keys.length * 4;
  if (dtype === 'int64') return keys.length * 8;
  let chars = 0;
  for (const s of keys as string[]) chars += s.length;
  // n+1 offsets, then at most 3 UTF-8 bytes per UTF-16 unit, then 16 bytes of slack for alignment
  return align16((keys.length + 1) * 4) + chars * 3 + 16;
}

export function align16(n: number): number {
  return (n + 15) & ~15;
}

/** Copies keys to `ptr` (16-aligned); returns the kernel's `aux` pointer (string bytes) or 0. */
export function writeKeys(heap: WasmHeap, dtype: KeyDtype, keys: Keys, ptr: number): number {
  if (dtype === 'int32') {
    heap.i32.set(keys as Int32Array, ptr >>> 2);
    return 0;
  }
  if (dtype === 'int64') {
    heap.i64.set(keys as BigInt64Array, ptr >>> 3);
    return 0;
  }
  const strs = keys as string[];
  const n = strs.length;
  const i32 = heap.i32;
  const u8 = heap.u8;
  const aux = ptr + align16((n + 1) * 4);
  let off = 0;
  const offBase = ptr >>> 2;
  for (let i = 0; i < n; i++) {
    i32[offBase + i] = off;
    const s = strs[i];
    let ascii = true;
    // short ASCII strings (the common case) are cheaper to copy by hand than through encodeInto
    if (s.length <= 32) {
      for (let j = 0; j < s.length; j++) {
        const c = s.charCodeAt(j);
        if (c > 0x7f) {
          ascii = false;
          break;
        }
        u8[aux + off + j] = c;
      }
    } else {
      ascii = false;
    }
    if (ascii) {
      off += s.length;
    } else {
      // UTF-8 cannot hold a lone surrogate (encoding would turn it into U+FFFD and merge keys)
      if (LONE_SURROGATE.test(s)) {
        throw new InvalidArgumentError(
          `HashTable: string key ${i} contains a lone UTF-16 surrogate, which has no UTF-8 form; got ${show(s)}.`,
        );
      }
      off += encoder.encodeInto(s, u8.subarray(aux + off, aux + off + s.length * 3)).written;
    }
  }
  i32[offBase + n] = off;
  return aux;
}

/**
 * The keys at positions `idx`, in a new array of the same kind (Int32Array, BigInt64Array or
 * string[]): the one copy of "pick these keys", used to undo a partial insert, route keys to
 * shards, evict, and fill the rows a lookup missed.
 *
 * @example
 * pickKeys(Int32Array.of(10, 20, 30), [2, 0]); // Int32Array [30, 10]
 */
export function pickKeys(keys: Keys, idx: ArrayLike<number>): Keys {
  const n = idx.length;
  if (keys instanceof Int32Array) {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = keys[idx[i]];
    return out;
  }
  if (keys instanceof BigInt64Array) {
    const out = new BigInt64Array(n);
    for (let i = 0; i < n; i++) out[i] = keys[idx[i]];
    return out;
  }
  const out: string[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = keys[idx[i]];
  return out;
}

const M64 = (1n << 64n) - 1n;

function mix64(x: bigint): bigint {
  let z = (x + 0x9e3779b97f4a7c15n) & M64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
  return z ^ (z >> 31n);
}

/**
 * The 64-bit hash (unsigned) the tables use for a string key: the same function as the WASM
 * kernels, over the key's UTF-8 bytes. For routing string keys to partitions.
 *
 * @example
 * const shard = Number(hashKeyString('user_42') % 4n); // 0..3, stable across runs and hosts
 */
export function hashKeyString(s: string): bigint {
  const bytes = encoder.encode(s);
  const len = bytes.length;
  let h1 = (0x9747b28c ^ len) >>> 0;
  let h2 = (0x85ebca6b ^ len) >>> 0;
  for (let i = 0; i < len; i++) {
    const b = bytes[i];
    h1 = Math.imul(h1 ^ b, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ b, 0x5bd1e995) >>> 0;
    h2 = (h2 ^ (h2 >>> 15)) >>> 0;
  }
  return mix64((BigInt(h2) << 32n) | BigInt(h1));
}
