// Slot groups and control-group probing (Swiss-table style).
//
// Slots come in groups of 16, each group one contiguous record:
//   integer tables: [16 control bytes][16 keys, i64][16 row indices, i32]            208 bytes
//   string tables:  [16 control bytes][16 hashes, u64][16 row indices][16 string offsets] 272
// A control byte is 0x80 (empty), 0xFE (deleted) or the key's 7-bit hash tag. A probe matches a
// whole group at once (i8x16.eq + bitmask) and compares keys only on a tag match. Keeping a
// group's control bytes, keys and rows together means a lookup of a random key touches one
// page and a few neighbouring cache lines, not three arrays in three places.
//
// Probes visit groups in triangular order (g, g+1, g+3, ...), which covers every group of a
// power-of-two table. The SIMD and scalar builds compute the same masks.
//
// Batch lookups need no software prefetch: the probes of consecutive keys do not depend on
// each other, so the CPU already overlaps their misses. Touching the group of the key 4-32
// keys ahead (and hashing it twice) made no measurable difference on a 1e6-key table (CPU
// time, alternated runs), so it is not done.
import { hashBytes, intKey, mix64, strLen, strPtr } from './hash';
import { DELETED, EMPTY, T_CAP, T_GS, T_SARENA, T_SLOTS } from './table-struct';

export const G_KEYS: usize = 16;
export const G_ROWS: usize = 144;
export const G_STRS: usize = 208;
export const GS_INT: usize = 208;
export const GS_STR: usize = 272;

/** Address of group g. */
// @ts-ignore: decorator
@inline
export function groupAt(slots: usize, gs: usize, g: u32): usize {
  return slots + (g as usize) * gs;
}

/** Address of slot s's group. */
// @ts-ignore: decorator
@inline
export function groupOf(slots: usize, gs: usize, s: i32): usize {
  return slots + ((s >> 4) as usize) * gs;
}

/** Address of slot s's control byte. */
// @ts-ignore: decorator
@inline
export function ctrlAt(slots: usize, gs: usize, s: i32): usize {
  return groupOf(slots, gs, s) + ((s & 15) as usize);
}

/** Address of slot s's key (i64; string tables: the hash). */
// @ts-ignore: decorator
@inline
export function keyAt(slots: usize, gs: usize, s: i32): usize {
  return groupOf(slots, gs, s) + G_KEYS + (((s & 15) as usize) << 3);
}

/** Address of slot s's row index (i32). */
// @ts-ignore: decorator
@inline
export function rowAt(slots: usize, gs: usize, s: i32): usize {
  return groupOf(slots, gs, s) + G_ROWS + (((s & 15) as usize) << 2);
}

/** Address of slot s's string offset (u32, string tables). */
// @ts-ignore: decorator
@inline
export function strAt(slots: usize, gs: usize, s: i32): usize {
  return groupOf(slots, gs, s) + G_STRS + (((s & 15) as usize) << 2);
}

/** The row index of slot s of table t. */
// @ts-ignore: decorator
@inline
export function slotRow(t: usize, s: i32): i32 {
  return load<i32>(rowAt(load<usize>(t, T_SLOTS), load<usize>(t, T_GS), s));
}

/** Lanes of the group at `g` whose control byte is `b`. */
// @ts-ignore: decorator
@inline
export function matchByte(g: usize, b: u8): i32 {
  if (ASC_FEATURE_SIMD) {
    return i8x16.bitmask(i8x16.eq(v128.load(g), i8x16.splat(b as i8)));
  } else {
    let m = 0;
    for (let k = 0; k < 16; k++) {
      if (load<u8>(g + (k as usize)) == b) m |= 1 << k;
    }
    return m;
  }
}

/** Lanes that are empty or deleted: exactly the control bytes with the high bit set. */
// @ts-ignore: decorator
@inline
export function matchFree(g: usize): i32 {
  if (ASC_FEATURE_SIMD) {
    return i8x16.bitmask(v128.load(g));
  } else {
    let m = 0;
    for (let k = 0; k < 16; k++) {
      if (load<u8>(g + (k as usize)) & 0x80) m |= 1 << k;
    }
    return m;
  }
}

/** Sets the 16 control bytes of every group of `cap` slots to EMPTY. */
export function emptyGroups(slots: usize, gs: usize, cap: i32): void {
  const groups = (cap >> 4) as u32;
  for (let g: u32 = 0; g < groups; g++) memory.fill(groupAt(slots, gs, g), EMPTY, 16);
}

