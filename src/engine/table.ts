// HashTable: the TypeScript face of the WASM hash-table kernels (src/wasm/hashtable.ts).
//
// A table is a pointer into one WasmHeap's memory; several tables may share a heap. Each call
// validates everything first, copies its inputs into WASM memory once, runs one kernel, and
// reads the results back. The kernels reserve all memory a batch needs before changing
// anything, so an OutOfMemoryError leaves the table exactly as it was, and usable.
import { InvalidArgumentError, OutOfMemoryError, show } from './errors.js';
import { align16, checkKeys, KEY_MODE, type KeyDtype, type Keys, keyBytes, pickKeys, writeKeys } from './table-keys.js';
import { Scratch, WasmHeap } from './wasm.js';

export type { KeyDtype, Keys } from './table-keys.js';
export { hashKeyString } from './table-keys.js';

/** Occupancy and memory of a table. */
export interface TableStats {
  /** Keys held. */
  size: number;
  /** Slots (a power of two). */
  capacity: number;
  /** size / capacity. */
  loadFactor: number;
  /** Deleted slots not yet reclaimed by a rehash. */
  tombstones: number;
  /** [k] = keys found in the (k+1)-th 16-slot group of their probe sequence; the last bucket includes longer probes. */
  probeLengthHistogram: number[];
  /** Bytes of WASM memory the table holds (slots, value arena, strings, bookkeeping). */
  bytes: number;
}

/** Options of {@link HashTable}. */
export interface HashTableOptions {
  keyDtype: KeyDtype;
  dim: number;
  /** Keys that fit before the first rehash (default 0: the smallest table). */
  initCapacity?: number;
  /** Keep a last-update step and an update count per key (for restrict policies). */
  metadata?: boolean;
  /** The heap to live in (default: a new one of the active flavour). */
  heap?: WasmHeap;
  /** Rehash to double capacity above this fraction of full + deleted slots (default 7/8). */
  maxLoadFactor?: number;
}

// Offsets of fields of the kernel's table struct (see src/wasm/table-struct.ts).
const F_CAP = 16;
const F_SIZE = 20;
const F_TOMB = 24;
const F_BYTES = 92;
const HIST_BUCKETS = 16;
/**
 * Batches of at least this many keys get scratch for the kernels' ordered lookup (find and
 * gather probe a large batch in home-group order when the table's slots are far bigger than
 * the caches; the kernel decides, see src/wasm/batch.ts). Below it the kernel could not choose
 * the ordered path anyway (it needs n >= slot groups / 4 and >= 4 MiB of slots).
 */
const ORDER_MIN_BATCH = 4096;

const scratches = new WeakMap<WasmHeap, Scratch>();
function scratchOf(heap: WasmHeap): Scratch {
  let s = scratches.get(heap);
  if (!s) {
    s = new Scratch(heap);
    scratches.set(heap, s);
  }
  return s;
}

/** A consumer's record of the rows written to a table (see {@link HashTable.watchRows}). */
export interface RowWatch {
  /** The rows written since the last take, each once; empties the record. */
  take(): Int32Array;
  /** How many rows are recorded. */
  readonly pending: number;
  /** Stops recording. */
  close(): void;
}

/**
 * A dynamic hash table from keys (int32, int64 or string) to float32 rows of `dim` values,
 * TFRA style: no fixed vocabulary, grows as keys arrive.
 *
 * @example
 * await de.ready();
 * const t = new HashTable({ keyDtype: 'int64', dim: 2 });
 * t.upsert(new BigInt64Array([7n, -1n]), new Float32Array([1, 2, 3, 4]));
 * const out = new Float32Array(6);
 * t.gather(new BigInt64Array([-1n, 5n, 7n]), out); // Uint8Array [1, 0, 1]; out = [3, 4, 0, 0, 1, 2]
 */
export class HashTable {
  readonly keyDtype: KeyDtype;
  readonly dim: number;
  readonly heap: WasmHeap;
  readonly hasMetadata: boolean;
  private handle: number;
  private readonly mode: number;
  private readonly scratch: Scratch;
  /** Row sets of the consumers watching writes (see {@link watchRows}); empty when nobody watches. */
  private readonly watchers = new Set<Set<number>>();

