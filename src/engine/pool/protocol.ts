// What travels between the pool client and a worker's ShardHost.
//
// Keys and values travel either as ordinary typed arrays (moved with transferables) or as views
// of SharedArrayBuffers (when the page is cross-origin isolated, or always in Node): the worker
// then reads ids and writes results in place, with no copy through postMessage.
import type { TpuCoreRequest, TpuCoreResponse } from '../tpu/core.js';
import type { KeyDtype, Keys } from '../table-keys.js';

/** How to build one shard (a HashTable) on a worker. */
export interface ShardSpec {
  keyDtype: KeyDtype;
  dim: number;
  initCapacity: number;
}

/** A region of a SharedArrayBuffer: `length` elements starting at byte `byteOffset`. */
export interface SharedRegion {
  buffer: SharedArrayBuffer;
  byteOffset: number;
  length: number;
}

/** Keys of one call: a batch (copied or transferred), or a region of shared memory (int keys only). */
export type KeysMessage =
  { kind: 'keys'; keys: Keys } | { kind: 'shared'; dtype: 'int32' | 'int64'; region: SharedRegion };

/** An optimizer as a worker rebuilds it: class, hyper-parameters and the step count (Optimizer.getState()). */
export interface TrainOptimizer {
  className: string;
  config: Record<string, number | boolean>;
  iterations: number;
}

/**
 * A shard's rows besides its values, on the same worker: optimizer slots (`slot:<group>/<name>`,
 * one group per optimizer that trained the Variable) and the restrict policy's status (`status`).
 */
export interface PartSnapshot {
  name: string;
  dim: number;
  keys: Keys;
  values: Float32Array;
}

/** Everything one shard holds: its values and every part (the recovery log's snapshot). */
export interface ShardSnapshot {
  keys: Keys;
  values: Float32Array;
  parts: PartSnapshot[];
}

/** A mutation of one shard, as the recovery log records it and the worker applies it. */
export type ShardMutation =
  | { op: 'upsert'; keys: Keys; values: Float32Array }
  /** Inserts or overwrites rows ([n, dim]) of a part (an optimizer slot or the restrict status; see PartSnapshot). */
  | { op: 'upsertPart'; part: string; dim: number; keys: Keys; values: Float32Array }
  | { op: 'remove'; keys: Keys }
  | { op: 'scatterAdd'; keys: Keys; deltas: Float32Array }
  | { op: 'accum'; keys: Keys; oldValues: Float32Array; newValues: Float32Array; exists: Uint8Array }
  | { op: 'clear' }
  | {
      /**
       * One training step's update of this shard's rows read by the step (unique keys): the
       * optimizer runs on the worker over the rows as read (`old`), the summed gradients and the
       * slots it keeps there; rows are clipped to `maxNorm` (> 0); with `bpV2` written as deltas
       * (accum); then the restrict policy's status records the keys at `step`.
       */
      op: 'train';
      keys: Keys;
      old: Float32Array;
      exists: Uint8Array;
      grad: Float32Array;
      maxNorm: number;
      bpV2: boolean;
      optimizer: TrainOptimizer;
      slotGroup: number;
      policy: 'timestamp' | 'frequency' | null;
      step: number;
    }
  /** Keeps the `quota` keys with the largest status; removes the rest from the values, status and slots. */
  | { op: 'restrict'; quota: number };

/** The methods a worker exposes (see host.ts). Every shard is addressed by a pool-wide id. */
export interface HostApi {
  /** Installs the compiled kernels (sent once per worker); returns the flavour in use. */
  init(flavour: 'simd' | 'scalar', module: WebAssembly.Module): Promise<string>;
  createShard(id: number, spec: ShardSpec): void;
  dropShard(id: number): void;
  /** Rows of `keys`; with `out`, written into that shared region (and only `exists` returned). */
  gather(
    id: number,
    keys: KeysMessage,
    maxNorm: number,
    out: SharedRegion | null,
    part?: string,
  ): { values: Float32Array | null; exists: Uint8Array };
  apply(id: number, m: ShardMutation): number;
  /** Applies a list of mutations in order (recovery replay). */
  applyAll(id: number, ms: ShardMutation[]): void;
  exportShard(id: number, part?: string): { keys: Keys; values: Float32Array };
  size(id: number, part?: string): number;
  /** The shard's values and every part (for the recovery log). */
  snapshotShard(id: number): ShardSnapshot;
  /** Fills an empty shard from a snapshot. */
  restoreShard(id: number, snapshot: ShardSnapshot): void;
  /** A round trip that returns `value` after `delayMs` (latency measurements, liveness). */
  echo<T>(value: T, delayMs: number): Promise<T>;
  /** Shards this worker holds. */
  shardIds(): number[];
  /** Virtual TPU cores placed on this worker (see src/engine/tpu/core.ts). */
  tpuCore(req: TpuCoreRequest): TpuCoreResponse;
}
