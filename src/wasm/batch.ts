// Batch operations over a table: lookups, inserts, updates, removes, gathers, export.
//
// Why the inserting batches run in three phases (look up, reserve, mutate): every allocation a
// batch needs (a bigger slot block, value chunks, string arena room) is made before anything
// is changed, so an out-of-memory result leaves the table exactly as it was.
//
// The SIMD and scalar builds make the same decisions (same masks, same slots, same order of
// float operations), so they produce bit-identical tables and outputs.
import { checkRows, releaseRow, reserveRows, rowAddr, rowOf, takeRow } from './arena';
import {
  claimSlot,
  ctrlAt,
  findSlot,
  G_KEYS,
  G_ROWS,
  G_STRS,
  groupAt,
  groupOf,
  keyAt,
  matchByte,
  probeInt,
  probeIntIn,
  probeStr,
  rowAt,
  slotRow,
  strAt,
  wasDeleted,
} from './groups';
import { hashBytes, hashOf, intKey, mix64, strLen, strPtr } from './hash';
import { copyRows, sumSquares } from './rows';
import { limitFor, rehash, resetSlotsMoved, slotsMoved } from './slots';
import { entryBytes, internString, releaseString, reserveStrings, stringEntry } from './strings';
import {
  DELETED,
  EMPTY,
  ERR_CAP,
  ERR_OOM,
  MAX_CAP,
  T_CAP,
  T_DIM,
  T_DIR,
  T_GS,
  T_LIMIT,
  T_MAXLOAD,
  T_META,
  T_MODE,
  T_SHIFT,
  T_SIZE,
  T_SLOTS,
  T_STRIDE,
  T_TOMB,
} from './table-struct';

// Set by resolveSlot(): the last resolved key was inserted by that call.
let lastInserted = false;

// ---- batch phases ----

/**
 * Phase 1 and 2 of an inserting batch: looks every key up (slots to `tmp`, -1 if absent),
 * counts the absent keys that may be inserted (flags == 0 or flags[i] == 0), and reserves
 * slots, rows and (string tables) arena bytes for all of them.
 * Returns the count, or an error code with nothing changed.
 */
function prepare(t: usize, mode: i32, keys: usize, aux: usize, n: i32, tmp: usize, flags: usize): i32 {
  resetSlotsMoved();
  let m = 0;
  let strBytes: u32 = 0;
  for (let i = 0; i < n; i++) {
    const s = findSlot(t, mode, keys, aux, i);
    store<i32>(tmp + ((i as usize) << 2), s);
    if (s < 0 && (flags == 0 || load<u8>(flags + (i as usize)) == 0)) {
      m++;
      // an upper bound: a key repeated in the batch is counted each time
      if (mode == 2) strBytes += entryBytes(strLen(keys, i));
    }
  }
  if (m == 0) return 0;
  return reserve(t, m, strBytes);
}

/** Ensures `m` more keys fit: slots (growing or cleaning tombstones), rows, string bytes. */
function reserve(t: usize, m: i32, strBytes: u32): i32 {
  const size = load<i32>(t, T_SIZE);
  const cap = load<i32>(t, T_CAP);
  const maxLoad = load<f64>(t, T_MAXLOAD);
  const str = load<i32>(t, T_MODE) == 1;
  if (size + load<i32>(t, T_TOMB) + m > load<i32>(t, T_LIMIT)) {
    let newCap = cap;
    while (newCap < MAX_CAP && limitFor(newCap, maxLoad) < size + m) newCap <<= 1;
    if (limitFor(newCap, maxLoad) < size + m) return ERR_CAP;
    // Only tombstones are in the way: clean them up in place, unless the table would be
    // nearly full right after (then every later batch would clean again), so grow.
    if (newCap == cap && (size + m) * 8 > limitFor(cap, maxLoad) * 7 && newCap < MAX_CAP) newCap <<= 1;
    // Rows and strings before slots: if they fail nothing observable changed (a compaction
    // of the string arena only moves bytes); the rehash is last.
    if (!reserveRows(t, m)) return ERR_OOM;
    if (str && !reserveStrings(t, strBytes, true)) return ERR_OOM;
    if (!rehash(t, newCap)) return ERR_OOM;
    return 0;
  }
  if (!reserveRows(t, m)) return ERR_OOM;
  if (str && !reserveStrings(t, strBytes, false)) return ERR_OOM;
  return 0;
}