  constructor(opts: HashTableOptions) {
    const { keyDtype, dim } = opts ?? ({} as HashTableOptions);
    if (keyDtype !== 'int32' && keyDtype !== 'int64' && keyDtype !== 'string') {
      throw new InvalidArgumentError(
        `HashTable: keyDtype must be 'int32', 'int64' or 'string', got ${show(keyDtype)}.`,
      );
    }
    if (!Number.isInteger(dim) || dim < 1 || dim > 1 << 20) {
      throw new InvalidArgumentError(`HashTable: dim must be an integer in [1, 1048576], got ${show(dim)}.`);
    }
    const initCapacity = opts.initCapacity ?? 0;
    if (!Number.isInteger(initCapacity) || initCapacity < 0 || initCapacity > 2 ** 27) {
      throw new InvalidArgumentError(
        `HashTable: initCapacity must be an integer in [0, 134217728], got ${show(opts.initCapacity)}.`,
      );
    }
    const maxLoad = opts.maxLoadFactor ?? 7 / 8;
    if (typeof maxLoad !== 'number' || !(maxLoad >= 0.25 && maxLoad <= 0.95)) {
      throw new InvalidArgumentError(
        `HashTable: maxLoadFactor must be a number in [0.25, 0.95], got ${show(opts.maxLoadFactor)}.`,
      );
    }
    this.keyDtype = keyDtype;
    this.dim = dim;
    this.mode = KEY_MODE[keyDtype];
    this.hasMetadata = opts.metadata === true;
    this.heap = opts.heap ?? new WasmHeap();
    this.scratch = scratchOf(this.heap);
    const t = this.heap.exports.tableCreate(
      keyDtype === 'string' ? 1 : 0,
      dim,
      this.hasMetadata ? 1 : 0,
      initCapacity,
      maxLoad,
    );
    if (t === 0) {
      throw new OutOfMemoryError(
        `HashTable: could not allocate a table for ${initCapacity} keys of dim ${dim}: the WebAssembly memory cannot grow.`,
      );
    }
    this.handle = t;
  }

  private get t(): number {
    if (this.handle === 0) throw new InvalidArgumentError('HashTable: the table was disposed; create a new one.');
    return this.handle;
  }

  private get k() {
    return this.heap.exports;
  }

  /**
   * The kernels' handle of this table (a pointer into `heap`), for fused kernels that read
   * several tables of one heap in one call. Internal.
   */
  get kernelHandle(): number {
    return this.t;
  }

  /** Number of keys held. */
  size(): number {
    return this.k.tableField(this.t, F_SIZE);
  }

  private checkValues(method: string, what: string, values: unknown, n: number): void {
    if (!(values instanceof Float32Array)) {
      throw new InvalidArgumentError(`HashTable.${method}: ${what} must be a Float32Array, got ${show(values)}.`);
    }
    if (values.length !== n * this.dim) {
      throw new InvalidArgumentError(
        `HashTable.${method}: ${what} must have keys.length * dim = ${n} * ${this.dim} = ${n * this.dim} values, got ${values.length}.`,
      );
    }
  }

  /**
   * Lays out one call's scratch: the keys first, then regions of the given byte sizes.
   * Returns [keysPtr, aux, ...regionPtrs]. Allocation (the only failure) happens before any write.
   */
  private stage(keys: Keys, regions: number[]): number[] {
    const kb = align16(keyBytes(this.keyDtype, keys));
    let total = kb;
    for (const r of regions) total += align16(r);
    const base = this.scratch.get(Math.max(16, total));
    const aux = writeKeys(this.heap, this.keyDtype, keys, base);
    const ptrs = [base, aux];
    let p = base + kb;
    for (const r of regions) {
      ptrs.push(p);
      p += align16(r);
    }
    return ptrs;
  }

  /** Scratch bytes for the kernels' ordered lookup of n keys (0 below ORDER_MIN_BATCH). */
  private orderScratch(n: number): number {
    return n >= ORDER_MIN_BATCH ? this.k.tableOrderScratchBytes(n) : 0;
  }

  private checkMaxNorm(method: string, opts: { maxNorm?: number }): number {
    const maxNorm = opts?.maxNorm ?? 0;
    if (typeof maxNorm !== 'number' || !Number.isFinite(maxNorm) || maxNorm < 0) {
      throw new InvalidArgumentError(
        `HashTable.${method}: maxNorm must be a finite number > 0, got ${show(opts.maxNorm)}.`,
      );
    }
    return maxNorm;
  }

