// A hash table split into shards that live on pool workers: shard i on worker i mod N.
// Keys are routed by the partitioner, each worker's part is sent at once, and the results are
// assembled in the order of the keys.
import type { Remote } from 'comlink';
import { InvalidArgumentError, show } from '../errors.js';
import { checkKeys, type KeyDtype, type Keys, pickKeys } from '../table-keys.js';
import { defaultShardOf } from '../partition.js';
import { WorkerDiedError } from './errors.js';
import type { RestoreTask, WorkerPool } from './pool.js';
import type { HostApi, KeysMessage, ShardMutation, ShardSpec, SharedRegion } from './protocol.js';
import { ShardLog } from './recovery.js';

/** Options of {@link PoolTable.create}. */
export interface PoolTableOptions {
  keyDtype: KeyDtype;
  dim: number;
  /** Shards (default: the pool's size). */
  partitions?: number;
  /** The shard of every key; default TFRA's `key mod N` (floor-mod), string keys by hash. */
  shardOf?: (keys: Keys, partitions: number) => Int32Array;
  /** Keys that fit before the first rehash, over all shards (default 1024). */
  initCapacity?: number;
  /** Keep a recovery log so a dead worker's shards are restored (default true). */
  recovery?: boolean;
  /** Compact a shard's log into a snapshot once it holds more than this many bytes (default 4 MiB). */
  compactBytes?: number;
}

export { defaultShardOf } from '../partition.js';

function pickRows(values: Float32Array, idx: Int32Array, dim: number): Float32Array {
  const out = new Float32Array(idx.length * dim);
  for (let j = 0; j < idx.length; j++) out.set(values.subarray(idx[j] * dim, (idx[j] + 1) * dim), j * dim);
  return out;
}

let nextShardId = 1;

// Shared buffers are reused across gathers: sending a newly allocated SharedArrayBuffer to a
// worker costs far more than the copy it saves (measured in Node: ~5x slower per gather).
const freeSabs: SharedArrayBuffer[] = [];

function takeSab(bytes: number): SharedArrayBuffer {
  const i = freeSabs.findIndex((b) => b.byteLength >= bytes);
  if (i >= 0) return freeSabs.splice(i, 1)[0];
  let size = 4096;
  while (size < bytes) size *= 2;
  return new SharedArrayBuffer(size);
}

function giveSab(b: SharedArrayBuffer | null): void {
  if (b && freeSabs.length < 16) freeSabs.push(b);
}

/**
 * A sharded hash table on a WorkerPool. Every method is async; results equal a local
 * HashTable's (same kernels). A worker that dies is restored from the recovery log.
 *
 * @example
 * const t = await PoolTable.create(pool, { keyDtype: 'int32', dim: 2, partitions: 4 });
 * await t.upsert(new Int32Array([1, 2]), new Float32Array([1, 1, 2, 2]));
 * const { values, exists } = await t.gather(new Int32Array([2, 3])); // [2, 2, 0, 0], [1, 0]
 */
export class PoolTable {
  readonly keyDtype: KeyDtype;
  readonly dim: number;
  readonly partitions: number;
  private readonly ids: number[];
  private readonly logs: ShardLog[] | null;
  private readonly spec: ShardSpec;
  private readonly shardOfFn: (keys: Keys, partitions: number) => Int32Array;
  private readonly compactBytes: number;
  private readonly removeHook: () => void;
  private disposed = false;
  private compacting = new Set<number>();

  private constructor(
    readonly pool: WorkerPool,
    o: PoolTableOptions,
  ) {
    this.keyDtype = o.keyDtype;
    this.dim = o.dim;
    this.partitions = o.partitions ?? pool.size;
    this.shardOfFn = o.shardOf ?? defaultShardOf;
    this.compactBytes = o.compactBytes ?? 4 << 20;
    const perShard = Math.max(1, Math.ceil((o.initCapacity ?? 1024) / this.partitions));
    this.spec = { keyDtype: o.keyDtype, dim: o.dim, initCapacity: perShard };
    this.ids = Array.from({ length: this.partitions }, () => nextShardId++);
    this.logs = o.recovery === false ? null : this.ids.map(() => new ShardLog());
    this.removeHook = pool.addRestoreHook((w) => this.restoreTask(w));
  }

