// The table struct (one block per table; its pointer is the table's handle), constants shared
// by the hash-table modules, and the allocation helpers that count a table's bytes.
//
// Modules: table-struct (this), hash (key hashing and batch key inputs), groups (slot layout,
// control-group probing), arena (value rows), strings (string key bytes), batch (operations),
// stats (histograms, internals), hashtable (lifecycle, and the entry the kernels export).
import { alloc, blockSize, free } from './alloc';

export const T_MODE: usize = 0; // 0: integer keys (i64), 1: string keys
export const T_DIM: usize = 4;
export const T_STRIDE: usize = 8; // bytes per row: dim*4 (+8 with metadata)
export const T_META: usize = 12; // 1 when rows carry [step i32][count i32] after the values
export const T_CAP: usize = 16; // slots, a power of two >= 16
export const T_SIZE: usize = 20;
export const T_TOMB: usize = 24;
export const T_LIMIT: usize = 28; // max full + deleted slots before a rehash
export const T_MAXLOAD: usize = 32; // f64
export const T_SLOTS: usize = 40; // the block of slot groups (see groups.ts)
export const T_GS: usize = 44; // bytes per group of 16 slots
export const T_INITCAP: usize = 48; // slots at creation (clear returns to it)
export const T_SARENA: usize = 52; // string arena block (string tables), 0 when empty
export const T_SCAP: usize = 56; // string arena bytes
export const T_SHIFT: usize = 60; // log2 rows per full chunk
export const T_DIR: usize = 64; // u32 per chunk: chunk pointers (64-byte aligned)
export const T_DIRCAP: usize = 68;
export const T_NCHUNKS: usize = 72;
export const T_CHUNK0: usize = 76; // rows chunk 0 can hold (it grows up to a full chunk)
export const T_HIGH: usize = 80; // rows handed out since the last clear
export const T_FREEHEAD: usize = 84; // head of the free-row list, -1 when empty
export const T_FREECOUNT: usize = 88;
export const T_BYTES: usize = 92; // bytes of memory this table holds
export const T_SUSED: usize = 96; // string arena bytes handed out
export const T_SDEAD: usize = 100; // of which belong to removed keys
export const T_LIVE: usize = 104; // u32 words: bit r set while row r holds a key
export const T_LIVEWORDS: usize = 108;
export const T_STRUCT: usize = 112;

export const EMPTY: u8 = 0x80;
export const DELETED: u8 = 0xfe;
export const MAX_CAP: i32 = 1 << 28;
export const CHUNK_TARGET: i32 = 2 << 20; // bytes of a full value chunk

// Result codes of mutating kernels.
export const ERR_OOM: i32 = -1;
export const ERR_CAP: i32 = -2;

/** Allocates `size` bytes counted as this table's; 0 on OOM. */
export function talloc(t: usize, size: usize): usize {
  const p = alloc(size);
  if (p != 0) store<u32>(t, load<u32>(t, T_BYTES) + (blockSize(p) as u32) + 16, T_BYTES);
  return p;
}

/** Frees a block from talloc (0 is a no-op). */
export function tfree(t: usize, p: usize): void {
  if (p == 0) return;
  store<u32>(t, load<u32>(t, T_BYTES) - (blockSize(p) as u32) - 16, T_BYTES);
  free(p);
}