  /**
   * Where the kernel writes its output: `out` itself when it views this heap's memory (checked
   * again after staging, which may have grown the memory and detached it), else scratch `op`.
   */
  private directOut(method: string, out: Float32Array, direct: boolean, op: number): number {
    if (!direct) return op;
    if (out.buffer !== this.heap.exports.memory.buffer) {
      throw new InvalidArgumentError(
        `HashTable.${method}: \`out\` was a view of WASM memory that grew while staging the input; take a fresh view.`,
      );
    }
    return out.byteOffset;
  }

  private fail(method: string, code: number, n: number): never {
    if (code === -2) {
      throw new OutOfMemoryError(
        `HashTable.${method}: inserting ${n} keys would exceed the largest table (2^28 slots); the operation was not applied.`,
      );
    }
    throw new OutOfMemoryError(
      `HashTable.${method}: the WebAssembly memory cannot grow (limit ${this.heap.exports.memoryLimit() * 64} KiB) to insert up to ${n} keys; the table is unchanged.`,
    );
  }

  /**
   * Row index of each key (-1 when absent) and a 0/1 exists mask.
   *
   * @example
   * t.find(new Int32Array([3, 4])); // { rows: Int32Array [0, -1], exists: Uint8Array [1, 0] }
   */
  find(keys: Keys): { rows: Int32Array; exists: Uint8Array } {
    const n = checkKeys('find', this.keyDtype, keys);
    const [kp, aux, rp, ep, sp] = this.stage(keys, [n * 4, n, this.orderScratch(n)]);
    this.k.tableFind(this.t, this.mode, kp, aux, n, rp, ep, n >= ORDER_MIN_BATCH ? sp : 0);
    return { rows: this.heap.i32.slice(rp >>> 2, (rp >>> 2) + n), exists: this.heap.u8.slice(ep, ep + n) };
  }

  /**
   * Writes each found key's row into `out` ([n, dim]), clipped to `maxNorm` when given
   * (`v * maxNorm / max(‖v‖, maxNorm)`); rows of missing keys are left untouched. Returns the
   * exists mask. When `out` is a view of this table's WASM memory the kernel writes into it directly.
   *
   * @example
   * const out = new Float32Array(2 * t.dim);
   * t.gather(new Int32Array([3, 4]), out, { maxNorm: 1 }); // Uint8Array [1, 0]
   */
  gather(keys: Keys, out: Float32Array, opts: { maxNorm?: number } = {}): Uint8Array {
    const n = checkKeys('gather', this.keyDtype, keys);
    this.checkValues('gather', 'out', out, n);
    const maxNorm = this.checkMaxNorm('gather', opts);
    const dim = this.dim;
    const direct = out.buffer === this.heap.exports.memory.buffer;
    const [kp, aux, ep, tp, op, sp] = this.stage(keys, [n, n * 4, direct ? 0 : n * dim * 4, this.orderScratch(n)]);
    const outPtr = this.directOut('gather', out, direct, op);
    const scratch = n >= ORDER_MIN_BATCH ? sp : 0;
    const found = this.k.tableGather(this.t, this.mode, kp, aux, n, outPtr, maxNorm, ep, tp, scratch);
    const exists = this.heap.u8.slice(ep, ep + n);
    if (!direct) {
      const f32 = this.heap.f32;
      const base = op >>> 2;
      if (found === n) {
        out.set(f32.subarray(base, base + n * dim));
      } else {
        // copy runs of found rows, so missing rows of `out` keep what the caller put there
        let i = 0;
        while (i < n) {
          if (!exists[i]) {
            i++;
            continue;
          }
          let j = i + 1;
          while (j < n && exists[j]) j++;
          out.set(f32.subarray(base + i * dim, base + j * dim), i * dim);
          i = j;
        }
      }
    }
    return exists;
  }