/**
 * Phase 3: the slot of key i, inserting it (with a new row, zeroed when `zero`) if absent.
 * Sets lastInserted. Only call after prepare() reserved room.
 */
function resolveSlot(t: usize, mode: i32, keys: usize, aux: usize, i: i32, tmp: usize, zero: bool): i32 {
  lastInserted = false;
  let s = slotsMoved ? -1 : load<i32>(tmp + ((i as usize) << 2));
  if (s >= 0) return s;
  // absent in phase 1 (or slots moved): look again, an earlier duplicate may have inserted it
  let h: u64;
  if (mode == 2) {
    const p = strPtr(keys, aux, i);
    const len = strLen(keys, i);
    h = hashBytes(p, len);
    s = probeStr(t, p, len, h);
  } else {
    const k = intKey(mode, keys, i);
    h = mix64(k as u64);
    s = probeInt(t, k, h);
  }
  if (s >= 0) return s;
  const slots = load<usize>(t, T_SLOTS);
  const gs = load<usize>(t, T_GS);
  s = claimSlot(slots, gs, load<i32>(t, T_CAP), h);
  if (wasDeleted) store<i32>(t, load<i32>(t, T_TOMB) - 1, T_TOMB);
  if (mode == 2) {
    store<u64>(keyAt(slots, gs, s), h);
    store<u32>(strAt(slots, gs, s), internString(t, strPtr(keys, aux, i), strLen(keys, i)));
  } else {
    store<i64>(keyAt(slots, gs, s), intKey(mode, keys, i));
  }
  const r = takeRow(t);
  store<i32>(rowAt(slots, gs, s), r);
  store<i32>(t, load<i32>(t, T_SIZE) + 1, T_SIZE);
  if (zero) {
    memory.fill(rowOf(t, r), 0, load<usize>(t, T_STRIDE));
  } else if (load<i32>(t, T_META) != 0) {
    store<u64>(rowOf(t, r) + ((load<i32>(t, T_DIM) as usize) << 2), 0);
  }
  lastInserted = true;
  return s;
}

// ---- ordered lookups for large batches ----
//
// A batch that is large relative to a table whose slots are far bigger than the caches probes
// its keys in ascending order of their home group (sort-then-probe): the hashes are computed
// first, the positions are bucket-sorted by home group (a counting sort into ORDER_BUCKETS
// buckets, so each bucket spans a few pages of slots), and the probes sweep the slots from low
// to high addresses, where consecutive probes share pages (cached page-table lines, TLB
// entries) and the hardware prefetchers run ahead. Each result goes to its key's own position,
// so the output is exactly that of the plain loop (duplicates included: a lookup changes
// nothing). Measured in Node (CPU time, alternated with the plain loop in the same process,
// int64 keys, batch 65,536, a loaded 2-core machine): find 1.13-1.26x faster on a 1e6-key
// table (27 MB of slots), uniform and Zipf(1.1), and 1.34x uniform on 3e5 keys; no gain on
// 1e5 keys (1.7 MB of slots, cache-resident), and 10-30% slower on 1e4 keys or for batches
// of a few thousand keys: hence the thresholds below. In a gather the row copies dominate, so
// the ordered lookup moves lookup+gather by 0.94-1.15x (within the noise). Copying the rows in
// ascending source-address order as well (a counting sort of the resolved rows) was measured
// and gained nothing (0.82-1.02x): 65,536 rows of a 1e6-row arena stay about one row per 4 KB
// page in any order, and the output writes become random.

/** Slot blocks smaller than this stay in the plain probe loop (they are mostly cache-resident). */
const ORDER_MIN_SLOT_BYTES: usize = 4 << 20;
/** log2 of the number of buckets of the counting sort. */
const ORDER_BUCKETS_LOG = 8;
/** Bytes of scratch an ordered lookup of n keys needs (see findRowsOrdered). */
// @ts-ignore: decorator
@inline
function orderScratchBytes(n: i32): usize {
  return (n as usize) * 28 + ((1 as usize) << (ORDER_BUCKETS_LOG + 2));
}