  /**
   * Creates the shards on the pool's workers.
   *
   * @example
   * const t = await PoolTable.create(pool, { keyDtype: 'int64', dim: 8, partitions: 2 });
   */
  static async create(pool: WorkerPool, options: PoolTableOptions): Promise<PoolTable> {
    const o = options ?? ({} as PoolTableOptions);
    if (o.keyDtype !== 'int32' && o.keyDtype !== 'int64' && o.keyDtype !== 'string') {
      throw new InvalidArgumentError(
        `PoolTable: keyDtype must be 'int32', 'int64' or 'string', got ${show(o.keyDtype)}.`,
      );
    }
    if (!Number.isInteger(o.dim) || o.dim < 1) {
      throw new InvalidArgumentError(`PoolTable: dim must be an integer >= 1, got ${show(o.dim)}.`);
    }
    const p = o.partitions ?? pool.size;
    if (!Number.isInteger(p) || p < 1) {
      throw new InvalidArgumentError(`PoolTable: partitions must be an integer >= 1, got ${show(o.partitions)}.`);
    }
    const t = new PoolTable(pool, o);
    await Promise.all(t.ids.map((id, s) => pool.call(t.workerOf(s), 'createShard', [id, t.spec])));
    return t;
  }

  /** The worker that holds shard `s`: `s mod poolSize`. */
  workerOf(s: number): number {
    return s % this.pool.size;
  }

  private restoreTask(worker: number): RestoreTask | undefined {
    if (this.disposed) return undefined;
    const mine = this.ids.map((id, s) => ({ id, s })).filter(({ s }) => this.workerOf(s) === worker);
    if (mine.length === 0) return undefined;
    const plans = mine.map(({ id, s }) => ({ id, replay: this.logs ? this.logs[s].replay() : null }));
    return async (host: Remote<HostApi>): Promise<void> => {
      for (const { id, replay } of plans) {
        await host.createShard(id, this.spec);
        if (!replay) continue;
        if (replay.snapshot) await host.restoreShard(id, replay.snapshot);
        if (replay.mutations.length > 0) await host.applyAll(id, replay.mutations);
      }
    };
  }

  private check(method: string, keys: Keys): number {
    if (this.disposed) throw new InvalidArgumentError(`PoolTable.${method}: the table was disposed.`);
    return checkKeys(method, this.keyDtype, keys);
  }

  private checkFloats(method: string, what: string, v: unknown, n: number): Float32Array {
    if (!(v instanceof Float32Array) || v.length !== n * this.dim) {
      throw new InvalidArgumentError(
        `PoolTable.${method}: ${what} must be a Float32Array of ${n} x ${this.dim} = ${n * this.dim} values, got ${show(v)}.`,
      );
    }
    return v;
  }

  private route(keys: Keys): Int32Array[] {
    const shard = this.shardOfFn(keys, this.partitions);
    const counts = new Int32Array(this.partitions);
    for (let i = 0; i < shard.length; i++) {
      const s = shard[i];
      if (!Number.isInteger(s) || s < 0 || s >= this.partitions) {
        throw new InvalidArgumentError(
          `PoolTable: the partitioner must return a shard in [0, ${this.partitions}), got ${show(s)} for key ${show(keys[i])}.`,
        );
      }
      counts[s]++;
    }
    const idx = Array.from(counts, (c) => new Int32Array(c));
    counts.fill(0);
    for (let i = 0; i < shard.length; i++) idx[shard[i]][counts[shard[i]]++] = i;
    return idx;
  }