  /**
   * Rows of `keys`, inserting absent ones first. A new key's row is zeros, or its slice of what
   * `init(missingIndex)` returns: `missingIndex` lists the batch positions whose key was
   * inserted (the first occurrence of each new key), and `init` must return
   * `missingIndex.length * dim` floats. If `init` throws or returns the wrong shape, the new
   * keys are removed again and the error is thrown.
   *
   * @example
   * t.findOrInsert(new Int32Array([9, 9]), (idx) => new Float32Array(idx.length * t.dim).fill(0.5)); // same row twice
   */
  findOrInsert(keys: Keys, init?: (missingIndex: Int32Array) => Float32Array): Int32Array {
    const n = checkKeys('findOrInsert', this.keyDtype, keys);
    if (init !== undefined && typeof init !== 'function') {
      throw new InvalidArgumentError(`HashTable.findOrInsert: init must be a function, got ${show(init)}.`);
    }
    const [kp, aux, rp, ip, tp] = this.stage(keys, [n * 4, n, n * 8]);
    const count = this.k.tableFindOrInsert(this.t, this.mode, kp, aux, n, rp, ip, tp);
    if (count < 0) this.fail('findOrInsert', count, n);
    const rows = this.heap.i32.slice(rp >>> 2, (rp >>> 2) + n);
    if (count > 0 && !init && this.watchers.size > 0) {
      // the new rows were written (zeros)
      const inserted = this.heap.u8.subarray(ip, ip + n);
      for (const w of this.watchers) for (let i = 0; i < n; i++) if (inserted[i]) w.add(rows[i]);
    }
    if (count === 0 || !init) return rows;
    const inserted = this.heap.u8.subarray(ip, ip + n);
    const missing = new Int32Array(count);
    for (let i = 0, j = 0; i < n; i++) if (inserted[i]) missing[j++] = i;
    let values: Float32Array;
    try {
      values = init(missing);
      this.checkValues('findOrInsert', 'the values init returned', values, count);
    } catch (e) {
      this.remove(pickKeys(keys, missing));
      throw e;
    }
    const newRows = new Int32Array(count);
    for (let j = 0; j < count; j++) newRows[j] = rows[missing[j]];
    this.writeRows(newRows, values);
    return rows;
  }

  /**
   * Inserts or overwrites keys with rows of `values` ([n, dim]). When a key repeats in the
   * batch, the last occurrence wins (as TFRA).
   *
   * @example
   * t.upsert(new Int32Array([1, 1]), new Float32Array([1, 1, 2, 2])); // key 1 -> [2, 2]
   */
  upsert(keys: Keys, values: Float32Array): void {
    const n = checkKeys('upsert', this.keyDtype, keys);
    this.checkValues('upsert', 'values', values, n);
    const [kp, aux, vp, tp] = this.stage(keys, [n * this.dim * 4, n * 8]);
    this.heap.f32.set(values, vp >>> 2);
    const r = this.k.tableUpsert(this.t, this.mode, kp, aux, n, vp, tp);
    if (r < 0) this.fail('upsert', r, n);
    this.noteWritten(keys);
  }

  /**
   * Removes keys; absent keys are ignored. Returns how many keys were removed.
   *
   * @example
   * t.remove(new Int32Array([1, 404])); // 1
   */
  remove(keys: Keys): number {
    const n = checkKeys('remove', this.keyDtype, keys);
    this.noteRemoved(keys);
    const [kp, aux] = this.stage(keys, []);
    return this.k.tableRemove(this.t, this.mode, kp, aux, n);
  }

  /**
   * TFRA accum: adds `newValues - oldValues` where the key is present and `exists[i]`; inserts
   * `newValues` where the key is absent and `!exists[i]`; otherwise does nothing (another
   * writer won). Processed in batch order.
   *
   * @example
   * t.accum(new Int32Array([1]), new Float32Array([2, 2]), new Float32Array([3, 5]), [true]); // row of 1 += [1, 3]
   */
  accum(keys: Keys, oldValues: Float32Array, newValues: Float32Array, exists: ArrayLike<boolean | number>): void {
    const n = checkKeys('accum', this.keyDtype, keys);
    this.checkValues('accum', 'oldValues', oldValues, n);
    this.checkValues('accum', 'newValues', newValues, n);
    if (exists === null || typeof exists !== 'object' || typeof exists.length !== 'number' || exists.length !== n) {
      throw new InvalidArgumentError(
        `HashTable.accum: exists must be an array of ${n} booleans (one per key), got ${show(exists)}.`,
      );
    }
    const vb = n * this.dim * 4;
    const [kp, aux, op, np, ep, tp] = this.stage(keys, [vb, vb, n, n * 8]);
    const f32 = this.heap.f32;
    f32.set(oldValues, op >>> 2);
    f32.set(newValues, np >>> 2);
    const u8 = this.heap.u8;
    for (let i = 0; i < n; i++) u8[ep + i] = exists[i] ? 1 : 0;
    const r = this.k.tableAccum(this.t, this.mode, kp, aux, n, op, np, ep, tp);
    if (r < 0) this.fail('accum', r, n);
    this.noteWritten(keys);
  }

