// The worker side of the pool: a ShardHost holds shards (HashTables) by id in this worker's
// own WASM instances, and answers the pool client's calls (through comlink).
import { expose, transfer, type Endpoint } from 'comlink';
import { InvalidArgumentError } from '../errors.js';
import { HashTable } from '../table.js';
import { type Keys, pickKeys } from '../table-keys.js';
import { TpuCoreHost, type TpuCoreRequest, type TpuCoreResponse } from '../tpu/core.js';
import { Adagrad } from '../train/optimizers/adagrad.js';
import { Adam } from '../train/optimizers/adam.js';
import { Ftrl } from '../train/optimizers/ftrl.js';
import { Momentum } from '../train/optimizers/momentum.js';
import type { Optimizer } from '../train/optimizers/optimizer.js';
import { RMSprop } from '../train/optimizers/rmsprop.js';
import { SGD } from '../train/optimizers/sgd.js';
import { adoptModule, type WasmFlavour } from '../wasm.js';
import type {
  HostApi,
  KeysMessage,
  ShardMutation,
  ShardSnapshot,
  ShardSpec,
  SharedRegion,
  TrainOptimizer,
} from './protocol.js';

const OPTIMIZERS: Record<string, new (config: never) => Optimizer> = { Adagrad, Adam, Ftrl, Momentum, RMSprop, SGD };