/** Slot of integer key `key` (hash h) in slots of `groups - 1 == gmask`, or -1. */
// @ts-ignore: decorator
@inline
export function probeIntIn(slots: usize, gs: usize, gmask: u32, key: i64, h: u64): i32 {
  const tag = (h & 0x7f) as u8;
  let g = ((h >> 7) as u32) & gmask;
  let step: u32 = 0;
  while (true) {
    const gp = groupAt(slots, gs, g);
    let m = matchByte(gp, tag);
    while (m != 0) {
      const k = ctz(m);
      if (load<i64>(gp + G_KEYS + ((k as usize) << 3)) == key) return ((g << 4) as i32) + k;
      m &= m - 1;
    }
    if (matchByte(gp, EMPTY) != 0) return -1;
    step++;
    g = (g + step) & gmask;
  }
}

/** Slot of integer key `key` (hash h), or -1. */
export function probeInt(t: usize, key: i64, h: u64): i32 {
  const gmask = ((load<i32>(t, T_CAP) >> 4) - 1) as u32;
  return probeIntIn(load<usize>(t, T_SLOTS), load<usize>(t, T_GS), gmask, key, h);
}

// @ts-ignore: decorator
@inline
function sameBytes(a: usize, b: usize, len: i32): bool {
  let i = 0;
  for (; i + 8 <= len; i += 8) {
    if (load<u64>(a + (i as usize)) != load<u64>(b + (i as usize))) return false;
  }
  for (; i < len; i++) {
    if (load<u8>(a + (i as usize)) != load<u8>(b + (i as usize))) return false;
  }
  return true;
}

/** Slot of the string of `len` bytes at `ptr` (hash h), or -1. Compares the bytes in full. */
export function probeStr(t: usize, ptr: usize, len: i32, h: u64): i32 {
  const slots = load<usize>(t, T_SLOTS);
  const gs = load<usize>(t, T_GS);
  const arena = load<usize>(t, T_SARENA);
  const gmask = ((load<i32>(t, T_CAP) >> 4) - 1) as u32;
  const tag = (h & 0x7f) as u8;
  let g = ((h >> 7) as u32) & gmask;
  let step: u32 = 0;
  while (true) {
    const gp = groupAt(slots, gs, g);
    let m = matchByte(gp, tag);
    while (m != 0) {
      const k = ctz(m);
      if (load<u64>(gp + G_KEYS + ((k as usize) << 3)) == h) {
        const e = arena + (load<u32>(gp + G_STRS + ((k as usize) << 2)) as usize);
        if (load<i32>(e) == len && sameBytes(e + 4, ptr, len)) return ((g << 4) as i32) + k;
      }
      m &= m - 1;
    }
    if (matchByte(gp, EMPTY) != 0) return -1;
    step++;
    g = (g + step) & gmask;
  }
}

/** Slot of key i of a batch, or -1. */
// @ts-ignore: decorator
@inline
export function findSlot(t: usize, mode: i32, keys: usize, aux: usize, i: i32): i32 {
  if (mode == 2) {
    const p = strPtr(keys, aux, i);
    const len = strLen(keys, i);
    return probeStr(t, p, len, hashBytes(p, len));
  }
  const k = intKey(mode, keys, i);
  return probeInt(t, k, mix64(k as u64));
}

/** Set by claimSlot(): the slot it claimed was a tombstone. */
export let wasDeleted = false;

/**
 * Claims the first empty-or-deleted slot on the probe path of `h` (the key must be absent):
 * writes its tag and returns the slot. `wasDeleted` is set when it reuses a tombstone.
 */
export function claimSlot(slots: usize, gs: usize, cap: i32, h: u64): i32 {
  const gmask = ((cap >> 4) - 1) as u32;
  let g = ((h >> 7) as u32) & gmask;
  let step: u32 = 0;
  while (true) {
    const gp = groupAt(slots, gs, g);
    const m = matchFree(gp);
    if (m != 0) {
      const k = ctz(m) as usize;
      wasDeleted = load<u8>(gp + k) == DELETED;
      store<u8>(gp + k, (h & 0x7f) as u8);
      return ((g << 4) as i32) + (k as i32);
    }
    step++;
    g = (g + step) & gmask;
  }
}
