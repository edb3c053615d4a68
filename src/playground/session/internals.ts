// The Internals panel's view of the hash tables: each shard's control bytes and statistics for a
// table of the session, and the tiny-table demo (one small table, a key at a time, showing where
// each insert lands, when it rehashes and when a remove leaves a tombstone).
import * as de from '../../engine/index.js';
import { INTERNALS_SLOTS, type ShardInternals, type TinyState } from '../protocol.js';

/**
 * Control bytes (the first INTERNALS_SLOTS) and statistics of each shard of an in-process table.
 *
 * @example
 * shardInternals(v)[0].loadFactor; // size / capacity of shard 0
 */
export function shardInternals(v: de.Variable): ShardInternals[] {
  return v.shards.map((table, shard) => {
    const ins = table.inspect();
    const st = table.stats();
    return {
      shard,
      capacity: ins.capacity,
      ctrl: ins.ctrl.slice(0, INTERNALS_SLOTS),
      size: st.size,
      tombstones: st.tombstones,
      loadFactor: st.loadFactor,
      probeLengthHistogram: st.probeLengthHistogram,
    };
  });
}

function tinyKey(seed: number, n: number): number {
  // Distinct three-digit keys (389 is coprime to 1000); the table's hash spreads them over groups.
  return (n * 389 + 17 * seed) % 1000;
}

/**
 * The tiny-table demo: one int32 hash table of 32 slots, filled and emptied a key at a time.
 *
 * @example
 * const tiny = new TinyTable();
 * tiny.reset(1).size; // 0
 * tiny.insert().size; // 1
 */
export class TinyTable {
  private table: de.HashTable | null = null;
  private keys: number[] = [];
  private n = 0;
  private seed = 1;

  /** An empty table; keys come from `seed`. */
  reset(seed: number): TinyState {
    this.table?.dispose();
    this.table = new de.HashTable({ keyDtype: 'int32', dim: 1, initCapacity: 28 });
    this.keys = [];
    this.n = 0;
    this.seed = seed;
    return this.state('An empty table: every slot is empty.', -1);
  }

  /** Inserts the next key; says where it landed, or that the table rehashed. */
  insert(): TinyState {
    if (!this.table) this.reset(1);
    const table = this.table!;
    const key = tinyKey(this.seed, this.n++);
    const before = table.stats().capacity;
    table.findOrInsert(Int32Array.of(key));
    this.keys.push(key);
    const after = table.stats().capacity;
    const row = table.find(Int32Array.of(key)).rows[0];
    const slot = table.inspect().rows.indexOf(row);
    const event =
      after !== before
        ? `Inserted ${key}: the table was too full, so it rehashed from ${before} to ${after} slots and re-placed every key (tombstones dropped).`
        : `Inserted ${key} into slot ${slot} (group ${Math.floor(slot / 16)}).`;
    return this.state(event, slot);
  }

  /** Removes the oldest key; says whether its slot became a tombstone. */
  remove(): TinyState {
    if (!this.table || this.keys.length === 0) return this.reset(this.seed);
    const table = this.table;
    const key = this.keys.shift()!;
    const before = table.stats().tombstones;
    table.remove(Int32Array.of(key));
    const event =
      table.stats().tombstones > before
        ? `Removed ${key}: its slot becomes a tombstone, so probes for other keys still pass it.`
        : `Removed ${key}: its slot is empty again (no probe can have passed a group that never filled, so no tombstone is needed).`;
    return this.state(event, -1);
  }

  private state(event: string, lastSlot: number): TinyState {
    const table = this.table!;
    const ins = table.inspect();
    const stats = table.stats();
    const byRow = new Map<number, number>();
    if (this.keys.length > 0) {
      const found = table.find(Int32Array.from(this.keys));
      this.keys.forEach((k, i) => byRow.set(found.rows[i], k));
    }
    return {
      capacity: ins.capacity,
      ctrl: ins.ctrl,
      keys: Array.from(ins.rows, (r) => (r >= 0 ? (byRow.get(r) ?? null) : null)),
      size: stats.size,
      tombstones: stats.tombstones,
      loadFactor: stats.loadFactor,
      probeLengthHistogram: stats.probeLengthHistogram,
      event,
      lastSlot,
      nextKey: tinyKey(this.seed, this.n),
    };
  }

  dispose(): void {
    this.table?.dispose();
    this.table = null;
  }
}