/** Whether a lookup of n keys in table t runs ordered (scratch == 0: never). */
export function useOrder(t: usize, n: i32, scratch: usize): bool {
  if (scratch == 0) return false;
  const groups = load<i32>(t, T_CAP) >> 4;
  if ((groups as usize) * load<usize>(t, T_GS) < ORDER_MIN_SLOT_BYTES) return false;
  return n >= groups >> 2;
}

/**
 * Rows (or -1) of n keys to `outRows`, probing in ascending home-group order (see above).
 * `scratch` holds orderScratchBytes(n): the hashes by position (8n), the sorted entries
 * (16n: hash, then the integer key or, for strings, the position), the sorted positions (4n)
 * and the histogram. Returns the number found.
 */
export function findRowsOrdered(
  t: usize,
  mode: i32,
  keys: usize,
  aux: usize,
  n: i32,
  outRows: usize,
  scratch: usize,
): i32 {
  const slots = load<usize>(t, T_SLOTS);
  const gs = load<usize>(t, T_GS);
  const groups = load<i32>(t, T_CAP) >> 4;
  const gmask = (groups - 1) as u32;
  const bshift = (ctz(groups) - ORDER_BUCKETS_LOG) as u32;
  const nb: usize = 1 << ORDER_BUCKETS_LOG;
  const hashes = scratch;
  const entries = hashes + ((n as usize) << 3);
  const order = entries + ((n as usize) << 4);
  const hist = order + ((n as usize) << 2);
  memory.fill(hist, 0, nb << 2);
  for (let i = 0; i < n; i++) {
    const h = hashOf(mode, keys, aux, i);
    store<u64>(hashes + ((i as usize) << 3), h);
    const b = (((((h >> 7) as u32) & gmask) >> bshift) as usize) << 2;
    store<u32>(hist + b, load<u32>(hist + b) + 1);
  }
  let acc: u32 = 0;
  for (let b: usize = 0; b < nb; b++) {
    const c = load<u32>(hist + (b << 2));
    store<u32>(hist + (b << 2), acc);
    acc += c;
  }
  // stable scatter: within a bucket, positions stay in batch order
  for (let i = 0; i < n; i++) {
    const h = load<u64>(hashes + ((i as usize) << 3));
    const b = (((((h >> 7) as u32) & gmask) >> bshift) as usize) << 2;
    const at = load<u32>(hist + b) as usize;
    store<u32>(hist + b, (at as u32) + 1);
    store<u32>(order + (at << 2), i);
    store<u64>(entries + (at << 4), h);
    store<i64>(entries + (at << 4), mode == 2 ? (i as i64) : intKey(mode, keys, i), 8);
  }
  let found = 0;
  for (let j = 0; j < n; j++) {
    const e = entries + ((j as usize) << 4);
    const h = load<u64>(e);
    let s: i32;
    if (mode == 2) {
      const i = load<i32>(e, 8);
      s = probeStr(t, strPtr(keys, aux, i), strLen(keys, i), h);
    } else {
      s = probeIntIn(slots, gs, gmask, load<i64>(e, 8), h);
    }
    let r = -1;
    if (s >= 0) {
      r = load<i32>(rowAt(slots, gs, s));
      found++;
    }
    store<i32>(outRows + ((load<u32>(order + ((j as usize) << 2)) as usize) << 2), r);
  }
  return found;
}

/** Slot of key i of a batch, or -1: findSlot with the integer probe inlined. */
// @ts-ignore: decorator
@inline
export function slotOfKey(t: usize, mode: i32, keys: usize, aux: usize, i: i32, slots: usize, gs: usize, gmask: u32): i32 {
  if (mode == 2) return findSlot(t, mode, keys, aux, i);
  const k = intKey(mode, keys, i);
  return probeIntIn(slots, gs, gmask, k, mix64(k as u64));
}

// ---- lookups and gathers ----

