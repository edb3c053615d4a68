// The slot groups' memory: allocation, and the rehash that moves every key into a new block
// (to grow, or to drop tombstones).
import { claimSlot, emptyGroups, G_KEYS, G_ROWS, G_STRS, groupAt } from './groups';
import { mix64 } from './hash';
import { T_CAP, T_GS, T_LIMIT, T_MAXLOAD, T_MODE, T_SLOTS, T_TOMB, talloc, tfree } from './table-struct';

/** Full + deleted slots allowed in `cap` slots before a rehash. */
export function limitFor(cap: i32, maxLoad: f64): i32 {
  let lim = Math.floor((cap as f64) * maxLoad) as i32;
  if (lim > cap - 1) lim = cap - 1;
  return lim;
}

/** A block of `cap` empty slots for table t's mode, or 0 on OOM. */
export function allocSlots(t: usize, cap: i32): usize {
  const gs = load<usize>(t, T_GS);
  const blk = talloc(t, ((cap >> 4) as usize) * gs);
  if (blk != 0) emptyGroups(blk, gs, cap);
  return blk;
}

/** Makes `blk` (of `cap` slots) the table's slots. */
export function installSlots(t: usize, blk: usize, cap: i32): void {
  store<usize>(t, blk, T_SLOTS);
  store<i32>(t, cap, T_CAP);
  store<i32>(t, limitFor(cap, load<f64>(t, T_MAXLOAD)), T_LIMIT);
}

/** Set by rehash(): the slots moved, so slots found before are stale. */
export let slotsMoved = false;

export function resetSlotsMoved(): void {
  slotsMoved = false;
}

/** Moves every key into a new block of `cap` slots. False (nothing changed) on OOM. */
export function rehash(t: usize, cap: i32): bool {
  const nBlk = allocSlots(t, cap);
  if (nBlk == 0) return false;
  const str = load<i32>(t, T_MODE) == 1;
  const gs = load<usize>(t, T_GS);
  const oBlk = load<usize>(t, T_SLOTS);
  const oGroups = (load<i32>(t, T_CAP) >> 4) as u32;
  for (let g: u32 = 0; g < oGroups; g++) {
    const gp = groupAt(oBlk, gs, g);
    for (let k: usize = 0; k < 16; k++) {
      if (load<u8>(gp + k) & 0x80) continue;
      const key = load<u64>(gp + G_KEYS + (k << 3));
      const d = claimSlot(nBlk, gs, cap, str ? key : mix64(key));
      const dp = groupAt(nBlk, gs, (d >> 4) as u32);
      const dk = (d & 15) as usize;
      store<u64>(dp + G_KEYS + (dk << 3), key);
      store<i32>(dp + G_ROWS + (dk << 2), load<i32>(gp + G_ROWS + (k << 2)));
      if (str) store<u32>(dp + G_STRS + (dk << 2), load<u32>(gp + G_STRS + (k << 2)));
    }
  }
  tfree(t, oBlk);
  installSlots(t, nBlk, cap);
  store<i32>(t, 0, T_TOMB);
  slotsMoved = true;
  return true;
}

/** Sets every slot of the table's current block to empty. */
export function emptySlots(t: usize): void {
  emptyGroups(load<usize>(t, T_SLOTS), load<usize>(t, T_GS), load<i32>(t, T_CAP));
}