  /**
   * Rows of `keys` ([n, dim]) and a 0/1 exists mask; rows of missing keys are zeros. With
   * shared memory the workers read ids from and write rows into SharedArrayBuffers.
   *
   * @example
   * const { values, exists } = await t.gather(new Int32Array([1, 2]), { maxNorm: 1 });
   */
  async gather(
    keys: Keys,
    options: { maxNorm?: number; part?: { name: string; dim: number } } = {},
  ): Promise<{ values: Float32Array; exists: Uint8Array }> {
    const n = this.check('gather', keys);
    const maxNorm = options.maxNorm ?? 0;
    if (typeof maxNorm !== 'number' || !Number.isFinite(maxNorm) || maxNorm < 0) {
      throw new InvalidArgumentError(
        `PoolTable.gather: maxNorm must be a finite number >= 0, got ${show(options.maxNorm)}.`,
      );
    }
    const dim = options.part?.dim ?? this.dim;
    const partName = options.part?.name;
    const routes = this.route(keys);
    const values = new Float32Array(n * dim);
    const exists = new Uint8Array(n);
    const shared = this.pool.sharedMemory;
    const outSab = shared ? takeSab(n * dim * 4) : null;
    // rows of missing keys are not written by the workers: they must read as zeros
    if (outSab) new Float32Array(outSab, 0, n * dim).fill(0);
    const width = this.keyDtype === 'int64' ? 8 : 4;
    const keySab = shared && this.keyDtype !== 'string' ? takeSab(n * width) : null;
    let off = 0;
    const parts = routes.map((idx, s) => {
      const start = off;
      off += idx.length;
      if (idx.length === 0) return null;
      let msg: KeysMessage;
      if (keySab) {
        const region: SharedRegion = { buffer: keySab, byteOffset: start * width, length: idx.length };
        const view =
          this.keyDtype === 'int32'
            ? new Int32Array(keySab, start * width, idx.length)
            : new BigInt64Array(keySab, start * width, idx.length);
        const src = keys as Int32Array & BigInt64Array;
        for (let j = 0; j < idx.length; j++) view[j] = src[idx[j]];
        msg = { kind: 'shared', dtype: this.keyDtype as 'int32' | 'int64', region };
      } else {
        msg = { kind: 'keys', keys: routes.length === 1 ? keys : pickKeys(keys, idx) };
      }
      const out = outSab ? { buffer: outSab, byteOffset: start * dim * 4, length: idx.length * dim } : null;
      return this.pool
        .call(this.workerOf(s), 'gather', [this.ids[s], msg, maxNorm, out, partName])
        .then((r) => ({ idx, start, r }));
    });
    // a failed call leaves its buffers to the garbage collector (a worker may still hold them)
    const results = await Promise.all(parts);
    const all = outSab ? new Float32Array(outSab, 0, n * dim) : null;
    for (const p of results) {
      if (!p) continue;
      const src = all ? all.subarray(p.start * dim, (p.start + p.idx.length) * dim) : (p.r.values as Float32Array);
      const { idx } = p;
      if (routes.length === 1) {
        values.set(src);
        exists.set(p.r.exists);
        continue;
      }
      for (let j = 0; j < idx.length; j++) {
        values.set(src.subarray(j * dim, (j + 1) * dim), idx[j] * dim);
        exists[idx[j]] = p.r.exists[j];
      }
    }
    giveSab(outSab);
    giveSab(keySab);
    return { values, exists };
  }

  // Logs and sends one mutation per shard; resolves to the per-shard results.
  private async mutate(method: string, parts: (ShardMutation | null)[]): Promise<number[]> {
    const sends = parts.map((m, s) => {
      if (!m) return Promise.resolve(0);
      const w = this.workerOf(s);
      const log = this.logs?.[s];
      const generation = this.pool.generation(w);
      const seq = log?.append(m);
      return this.pool.call(w, 'apply', [this.ids[s], m], { mutation: log !== undefined, generation }).then(
        (r) => {
          if (log && log.wantsCompaction(this.compactBytes)) void this.compact(s);
          return r;
        },
        (e: unknown) => {
          // A worker that died keeps the logged call (the restore applies it); a call the worker
          // refused changed nothing, so it leaves the log.
          if (log && seq !== undefined && !(e instanceof WorkerDiedError)) log.drop(seq);
          throw e;
        },
      );
    });
    const settled = await Promise.allSettled(sends);
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason instanceof Error ? failed.reason : new Error(`PoolTable.${method} failed`);
    return settled.map((r) => (r as PromiseFulfilledResult<number>).value);
  }

  private async compact(s: number): Promise<void> {
    const log = this.logs?.[s];
    if (!log || this.compacting.has(s) || this.disposed) return;
    this.compacting.add(s);
    try {
      const upTo = log.lastSeq;
      const snap = await this.pool.call(this.workerOf(s), 'snapshotShard', [this.ids[s]]);
      log.compacted(upTo, snap);
    } catch {
      // The worker died or the pool ended: the log still holds everything; try again later.
    } finally {
      this.compacting.delete(s);
    }
  }

  private split<T>(keys: Keys, f: (k: Keys, idx: Int32Array) => T): (T | null)[] {
    const routes = this.route(keys);
    return routes.map((idx) => (idx.length === 0 ? null : f(routes.length === 1 ? keys : pickKeys(keys, idx), idx)));
  }

  /**
   * Inserts or overwrites rows ([n, dim]); the last duplicate wins.
   *
   * @example
   * await t.upsert(new Int32Array([1]), new Float32Array([0.5, 0.5]));
   */
  async upsert(keys: Keys, values: Float32Array): Promise<void> {
    const n = this.check('upsert', keys);
    this.checkFloats('upsert', 'values', values, n);
    const one = this.partitions === 1;
    await this.mutate(
      'upsert',
      this.split(keys, (k, idx) => ({
        op: 'upsert',
        keys: k,
        values: one ? values.slice() : pickRows(values, idx, this.dim),
      })),
    );
  }

