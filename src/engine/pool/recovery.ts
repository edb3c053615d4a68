// The recovery log of one shard: the last snapshot of its contents plus every mutation sent
// since. A mutation is logged before it is sent (write-ahead), so a worker that dies is restored
// to a state that holds every call the client made, in order.
import type { Keys } from '../table-keys.js';
import type { ShardMutation, ShardSnapshot } from './protocol.js';

interface Entry {
  seq: number;
  m: ShardMutation;
}

function mutationBytes(m: ShardMutation): number {
  const keyBytes = (k: Keys): number => (Array.isArray(k) ? k.reduce((a, s) => a + s.length * 2 + 8, 0) : k.byteLength);
  switch (m.op) {
    case 'upsert':
    case 'upsertPart':
      return keyBytes(m.keys) + m.values.byteLength;
    case 'remove':
      return keyBytes(m.keys);
    case 'scatterAdd':
      return keyBytes(m.keys) + m.deltas.byteLength;
    case 'accum':
      return keyBytes(m.keys) + m.oldValues.byteLength + m.newValues.byteLength + m.exists.byteLength;
    case 'clear':
      return 8;
    case 'train':
      return keyBytes(m.keys) + m.old.byteLength + m.exists.byteLength + m.grad.byteLength + 128;
    case 'restrict':
      return 8;
  }
}

/**
 * Snapshot + write-ahead log of one shard. `append` before sending a mutation, `drop` when the
 * worker rejected it (it changed nothing), `compacted` when a snapshot taken after `seq` arrives.
 *
 * @example
 * const log = new ShardLog();
 * const seq = log.append({ op: 'remove', keys: new Int32Array([1]) });
 * log.replay(); // { snapshot: null, mutations: [{ op: 'remove', ... }] }
 */
export class ShardLog {
  private snapshot: ShardSnapshot | null = null;
  private snapshotBytes = 0;
  private entries: Entry[] = [];
  private nextSeq = 1;
  /** Bytes of mutations held since the snapshot. */
  logBytes = 0;

  append(m: ShardMutation): number {
    const seq = this.nextSeq++;
    this.entries.push({ seq, m });
    this.logBytes += mutationBytes(m);
    return seq;
  }

  /** Removes a mutation the worker rejected without applying (validation, out of memory). */
  drop(seq: number): void {
    const k = this.entries.findIndex((e) => e.seq === seq);
    if (k >= 0) {
      this.logBytes -= mutationBytes(this.entries[k].m);
      this.entries.splice(k, 1);
    }
  }

  /** The sequence number of the newest logged mutation (0 when none). */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /** Replaces the snapshot by one that holds every mutation up to `seq`, and forgets those. */
  compacted(seq: number, snapshot: ShardSnapshot): void {
    this.snapshot = snapshot;
    const bytes = (p: { keys: Keys; values: Float32Array }) =>
      p.values.byteLength + (Array.isArray(p.keys) ? p.keys.length * 16 : p.keys.byteLength);
    this.snapshotBytes = bytes(snapshot) + snapshot.parts.reduce((a, p) => a + bytes(p), 0);
    const keep = this.entries.filter((e) => e.seq > seq);
    this.entries = keep;
    this.logBytes = keep.reduce((a, e) => a + mutationBytes(e.m), 0);
  }

  /** True when the log has grown past the snapshot enough that compacting pays. */
  wantsCompaction(minBytes: number): boolean {
    return this.logBytes > Math.max(minBytes, this.snapshotBytes);
  }

  /** What to apply to an empty shard to rebuild it: the snapshot, then the mutations in order. */
  replay(): { snapshot: ShardSnapshot | null; mutations: ShardMutation[] } {
    return { snapshot: this.snapshot, mutations: this.entries.map((e) => e.m) };
  }
}
