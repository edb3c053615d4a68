// Dynamic-embedding hash tables: keys -> rows of a float32 value arena. This module holds a
// table's lifecycle and is the one entry the kernels export the hash-table API from; the parts
// live in table-struct (fields), hash, groups (slots and probing), slots (rehash), arena
// (value rows), strings (string key bytes), batch (operations) and stats.
import { alloc, blockSize, free } from './alloc';
import { CHUNK_TARGET, freeArena } from './arena';
import { GS_INT, GS_STR } from './groups';
import { allocSlots, emptySlots, installSlots, limitFor } from './slots';
import { freeStrings } from './strings';
import {
  MAX_CAP,
  T_BYTES,
  T_CAP,
  T_DIM,
  T_FREEHEAD,
  T_GS,
  T_INITCAP,
  T_MAXLOAD,
  T_META,
  T_MODE,
  T_SHIFT,
  T_SIZE,
  T_SLOTS,
  T_STRIDE,
  T_STRUCT,
  T_TOMB,
  tfree,
} from './table-struct';

export { hashBytes, hashStrings } from './hash';
export {
  tableAccum,
  tableExport,
  tableFind,
  tableFindOrInsert,
  tableGather,
  tableGatherRows,
  tableMetadata,
  tableOrderScratchBytes,
  tableRemove,
  tableRowNorms,
  tableRowPointers,
  tableScatterAdd,
  tableTouch,
  tableUpsert,
  tableWriteRows,
} from './batch';
export { tableField, tableInspect, tableProbeHistogram } from './stats';

/**
 * Creates a table. mode 0: integer keys, 1: string keys. Returns the handle, or 0 on OOM.
 * `initCapacity` keys fit without a rehash; maxLoad in (0, 1).
 */
export function tableCreate(mode: i32, dim: i32, meta: i32, initCapacity: i32, maxLoad: f64): usize {
  const t = alloc(T_STRUCT);
  if (t == 0) return 0;
  memory.fill(t, 0, T_STRUCT);
  store<u32>(t, (blockSize(t) as u32) + 16, T_BYTES);
  store<i32>(t, mode, T_MODE);
  store<i32>(t, dim, T_DIM);
  store<usize>(t, mode == 1 ? GS_STR : GS_INT, T_GS);
  const stride = ((dim as usize) << 2) + (meta != 0 ? 8 : 0);
  store<usize>(t, stride, T_STRIDE);
  store<i32>(t, meta != 0 ? 1 : 0, T_META);
  store<f64>(t, maxLoad, T_MAXLOAD);
  let shift = 0;
  while (((2 as usize) << shift) * stride <= (CHUNK_TARGET as usize) && shift < 24) shift++;
  store<i32>(t, shift, T_SHIFT);
  store<i32>(t, -1, T_FREEHEAD);
  let cap = 16;
  while (cap < MAX_CAP && limitFor(cap, maxLoad) < initCapacity) cap <<= 1;
  const blk = allocSlots(t, cap);
  if (blk == 0) {
    free(t);
    return 0;
  }
  installSlots(t, blk, cap);
  store<i32>(t, cap, T_INITCAP);
  return t;
}

/**
 * Removes every key (TFRA clear: size 0) and gives the memory back: the value arena and the
 * string arena are freed, and the slots shrink to the capacity the table was created with.
 * (If even that small block cannot be allocated, the current slots are emptied instead.)
 */
export function tableClear(t: usize): void {
  freeStrings(t);
  freeArena(t);
  const init = load<i32>(t, T_INITCAP);
  const blk = load<i32>(t, T_CAP) > init ? allocSlots(t, init) : 0;
  if (blk != 0) {
    tfree(t, load<usize>(t, T_SLOTS));
    installSlots(t, blk, init);
  } else {
    emptySlots(t);
  }
  store<i32>(t, 0, T_SIZE);
  store<i32>(t, 0, T_TOMB);
}

/** Frees everything the table holds, the handle included. */
export function tableDestroy(t: usize): void {
  freeStrings(t);
  freeArena(t);
  tfree(t, load<usize>(t, T_SLOTS));
  free(t);
}

/** memory.copy of `bytes` bytes: the bandwidth ceiling the benchmark compares gathers with. */
export function copyBytes(dst: usize, src: usize, bytes: usize): void {
  memory.copy(dst, src, bytes);
}