/**
 * Rows (or -1) of n keys to `outRows` (i32) and, when nonzero, a 0/1 mask to `exists` (u8).
 * `scratch` (0 or orderScratchBytes(n) bytes) lets a large batch probe in group order.
 */
export function tableFind(
  t: usize,
  mode: i32,
  keys: usize,
  aux: usize,
  n: i32,
  outRows: usize,
  exists: usize,
  scratch: usize,
): i32 {
  if (useOrder(t, n, scratch)) {
    const found = findRowsOrdered(t, mode, keys, aux, n, outRows, scratch);
    if (exists != 0) {
      for (let i = 0; i < n; i++) {
        store<u8>(exists + (i as usize), load<i32>(outRows + ((i as usize) << 2)) >= 0 ? 1 : 0);
      }
    }
    return found;
  }
  const slots = load<usize>(t, T_SLOTS);
  const gs = load<usize>(t, T_GS);
  const gmask = ((load<i32>(t, T_CAP) >> 4) - 1) as u32;
  let found = 0;
  for (let i = 0; i < n; i++) {
    const s = slotOfKey(t, mode, keys, aux, i, slots, gs, gmask);
    const r = s >= 0 ? load<i32>(rowAt(slots, gs, s)) : -1;
    store<i32>(outRows + ((i as usize) << 2), r);
    if (exists != 0) store<u8>(exists + (i as usize), s >= 0 ? 1 : 0);
    if (s >= 0) found++;
  }
  return found;
}

/**
 * Looks up n keys and copies each found row into `out` ([n, dim] f32), clipped to maxNorm when
 * > 0; missing rows of `out` are left as they are. Writes the exists mask; returns found count.
 * `tmp` holds 4n bytes; `scratch` (0 or orderScratchBytes(n) bytes) lets a large batch probe
 * in group order.
 *
 * Two passes: all lookups first (row addresses to tmp), then all copies, so neither loop waits
 * on the other's cache misses.
 */
export function tableGather(
  t: usize,
  mode: i32,
  keys: usize,
  aux: usize,
  n: i32,
  out: usize,
  maxNorm: f32,
  exists: usize,
  tmp: usize,
  scratch: usize,
): i32 {
  const slots = load<usize>(t, T_SLOTS);
  const gs = load<usize>(t, T_GS);
  const dir = load<usize>(t, T_DIR);
  const shift = load<i32>(t, T_SHIFT);
  const stride = load<usize>(t, T_STRIDE);
  let found = 0;
  if (useOrder(t, n, scratch)) {
    // rows to tmp in group order, then addresses in place
    found = findRowsOrdered(t, mode, keys, aux, n, tmp, scratch);
    for (let i = 0; i < n; i++) {
      const p = tmp + ((i as usize) << 2);
      const r = load<i32>(p);
      store<u32>(p, r >= 0 ? (rowAddr(dir, shift, stride, r) as u32) : 0);
      store<u8>(exists + (i as usize), r >= 0 ? 1 : 0);
    }
  } else {
    const gmask = ((load<i32>(t, T_CAP) >> 4) - 1) as u32;
    for (let i = 0; i < n; i++) {
      const s = slotOfKey(t, mode, keys, aux, i, slots, gs, gmask);
      let addr: usize = 0;
      if (s >= 0) {
        addr = rowAddr(dir, shift, stride, load<i32>(rowAt(slots, gs, s)));
        found++;
      }
      store<u32>(tmp + ((i as usize) << 2), addr as u32);
      store<u8>(exists + (i as usize), s >= 0 ? 1 : 0);
    }
  }
  copyRows(tmp, n, out, load<i32>(t, T_DIM), maxNorm);
  return found;
}

/** Bytes of the `scratch` of tableFind / tableGather that let a batch of n keys probe in order. */
export function tableOrderScratchBytes(n: i32): i32 {
  return orderScratchBytes(n) as i32;
}

/**
 * Copies rows by index (from find / findOrInsert) to `out` ([n, dim]), clipped to maxNorm
 * when > 0: the gather without the lookups. `tmp` holds 4n bytes. Returns n, or -(i + 1)
 * (nothing written) when index i is out of range or names a freed row.
 */