  /**
   * Adds rows of `deltas` to the keys' rows, inserting zero rows for absent keys first.
   * Repeated keys accumulate.
   *
   * @example
   * t.scatterAdd(new Int32Array([5, 5]), new Float32Array([1, 0, 1, 0])); // key 5 -> [2, 0]
   */
  scatterAdd(keys: Keys, deltas: Float32Array): void {
    const n = checkKeys('scatterAdd', this.keyDtype, keys);
    this.checkValues('scatterAdd', 'deltas', deltas, n);
    const [kp, aux, dp, tp] = this.stage(keys, [n * this.dim * 4, n * 8]);
    this.heap.f32.set(deltas, dp >>> 2);
    const r = this.k.tableScatterAdd(this.t, this.mode, kp, aux, n, dp, tp);
    if (r < 0) this.fail('scatterAdd', r, n);
    this.noteWritten(keys);
  }

  /**
   * Removes every key (TFRA clear: size 0) and gives the memory back: the value rows and string
   * key bytes are freed and the slots shrink to the capacity the table was created with
   * (`initCapacity`), as a new table. Row indices handed out before are invalid afterwards.
   */
  clear(): void {
    this.k.tableClear(this.t);
    for (const w of this.watchers) w.clear();
  }

  /**
   * Starts recording which rows writes touch, for a consumer that mirrors rows elsewhere (the
   * GPU mirror): every upsert, accum, scatterAdd, findOrInsert and writeRows adds the rows it
   * wrote; remove and clear drop the rows they free (removed keys map to no row). `take()`
   * returns the rows written since the last take (each once, all still allocated) and empties
   * the set. Costs one extra hash probe per written key while someone watches.
   *
   * @example
   * const w = t.watchRows();
   * t.upsert(new Int32Array([1]), new Float32Array(t.dim));
   * w.take(); // Int32Array [row of key 1]
   * w.close();
   */
  watchRows(): RowWatch {
    const rows = new Set<number>();
    this.watchers.add(rows);
    return {
      take: () => {
        const out = Int32Array.from(rows);
        rows.clear();
        return out;
      },
      get pending() {
        return rows.size;
      },
      close: () => {
        this.watchers.delete(rows);
      },
    };
  }

  /**
   * Records rows a kernel wrote in place (training's in-place update) for the consumers watching
   * writes (see {@link watchRows}). Internal.
   *
   * @example
   * t.markRowsWritten(rows); // after updating them through rowPointers
   */
  markRowsWritten(rows: Int32Array): void {
    for (const w of this.watchers) for (const x of rows) w.add(x);
  }

  private noteWritten(keys: Keys): void {
    if (this.watchers.size === 0 || keys.length === 0) return;
    const { rows, exists } = this.find(keys);
    for (const w of this.watchers) for (let i = 0; i < rows.length; i++) if (exists[i]) w.add(rows[i]);
  }

  private noteRemoved(keys: Keys): void {
    if (this.watchers.size === 0 || keys.length === 0) return;
    const { rows, exists } = this.find(keys);
    for (const w of this.watchers) for (let i = 0; i < rows.length; i++) if (exists[i]) w.delete(rows[i]);
  }

