// String keys' bytes: one bump arena per string table, inside the table's memory (not in the
// value arena). An entry is [len u32][bytes], padded to 4 bytes; slots hold the entry's
// offset, so the arena can move (grow or compact) by rewriting offsets. A removed key's bytes
// are dead until the next compaction: when the arena must grow, when the slots are rehashed,
// and on clear (which frees the arena).
import { G_STRS, groupAt } from './groups';
import { T_CAP, T_GS, T_SARENA, T_SCAP, T_SDEAD, T_SLOTS, T_SUSED, talloc, tfree } from './table-struct';

/** Arena bytes of an entry holding `len` bytes. */
// @ts-ignore: decorator
@inline
export function entryBytes(len: i32): u32 {
  return ((4 + (len as u32)) + 3) & ~(3 as u32);
}

/**
 * Moves the live entries to a new arena of at least live + `extra` bytes (with room to grow),
 * rewriting the slots' offsets. False on OOM, nothing changed.
 */
function compact(t: usize, extra: u32): bool {
  const live = load<u32>(t, T_SUSED) - load<u32>(t, T_SDEAD);
  const want = live + extra;
  let cap: u32 = 256;
  while (cap < want + (want >> 1)) cap <<= 1;
  const blk = talloc(t, cap as usize);
  if (blk == 0) return false;
  const old = load<usize>(t, T_SARENA);
  const slots = load<usize>(t, T_SLOTS);
  const gs = load<usize>(t, T_GS);
  const groups = (load<i32>(t, T_CAP) >> 4) as u32;
  let used: u32 = 0;
  for (let g: u32 = 0; g < groups; g++) {
    const gp = groupAt(slots, gs, g);
    for (let k: usize = 0; k < 16; k++) {
      if (load<u8>(gp + k) & 0x80) continue;
      const op = gp + G_STRS + (k << 2);
      const e = old + (load<u32>(op) as usize);
      const size = entryBytes(load<i32>(e));
      memory.copy(blk + (used as usize), e, size as usize);
      store<u32>(op, used);
      used += size;
    }
  }
  tfree(t, old);
  store<usize>(t, blk, T_SARENA);
  store<u32>(t, cap, T_SCAP);
  store<u32>(t, used, T_SUSED);
  store<u32>(t, 0, T_SDEAD);
  return true;
}

/**
 * Makes room for `bytes` more entry bytes. With `reclaim`, also drops dead entries now (the
 * slots are about to be rehashed anyway). False on OOM, nothing changed.
 */
export function reserveStrings(t: usize, bytes: u32, reclaim: bool): bool {
  const used = load<u32>(t, T_SUSED);
  if (used + bytes <= load<u32>(t, T_SCAP) && !(reclaim && load<u32>(t, T_SDEAD) > 0)) return true;
  return compact(t, bytes);
}

/** Appends the `len` bytes at `src` as an entry (room reserved before); returns its offset. */
export function internString(t: usize, src: usize, len: i32): u32 {
  const off = load<u32>(t, T_SUSED);
  const e = load<usize>(t, T_SARENA) + (off as usize);
  store<i32>(e, len);
  memory.copy(e + 4, src, len as usize);
  store<u32>(t, off + entryBytes(len), T_SUSED);
  return off;
}

/** Marks the entry at `off` dead (its key was removed). */
export function releaseString(t: usize, off: u32): void {
  const len = load<i32>(load<usize>(t, T_SARENA) + (off as usize));
  store<u32>(t, load<u32>(t, T_SDEAD) + entryBytes(len), T_SDEAD);
}

/** Address of the entry at `off`: [len u32][bytes]. */
// @ts-ignore: decorator
@inline
export function stringEntry(t: usize, off: u32): usize {
  return load<usize>(t, T_SARENA) + (off as usize);
}

/** Frees the arena. */
export function freeStrings(t: usize): void {
  tfree(t, load<usize>(t, T_SARENA));
  store<usize>(t, 0, T_SARENA);
  store<u32>(t, 0, T_SCAP);
  store<u32>(t, 0, T_SUSED);
  store<u32>(t, 0, T_SDEAD);
}