export function tableGatherRows(t: usize, rowIdx: usize, n: i32, out: usize, maxNorm: f32, tmp: usize): i32 {
  const bad = checkRows(t, rowIdx, n);
  if (bad < 0) return bad;
  const dir = load<usize>(t, T_DIR);
  const shift = load<i32>(t, T_SHIFT);
  const stride = load<usize>(t, T_STRIDE);
  for (let i = 0; i < n; i++) {
    const r = load<i32>(rowIdx + ((i as usize) << 2));
    store<u32>(tmp + ((i as usize) << 2), rowAddr(dir, shift, stride, r) as u32);
  }
  copyRows(tmp, n, out, load<i32>(t, T_DIM), maxNorm);
  return n;
}

// ---- inserting and updating ----

/**
 * Finds n keys, inserting absent ones with zero rows (and zero metadata). Writes rows to
 * `outRows` and 1 to `inserted[i]` for the occurrence that inserted a key (0 otherwise).
 * `tmp` holds 4n bytes. Returns the number inserted, or an error code (nothing changed).
 */
export function tableFindOrInsert(
  t: usize,
  mode: i32,
  keys: usize,
  aux: usize,
  n: i32,
  outRows: usize,
  inserted: usize,
  tmp: usize,
): i32 {
  const m = prepare(t, mode, keys, aux, n, tmp, 0);
  if (m < 0) return m;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const s = resolveSlot(t, mode, keys, aux, i, tmp, true);
    store<i32>(outRows + ((i as usize) << 2), slotRow(t, s));
    store<u8>(inserted + (i as usize), lastInserted ? 1 : 0);
    if (lastInserted) count++;
  }
  return count;
}

/** Inserts or overwrites n keys with rows of `values` ([n, dim]); the last duplicate wins. */
export function tableUpsert(t: usize, mode: i32, keys: usize, aux: usize, n: i32, values: usize, tmp: usize): i32 {
  const m = prepare(t, mode, keys, aux, n, tmp, 0);
  if (m < 0) return m;
  // read after prepare: it may have rehashed the slots and added value chunks
  const dir = load<usize>(t, T_DIR);
  const shift = load<i32>(t, T_SHIFT);
  const stride = load<usize>(t, T_STRIDE);
  const rowBytes = (load<i32>(t, T_DIM) as usize) << 2;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const s = resolveSlot(t, mode, keys, aux, i, tmp, false);
    if (lastInserted) count++;
    memory.copy(rowAddr(dir, shift, stride, slotRow(t, s)), values + (i as usize) * rowBytes, rowBytes);
  }
  return count;
}

/** dst[j] += a[j] (b == 0) or dst[j] += a[j] - b[j]; the same float operations in both builds. */
// @ts-ignore: decorator
@inline
function addRow(dst: usize, a: usize, b: usize, dim: i32): void {
  const whole = dim & ~3;
  if (ASC_FEATURE_SIMD) {
    for (let j = 0; j < whole; j += 4) {
      const off = (j as usize) << 2;
      let d = v128.load(a + off);
      if (b != 0) d = f32x4.sub(d, v128.load(b + off));
      v128.store(dst + off, f32x4.add(v128.load(dst + off), d));
    }
  } else {
    for (let j = 0; j < whole; j++) {
      const off = (j as usize) << 2;
      const d = b != 0 ? load<f32>(a + off) - load<f32>(b + off) : load<f32>(a + off);
      store<f32>(dst + off, load<f32>(dst + off) + d);
    }
  }
  for (let j = whole; j < dim; j++) {
    const off = (j as usize) << 2;
    const d = b != 0 ? load<f32>(a + off) - load<f32>(b + off) : load<f32>(a + off);
    store<f32>(dst + off, load<f32>(dst + off) + d);
  }
}

/** Adds rows of `deltas` to n keys, inserting zero rows for absent keys first. */
export function tableScatterAdd(t: usize, mode: i32, keys: usize, aux: usize, n: i32, deltas: usize, tmp: usize): i32 {
  const m = prepare(t, mode, keys, aux, n, tmp, 0);
  if (m < 0) return m;
  const dim = load<i32>(t, T_DIM);
  let count = 0;
  for (let i = 0; i < n; i++) {
    const s = resolveSlot(t, mode, keys, aux, i, tmp, true);
    if (lastInserted) count++;
    addRow(rowOf(t, slotRow(t, s)), deltas + (i as usize) * ((dim as usize) << 2), 0, dim);
  }
  return count;
}