  /**
   * Inserts or overwrites rows ([n, partDim]) of a part of every shard (an optimizer slot
   * `slot:<group>/<name>` or the restrict status `status`), routed as the values are: writing
   * back what {@link export} of that part returned. The part is created when absent.
   *
   * @example
   * await t.upsertPart('status', 1, new Int32Array([1]), new Float32Array([3]));
   */
  async upsertPart(part: string, partDim: number, keys: Keys, values: Float32Array): Promise<void> {
    const n = this.check('upsertPart', keys);
    if (typeof part !== 'string' || part === '') {
      throw new InvalidArgumentError(`PoolTable.upsertPart: part must be a part name, got ${show(part)}.`);
    }
    if (!Number.isInteger(partDim) || partDim < 1) {
      throw new InvalidArgumentError(`PoolTable.upsertPart: partDim must be an integer >= 1, got ${show(partDim)}.`);
    }
    if (!(values instanceof Float32Array) || values.length !== n * partDim) {
      throw new InvalidArgumentError(
        `PoolTable.upsertPart: values must be a Float32Array of ${n} x ${partDim} = ${n * partDim} values, got ${show(values)}.`,
      );
    }
    const one = this.partitions === 1;
    await this.mutate(
      'upsertPart',
      this.split(keys, (k, idx) => ({
        op: 'upsertPart',
        part,
        dim: partDim,
        keys: k,
        values: one ? values.slice() : pickRows(values, idx, partDim),
      })),
    );
  }

  /**
   * Adds `deltas` ([n, dim]) to the rows of `keys` (inserting zeros first); duplicates add up.
   * A sparse SGD step is `scatterAdd(keys, -lr * grad)`.
   *
   * @example
   * await t.scatterAdd(new Int32Array([5, 5]), new Float32Array([1, 0, 1, 0])); // key 5 -> [2, 0]
   */
  async scatterAdd(keys: Keys, deltas: Float32Array): Promise<void> {
    const n = this.check('scatterAdd', keys);
    this.checkFloats('scatterAdd', 'deltas', deltas, n);
    const one = this.partitions === 1;
    await this.mutate(
      'scatterAdd',
      this.split(keys, (k, idx) => ({
        op: 'scatterAdd',
        keys: k,
        deltas: one ? deltas.slice() : pickRows(deltas, idx, this.dim),
      })),
    );
  }

  /**
   * TFRA accum (see HashTable.accum), routed to shards.
   *
   * @example
   * await t.accum(keys, oldValues, newValues, new Uint8Array([1, 0]));
   */
  async accum(keys: Keys, oldValues: Float32Array, newValues: Float32Array, exists: Uint8Array): Promise<void> {
    const n = this.check('accum', keys);
    this.checkFloats('accum', 'oldValues', oldValues, n);
    this.checkFloats('accum', 'newValues', newValues, n);
    if (!(exists instanceof Uint8Array) || exists.length !== n) {
      throw new InvalidArgumentError(
        `PoolTable.accum: exists must be a Uint8Array of length ${n}, got ${show(exists)}.`,
      );
    }
    await this.mutate(
      'accum',
      this.split(keys, (k, idx) => ({
        op: 'accum',
        keys: k,
        oldValues: pickRows(oldValues, idx, this.dim),
        newValues: pickRows(newValues, idx, this.dim),
        exists: Uint8Array.from(idx, (i) => exists[i]),
      })),
    );
  }

  /**
   * One training step's update of the rows `keys` (distinct), run on the workers that hold them:
   * see the 'train' ShardMutation. Logged like every mutation, so a restored worker replays it.
   *
   * @example
   * await t.train(keys, old, exists, grad, { maxNorm: 0, bpV2: false, optimizer: opt.getState(), slotGroup: 1, policy: null, step: 1 });
   */
  async train(
    keys: Keys,
    old: Float32Array,
    exists: Uint8Array,
    grad: Float32Array,
    o: Omit<Extract<ShardMutation, { op: 'train' }>, 'op' | 'keys' | 'old' | 'exists' | 'grad'>,
  ): Promise<void> {
    const n = this.check('train', keys);
    this.checkFloats('train', 'old', old, n);
    this.checkFloats('train', 'grad', grad, n);
    if (!(exists instanceof Uint8Array) || exists.length !== n) {
      throw new InvalidArgumentError(
        `PoolTable.train: exists must be a Uint8Array of length ${n}, got ${show(exists)}.`,
      );
    }
    const one = this.partitions === 1;
    await this.mutate(
      'train',
      this.split(keys, (k, idx) => ({
        op: 'train',
        keys: k,
        old: one ? old.slice() : pickRows(old, idx, this.dim),
        exists: one ? exists.slice() : Uint8Array.from(idx, (i) => exists[i]),
        grad: one ? grad.slice() : pickRows(grad, idx, this.dim),
        ...o,
      })),
    );
  }

