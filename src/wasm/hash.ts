// Key hashing, and reading keys out of a batch's input buffer.
//
// Key inputs: mode 0 = i32 array at `keys`, 1 = i64 array at `keys`,
// 2 = strings: n+1 i32 offsets at `keys` into UTF-8 bytes at `aux`.

// @ts-ignore: decorator
@inline
export function mix64(x: u64): u64 {
  let z = x + 0x9e3779b97f4a7c15;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}

/** The 64-bit hash of `len` bytes at `ptr` (the TS `hashKeyString` computes the same). */
export function hashBytes(ptr: usize, len: i32): u64 {
  let h1: u32 = 0x9747b28c ^ (len as u32);
  let h2: u32 = 0x85ebca6b ^ (len as u32);
  for (let i = 0; i < len; i++) {
    const b = load<u8>(ptr + (i as usize)) as u32;
    h1 = (h1 ^ b) * 0x01000193;
    h2 = (h2 ^ b) * 0x5bd1e995;
    h2 ^= h2 >> 15;
  }
  return mix64(((h2 as u64) << 32) | (h1 as u64));
}

/** Hashes n strings given as UTF-8 bytes at `bytes` with n+1 offsets at `offsets`; u64 out. */
export function hashStrings(offsets: usize, bytes: usize, n: i32, out: usize): void {
  for (let i = 0; i < n; i++) {
    const a = load<i32>(offsets + ((i as usize) << 2));
    const b = load<i32>(offsets + ((i as usize) << 2), 4);
    store<u64>(out + ((i as usize) << 3), hashBytes(bytes + (a as usize), b - a));
  }
}

/** Integer key i of a batch (mode 0: i32 widened, 1: i64). */
// @ts-ignore: decorator
@inline
export function intKey(mode: i32, keys: usize, i: i32): i64 {
  return mode == 0 ? (load<i32>(keys + ((i as usize) << 2)) as i64) : load<i64>(keys + ((i as usize) << 3));
}

/** Address of the bytes of string key i of a batch. */
// @ts-ignore: decorator
@inline
export function strPtr(keys: usize, aux: usize, i: i32): usize {
  return aux + (load<i32>(keys + ((i as usize) << 2)) as usize);
}

/** Length in bytes of string key i of a batch. */
// @ts-ignore: decorator
@inline
export function strLen(keys: usize, i: i32): i32 {
  return load<i32>(keys + ((i as usize) << 2), 4) - load<i32>(keys + ((i as usize) << 2));
}

/** The hash of key i of a batch, as the table stores and probes it. */
// @ts-ignore: decorator
@inline
export function hashOf(mode: i32, keys: usize, aux: usize, i: i32): u64 {
  return mode == 2 ? hashBytes(strPtr(keys, aux, i), strLen(keys, i)) : mix64(intKey(mode, keys, i) as u64);
}