  /**
   * Every key and its row, compact, in no particular order.
   *
   * @example
   * const { keys, values } = t.export(); // values.length === keys.length * t.dim
   */
  export(): { keys: Keys; values: Float32Array } {
    const t = this.t;
    const n = this.size();
    const dim = this.dim;
    const width = this.keyDtype === 'int64' ? 8 : 4;
    const base = this.scratch.get(Math.max(16, align16(n * width) + n * dim * 4));
    const vp = base + align16(n * width);
    const keyWidth = this.keyDtype === 'string' ? 0 : width;
    this.k.tableExport(t, base, keyWidth, vp);
    const values = this.heap.f32.slice(vp >>> 2, (vp >>> 2) + n * dim);
    if (this.keyDtype === 'int32') return { keys: this.heap.i32.slice(base >>> 2, (base >>> 2) + n), values };
    if (this.keyDtype === 'int64') return { keys: this.heap.i64.slice(base >>> 3, (base >>> 3) + n), values };
    const decoder = new TextDecoder();
    const u8 = this.heap.u8;
    const i32 = this.heap.i32;
    const keys: string[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const blk = i32[(base >>> 2) + i] >>> 0; // an address: unsigned (past 2 GiB it reads negative)
      const len = i32[blk >>> 2];
      keys[i] = decoder.decode(u8.subarray(blk + 4, blk + 4 + len));
    }
    return { keys, values };
  }

  /** Inserts exported keys and values (upsert semantics). */
  import(keys: Keys, values: Float32Array): void {
    this.upsert(keys, values);
  }

  /**
   * L2 norm of each key's row, 0 for absent keys.
   *
   * @example
   * t.rowNorms(new Int32Array([1])); // Float32Array [‖row of 1‖]
   */
  rowNorms(keys: Keys): Float32Array {
    const n = checkKeys('rowNorms', this.keyDtype, keys);
    const [kp, aux, op] = this.stage(keys, [n * 4]);
    this.k.tableRowNorms(this.t, this.mode, kp, aux, n, op);
    return this.heap.f32.slice(op >>> 2, (op >>> 2) + n);
  }

  private checkRows(method: string, rows: unknown): number {
    if (!(rows instanceof Int32Array)) {
      throw new InvalidArgumentError(
        `HashTable.${method}: rows must be an Int32Array of row indices, got ${show(rows)}.`,
      );
    }
    return rows.length;
  }

  private badRow(method: string, rows: Int32Array, code: number): never {
    const i = -code - 1;
    throw new InvalidArgumentError(
      `HashTable.${method}: rows[${i}] = ${rows[i]} does not name a row holding a key (row indices come from find/findOrInsert of this table; a row freed by remove or clear cannot be used).`,
    );
  }

  /**
   * Copies rows by row index (from find / findOrInsert) into `out` ([n, dim]), clipped to
   * `maxNorm` when given: a gather without the key lookups. Throws (writing nothing) when an
   * index does not name a row that holds a key, e.g. one freed by remove or clear. When `out`
   * is a view of this table's WASM memory the kernel writes into it directly.
   *
   * @example
   * const { rows } = t.find(ids); t.readRows(rows, out);
   */
  readRows(rows: Int32Array, out: Float32Array, opts: { maxNorm?: number } = {}): void {
    const n = this.checkRows('readRows', rows);
    this.checkValues('readRows', 'out', out, n);
    const maxNorm = this.checkMaxNorm('readRows', opts);
    const dim = this.dim;
    const direct = out.buffer === this.heap.exports.memory.buffer;
    const ib = align16(n * 4);
    const base = this.scratch.get(Math.max(16, 2 * ib + (direct ? 0 : n * dim * 4)));
    const op = this.directOut('readRows', out, direct, base + 2 * ib);
    this.heap.i32.set(rows, base >>> 2);
    const r = this.k.tableGatherRows(this.t, base, n, op, maxNorm, base + ib);
    if (r < 0) this.badRow('readRows', rows, r);
    if (!direct) out.set(this.heap.f32.subarray(op >>> 2, (op >>> 2) + n * dim));
  }

  /**
   * Overwrites rows by row index with `values` ([n, dim]).
   *
   * @example
   * t.writeRows(t.findOrInsert(ids), values);
   */
  writeRows(rows: Int32Array, values: Float32Array): void {
    const n = this.checkRows('writeRows', rows);
    this.checkValues('writeRows', 'values', values, n);
    const base = this.scratch.get(Math.max(16, align16(n * 4) + n * this.dim * 4));
    const vp = base + align16(n * 4);
    this.heap.i32.set(rows, base >>> 2);
    this.heap.f32.set(values, vp >>> 2);
    const r = this.k.tableWriteRows(this.t, base, n, vp);
    if (r < 0) this.badRow('writeRows', rows, r);
    for (const w of this.watchers) for (const x of rows) w.add(x);
  }

