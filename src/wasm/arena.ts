// The value arena: rows of `stride` bytes (dim float32, + 8 bytes of metadata when kept), in
// chunks listed in a directory, so growing never moves a row (row pointers handed to the
// optimizers stay valid until the next insert). Removed rows go on a free list and are reused;
// a bitmap marks the rows that hold a key, so reads by row index can refuse freed rows.
//
// Chunks start on a 64-byte boundary, so a row of dim 16 is one cache line and a row of dim 64
// exactly four (a 16-byte-aligned row would straddle one more line).
import {
  CHUNK_TARGET,
  T_CHUNK0,
  T_DIR,
  T_DIRCAP,
  T_FREECOUNT,
  T_FREEHEAD,
  T_HIGH,
  T_LIVE,
  T_LIVEWORDS,
  T_NCHUNKS,
  T_SHIFT,
  T_STRIDE,
  talloc,
  tfree,
} from './table-struct';

export { CHUNK_TARGET };

/** Address of row r: chunk r >> shift, then a multiply (no division). */
// @ts-ignore: decorator
@inline
export function rowAddr(dir: usize, shift: i32, stride: usize, r: i32): usize {
  return load<usize>(dir + (((r >> shift) as usize) << 2)) + ((r & ((1 << shift) - 1)) as usize) * stride;
}

/** Address of row r of table t. */
// @ts-ignore: decorator
@inline
export function rowOf(t: usize, r: i32): usize {
  return rowAddr(load<usize>(t, T_DIR), load<i32>(t, T_SHIFT), load<usize>(t, T_STRIDE), r);
}

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

function rowCapacity(t: usize): i32 {
  const n = load<i32>(t, T_NCHUNKS);
  if (n == 0) return 0;
  return load<i32>(t, T_CHUNK0) + ((n - 1) << load<i32>(t, T_SHIFT));
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
export function checkRows(t: usize, rowIdx: usize, n: i32): i32 {
  const high = load<i32>(t, T_HIGH);
  const live = load<usize>(t, T_LIVE);
  for (let i = 0; i < n; i++) {
    const r = load<i32>(rowIdx + ((i as usize) << 2));
    if (r < 0 || r >= high || !rowLive(live, r)) return -(i + 1);
  }
  return 0;
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

/** Makes room for `m` more rows (free list + unused chunk space). False on OOM, nothing changed. */
export function reserveRows(t: usize, m: i32): bool {
  const have = load<i32>(t, T_FREECOUNT) + rowCapacity(t) - load<i32>(t, T_HIGH);
  if (m <= have) return true;
  if (!ensureLive(t, load<i32>(t, T_HIGH) + m)) return false;
  const need = load<i32>(t, T_HIGH) - load<i32>(t, T_FREECOUNT) + m; // rows in use after
  const stride = load<usize>(t, T_STRIDE);
  const shift = load<i32>(t, T_SHIFT);
  const full = 1 << shift;
  const n = load<i32>(t, T_NCHUNKS);
  const chunk0 = load<i32>(t, T_CHUNK0);
  // Chunk 0 grows (by copying) up to a full chunk, so small tables stay small.
  if (n <= 1 && chunk0 < full) {
    if (need <= full) {
      // the smallest size class that holds `need` rows and at least doubles chunk 0
      // (a block of a size class holds class - 16 header bytes, minus 64 for the alignment)
      let want = max(need, chunk0 * 2);
      if (want < 16) want = 16;
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

/** Hands out a row (reserved before): the free list first, then fresh rows. */
export function takeRow(t: usize): i32 {
  const head = load<i32>(t, T_FREEHEAD);
  if (head >= 0) {
    store<i32>(t, load<i32>(rowOf(t, head)), T_FREEHEAD);
    store<i32>(t, load<i32>(t, T_FREECOUNT) - 1, T_FREECOUNT);
    setLive(t, head, true);
    return head;
  }
  const r = load<i32>(t, T_HIGH);
  store<i32>(t, r + 1, T_HIGH);
  setLive(t, r, true);
  return r;
}

/** Puts row r on the free list (its first 4 bytes link the list). */
export function releaseRow(t: usize, r: i32): void {
  store<i32>(rowOf(t, r), load<i32>(t, T_FREEHEAD));
  store<i32>(t, r, T_FREEHEAD);
  store<i32>(t, load<i32>(t, T_FREECOUNT) + 1, T_FREECOUNT);
  setLive(t, r, false);
}

/** Frees every chunk, the directory and the bitmap: the arena is back to empty. */
export function freeArena(t: usize): void {
  const dir = load<usize>(t, T_DIR);
  const n = load<i32>(t, T_NCHUNKS);
  for (let c = 0; c < n; c++) chunkFree(t, load<usize>(dir + ((c as usize) << 2)));
  tfree(t, dir);
  tfree(t, load<usize>(t, T_LIVE));
  store<usize>(t, 0, T_DIR);
  store<i32>(t, 0, T_DIRCAP);
  store<usize>(t, 0, T_LIVE);
  store<i32>(t, 0, T_LIVEWORDS);
  store<i32>(t, 0, T_NCHUNKS);
  store<i32>(t, 0, T_CHUNK0);
  store<i32>(t, 0, T_HIGH);
  store<i32>(t, -1, T_FREEHEAD);
  store<i32>(t, 0, T_FREECOUNT);
}