  /**
   * TFRA restrict on every shard: each keeps its `quota` keys with the largest status and
   * removes the others from its values, status and slots. Resolves to how many were removed.
   *
   * @example
   * await t.restrictShards(100);
   */
  async restrictShards(quota: number): Promise<number> {
    if (this.disposed) throw new InvalidArgumentError('PoolTable.restrictShards: the table was disposed.');
    if (!Number.isInteger(quota) || quota < 0) {
      throw new InvalidArgumentError(`PoolTable.restrictShards: quota must be an integer >= 0, got ${show(quota)}.`);
    }
    const r = await this.mutate(
      'restrict',
      this.ids.map(() => ({ op: 'restrict', quota })),
    );
    return r.reduce((a, b) => a + b, 0);
  }

  /**
   * Keys held in a part (optimizer slot or restrict status) of every shard, or of shard `s`.
   *
   * @example
   * await t.partSize('status');
   */
  async partSize(part: string, s?: number): Promise<number> {
    const shards = s === undefined ? this.ids.map((_, k) => k) : [s];
    const all = await Promise.all(shards.map((k) => this.pool.call(this.workerOf(k), 'size', [this.ids[k], part])));
    return all.reduce((a, b) => a + b, 0);
  }

  /**
   * Removes keys (absent ones are ignored); resolves to how many were removed.
   *
   * @example
   * await t.remove(new Int32Array([1, 99])); // 1
   */
  async remove(keys: Keys): Promise<number> {
    this.check('remove', keys);
    const r = await this.mutate(
      'remove',
      this.split(keys, (k) => ({ op: 'remove', keys: k })),
    );
    return r.reduce((a, b) => a + b, 0);
  }

  /**
   * Removes every key from every shard.
   *
   * @example
   * await t.clear(); await t.size(); // 0
   */
  async clear(): Promise<void> {
    if (this.disposed) throw new InvalidArgumentError('PoolTable.clear: the table was disposed.');
    await this.mutate(
      'clear',
      this.ids.map(() => ({ op: 'clear' })),
    );
  }

  /**
   * Keys held, over all shards or in shard `s`.
   *
   * @example
   * await t.size(); await t.size(0);
   */
  async size(s?: number): Promise<number> {
    if (s !== undefined) {
      if (!Number.isInteger(s) || s < 0 || s >= this.partitions) {
        throw new InvalidArgumentError(
          `PoolTable.size: shard must be an integer in [0, ${this.partitions}), got ${show(s)}.`,
        );
      }
      return this.pool.call(this.workerOf(s), 'size', [this.ids[s]]);
    }
    const all = await Promise.all(this.ids.map((id, k) => this.pool.call(this.workerOf(k), 'size', [id])));
    return all.reduce((a, b) => a + b, 0);
  }

  /**
   * Every key and row, shard by shard (any order).
   *
   * @example
   * const { keys, values } = await t.export();
   */
  async export(part?: string): Promise<{ keys: Keys; values: Float32Array }> {
    const parts = await Promise.all(
      this.ids.map((id, s) => this.pool.call(this.workerOf(s), 'exportShard', [id, part])),
    );
    const values = new Float32Array(parts.reduce((a, p) => a + p.values.length, 0));
    let o = 0;
    for (const p of parts) {
      values.set(p.values, o);
      o += p.values.length;
    }
    let keys: Keys;
    if (this.keyDtype === 'string') keys = parts.flatMap((p) => p.keys as string[]);
    else {
      const n = parts.reduce((a, p) => a + p.keys.length, 0);
      const out = this.keyDtype === 'int32' ? new Int32Array(n) : new BigInt64Array(n);
      let k = 0;
      for (const p of parts) {
        (out as Int32Array).set(p.keys as Int32Array, k);
        k += p.keys.length;
      }
      keys = out;
    }
    return { keys, values };
  }

  /**
   * Frees the shards on the workers; the table must not be used afterwards.
   *
   * @example
   * await t.dispose();
   */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.removeHook();
    if (this.pool.isTerminated) return;
    await Promise.allSettled(this.ids.map((id, s) => this.pool.call(this.workerOf(s), 'dropShard', [id])));
  }
}