  /**
   * Byte offsets in `heap` memory of rows by index, for kernels that update rows in place
   * (optimizers). Valid until the next insert, clear or dispose of this table.
   *
   * @example
   * const ptrs = t.rowPointers(t.findOrInsert(ids)); // Uint32Array, one address per row
   */
  rowPointers(rows: Int32Array): Uint32Array {
    const n = this.checkRows('rowPointers', rows);
    const base = this.scratch.get(Math.max(16, align16(n * 4) * 2));
    const op = base + align16(n * 4);
    this.heap.i32.set(rows, base >>> 2);
    const r = this.k.tableRowPointers(this.t, base, n, op);
    if (r < 0) this.badRow('rowPointers', rows, r);
    return new Uint32Array(this.heap.u8.buffer.slice(op, op + n * 4));
  }

  private checkMetadata(method: string): void {
    if (!this.hasMetadata) {
      throw new InvalidArgumentError(
        `HashTable.${method}: this table keeps no per-key metadata; construct it with { metadata: true }.`,
      );
    }
  }

  /**
   * For present keys: last-update step = `step`, update count += 1 (once per call, even if a
   * key repeats). Absent keys are ignored. Needs `metadata: true`.
   *
   * @example
   * t.touch(new Int32Array([1, 1]), 7); t.metadata(new Int32Array([1])); // { step: [7], count: [1] }
   */
  touch(keys: Keys, step: number): void {
    this.checkMetadata('touch');
    const n = checkKeys('touch', this.keyDtype, keys);
    if (!Number.isInteger(step) || step < -(2 ** 31) || step >= 2 ** 31) {
      throw new InvalidArgumentError(`HashTable.touch: step must be a 32-bit integer, got ${show(step)}.`);
    }
    const [kp, aux] = this.stage(keys, []);
    this.k.tableTouch(this.t, this.mode, kp, aux, n, step);
  }

  /** Last-update step and update count of each key (0 and 0 for absent keys). Needs `metadata: true`. */
  metadata(keys: Keys): { step: Int32Array; count: Int32Array } {
    this.checkMetadata('metadata');
    const n = checkKeys('metadata', this.keyDtype, keys);
    const [kp, aux, sp, cp] = this.stage(keys, [n * 4, n * 4]);
    this.k.tableMetadata(this.t, this.mode, kp, aux, n, sp, cp);
    const i32 = this.heap.i32;
    return { step: i32.slice(sp >>> 2, (sp >>> 2) + n), count: i32.slice(cp >>> 2, (cp >>> 2) + n) };
  }

  /** Size, capacity, load, tombstones, probe lengths and bytes held. */
  stats(): TableStats {
    const t = this.t;
    const k = this.k;
    const hp = this.scratch.get(HIST_BUCKETS * 4);
    k.tableProbeHistogram(t, hp, HIST_BUCKETS);
    const probeLengthHistogram = Array.from(this.heap.i32.subarray(hp >>> 2, (hp >>> 2) + HIST_BUCKETS));
    const size = k.tableField(t, F_SIZE);
    const capacity = k.tableField(t, F_CAP);
    return {
      size,
      capacity,
      loadFactor: size / capacity,
      tombstones: k.tableField(t, F_TOMB),
      probeLengthHistogram,
      bytes: k.tableField(t, F_BYTES) >>> 0,
    };
  }

  /**
   * Copies of the control bytes (0x80 empty, 0xFE deleted, else the key's 7-bit tag) and the
   * slot -> row map (-1 where not full), for the internals view.
   */
  inspect(): { capacity: number; ctrl: Uint8Array; rows: Int32Array } {
    const t = this.t;
    const capacity = this.k.tableField(t, F_CAP);
    const base = this.scratch.get(align16(capacity) + capacity * 4);
    const rp = base + align16(capacity);
    this.k.tableInspect(t, base, rp);
    return {
      capacity,
      ctrl: this.heap.u8.slice(base, base + capacity),
      rows: this.heap.i32.slice(rp >>> 2, (rp >>> 2) + capacity),
    };
  }

  /** Frees the WASM memory the table holds; the table cannot be used afterwards. */
  dispose(): void {
    if (this.handle === 0) return;
    this.k.tableDestroy(this.handle);
    this.handle = 0;
  }
}