/**
 * TFRA accum: where key i is present and exists[i], adds new-old to its row; where it is absent
 * and !exists[i], inserts it with the new row; otherwise nothing. In batch order.
 */
export function tableAccum(
  t: usize,
  mode: i32,
  keys: usize,
  aux: usize,
  n: i32,
  oldValues: usize,
  newValues: usize,
  exists: usize,
  tmp: usize,
): i32 {
  const m = prepare(t, mode, keys, aux, n, tmp, exists);
  if (m < 0) return m;
  const dim = load<i32>(t, T_DIM);
  const rowBytes = (dim as usize) << 2;
  let changed = 0;
  for (let i = 0; i < n; i++) {
    const ex = load<u8>(exists + (i as usize)) != 0;
    const before = load<i32>(tmp + ((i as usize) << 2));
    if (ex) {
      const s = slotsMoved || before < 0 ? findSlot(t, mode, keys, aux, i) : before;
      if (s < 0) continue;
      const off = (i as usize) * rowBytes;
      addRow(rowOf(t, slotRow(t, s)), newValues + off, oldValues + off, dim);
      changed++;
    } else {
      if (!slotsMoved && before >= 0) continue;
      const s = resolveSlot(t, mode, keys, aux, i, tmp, false);
      if (!lastInserted) continue;
      memory.copy(rowOf(t, slotRow(t, s)), newValues + (i as usize) * rowBytes, rowBytes);
      changed++;
    }
  }
  return changed;
}

/** Removes n keys (absent ones ignored); returns how many were removed. */
export function tableRemove(t: usize, mode: i32, keys: usize, aux: usize, n: i32): i32 {
  let removed = 0;
  const slots = load<usize>(t, T_SLOTS);
  const gs = load<usize>(t, T_GS);
  for (let i = 0; i < n; i++) {
    const s = findSlot(t, mode, keys, aux, i);
    if (s < 0) continue;
    // A group that still has an empty slot ends every probe that reaches it, so no key lives
    // past it and the slot can become empty again instead of a tombstone.
    if (matchByte(groupOf(slots, gs, s), EMPTY) != 0) {
      store<u8>(ctrlAt(slots, gs, s), EMPTY);
    } else {
      store<u8>(ctrlAt(slots, gs, s), DELETED);
      store<i32>(t, load<i32>(t, T_TOMB) + 1, T_TOMB);
    }
    releaseRow(t, load<i32>(rowAt(slots, gs, s)));
    if (mode == 2) releaseString(t, load<u32>(strAt(slots, gs, s)));
    store<i32>(t, load<i32>(t, T_SIZE) - 1, T_SIZE);
    removed++;
  }
  return removed;
}

/**
 * Writes every key and its row, compactly, in slot order. Keys go to `outKeys` as i32
 * (keyWidth 4), i64 (8), or string entry pointers (0: u32 to [len][bytes]).
 */
export function tableExport(t: usize, outKeys: usize, keyWidth: i32, outValues: usize): i32 {
  const slots = load<usize>(t, T_SLOTS);
  const gs = load<usize>(t, T_GS);
  const groups = (load<i32>(t, T_CAP) >> 4) as u32;
  const rowBytes = (load<i32>(t, T_DIM) as usize) << 2;
  let k = 0;
  for (let g: u32 = 0; g < groups; g++) {
    const gp = groupAt(slots, gs, g);
    for (let l: usize = 0; l < 16; l++) {
      if (load<u8>(gp + l) & 0x80) continue;
      const ku = k as usize;
      const key = load<i64>(gp + G_KEYS + (l << 3));
      if (keyWidth == 4) store<i32>(outKeys + (ku << 2), key as i32);
      else if (keyWidth == 8) store<i64>(outKeys + (ku << 3), key);
      else store<u32>(outKeys + (ku << 2), stringEntry(t, load<u32>(gp + G_STRS + (l << 2))) as u32);
      memory.copy(outValues + ku * rowBytes, rowOf(t, load<i32>(gp + G_ROWS + (l << 2))), rowBytes);
      k++;
    }
  }
  return k;
}

