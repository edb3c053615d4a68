// The fast path of a dense lookup outside training: one WASM pass (src/wasm/lookup.ts) routes
// every id to its shard, finds its row and copies it, clipped to maxNorm, into the output;
// the output is copied out of WASM memory once and becomes the tensor's own data.
//
// Inside a training tape the lookup takes readUnique (read.ts) instead: the tape needs the
// unique rows as a tensor to differentiate against. Both give the same bits on the cpu backend
// (the kernel clips with clipByMaxNorm's float32 arithmetic; missing keys read the same
// initializer rows, and insertOnLookup inserts them in the same order).
import { writeAllOrNothing } from './shard-undo.js';
import * as tf from '@tensorflow/tfjs';
import { currentReadTape } from './read.js';
import { align16, KEY_MODE, keyBytes, pickKeys, writeKeys } from './table-keys.js';
import type { Keys } from './tensor.js';
import { uniqueKeys } from './unique.js';
import type { Variable } from './variable.js';
import { Scratch, type WasmHeap } from './wasm.js';

/** Batches at least this large get scratch for the kernel's ordered lookup (as HashTable.gather). */
const ORDER_MIN_BATCH = 4096;

// one call's scratch and one for missing keys' initializer rows, per heap
const scratches = new WeakMap<WasmHeap, [Scratch, Scratch]>();
function scratchOf(heap: WasmHeap): [Scratch, Scratch] {
  let s = scratches.get(heap);
  if (!s) {
    s = [new Scratch(heap), new Scratch(heap)];
    scratches.set(heap, s);
  }
  return s;
}

/** What {@link denseLookup} returns: the `[...shape, dim]` tensor, and the exists mask when asked. */
export interface DenseLookup {
  values: tf.Tensor;
  exists?: Uint8Array;
}

/**
 * Whether `v` can be read by {@link denseLookup}: no training tape is recording, the Variable is
 * in-process (not a pooled twin) and its shards share one heap.
 */
export function canLookupDense(v: Variable): boolean {
  if (currentReadTape() !== undefined || v.remoteRows !== undefined) return false;
  const heap = v.shards[0].heap;
  return v.shards.every((s) => s.heap === heap);
}

/**
 * Looks up already-validated `keys` of shape `shape`: a float32 tensor `[...shape, dim]`, each
 * row clipped to `maxNorm` when given; missing keys read the initializer (and are inserted when
 * the Variable has `insertOnLookup`). `exists` (1 where stored) only when `wantExists`.
 * Call only where {@link canLookupDense} holds.
 *
 * @example
 * denseLookup(v, new BigInt64Array([4n, 4n, 9n]), [3], undefined, true); // { values: [3, dim], exists: [1, 1, 0] }
 */
export function denseLookup(
  v: Variable,
  keys: Keys,
  shape: number[],
  maxNorm: number | undefined,
  wantExists: boolean,
): DenseLookup {
  const n = keys.length;
  const dim = v.dim;
  const heap = v.shards[0].heap;
  const N = v.partitions;
  // a custom partitioner is a JS function: its shards come in as an array (validated there)
  const shards = N > 1 && v.partitioner ? v.shardOf(keys) : undefined;
  const [scratch, initScratch] = scratchOf(heap);
  const kb = align16(keyBytes(v.keyDtype, keys));
  const tb = align16(N * 4);
  const sb = shards ? align16(n * 4) : 0;
  const ab = align16(n * 4);
  const eb = align16(n);
  const ob = n * dim * 4;
  const order = N === 1 && n >= ORDER_MIN_BATCH ? align16(heap.exports.tableOrderScratchBytes(n)) : 0;
  const base = scratch.get(Math.max(16, kb + tb + sb + ab + eb + ob + order));
  const tp = base + kb;
  const sp = tp + tb;
  const ap = sp + sb;
  const ep = ap + ab;
  const op = ep + eb;
  const xp = op + ob;
  const aux = writeKeys(heap, v.keyDtype, keys, base);
  const u32 = new Uint32Array(heap.u8.buffer, tp, N);
  for (let s = 0; s < N; s++) u32[s] = v.shards[s].kernelHandle;
  if (shards) heap.i32.set(shards, sp >>> 2);
  const mode = KEY_MODE[v.keyDtype];
  const found = heap.exports.lookupRows(tp, N, shards ? sp : 0, mode, base, aux, n, ap, ep, order ? xp : 0);
  const missing = found < n ? missingRows(v, keys, heap, initScratch, ap, ep) : undefined;
  heap.exports.lookupCopyRows(ap, n, op, dim, maxNorm ?? 0);
  const f32 = heap.f32;
  const out = f32.slice(op >>> 2, (op >>> 2) + n * dim);
  const exists = wantExists ? heap.u8.slice(ep, ep + n) : undefined;
  if (missing && v.insertOnLookup) insertMissing(v, missing.keys, missing.rows);
  return { values: tf.tensor(out, [...shape, dim], 'float32'), exists };
}

/**
 * Fills the initializer's rows of the ids not found into initializer scratch and points their
 * addresses there. Returns the distinct missing keys (first-seen order) and their rows.
 */
function missingRows(
  v: Variable,
  keys: Keys,
  heap: WasmHeap,
  initScratch: Scratch,
  ap: number,
  ep: number,
): { keys: Keys; rows: Float32Array } {
  const n = keys.length;
  const dim = v.dim;
  let count = 0;
  let u8 = heap.u8;
  for (let i = 0; i < n; i++) if (u8[ep + i] === 0) count++;
  const pos = new Int32Array(count);
  for (let i = 0, m = 0; i < n; i++) if (u8[ep + i] === 0) pos[m++] = i;
  const { unique, index } = uniqueKeys(pickKeys(keys, pos));
  const rows = new Float32Array(unique.length * dim);
  v.initializer.fill(unique, dim, rows);
  const ip = initScratch.get(Math.max(16, rows.length * 4));
  heap.f32.set(rows, ip >>> 2);
  // the allocation may have grown the memory: fresh views
  u8 = heap.u8;
  const addrs = new Uint32Array(u8.buffer, ap, n);
  for (let m = 0; m < count; m++) addrs[pos[m]] = ip + index[m] * dim * 4;
  return { keys: unique, rows };
}

// insertOnLookup: the missing keys go to their shards in first-seen order, as Variable.read inserts them.
function insertMissing(v: Variable, keys: Keys, rows: Float32Array): void {
  if (v.partitions === 1) {
    v.shards[0].upsert(keys, rows);
    return;
  }
  const dim = v.dim;
  const shard = v.shardOf(keys);
  const parts = v.shards.map((_, s) => {
    const idx: number[] = [];
    for (let j = 0; j < shard.length; j++) if (shard[j] === s) idx.push(j);
    const part = new Float32Array(idx.length * dim);
    idx.forEach((j, m) => part.set(rows.subarray(j * dim, (j + 1) * dim), m * dim));
    return { keys: pickKeys(keys, idx), part };
  });
  // all shards or none (a later shard may run out of memory)
  writeAllOrNothing(v.shards, parts, (s) => v.shards[s].upsert(parts[s].keys, parts[s].part));
}
