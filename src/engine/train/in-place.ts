// Training's in-place update: a Variable's rows and its optimizer slots' rows live in one heap
// (the slots are created in their Variable's heap), so the optimizer kernel updates them where
// they are stored, through row pointers. Compared with reading the slot rows, copying rows into
// the optimizer's own heap and upserting everything back, this drops two gathers, two upserts
// and four copies per step; the kernel and its inputs are the same, so are the bits.
//
// Two phases, so a failure changes nothing: `prepareInPlace` allocates, inserts the new keys
// (value rows as the step read them, slot rows at the slot's initial value) and takes the row
// pointers, undoing its inserts if anything fails; `run` only runs the kernel.
import { pickKeys } from '../table-keys.js';
import type { Keys } from '../tensor.js';
import type { Variable } from '../variable.js';
import { Scratch, type WasmHeap } from '../wasm.js';
import type { Optimizer } from './optimizers/optimizer.js';
import type { TouchedRows } from './tape.js';

const scratches = new WeakMap<WasmHeap, Scratch>();
function scratchOf(heap: WasmHeap): Scratch {
  let s = scratches.get(heap);
  if (!s) {
    s = new Scratch(heap);
    scratches.set(heap, s);
  }
  return s;
}

/**
 * Whether a Variable and its slot Variables can be updated in place: every shard of all of them
 * in one heap, partitioned alike.
 *
 * @example
 * canUpdateInPlace(v, opt.slotVariables(v)); // true for Variables created in-process
 */
export function canUpdateInPlace(v: Variable, slots: readonly Variable[]): boolean {
  if (v.remoteRows !== undefined) return false;
  const heap = v.shards[0].heap;
  return [v, ...slots].every(
    (x) => x.partitions === v.partitions && x.partitioner === v.partitioner && x.shards.every((s) => s.heap === heap),
  );
}

/** A prepared in-place update: `run` applies it (cannot fail), `undo` removes the keys it inserted. */
export interface PreparedUpdate {
  run(): void;
  undo(): void;
}

/** Positions of `t.keys` by shard, and their keys. */
function routes(v: Variable, keys: Keys): { idx: Int32Array | null; keys: Keys }[] {
  if (v.partitions === 1) return [{ idx: null, keys }];
  const shard = v.shardOf(keys);
  const counts = new Int32Array(v.partitions);
  for (const s of shard) counts[s]++;
  const idx = Array.from(counts, (c) => new Int32Array(c));
  counts.fill(0);
  for (let i = 0; i < shard.length; i++) idx[shard[i]][counts[shard[i]]++] = i;
  return idx.map((ix) => ({ idx: ix, keys: pickKeys(keys, ix) }));
}

/**
 * Inserts the step's new keys into `t.variable` and its `slots` and stages the kernel's pointers
 * and gradient in their heap. Throws (with every table as it was) on failure.
 *
 * @example
 * const p = prepareInPlace(opt, touched, opt.slotVariables(touched.variable));
 * p.run();
 */
export function prepareInPlace(optimizer: Optimizer, t: TouchedRows, slots: readonly Variable[]): PreparedUpdate {
  const v = t.variable;
  const n = t.keys.length;
  const dim = v.dim;
  const heap = v.shards[0].heap;
  const tables = [v, ...slots];
  const pb = (n * 4 + 15) & ~15;
  // allocate first: an out-of-memory error here has changed nothing
  const base = scratchOf(heap).get(Math.max(16, pb * tables.length + n * dim * 4));
  const groups = routes(v, t.keys);
  const inserted: { table: Variable; shard: number; keys: Keys }[] = [];
  const undo = () => {
    for (const x of inserted.reverse()) x.table.shards[x.shard].remove(x.keys);
    inserted.length = 0;
  };
  const rowsOf: Int32Array[][] = [];
  try {
    tables.forEach((table, ti) => {
      rowsOf.push(
        groups.map((g, s) =>
          table.shards[s].findOrInsert(g.keys, (missing) => {
            const init = new Float32Array(missing.length * dim);
            if (ti === 0) {
              // the value rows as the step read them (the initializer's, for keys that were missing)
              for (let m = 0; m < missing.length; m++) {
                const i = g.idx ? g.idx[missing[m]] : missing[m];
                init.set(t.old.subarray(i * dim, (i + 1) * dim), m * dim);
              }
            } else {
              table.initializer.fill(pickKeys(g.keys, missing), dim, init);
            }
            inserted.push({ table, shard: s, keys: pickKeys(g.keys, missing) });
            return init;
          }),
        ),
      );
    });
  } catch (e) {
    undo();
    throw e;
  }
  // rows never move (the arena grows by chunks), so the pointers hold until the kernel runs
  tables.forEach((table, ti) => {
    const at = (base + ti * pb) >> 2;
    groups.forEach((g, s) => {
      const ptrs = table.shards[s].rowPointers(rowsOf[ti][s]);
      // a fresh view: rowPointers' scratch may have grown the memory
      const u32 = new Uint32Array(heap.u8.buffer);
      if (!g.idx) u32.set(ptrs, at);
      else for (let j = 0; j < ptrs.length; j++) u32[at + g.idx[j]] = ptrs[j];
    });
  });
  const gp = base + pb * tables.length;
  heap.f32.set(t.grad, gp >> 2);
  return {
    run: () => {
      const s = slots.map((_, j) => base + (j + 1) * pb);
      optimizer.updateRowsAt(heap.exports, base, s, gp, n, dim, t.maxNorm);
      tables.forEach((table, ti) => groups.forEach((_, sh) => table.shards[sh].markRowsWritten(rowsOf[ti][sh])));
    },
    undo,
  };
}
