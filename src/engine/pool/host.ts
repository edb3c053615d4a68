// The worker side of the pool: a ShardHost holds shards (HashTables) by id in this worker's
// own WASM instances, and answers the pool client's calls (through comlink).
import { expose, transfer, type Endpoint } from 'comlink';
import { InvalidArgumentError } from '../errors.js';
import { HashTable } from '../table.js';
import type { Keys } from '../table-keys.js';
import { TpuCoreHost, type TpuCoreRequest, type TpuCoreResponse } from '../tpu/core.js';
import { adoptModule, type WasmFlavour } from '../wasm.js';
import type { HostApi, KeysMessage, ShardMutation, ShardSpec, SharedRegion } from './protocol.js';

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
    this.shards.get(id)?.dispose();
    this.shards.set(id, new HashTable({ keyDtype: spec.keyDtype, dim: spec.dim, initCapacity: spec.initCapacity }));
  }

  dropShard(id: number): void {
    this.shards.get(id)?.dispose();
    this.shards.delete(id);
  }

  gather(
    id: number,
    keys: KeysMessage,
    maxNorm: number,
    out: SharedRegion | null,
  ): { values: Float32Array | null; exists: Uint8Array } {
    const t = this.shard(id);
    const k = keysOf(keys);
    const opts = maxNorm > 0 ? { maxNorm } : {};
    if (out) {
      const view = new Float32Array(out.buffer, out.byteOffset, out.length);
      const exists = t.gather(k, view, opts);
      return transfer({ values: null, exists }, [exists.buffer]);
    }
    const values = new Float32Array(k.length * t.dim);
    const exists = t.gather(k, values, opts);
    return transfer({ values, exists }, [values.buffer, exists.buffer]);
  }

  apply(id: number, m: ShardMutation): number {
    const t = this.shard(id);
    switch (m.op) {
      case 'upsert':
        t.upsert(m.keys, m.values);
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
    }
  }

  applyAll(id: number, ms: ShardMutation[]): void {
    for (const m of ms) this.apply(id, m);
  }

  exportShard(id: number): { keys: Keys; values: Float32Array } {
    const r = this.shard(id).export();
    const buffers: Transferable[] = [r.values.buffer];
    if (!Array.isArray(r.keys)) buffers.push(r.keys.buffer as ArrayBuffer);
    return transfer(r, buffers);
  }

  size(id: number): number {
    return this.shard(id).size();
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
 * in a Node worker thread. Worker entry points (workers/) call this and nothing else.
 *
 * @example
 * // workers/engine.worker.ts
 * serveShardHost(self as unknown as Endpoint);
 */
export function serveShardHost(endpoint: Endpoint): ShardHost {
  const host = new ShardHost();
  expose(host, endpoint);
  return host;
}
