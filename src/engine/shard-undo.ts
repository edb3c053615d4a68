// All-or-nothing writes across a Variable's shards. Each shard's kernel call is atomic on its
// own (it reserves all memory first), but with several shards a later shard can still fail (its
// own WebAssembly memory cannot grow) after earlier shards were written. So before writing a
// shard that is not the last, the rows its keys hold are read (the pre-image); if a later shard
// throws, the earlier shards are put back: keys the write added are removed, rows it changed or
// removed are written back. Input is validated before any of this, so only running out of memory
// (or a bug) can trigger the undo.
import type { HashTable } from './table.js';
import type { Keys } from './tensor.js';

/** The keys of one shard's part of a batch (empty parts are skipped). */
export interface ShardPart {
  keys: Keys;
}

interface PreImage {
  shard: HashTable;
  keys: Keys;
  values: Float32Array;
  exists: Uint8Array;
}

function pick(keys: Keys, exists: Uint8Array, want: number): Keys {
  const idx: number[] = [];
  for (let i = 0; i < exists.length; i++) if (exists[i] === want) idx.push(i);
  if (keys instanceof Int32Array) return Int32Array.from(idx, (i) => keys[i]);
  if (keys instanceof BigInt64Array) return BigInt64Array.from(idx, (i) => keys[i]);
  return idx.map((i) => keys[i]);
}

function rowsWhere(values: Float32Array, exists: Uint8Array, dim: number): Float32Array {
  let n = 0;
  for (let i = 0; i < exists.length; i++) n += exists[i];
  const out = new Float32Array(n * dim);
  for (let i = 0, o = 0; i < exists.length; i++) {
    if (exists[i]) out.set(values.subarray(i * dim, (i + 1) * dim), o++ * dim);
  }
  return out;
}

function restore(p: PreImage): void {
  const added = pick(p.keys, p.exists, 0);
  if (added.length > 0) p.shard.remove(added);
  const kept = pick(p.keys, p.exists, 1);
  if (kept.length > 0) p.shard.upsert(kept, rowsWhere(p.values, p.exists, p.shard.dim));
}

/**
 * Runs `write(s)` for every shard `s` whose part holds keys; if one throws, undoes the shards
 * written before it and rethrows, so the call changes no shard.
 *
 * @example
 * writeAllOrNothing(v.shards, parts, (s) => v.shards[s].upsert(parts[s].keys, rowsOf(s)));
 */
export function writeAllOrNothing(shards: HashTable[], parts: ShardPart[], write: (s: number) => void): void {
  let last = -1;
  parts.forEach((p, s) => {
    if (p.keys.length > 0) last = s;
  });
  const done: PreImage[] = [];
  for (let s = 0; s <= last; s++) {
    const keys = parts[s].keys;
    if (keys.length === 0) continue;
    let pre: PreImage | undefined;
    if (s !== last) {
      const values = new Float32Array(keys.length * shards[s].dim);
      pre = { shard: shards[s], keys, values, exists: shards[s].gather(keys, values) };
    }
    try {
      write(s);
    } catch (e) {
      for (const p of done.reverse()) restore(p);
      throw e;
    }
    if (pre) done.push(pre);
  }
}
