// Dynamic-embedding hash tables: keys -> rows of a float32 value arena.
//
// Swiss-table layout: slots in aligned groups of 16 with one control byte each (0x80 empty,
// 0xFE deleted, else a 7-bit tag of the hash). A probe matches a whole group at once with
// i8x16.eq + bitmask and only compares keys on a tag match; it visits groups in triangular
// order (g, g+1, g+3, ...), which covers every group of a power-of-two table.
//
// Why the batch operations run in three phases (look up, reserve, mutate): every allocation a
// batch needs (a bigger slot array, value chunks, string blocks) is made before anything is
// changed, so an out-of-memory result leaves the table exactly as it was.
//
// The SIMD and scalar builds make the same decisions (same masks, same slots, same order of
// float operations), so they produce bit-identical tables and outputs.
import { alloc, blockSize, free } from './alloc';
import { copyRows, sumSquares } from './rows';

// ---- table struct (one block per table; the pointer is the handle) ----
const T_MODE: usize = 0; // 0: integer keys (i64), 1: string keys
const T_DIM: usize = 4;
const T_STRIDE: usize = 8; // bytes per row: dim*4 (+8 with metadata)
const T_META: usize = 12; // 1 when rows carry [step i32][count i32] after the values
const T_CAP: usize = 16; // slots, a power of two >= 16
const T_SIZE: usize = 20;
const T_TOMB: usize = 24;
const T_LIMIT: usize = 28; // max full + deleted slots before a rehash
const T_MAXLOAD: usize = 32; // f64
const T_SLOTS: usize = 40; // the one block holding keys, rows, strings, ctrl
const T_KEYS: usize = 44; // i64 per slot (string tables: the 64-bit hash)
const T_ROWS: usize = 48; // i32 per slot: row index
const T_STRS: usize = 52; // u32 per slot: pointer to [len u32][bytes] (string tables)
const T_CTRL: usize = 56; // u8 per slot
const T_SHIFT: usize = 60; // log2 rows per full chunk
const T_DIR: usize = 64; // u32 per chunk: chunk pointers
const T_DIRCAP: usize = 68;
const T_NCHUNKS: usize = 72;
const T_CHUNK0: usize = 76; // rows chunk 0 can hold (it grows up to a full chunk)
const T_HIGH: usize = 80; // rows handed out since the last clear
const T_FREEHEAD: usize = 84; // head of the free-row list, -1 when empty
const T_FREECOUNT: usize = 88;
const T_BYTES: usize = 92; // bytes of memory this table holds
const T_STRBYTES: usize = 96; // bytes of interned string blocks (included in T_BYTES)
const T_LIVE: usize = 104; // u32 words: bit r set while row r holds a key
const T_LIVEWORDS: usize = 108;
const T_STRUCT: usize = 112;

const EMPTY: u8 = 0x80;
const DELETED: u8 = 0xfe;
const MAX_CAP: i32 = 1 << 28;
const CHUNK_TARGET: i32 = 2 << 20; // bytes of a full value chunk

// Result codes of mutating kernels.
const ERR_OOM: i32 = -1;
const ERR_CAP: i32 = -2;

// Set by reserve(): the slot arrays were rebuilt, so slots found before are stale.
let slotsMoved = false;
// Set by resolveSlot(): the last resolved key was inserted by that call.
let lastInserted = false;

// ---- hashing ----