function compareKeys(a: number | bigint | string, b: number | bigint | string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function keysOf(m: KeysMessage): Keys {
  if (m.kind === 'keys') return m.keys;
  const { buffer, byteOffset, length } = m.region;
  return m.dtype === 'int32'
    ? new Int32Array(buffer, byteOffset, length)
    : new BigInt64Array(buffer, byteOffset, length);
}

/**
 * Holds the shards placed on one worker. Runs in the worker; the pool client calls it through
 * comlink. Usable in-process too (the tests check both ways give the same results).
 *
 * @example
 * const host = new ShardHost();
 * await host.init('simd', compiledModule('simd')!);
 * host.createShard(0, { keyDtype: 'int32', dim: 2, initCapacity: 16 });
 * host.apply(0, { op: 'upsert', keys: new Int32Array([1]), values: new Float32Array([1, 2]) });
 */
export class ShardHost implements HostApi {
  private readonly shards = new Map<number, HashTable>();
  private readonly tpu = new TpuCoreHost();
  /** Per shard: its slot and status tables (see PartSnapshot), created on first write. */
  private readonly parts = new Map<number, Map<string, HashTable>>();
  private readonly specs = new Map<number, ShardSpec>();
  /** Optimizers rebuilt from their config, one per class + config. */
  private readonly optimizers = new Map<string, Optimizer>();

  async init(flavour: WasmFlavour, module: WebAssembly.Module): Promise<string> {
    if (!(module instanceof WebAssembly.Module)) {
      throw new InvalidArgumentError('ShardHost.init: expected a compiled WebAssembly.Module from the pool client.');
    }
    adoptModule(flavour, module);
    return flavour;
  }

  private shard(id: number): HashTable {
    const t = this.shards.get(id);
    if (!t)
      throw new InvalidArgumentError(
        `ShardHost: this worker holds no shard ${id} (it holds ${[...this.shards.keys()].join(', ') || 'none'}).`,
      );
    return t;
  }

  createShard(id: number, spec: ShardSpec): void {
    this.dropShard(id);
    this.shards.set(id, new HashTable({ keyDtype: spec.keyDtype, dim: spec.dim, initCapacity: spec.initCapacity }));
    this.specs.set(id, spec);
    this.parts.set(id, new Map());
  }

  dropShard(id: number): void {
    this.shards.get(id)?.dispose();
    this.shards.delete(id);
    for (const t of this.parts.get(id)?.values() ?? []) t.dispose();
    this.parts.delete(id);
    this.specs.delete(id);
  }

  // A part of shard `id` (slots, status); `create` makes it when absent, else undefined.
  private part(id: number, name: string, dim: number, create: true): HashTable;
  private part(id: number, name: string, dim: number, create: false): HashTable | undefined;
  private part(id: number, name: string, dim: number, create: boolean): HashTable | undefined {
    this.shard(id);
    const parts = this.parts.get(id)!;
    let t = parts.get(name);
    if (!t && create) {
      const spec = this.specs.get(id)!;
      t = new HashTable({ keyDtype: spec.keyDtype, dim, initCapacity: spec.initCapacity });
      parts.set(name, t);
    }
    return t;
  }

  private table(id: number, part: string | undefined): HashTable | undefined {
    return part === undefined ? this.shard(id) : this.part(id, part, 0, false);
  }

  private optimizer(o: TrainOptimizer): Optimizer {
    const key = `${o.className} ${JSON.stringify(o.config)}`;
    let opt = this.optimizers.get(key);
    if (!opt) {
      const Cls = OPTIMIZERS[o.className];
      if (!Cls) {
        throw new InvalidArgumentError(
          `ShardHost: unknown optimizer ${JSON.stringify(o.className)}; expected one of ${Object.keys(OPTIMIZERS).join(', ')}.`,
        );
      }
      opt = new Cls(o.config as never);
      this.optimizers.set(key, opt);
    }
    // Adam's bias corrections follow the step count: the next step advances by one, a replay sets it
    if (opt.iterations === o.iterations - 1) opt.beginStep();
    else if (opt.iterations !== o.iterations) opt.setIterations(o.iterations);
    return opt;
  }

  // The rows of `keys` in `t` ([n, dim]), `fill` where absent, with the exists mask.
  private static read(t: HashTable | undefined, keys: Keys, dim: number, fill: number) {
    const values = new Float32Array(keys.length * dim).fill(fill);
    const exists = t ? t.gather(keys, values) : new Uint8Array(keys.length);
    return { values, exists };
  }

  // One training step on this shard: exactly what train.step does in-process for these rows.
  private train(id: number, m: Extract<ShardMutation, { op: 'train' }>): number {
    const t = this.shard(id);
    const dim = t.dim;
    const n = m.keys.length;
    const opt = this.optimizer(m.optimizer);
    const specs = opt.slotSpecs();
    const slots = specs.map((sp) => this.part(id, `slot:${m.slotGroup}/${sp.name}`, dim, true));
    const slotReads = slots.map((st, i) => ShardHost.read(st, m.keys, dim, specs[i].initial));
    const values = m.old.slice();
    const slotValues = slotReads.map((r) => r.values.slice());
    opt.updateRows(values, slotValues, m.grad, n, dim, m.maxNorm);
    if (m.bpV2) {
      t.accum(m.keys, m.old, values, m.exists);
      slots.forEach((st, i) => st.accum(m.keys, slotReads[i].values, slotValues[i], slotReads[i].exists));
    } else {
      t.upsert(m.keys, values);
      slots.forEach((st, i) => st.upsert(m.keys, slotValues[i]));
    }
    if (m.policy !== null && n > 0) {
      const status = this.part(id, 'status', 1, true);
      if (m.policy === 'timestamp') status.upsert(m.keys, new Float32Array(n).fill(m.step));
      else {
        const counts = ShardHost.read(status, m.keys, 1, 0).values;
        for (let i = 0; i < n; i++) counts[i] += 1;
        status.upsert(m.keys, counts);
      }
    }
    return n;
  }

  // TFRA restrict on one shard: keep the `quota` keys with the largest status (ties: smaller key).
  private restrict(id: number, quota: number): number {
    const t = this.shard(id);
    const { keys } = t.export();
    if (keys.length <= quota) return 0;
    const status = ShardHost.read(this.part(id, 'status', 1, false), keys, 1, 0).values;
    const idx = Array.from({ length: keys.length }, (_, i) => i);
    idx.sort((a, b) => status[b] - status[a] || compareKeys(keys[a], keys[b]));
    const gone = pickKeys(keys, idx.slice(quota));
    const removed = t.remove(gone);
    for (const p of this.parts.get(id)!.values()) p.remove(gone);
    return removed;
  }

  gather(
    id: number,
    keys: KeysMessage,
    maxNorm: number,
    out: SharedRegion | null,
    part?: string,
  ): { values: Float32Array | null; exists: Uint8Array } {
    const t = this.table(id, part);
    const k = keysOf(keys);
    const opts = maxNorm > 0 ? { maxNorm } : {};
    if (out) {
      const view = new Float32Array(out.buffer, out.byteOffset, out.length);
      const exists = t ? t.gather(k, view, opts) : new Uint8Array(k.length);
      return transfer({ values: null, exists }, [exists.buffer]);
    }
    const dim = t?.dim ?? this.shard(id).dim;
    const values = new Float32Array(k.length * dim);
    const exists = t ? t.gather(k, values, opts) : new Uint8Array(k.length);
    return transfer({ values, exists }, [values.buffer, exists.buffer]);
  }

  apply(id: number, m: ShardMutation): number {
    const t = this.shard(id);
    switch (m.op) {
      case 'upsert':
        t.upsert(m.keys, m.values);
        return m.keys.length;
      case 'upsertPart':
        this.part(id, m.part, m.dim, true).upsert(m.keys, m.values);
        return m.keys.length;
      case 'remove':
        return t.remove(m.keys);
      case 'scatterAdd':
        t.scatterAdd(m.keys, m.deltas);
        return m.keys.length;
      case 'accum':
        t.accum(m.keys, m.oldValues, m.newValues, m.exists);
        return m.keys.length;
      case 'clear':
        t.clear();
        return 0;
      case 'train':
        return this.train(id, m);
      case 'restrict':
        return this.restrict(id, m.quota);
    }
  }

  applyAll(id: number, ms: ShardMutation[]): void {
    for (const m of ms) this.apply(id, m);
  }

  exportShard(id: number, part?: string): { keys: Keys; values: Float32Array } {
    const t = this.table(id, part);
    const r = t ? t.export() : { keys: this.emptyKeys(id), values: new Float32Array(0) };
    const buffers: Transferable[] = [r.values.buffer];
    if (!Array.isArray(r.keys)) buffers.push(r.keys.buffer as ArrayBuffer);
    return transfer(r, buffers);
  }

  private emptyKeys(id: number): Keys {
    const dtype = this.shard(id).keyDtype;
    return dtype === 'int32' ? new Int32Array(0) : dtype === 'int64' ? new BigInt64Array(0) : [];
  }

  size(id: number, part?: string): number {
    return this.table(id, part)?.size() ?? 0;
  }

  snapshotShard(id: number): ShardSnapshot {
    const main = this.shard(id).export();
    const parts = [...this.parts.get(id)!].map(([name, t]) => ({ name, dim: t.dim, ...t.export() }));
    return { ...main, parts };
  }

  restoreShard(id: number, snapshot: ShardSnapshot): void {
    const t = this.shard(id);
    if (snapshot.keys.length > 0) t.upsert(snapshot.keys, snapshot.values);
    for (const p of snapshot.parts) {
      const pt = this.part(id, p.name, p.dim, true);
      if (p.keys.length > 0) pt.upsert(p.keys, p.values);
    }
  }

  echo<T>(value: T, delayMs: number): Promise<T> {
    return new Promise((resolve) => setTimeout(() => resolve(value), delayMs));
  }

  shardIds(): number[] {
    return [...this.shards.keys()];
  }

  tpuCore(req: TpuCoreRequest): TpuCoreResponse {
    return this.tpu.handle(req);
  }
}

/**
 * Exposes a new ShardHost on an endpoint: `self` in a Web Worker, or `nodeEndpoint(parentPort)`
 * in a Node worker thread. Worker entry points (pool/worker-entry.ts, pool/node-entry.ts, or a
 * caller's own) call this and nothing else.
 *
 * @example
 * // my-pool.worker.ts, started with WorkerPool.create({ workerUrl }) or a spawn function
 * serveShardHost(self as unknown as Endpoint);
 */
export function serveShardHost(endpoint: Endpoint): ShardHost {
  const host = new ShardHost();
  expose(host, endpoint);
  return host;
}