/** L2 norm of each key's row (0 for absent keys) to `out` (f32). */
export function tableRowNorms(t: usize, mode: i32, keys: usize, aux: usize, n: i32, out: usize): void {
  const dim = load<i32>(t, T_DIM);
  for (let i = 0; i < n; i++) {
    const s = findSlot(t, mode, keys, aux, i);
    let v: f32 = 0;
    if (s >= 0) v = Mathf.sqrt(sumSquares(rowOf(t, slotRow(t, s)), dim));
    store<f32>(out + ((i as usize) << 2), v);
  }
}

/** Writes rows by index from `values` ([n, dim]); -(i + 1) (nothing written) if index i is out of range or freed. */
export function tableWriteRows(t: usize, rowIdx: usize, n: i32, values: usize): i32 {
  const bad = checkRows(t, rowIdx, n);
  if (bad < 0) return bad;
  const rowBytes = (load<i32>(t, T_DIM) as usize) << 2;
  for (let i = 0; i < n; i++) {
    const r = load<i32>(rowIdx + ((i as usize) << 2));
    memory.copy(rowOf(t, r), values + (i as usize) * rowBytes, rowBytes);
  }
  return n;
}

/**
 * Byte addresses of rows (u32 to `out`), for kernels that update rows in place (optimizers).
 * Valid until the next insert or clear. -(i + 1) (nothing written) if index i is out of range or freed.
 */
export function tableRowPointers(t: usize, rowIdx: usize, n: i32, out: usize): i32 {
  const bad = checkRows(t, rowIdx, n);
  if (bad < 0) return bad;
  for (let i = 0; i < n; i++) {
    store<u32>(out + ((i as usize) << 2), rowOf(t, load<i32>(rowIdx + ((i as usize) << 2))) as u32);
  }
  return n;
}

// ---- metadata for restrict policies ----

/**
 * Metadata update for restrict policies: each present key gets step = `step` and count + 1,
 * once per call even when the key repeats in the batch. Returns how many keys were touched.
 */
export function tableTouch(t: usize, mode: i32, keys: usize, aux: usize, n: i32, step: i32): i32 {
  if (load<i32>(t, T_META) == 0) return 0;
  const metaOff = (load<i32>(t, T_DIM) as usize) << 2;
  // pass 1 marks (high bit of the count), pass 2 counts each marked row once
  for (let i = 0; i < n; i++) {
    const s = findSlot(t, mode, keys, aux, i);
    if (s < 0) continue;
    const p = rowOf(t, slotRow(t, s)) + metaOff;
    store<i32>(p, step);
    store<u32>(p, load<u32>(p, 4) | 0x80000000, 4);
  }
  let touched = 0;
  for (let i = 0; i < n; i++) {
    const s = findSlot(t, mode, keys, aux, i);
    if (s < 0) continue;
    const p = rowOf(t, slotRow(t, s)) + metaOff;
    const c = load<u32>(p, 4);
    if (c & 0x80000000) {
      store<u32>(p, (c & 0x7fffffff) + 1, 4);
      touched++;
    }
  }
  return touched;
}

/** Step and count of each key (0, 0 for absent keys) to `outStep` / `outCount` (i32). */
export function tableMetadata(t: usize, mode: i32, keys: usize, aux: usize, n: i32, outStep: usize, outCount: usize): void {
  const metaOff = (load<i32>(t, T_DIM) as usize) << 2;
  const meta = load<i32>(t, T_META) != 0;
  for (let i = 0; i < n; i++) {
    const s = meta ? findSlot(t, mode, keys, aux, i) : -1;
    let st = 0;
    let ct = 0;
    if (s >= 0) {
      const p = rowOf(t, slotRow(t, s)) + metaOff;
      st = load<i32>(p);
      ct = load<i32>(p, 4);
    }
    store<i32>(outStep + ((i as usize) << 2), st);
    store<i32>(outCount + ((i as usize) << 2), ct);
  }
}