// @ts-ignore: decorator
@inline
function mix64(x: u64): u64 {
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

// Key inputs: mode 0 = i32 array at `keys`, 1 = i64 array at `keys`,
// 2 = strings: n+1 i32 offsets at `keys` into UTF-8 bytes at `aux`.

// @ts-ignore: decorator
@inline
function intKey(mode: i32, keys: usize, i: i32): i64 {
  return mode == 0 ? (load<i32>(keys + ((i as usize) << 2)) as i64) : load<i64>(keys + ((i as usize) << 3));
}

// ---- control-byte groups ----

// @ts-ignore: decorator
@inline
function matchByte(g: usize, b: u8): i32 {
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

/** Slots that are empty or deleted: exactly the control bytes with the high bit set. */
// @ts-ignore: decorator
@inline
function matchFree(g: usize): i32 {
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

// ---- probing ----

function probeInt(t: usize, key: i64, h: u64): i32 {
  const ctrl = load<usize>(t, T_CTRL);
  const keys = load<usize>(t, T_KEYS);
  const gmask = ((load<i32>(t, T_CAP) >> 4) - 1) as u32;
  const tag = (h & 0x7f) as u8;
  let g = ((h >> 7) as u32) & gmask;
  let step: u32 = 0;
  while (true) {
    const gp = ctrl + ((g as usize) << 4);
    let m = matchByte(gp, tag);
    while (m != 0) {
      const s = ((g << 4) as i32) + ctz(m);
      if (load<i64>(keys + ((s as usize) << 3)) == key) return s;
      m &= m - 1;
    }
    if (matchByte(gp, EMPTY) != 0) return -1;
    step++;
    g = (g + step) & gmask;
  }
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

function probeStr(t: usize, ptr: usize, len: i32, h: u64): i32 {
  const ctrl = load<usize>(t, T_CTRL);
  const keys = load<usize>(t, T_KEYS);
  const strs = load<usize>(t, T_STRS);
  const gmask = ((load<i32>(t, T_CAP) >> 4) - 1) as u32;
  const tag = (h & 0x7f) as u8;
  let g = ((h >> 7) as u32) & gmask;
  let step: u32 = 0;
  while (true) {
    const gp = ctrl + ((g as usize) << 4);
    let m = matchByte(gp, tag);
    while (m != 0) {
      const s = ((g << 4) as i32) + ctz(m);
      if (load<u64>(keys + ((s as usize) << 3)) == h) {
        const blk = load<u32>(strs + ((s as usize) << 2)) as usize;
        if (load<i32>(blk) == len && sameBytes(blk + 4, ptr, len)) return s;
      }
      m &= m - 1;
    }
    if (matchByte(gp, EMPTY) != 0) return -1;
    step++;
    g = (g + step) & gmask;
  }
}

// @ts-ignore: decorator
@inline
function strPtr(keys: usize, aux: usize, i: i32): usize {
  return aux + (load<i32>(keys + ((i as usize) << 2)) as usize);
}

// @ts-ignore: decorator
@inline
function strLen(keys: usize, i: i32): i32 {
  return load<i32>(keys + ((i as usize) << 2), 4) - load<i32>(keys + ((i as usize) << 2));
}

// @ts-ignore: decorator
@inline
function hashOf(mode: i32, keys: usize, aux: usize, i: i32): u64 {
  return mode == 2 ? hashBytes(strPtr(keys, aux, i), strLen(keys, i)) : mix64(intKey(mode, keys, i) as u64);
}

/** Slot of key i of a batch, or -1. */
// @ts-ignore: decorator
@inline
function findSlot(t: usize, mode: i32, keys: usize, aux: usize, i: i32): i32 {
  if (mode == 2) {
    const p = strPtr(keys, aux, i);
    const len = strLen(keys, i);
    return probeStr(t, p, len, hashBytes(p, len));
  }
  const k = intKey(mode, keys, i);
  return probeInt(t, k, mix64(k as u64));
}

/** Claims the first empty-or-deleted slot on the probe path of `h` (the key must be absent). */
function claimSlot(ctrl: usize, cap: i32, h: u64): i32 {
  const gmask = ((cap >> 4) - 1) as u32;
  let g = ((h >> 7) as u32) & gmask;
  let step: u32 = 0;
  while (true) {
    const m = matchFree(ctrl + ((g as usize) << 4));
    if (m != 0) {
      const s = ((g << 4) as i32) + ctz(m);
      store<u8>(ctrl + (s as usize), (h & 0x7f) as u8);
      return s;
    }
    step++;
    g = (g + step) & gmask;
  }
}

// ---- memory owned by a table ----

function talloc(t: usize, size: usize): usize {
  const p = alloc(size);
  if (p != 0) store<u32>(t, load<u32>(t, T_BYTES) + (blockSize(p) as u32) + 16, T_BYTES);
  return p;
}

function tfree(t: usize, p: usize): void {
  if (p == 0) return;
  store<u32>(t, load<u32>(t, T_BYTES) - (blockSize(p) as u32) - 16, T_BYTES);
  free(p);
}

function slotBytes(cap: i32, mode: i32): usize {
  return (cap as usize) * (mode == 1 ? 17 : 13);
}

function limitFor(cap: i32, maxLoad: f64): i32 {
  let lim = (Math.floor((cap as f64) * maxLoad)) as i32;
  if (lim > cap - 1) lim = cap - 1;
  return lim;
}

/** Allocates the slot arrays for `cap` slots (all empty) into the table's fields; false on OOM. */
function allocSlots(t: usize, cap: i32, out: usize): bool {
  const mode = load<i32>(t, T_MODE);
  const blk = talloc(t, slotBytes(cap, mode));
  if (blk == 0) return false;
  const c = cap as usize;
  const keys = blk;
  const rows = keys + (c << 3);
  const strs = rows + (c << 2);
  const ctrl = mode == 1 ? strs + (c << 2) : strs;
  memory.fill(ctrl, EMPTY, c);
  store<usize>(out, blk, 0);
  store<usize>(out, keys, 4);
  store<usize>(out, rows, 8);
  store<usize>(out, strs, 12);
  store<usize>(out, ctrl, 16);
  return true;
}

// scratch for allocSlots' five pointers (static; kernels are single-threaded per instance)
let slotScratch: usize = 0;

function installSlots(t: usize, cap: i32): void {
  store<usize>(t, load<usize>(slotScratch, 0), T_SLOTS);
  store<usize>(t, load<usize>(slotScratch, 4), T_KEYS);
  store<usize>(t, load<usize>(slotScratch, 8), T_ROWS);
  store<usize>(t, load<usize>(slotScratch, 12), T_STRS);
  store<usize>(t, load<usize>(slotScratch, 16), T_CTRL);
  store<i32>(t, cap, T_CAP);
  store<i32>(t, limitFor(cap, load<f64>(t, T_MAXLOAD)), T_LIMIT);
}

/** Moves every key into new slot arrays of `cap` slots. False (nothing changed) on OOM. */
function rehash(t: usize, cap: i32): bool {
  if (slotScratch == 0) {
    slotScratch = alloc(32);
    if (slotScratch == 0) return false;
  }
  if (!allocSlots(t, cap, slotScratch)) return false;
  const mode = load<i32>(t, T_MODE);
  const oldBlk = load<usize>(t, T_SLOTS);
  const oldCap = load<i32>(t, T_CAP);
  const oKeys = load<usize>(t, T_KEYS);
  const oRows = load<usize>(t, T_ROWS);
  const oStrs = load<usize>(t, T_STRS);
  const oCtrl = load<usize>(t, T_CTRL);
  const nKeys = load<usize>(slotScratch, 4);
  const nRows = load<usize>(slotScratch, 8);
  const nStrs = load<usize>(slotScratch, 12);
  const nCtrl = load<usize>(slotScratch, 16);
  for (let s = 0; s < oldCap; s++) {
    if (load<u8>(oCtrl + (s as usize)) & 0x80) continue;
    const k = load<u64>(oKeys + ((s as usize) << 3));
    const h = mode == 1 ? k : mix64(k);
    const d = claimSlot(nCtrl, cap, h) as usize;
    store<u64>(nKeys + (d << 3), k);
    store<i32>(nRows + (d << 2), load<i32>(oRows + ((s as usize) << 2)));
    if (mode == 1) store<u32>(nStrs + (d << 2), load<u32>(oStrs + ((s as usize) << 2)));
  }
  tfree(t, oldBlk);
  installSlots(t, cap);
  store<i32>(t, 0, T_TOMB);
  slotsMoved = true;
  return true;
}

// ---- value arena ----
//
// Rows live in chunks whose first row starts on a 64-byte boundary, so a row of dim 16 is one
// cache line and a row of dim 64 exactly four (a 16-byte-aligned row would straddle one more).

/** A value chunk of `bytes`, 64-byte aligned; the raw block pointer sits in the 4 bytes before it. */
function chunkAlloc(t: usize, bytes: usize): usize {
  const raw = talloc(t, bytes + 64);
  if (raw == 0) return 0;
  const a = (raw + 64) & ~(63 as usize);
  store<u32>(a - 4, raw as u32);
  return a;
}

function chunkFree(t: usize, a: usize): void {
  if (a != 0) tfree(t, load<u32>(a - 4) as usize);
}

/** Grows the live-row bitmap to cover `rows` rows (new bits 0). False on OOM, nothing changed. */
function ensureLive(t: usize, rows: i32): bool {
  const have = load<i32>(t, T_LIVEWORDS);
  const words = (rows + 31) >> 5;
  if (words <= have) return true;
  let want = max(have * 2, 16);
  while (want < words) want *= 2;
  const blk = talloc(t, (want as usize) << 2);
  if (blk == 0) return false;
  const old = load<usize>(t, T_LIVE);
  memory.fill(blk, 0, (want as usize) << 2);
  if (old != 0) {
    memory.copy(blk, old, (have as usize) << 2);
    tfree(t, old);
  }
  store<usize>(t, blk, T_LIVE);
  store<i32>(t, want, T_LIVEWORDS);
  return true;
}

// @ts-ignore: decorator
@inline
function rowLive(live: usize, r: i32): bool {
  return ((load<u32>(live + (((r >> 5) as usize) << 2)) >> ((r & 31) as u32)) & 1) != 0;
}

// @ts-ignore: decorator
@inline
function setLive(t: usize, r: i32, on: bool): void {
  const p = load<usize>(t, T_LIVE) + (((r >> 5) as usize) << 2);
  const bit: u32 = 1 << ((r & 31) as u32);
  store<u32>(p, on ? load<u32>(p) | bit : load<u32>(p) & ~bit);
}

/**
 * 0 when each of the n row indices at `rowIdx` names a row that holds a key (0 <= r < rows
 * handed out, not freed by remove or clear); else -(i + 1) for the first index i that does not.
 */
function checkRows(t: usize, rowIdx: usize, n: i32): i32 {
  const high = load<i32>(t, T_HIGH);
  const live = load<usize>(t, T_LIVE);
  for (let i = 0; i < n; i++) {
    const r = load<i32>(rowIdx + ((i as usize) << 2));
    if (r < 0 || r >= high || !rowLive(live, r)) return -(i + 1);
  }
  return 0;
}

// @ts-ignore: decorator
@inline
function rowAddr(dir: usize, shift: i32, stride: usize, r: i32): usize {
  return load<usize>(dir + (((r >> shift) as usize) << 2)) + ((r & ((1 << shift) - 1)) as usize) * stride;
}

function rowCapacity(t: usize): i32 {
  const n = load<i32>(t, T_NCHUNKS);
  if (n == 0) return 0;
  return load<i32>(t, T_CHUNK0) + ((n - 1) << load<i32>(t, T_SHIFT));
}

/** Makes room for `m` more rows (free list + unused chunk space). False on OOM, nothing changed. */
function reserveRows(t: usize, m: i32): bool {
  const have = load<i32>(t, T_FREECOUNT) + rowCapacity(t) - load<i32>(t, T_HIGH);
  if (m <= have) return true;
  if (!ensureLive(t, load<i32>(t, T_HIGH) + m)) return false;
  const need = load<i32>(t, T_HIGH) - load<i32>(t, T_FREECOUNT) + m; // rows in use after
  const stride = load<usize>(t, T_STRIDE);
  const shift = load<i32>(t, T_SHIFT);
  const full = 1 << shift;
  let n = load<i32>(t, T_NCHUNKS);
  let chunk0 = load<i32>(t, T_CHUNK0);
  // Chunk 0 grows (by copying) up to a full chunk, so small tables stay small.
  if (n <= 1 && chunk0 < full) {
    if (need <= full) {
      // the smallest size class that holds `need` rows and at least doubles chunk 0
      let want = max(need, chunk0 * 2);
      if (want < 16) want = 16;
      // (a block of a size class holds class - 16 header bytes, minus 64 for the alignment)
      let bytes: usize = 128;
      while (bytes - 80 < (want as usize) * stride) bytes <<= 1;
      let rows = ((bytes - 80) / stride) as i32;
      if (bytes - 16 >= 1 << 20) rows = want; // large blocks are page granular; no class rounding
      if (rows > full) rows = full;
      const blk = chunkAlloc(t, (rows as usize) * stride);
      if (blk == 0) return false;
      if (!ensureDir(t, 1)) {
        chunkFree(t, blk);
        return false;
      }
      const dir = load<usize>(t, T_DIR);
      if (n == 1) {
        const old = load<usize>(dir);
        memory.copy(blk, old, (load<i32>(t, T_HIGH) as usize) * stride);
        chunkFree(t, old);
      }
      store<usize>(dir, blk);
      store<i32>(t, 1, T_NCHUNKS);
      store<i32>(t, rows, T_CHUNK0);
      return true;
    }
  }
  // Full chunks from here on (chunk 0 first brought to full size).
  const chunksNeeded = (need + full - 1) >> shift;
  if (!ensureDir(t, chunksNeeded)) return false;
  const dir = load<usize>(t, T_DIR);
  let newChunk0: usize = 0;
  if (n >= 1 && chunk0 < full) {
    newChunk0 = chunkAlloc(t, (full as usize) * stride);
    if (newChunk0 == 0) return false;
  }
  const first = n == 0 ? 0 : n;
  for (let c = first; c < chunksNeeded; c++) {
    const blk = chunkAlloc(t, (full as usize) * stride);
    if (blk == 0) {
      for (let d = first; d < c; d++) chunkFree(t, load<usize>(dir + ((d as usize) << 2)));
      chunkFree(t, newChunk0);
      return false;
    }
    store<usize>(dir + ((c as usize) << 2), blk);
  }
  if (newChunk0 != 0) {
    const old = load<usize>(dir);
    memory.copy(newChunk0, old, (min(load<i32>(t, T_HIGH), chunk0) as usize) * stride);
    chunkFree(t, old);
    store<usize>(dir, newChunk0);
  }
  if (chunksNeeded > n) store<i32>(t, chunksNeeded, T_NCHUNKS);
  store<i32>(t, full, T_CHUNK0);
  return true;
}

/** Grows the chunk directory to hold `chunks` pointers. */
function ensureDir(t: usize, chunks: i32): bool {
  const cap = load<i32>(t, T_DIRCAP);
  if (chunks <= cap) return true;
  let want = max(cap * 2, 8);
  while (want < chunks) want *= 2;
  const blk = talloc(t, (want as usize) << 2);
  if (blk == 0) return false;
  const old = load<usize>(t, T_DIR);
  if (old != 0) {
    memory.copy(blk, old, (load<i32>(t, T_NCHUNKS) as usize) << 2);
    tfree(t, old);
  }
  store<usize>(t, blk, T_DIR);
  store<i32>(t, want, T_DIRCAP);
  return true;
}

function takeRow(t: usize): i32 {
  const head = load<i32>(t, T_FREEHEAD);
  if (head >= 0) {
    const p = rowAddr(load<usize>(t, T_DIR), load<i32>(t, T_SHIFT), load<usize>(t, T_STRIDE), head);
    store<i32>(t, load<i32>(p), T_FREEHEAD);
    store<i32>(t, load<i32>(t, T_FREECOUNT) - 1, T_FREECOUNT);
    setLive(t, head, true);
    return head;
  }
  const r = load<i32>(t, T_HIGH);
  store<i32>(t, r + 1, T_HIGH);
  setLive(t, r, true);
  return r;
}

function releaseRow(t: usize, r: i32): void {
  const p = rowAddr(load<usize>(t, T_DIR), load<i32>(t, T_SHIFT), load<usize>(t, T_STRIDE), r);
  store<i32>(p, load<i32>(t, T_FREEHEAD));
  store<i32>(t, r, T_FREEHEAD);
  store<i32>(t, load<i32>(t, T_FREECOUNT) + 1, T_FREECOUNT);
  setLive(t, r, false);
}

// ---- lifecycle ----

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
  if (slotScratch == 0) slotScratch = alloc(32);
  if (slotScratch == 0 || !allocSlots(t, cap, slotScratch)) {
    free(t);
    return 0;
  }
  installSlots(t, cap);
  return t;
}

function freeStrings(t: usize): void {
  if (load<i32>(t, T_MODE) != 1) return;
  const cap = load<i32>(t, T_CAP);
  const ctrl = load<usize>(t, T_CTRL);
  const strs = load<usize>(t, T_STRS);
  for (let s = 0; s < cap; s++) {
    if (load<u8>(ctrl + (s as usize)) & 0x80) continue;
    tfree(t, load<u32>(strs + ((s as usize) << 2)) as usize);
  }
  store<u32>(t, 0, T_STRBYTES);
}

function freeChunks(t: usize): void {
  const dir = load<usize>(t, T_DIR);
  const n = load<i32>(t, T_NCHUNKS);
  for (let c = 0; c < n; c++) chunkFree(t, load<usize>(dir + ((c as usize) << 2)));
  const live = load<usize>(t, T_LIVE);
  if (live != 0) memory.fill(live, 0, (load<i32>(t, T_LIVEWORDS) as usize) << 2);
  store<i32>(t, 0, T_NCHUNKS);
  store<i32>(t, 0, T_CHUNK0);
  store<i32>(t, 0, T_HIGH);
  store<i32>(t, -1, T_FREEHEAD);
  store<i32>(t, 0, T_FREECOUNT);
}

/** Removes every key; keeps the slot arrays, frees the value arena and strings. */
export function tableClear(t: usize): void {
  freeStrings(t);
  freeChunks(t);
  memory.fill(load<usize>(t, T_CTRL), EMPTY, load<i32>(t, T_CAP) as usize);
  store<i32>(t, 0, T_SIZE);
  store<i32>(t, 0, T_TOMB);
}

/** Frees everything the table holds, the handle included. */
export function tableDestroy(t: usize): void {
  freeStrings(t);
  freeChunks(t);
  tfree(t, load<usize>(t, T_DIR));
  tfree(t, load<usize>(t, T_LIVE));
  tfree(t, load<usize>(t, T_SLOTS));
  free(t);
}

/** Reads an i32 field of the table struct (for the TS side's stats). */
export function tableField(t: usize, offset: i32): i32 {
  return load<i32>(t + (offset as usize));
}

// ---- batch phases ----

/**
 * Phase 1 and 2 of an inserting batch: looks every key up (slots to `tmp`, -1 if absent),
 * counts the absent keys that may be inserted (flags == 0 or flags[i] == 0), and reserves
 * slots, rows and (string tables) string blocks (to `tmp + 4n`) for all of them.
 * Returns the count, or an error code with nothing changed.
 */
function prepare(t: usize, mode: i32, keys: usize, aux: usize, n: i32, tmp: usize, flags: usize): i32 {
  slotsMoved = false;
  const ctrl = load<usize>(t, T_CTRL);
  const slotKeys = load<usize>(t, T_KEYS);
  const rows = load<usize>(t, T_ROWS);
  const gmask = ((load<i32>(t, T_CAP) >> 4) - 1) as u32;
  let sink: u32 = 0;
  let m = 0;
  for (let i = 0; i < n; i++) {
    if (mode != 2 && i + KEY_AHEAD < n) sink += touchProbe(ctrl, slotKeys, rows, gmask, mode, keys, i + KEY_AHEAD);
    const s = findSlot(t, mode, keys, aux, i);
    store<i32>(tmp + ((i as usize) << 2), s);
    if (s < 0 && (flags == 0 || load<u8>(flags + (i as usize)) == 0)) m++;
  }
  touchSink = sink;
  if (m == 0) return 0;
  const blocks = tmp + ((n as usize) << 2);
  if (mode == 2) {
    // one block per absent key occurrence; duplicates hand theirs back after the batch
    for (let i = 0; i < n; i++) {
      let b: usize = 0;
      if (load<i32>(tmp + ((i as usize) << 2)) < 0 && (flags == 0 || load<u8>(flags + (i as usize)) == 0)) {
        const len = strLen(keys, i);
        b = talloc(t, 4 + (len as usize));
        if (b == 0) {
          for (let j = 0; j < i; j++) tfree(t, load<u32>(blocks + ((j as usize) << 2)) as usize);
          return ERR_OOM;
        }
        store<i32>(b, len);
        memory.copy(b + 4, strPtr(keys, aux, i), len as usize);
      }
      store<u32>(blocks + ((i as usize) << 2), b as u32);
    }
  }
  const err = reserve(t, m);
  if (err < 0) {
    if (mode == 2) releaseBlocks(t, blocks, n);
    return err;
  }
  return m;
}

function releaseBlocks(t: usize, blocks: usize, n: i32): void {
  for (let i = 0; i < n; i++) tfree(t, load<u32>(blocks + ((i as usize) << 2)) as usize);
}

/** Ensures `m` more keys fit: slots (growing or cleaning tombstones) and rows. */
function reserve(t: usize, m: i32): i32 {
  const size = load<i32>(t, T_SIZE);
  const cap = load<i32>(t, T_CAP);
  const maxLoad = load<f64>(t, T_MAXLOAD);
  if (size + load<i32>(t, T_TOMB) + m > load<i32>(t, T_LIMIT)) {
    let newCap = cap;
    while (newCap < MAX_CAP && limitFor(newCap, maxLoad) < size + m) newCap <<= 1;
    if (limitFor(newCap, maxLoad) < size + m) return ERR_CAP;
    // Only tombstones are in the way: clean them up in place, unless the table would be
    // nearly full right after (then every later batch would clean again), so grow.
    if (newCap == cap && (size + m) * 8 > limitFor(cap, maxLoad) * 7 && newCap < MAX_CAP) newCap <<= 1;
    // Rows before slots: if the rows fail nothing observable changed; the rehash is last.
    if (!reserveRows(t, m)) return ERR_OOM;
    if (!rehash(t, newCap)) return ERR_OOM;
    return 0;
  }
  if (!reserveRows(t, m)) return ERR_OOM;
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
  const ctrl = load<usize>(t, T_CTRL);
  const cap = load<i32>(t, T_CAP);
  // claimSlot overwrites the control byte; count a reused tombstone first
  s = claimSlotCounting(t, ctrl, cap, h);
  const su = s as usize;
  if (mode == 2) {
    store<u64>(load<usize>(t, T_KEYS) + (su << 3), h);
    const blocks = tmp + ((load<i32>(t, T_SCRATCH_N) as usize) << 2);
    const b = load<u32>(blocks + ((i as usize) << 2));
    store<u32>(load<usize>(t, T_STRS) + (su << 2), b);
    store<u32>(blocks + ((i as usize) << 2), 0); // used: not released after the batch
    store<u32>(t, load<u32>(t, T_STRBYTES) + (blockSize(b as usize) as u32) + 16, T_STRBYTES);
  } else {
    store<i64>(load<usize>(t, T_KEYS) + (su << 3), intKey(mode, keys, i));
  }
  const r = takeRow(t);
  store<i32>(load<usize>(t, T_ROWS) + (su << 2), r);
  store<i32>(t, load<i32>(t, T_SIZE) + 1, T_SIZE);
  if (zero) {
    const p = rowAddr(load<usize>(t, T_DIR), load<i32>(t, T_SHIFT), load<usize>(t, T_STRIDE), r);
    memory.fill(p, 0, load<usize>(t, T_STRIDE));
  } else if (load<i32>(t, T_META) != 0) {
    const p = rowAddr(load<usize>(t, T_DIR), load<i32>(t, T_SHIFT), load<usize>(t, T_STRIDE), r);
    store<u64>(p + ((load<i32>(t, T_DIM) as usize) << 2), 0);
  }
  lastInserted = true;
  return s;
}

// The batch length, kept in the struct while a batch runs (for the string-block area in tmp).
const T_SCRATCH_N: usize = 100;

function claimSlotCounting(t: usize, ctrl: usize, cap: i32, h: u64): i32 {
  const gmask = ((cap >> 4) - 1) as u32;
  let g = ((h >> 7) as u32) & gmask;
  let step: u32 = 0;
  while (true) {
    const m = matchFree(ctrl + ((g as usize) << 4));
    if (m != 0) {
      const s = ((g << 4) as i32) + ctz(m);
      if (load<u8>(ctrl + (s as usize)) == DELETED) store<i32>(t, load<i32>(t, T_TOMB) - 1, T_TOMB);
      store<u8>(ctrl + (s as usize), (h & 0x7f) as u8);
      return s;
    }
    step++;
    g = (g + step) & gmask;
  }
}

function finish(t: usize, mode: i32, tmp: usize, n: i32, m: i32): void {
  if (mode == 2 && m > 0) releaseBlocks(t, tmp + ((n as usize) << 2), n);
}

// ---- lookahead ----
//
// A batch of random keys misses the cache on every probe (control group, key, row index) and
// on every row it copies. WebAssembly has no prefetch instruction, so loops touch the memory a
// later iteration will need (a plain load whose value goes to a global, so it is not removed);
// the CPU then overlaps those misses with the work on the current element.

/** Keys ahead whose probe memory the lookup loops touch. */
const KEY_AHEAD = 12;
let touchSink: u32 = 0;

/** Touches the control group, keys and row indices key i of an integer batch probes first. */
// @ts-ignore: decorator
@inline
function touchProbe(ctrl: usize, keys: usize, rows: usize, gmask: u32, mode: i32, keysIn: usize, i: i32): u32 {
  const h = mix64(intKey(mode, keysIn, i) as u64);
  const g = ((((h >> 7) as u32) & gmask) as usize) << 4;
  return (
    (load<u8>(ctrl + g) as u32) +
    (load<u8>(keys + (g << 3)) as u32) +
    (load<u8>(keys + (g << 3), 64) as u32) +
    (load<u8>(rows + (g << 2)) as u32)
  );
}

// ---- operations ----

/** Rows (or -1) of n keys to `outRows` (i32) and, when nonzero, a 0/1 mask to `exists` (u8). */
export function tableFind(t: usize, mode: i32, keys: usize, aux: usize, n: i32, outRows: usize, exists: usize): i32 {
  const rows = load<usize>(t, T_ROWS);
  const ctrl = load<usize>(t, T_CTRL);
  const slotKeys = load<usize>(t, T_KEYS);
  const gmask = ((load<i32>(t, T_CAP) >> 4) - 1) as u32;
  let sink: u32 = 0;
  let found = 0;
  for (let i = 0; i < n; i++) {
    if (mode != 2 && i + KEY_AHEAD < n) sink += touchProbe(ctrl, slotKeys, rows, gmask, mode, keys, i + KEY_AHEAD);
    const s = findSlot(t, mode, keys, aux, i);
    const r = s >= 0 ? load<i32>(rows + ((s as usize) << 2)) : -1;
    store<i32>(outRows + ((i as usize) << 2), r);
    if (exists != 0) store<u8>(exists + (i as usize), s >= 0 ? 1 : 0);
    if (s >= 0) found++;
  }
  touchSink = sink;
  return found;
}

/**
 * Looks up n keys and copies each found row into `out` ([n, dim] f32), clipped to maxNorm when
 * > 0; missing rows of `out` are left as they are. Writes the exists mask; returns found count.
 * `tmp` holds 4n bytes.
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
): i32 {
  const rows = load<usize>(t, T_ROWS);
  const ctrl = load<usize>(t, T_CTRL);
  const slotKeys = load<usize>(t, T_KEYS);
  const gmask = ((load<i32>(t, T_CAP) >> 4) - 1) as u32;
  const dir = load<usize>(t, T_DIR);
  const shift = load<i32>(t, T_SHIFT);
  const stride = load<usize>(t, T_STRIDE);
  let sink: u32 = 0;
  let found = 0;
  for (let i = 0; i < n; i++) {
    if (mode != 2 && i + KEY_AHEAD < n) sink += touchProbe(ctrl, slotKeys, rows, gmask, mode, keys, i + KEY_AHEAD);
    const s = findSlot(t, mode, keys, aux, i);
    let addr: usize = 0;
    if (s >= 0) {
      addr = rowAddr(dir, shift, stride, load<i32>(rows + ((s as usize) << 2)));
      found++;
    }
    store<u32>(tmp + ((i as usize) << 2), addr as u32);
    store<u8>(exists + (i as usize), s >= 0 ? 1 : 0);
  }
  touchSink = sink;
  copyRows(tmp, n, out, load<i32>(t, T_DIM), maxNorm);
  return found;
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

/**
 * Finds n keys, inserting absent ones with zero rows (and zero metadata). Writes rows to
 * `outRows` and 1 to `inserted[i]` for the occurrence that inserted a key (0 otherwise).
 * `tmp` holds 8n bytes. Returns the number inserted, or an error code (nothing changed).
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
  store<i32>(t, n, T_SCRATCH_N);
  const rows = load<usize>(t, T_ROWS); // after prepare: a rehash may have moved the slots
  let count = 0;
  for (let i = 0; i < n; i++) {
    const s = resolveSlot(t, mode, keys, aux, i, tmp, true);
    store<i32>(outRows + ((i as usize) << 2), load<i32>(rows + ((s as usize) << 2)));
    store<u8>(inserted + (i as usize), lastInserted ? 1 : 0);
    if (lastInserted) count++;
  }
  finish(t, mode, tmp, n, m);
  return count;
}

/** Inserts or overwrites n keys with rows of `values` ([n, dim]); the last duplicate wins. */
export function tableUpsert(t: usize, mode: i32, keys: usize, aux: usize, n: i32, values: usize, tmp: usize): i32 {
  const m = prepare(t, mode, keys, aux, n, tmp, 0);
  if (m < 0) return m;
  store<i32>(t, n, T_SCRATCH_N);
  // read after prepare: it may have rehashed the slots and added value chunks
  const rows = load<usize>(t, T_ROWS);
  const dir = load<usize>(t, T_DIR);
  const shift = load<i32>(t, T_SHIFT);
  const stride = load<usize>(t, T_STRIDE);
  const rowBytes = (load<i32>(t, T_DIM) as usize) << 2;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const s = resolveSlot(t, mode, keys, aux, i, tmp, false);
    if (lastInserted) count++;
    const r = load<i32>(rows + ((s as usize) << 2));
    memory.copy(rowAddr(dir, shift, stride, r), values + (i as usize) * rowBytes, rowBytes);
  }
  finish(t, mode, tmp, n, m);
  return count;
}

/** Adds rows of `deltas` to n keys, inserting zero rows for absent keys first. */
export function tableScatterAdd(t: usize, mode: i32, keys: usize, aux: usize, n: i32, deltas: usize, tmp: usize): i32 {
  const m = prepare(t, mode, keys, aux, n, tmp, 0);
  if (m < 0) return m;
  store<i32>(t, n, T_SCRATCH_N);
  const shift = load<i32>(t, T_SHIFT);
  const stride = load<usize>(t, T_STRIDE);
  const dim = load<i32>(t, T_DIM);
  let count = 0;
  for (let i = 0; i < n; i++) {
    const s = resolveSlot(t, mode, keys, aux, i, tmp, true);
    if (lastInserted) count++;
    const r = load<i32>(load<usize>(t, T_ROWS) + ((s as usize) << 2));
    addRow(rowAddr(load<usize>(t, T_DIR), shift, stride, r), deltas + (i as usize) * ((dim as usize) << 2), 0, dim);
  }
  finish(t, mode, tmp, n, m);
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
  store<i32>(t, n, T_SCRATCH_N);
  const shift = load<i32>(t, T_SHIFT);
  const stride = load<usize>(t, T_STRIDE);
  const dim = load<i32>(t, T_DIM);
  const rowBytes = (dim as usize) << 2;
  let changed = 0;
  for (let i = 0; i < n; i++) {
    const ex = load<u8>(exists + (i as usize)) != 0;
    if (ex) {
      const s = slotsMoved || load<i32>(tmp + ((i as usize) << 2)) < 0 ? findSlot(t, mode, keys, aux, i) : load<i32>(tmp + ((i as usize) << 2));
      if (s < 0) continue;
      const r = load<i32>(load<usize>(t, T_ROWS) + ((s as usize) << 2));
      const off = (i as usize) * rowBytes;
      addRow(rowAddr(load<usize>(t, T_DIR), shift, stride, r), newValues + off, oldValues + off, dim);
      changed++;
    } else {
      if (!slotsMoved && load<i32>(tmp + ((i as usize) << 2)) >= 0) continue;
      const s = resolveSlot(t, mode, keys, aux, i, tmp, false);
      if (!lastInserted) continue;
      const r = load<i32>(load<usize>(t, T_ROWS) + ((s as usize) << 2));
      memory.copy(rowAddr(load<usize>(t, T_DIR), shift, stride, r), newValues + (i as usize) * rowBytes, rowBytes);
      changed++;
    }
  }
  finish(t, mode, tmp, n, m);
  return changed;
}

/** Removes n keys (absent ones ignored); returns how many were removed. */
export function tableRemove(t: usize, mode: i32, keys: usize, aux: usize, n: i32): i32 {
  let removed = 0;
  for (let i = 0; i < n; i++) {
    const s = findSlot(t, mode, keys, aux, i);
    if (s < 0) continue;
    const ctrl = load<usize>(t, T_CTRL);
    const su = s as usize;
    // A group that still has an empty slot ends every probe that reaches it, so no key lives
    // past it and the slot can become empty again instead of a tombstone.
    const g = ctrl + ((su >> 4) << 4);
    if (matchByte(g, EMPTY) != 0) {
      store<u8>(ctrl + su, EMPTY);
    } else {
      store<u8>(ctrl + su, DELETED);
      store<i32>(t, load<i32>(t, T_TOMB) + 1, T_TOMB);
    }
    releaseRow(t, load<i32>(load<usize>(t, T_ROWS) + (su << 2)));
    if (load<i32>(t, T_MODE) == 1) {
      const b = load<u32>(load<usize>(t, T_STRS) + (su << 2)) as usize;
      store<u32>(t, load<u32>(t, T_STRBYTES) - (blockSize(b) as u32) - 16, T_STRBYTES);
      tfree(t, b);
    }
    store<i32>(t, load<i32>(t, T_SIZE) - 1, T_SIZE);
    removed++;
  }
  return removed;
}

/**
 * Writes every key and its row, compactly, in slot order. Keys go to `outKeys` as i32
 * (keyWidth 4), i64 (8), or string block pointers (0: u32 to [len][bytes]).
 */
export function tableExport(t: usize, outKeys: usize, keyWidth: i32, outValues: usize): i32 {
  const cap = load<i32>(t, T_CAP);
  const ctrl = load<usize>(t, T_CTRL);
  const keys = load<usize>(t, T_KEYS);
  const rows = load<usize>(t, T_ROWS);
  const strs = load<usize>(t, T_STRS);
  const dir = load<usize>(t, T_DIR);
  const shift = load<i32>(t, T_SHIFT);
  const stride = load<usize>(t, T_STRIDE);
  const rowBytes = (load<i32>(t, T_DIM) as usize) << 2;
  let k = 0;
  for (let s = 0; s < cap; s++) {
    const su = s as usize;
    if (load<u8>(ctrl + su) & 0x80) continue;
    const ku = k as usize;
    if (keyWidth == 4) store<i32>(outKeys + (ku << 2), load<i64>(keys + (su << 3)) as i32);
    else if (keyWidth == 8) store<i64>(outKeys + (ku << 3), load<i64>(keys + (su << 3)));
    else store<u32>(outKeys + (ku << 2), load<u32>(strs + (su << 2)));
    memory.copy(outValues + ku * rowBytes, rowAddr(dir, shift, stride, load<i32>(rows + (su << 2))), rowBytes);
    k++;
  }
  return k;
}

/** L2 norm of each key's row (0 for absent keys) to `out` (f32). */
export function tableRowNorms(t: usize, mode: i32, keys: usize, aux: usize, n: i32, out: usize): void {
  const rows = load<usize>(t, T_ROWS);
  const dir = load<usize>(t, T_DIR);
  const shift = load<i32>(t, T_SHIFT);
  const stride = load<usize>(t, T_STRIDE);
  const dim = load<i32>(t, T_DIM);
  for (let i = 0; i < n; i++) {
    const s = findSlot(t, mode, keys, aux, i);
    let v: f32 = 0;
    if (s >= 0) v = Mathf.sqrt(sumSquares(rowAddr(dir, shift, stride, load<i32>(rows + ((s as usize) << 2))), dim));
    store<f32>(out + ((i as usize) << 2), v);
  }
}

/** Writes rows by index from `values` ([n, dim]); -(i + 1) (nothing written) if index i is out of range or freed. */
export function tableWriteRows(t: usize, rowIdx: usize, n: i32, values: usize): i32 {
  const bad = checkRows(t, rowIdx, n);
  if (bad < 0) return bad;
  const dir = load<usize>(t, T_DIR);
  const shift = load<i32>(t, T_SHIFT);
  const stride = load<usize>(t, T_STRIDE);
  const rowBytes = (load<i32>(t, T_DIM) as usize) << 2;
  for (let i = 0; i < n; i++) {
    const r = load<i32>(rowIdx + ((i as usize) << 2));
    memory.copy(rowAddr(dir, shift, stride, r), values + (i as usize) * rowBytes, rowBytes);
  }
  return n;
}

/**
 * Metadata update for restrict policies: each present key gets step = `step` and count + 1,
 * once per call even when the key repeats in the batch. Returns how many keys were touched.
 */
export function tableTouch(t: usize, mode: i32, keys: usize, aux: usize, n: i32, step: i32): i32 {
  if (load<i32>(t, T_META) == 0) return 0;
  const rows = load<usize>(t, T_ROWS);
  const dir = load<usize>(t, T_DIR);
  const shift = load<i32>(t, T_SHIFT);
  const stride = load<usize>(t, T_STRIDE);
  const metaOff = (load<i32>(t, T_DIM) as usize) << 2;
  // pass 1 marks (high bit of the count), pass 2 counts each marked row once
  for (let i = 0; i < n; i++) {
    const s = findSlot(t, mode, keys, aux, i);
    if (s < 0) continue;
    const p = rowAddr(dir, shift, stride, load<i32>(rows + ((s as usize) << 2))) + metaOff;
    store<i32>(p, step);
    store<u32>(p, load<u32>(p, 4) | 0x80000000, 4);
  }
  let touched = 0;
  for (let i = 0; i < n; i++) {
    const s = findSlot(t, mode, keys, aux, i);
    if (s < 0) continue;
    const p = rowAddr(dir, shift, stride, load<i32>(rows + ((s as usize) << 2))) + metaOff;
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
  const rows = load<usize>(t, T_ROWS);
  const dir = load<usize>(t, T_DIR);
  const shift = load<i32>(t, T_SHIFT);
  const stride = load<usize>(t, T_STRIDE);
  const metaOff = (load<i32>(t, T_DIM) as usize) << 2;
  const meta = load<i32>(t, T_META) != 0;
  for (let i = 0; i < n; i++) {
    const s = meta ? findSlot(t, mode, keys, aux, i) : -1;
    let st = 0;
    let ct = 0;
    if (s >= 0) {
      const p = rowAddr(dir, shift, stride, load<i32>(rows + ((s as usize) << 2))) + metaOff;
      st = load<i32>(p);
      ct = load<i32>(p, 4);
    }
    store<i32>(outStep + ((i as usize) << 2), st);
    store<i32>(outCount + ((i as usize) << 2), ct);
  }
}

/**
 * Probe-length histogram: hist[k] (k < buckets) counts keys found in the (k+1)-th group of their
 * probe sequence; the last bucket also counts longer probes.
 */
export function tableProbeHistogram(t: usize, hist: usize, buckets: i32): void {
  memory.fill(hist, 0, (buckets as usize) << 2);
  const cap = load<i32>(t, T_CAP);
  const ctrl = load<usize>(t, T_CTRL);
  const keys = load<usize>(t, T_KEYS);
  const mode = load<i32>(t, T_MODE);
  const gmask = ((cap >> 4) - 1) as u32;
  for (let s = 0; s < cap; s++) {
    if (load<u8>(ctrl + (s as usize)) & 0x80) continue;
    const k = load<u64>(keys + ((s as usize) << 3));
    const h = mode == 1 ? k : mix64(k);
    let g = ((h >> 7) as u32) & gmask;
    const target = (s >> 4) as u32;
    let step: u32 = 0;
    while (g != target) {
      step++;
      g = (g + step) & gmask;
    }
    const b = min(step as i32, buckets - 1);
    const p = hist + ((b as usize) << 2);
    store<i32>(p, load<i32>(p) + 1);
  }
}

/** Copies the control bytes (cap u8) and the slot -> row map (cap i32, -1 where not full). */
export function tableInspect(t: usize, outCtrl: usize, outRows: usize): void {
  const cap = load<i32>(t, T_CAP);
  const ctrl = load<usize>(t, T_CTRL);
  const rows = load<usize>(t, T_ROWS);
  memory.copy(outCtrl, ctrl, cap as usize);
  for (let s = 0; s < cap; s++) {
    const full = (load<u8>(ctrl + (s as usize)) & 0x80) == 0;
    store<i32>(outRows + ((s as usize) << 2), full ? load<i32>(rows + ((s as usize) << 2)) : -1);
  }
}

/**
 * Byte addresses of rows (u32 to `out`), for kernels that update rows in place (optimizers).
 * Valid until the next insert or clear. -(i + 1) (nothing written) if index i is out of range or freed.
 */
export function tableRowPointers(t: usize, rowIdx: usize, n: i32, out: usize): i32 {
  const bad = checkRows(t, rowIdx, n);
  if (bad < 0) return bad;
  const dir = load<usize>(t, T_DIR);
  const shift = load<i32>(t, T_SHIFT);
  const stride = load<usize>(t, T_STRIDE);
  for (let i = 0; i < n; i++) {
    store<u32>(out + ((i as usize) << 2), rowAddr(dir, shift, stride, load<i32>(rowIdx + ((i as usize) << 2))) as u32);
  }
  return n;
}

/** memory.copy of `bytes` bytes: the bandwidth ceiling the benchmark compares gathers with. */
export function copyBytes(dst: usize, src: usize, bytes: usize): void {
  memory.copy(dst, src, bytes);
}
