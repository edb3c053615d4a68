// Where a feature lookup reads its rows: an in-process Variable (WASM kernels, SIMD or scalar), a
// Variable placed on the worker pool (through its in-process view, over rows staged from the
// workers), a GPU mirror (GpuGather), or a dense `[vocabularySize, dim]` tensor (a TPU table, ids are
// row numbers). Each source turns ids into keys, reads unique rows (recording the read on the
// training tape where there is one), and, only when provenance is asked for, peeks at what the
// table held before the read and locates each key afterwards.
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, show } from './errors.js';
import { GpuGather } from './gpu/mirror.js';
import { pooledOf } from './pool/variable.js';
import { clipByMaxNorm, gatherByIndex, readUnique, type UniqueRows, uniqueKeys } from './read.js';
import { pickKeys } from './table-keys.js';
import { ids as idsOf, type Id, type Keys } from './tensor.js';
import { Variable, VARIABLE_VIEW, type VariableLike } from './variable.js';

/** What a feature lookup reads: a Variable (in-process or pooled), a GPU mirror, or a dense table tensor. */
export type FeatureTable = VariableLike | GpuGather | tf.Tensor2D;

/** Where the rows were gathered. */
export type FeatureBackend = 'wasm' | 'webgl' | 'pool' | 'dense';

/** Where one key lives after the read. */
export interface KeyPlace {
  shard: number;
  /** The pool worker holding the shard, -1 off the pool. */
  worker: number;
  /** Slot in the shard's control bytes, -1 when absent or not known (pool). */
  slot: number;
  /** Row in the shard's value arena (dense tables: the id), -1 when absent or not known (pool). */
  row: number;
  held: boolean;
}

/** A table to read from, whatever it is. */
export interface RowSource {
  backend: FeatureBackend;
  name: string;
  dim: number;
  /** Parses the batch's flat ids into keys (all of them, so a bad id fails before any read). */
  keysOf(ids: readonly Id[] | Int32Array | BigInt64Array, what: string): Keys;
  /** The unique rows of `keys`, clipped to maxNorm, recorded on the tape inside a training step. */
  read(keys: Keys, maxNorm: number | undefined): UniqueRows;
  /** Rows as a lookup would read them and which keys are held, without inserting anything. */
  peek(keys: Keys): { values: Float32Array; exists: Uint8Array };
  /** Where each key is now. */
  locate(keys: Keys): KeyPlace[];
}

function keysOfVariable(v: Variable, ids: readonly Id[] | Int32Array | BigInt64Array, what: string): Keys {
  // a batch of empty rows is a valid feature batch, where a lookup of no ids is refused
  if (ids.length === 0)
    return v.keyDtype === 'int32' ? new Int32Array(0) : v.keyDtype === 'int64' ? new BigInt64Array(0) : [];
  const x = Array.isArray(ids) ? (ids as Id[]) : idsOf(ids as Int32Array | BigInt64Array);
  const { keys, shape } = v.keysOf(x, `${what} ids`);
  if (shape.length !== 1) {
    throw new InvalidArgumentError(
      `${what}: batch.ids must be flat (one id per element), got nested ids of shape [${shape.join(', ')}].`,
    );
  }
  return keys;
}

// What lookups read without inserting: Variable.read inserts with insertOnLookup, so read the shards.
function peekVariable(v: Variable, keys: Keys): { values: Float32Array; exists: Uint8Array } {
  if (!v.insertOnLookup) return v.read(keys);
  const dim = v.dim;
  const values = new Float32Array(keys.length * dim);
  const exists = new Uint8Array(keys.length);
  const shardOf = v.shardOf(keys);
  v.shards.forEach((table, s) => {
    const idx: number[] = [];
    for (let i = 0; i < keys.length; i++) if (shardOf[i] === s) idx.push(i);
    if (idx.length === 0) return;
    const part = new Float32Array(idx.length * dim);
    const ex = table.gather(pickKeys(keys, idx), part);
    const missing = idx.filter((_, j) => !ex[j]);
    const init = new Float32Array(missing.length * dim);
    if (missing.length > 0) v.initializer.fill(pickKeys(keys, missing), dim, init);
    let m = 0;
    idx.forEach((i, j) => {
      exists[i] = ex[j];
      values.set(ex[j] ? part.subarray(j * dim, (j + 1) * dim) : init.subarray(m * dim, (m++ + 1) * dim), i * dim);
    });
  });
  return { values, exists };
}

function locateInProcess(v: Variable, keys: Keys): KeyPlace[] {
  const shardOf = v.shardOf(keys);
  const found = v.shards.map((t) => t.find(keys));
  // slot of each row, built once per shard that holds one of the keys
  const slotOfRow = new Map<number, Map<number, number>>();
  const slotOf = (s: number, row: number): number => {
    let m = slotOfRow.get(s);
    if (!m) {
      m = new Map();
      const ins = v.shards[s].inspect();
      for (let k = 0; k < ins.rows.length; k++) if (ins.rows[k] >= 0) m.set(ins.rows[k], k);
      slotOfRow.set(s, m);
    }
    return m.get(row) ?? -1;
  };
  return Array.from(keys as ArrayLike<Id>, (_, i) => {
    const s = shardOf[i];
    const held = found[s].exists[i] === 1;
    const row = held ? found[s].rows[i] : -1;
    return { shard: s, worker: -1, slot: held ? slotOf(s, row) : -1, row, held };
  });
}

function variableSource(v: Variable, mirror: GpuGather | undefined): RowSource {
  const pooled = pooledOf(v);
  return {
    backend: pooled ? 'pool' : mirror ? 'webgl' : 'wasm',
    name: v.name,
    dim: v.dim,
    keysOf: (ids, what) => keysOfVariable(v, ids, what),
    read: (keys, maxNorm) => (mirror ? mirror.readUnique(keys, maxNorm) : readUnique(v, keys, { maxNorm })),
    peek: (keys) => peekVariable(v, keys),
    locate: (keys) => {
      if (!pooled) return locateInProcess(v, keys);
      const held = v.read(keys).exists; // staged rows: no worker call
      const shardOf = v.shardOf(keys);
      return Array.from(shardOf, (s, i) => ({
        shard: s,
        worker: pooled.table.workerOf(s),
        slot: -1,
        row: -1,
        held: held[i] === 1,
      }));
    },
  };
}

function denseSource(table: tf.Tensor2D, what: string): RowSource {
  if (table.rank !== 2 || table.dtype !== 'float32') {
    throw new InvalidArgumentError(
      `${what}: a dense table must be a float32 tensor [vocabularySize, dim], got ${table.dtype} [${table.shape.join(', ')}].`,
    );
  }
  const [vocab, dim] = table.shape;
  return {
    backend: 'dense',
    name: 'table',
    dim,
    keysOf: (ids, w) => {
      const out = new Int32Array(ids.length);
      for (let i = 0; i < ids.length; i++) {
        const x = ids[i];
        const n = typeof x === 'bigint' ? Number(x) : x;
        if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n >= vocab) {
          throw new InvalidArgumentError(
            `${w}: id ${show(x)} at ${i} is not a row of the dense table; expected an integer in [0, ${vocab}).`,
          );
        }
        out[i] = n;
      }
      return out;
    },
    read: (keys, maxNorm) => {
      const { unique, index } = uniqueKeys(keys);
      let rows = gatherByIndex(table, unique as Int32Array);
      if (maxNorm !== undefined) rows = clipByMaxNorm(rows, maxNorm);
      return { rows, index, unique, exists: new Uint8Array(unique.length).fill(1) };
    },
    peek: (keys) => {
      const all = table.dataSync() as Float32Array;
      const values = new Float32Array(keys.length * dim);
      (keys as Int32Array).forEach((k, i) => values.set(all.subarray(k * dim, (k + 1) * dim), i * dim));
      return { values, exists: new Uint8Array(keys.length).fill(1) };
    },
    locate: (keys) => Array.from(keys as Int32Array, (k) => ({ shard: 0, worker: -1, slot: -1, row: k, held: true })),
  };
}

/**
 * The row source of a table given to `featureLookup`; throws an InvalidArgumentError for anything else.
 *
 * @example
 * rowSource(v, 'featureLookup').backend; // 'wasm'
 */
export function rowSource(table: FeatureTable, what: string): RowSource {
  if (table instanceof GpuGather) return variableSource(table.variable, table);
  if (table instanceof tf.Tensor) return denseSource(table, what);
  const view = (table as { [VARIABLE_VIEW]?: unknown } | null)?.[VARIABLE_VIEW];
  if (view instanceof Variable) return variableSource(view, undefined);
  if (table instanceof Variable) return variableSource(table, undefined);
  throw new InvalidArgumentError(
    `${what}: table must be a de.Variable, a pooled Variable, a de.gpu.GpuGather or a float32 tf.Tensor2D [vocabularySize, dim], got ${show(table)}.`,
  );
}

/** The pooled Variable a table reads from, if any (its rows must be fetched before a synchronous read). */
export function pooledTable(table: FeatureTable): ReturnType<typeof pooledOf> {
  const view = (table as { [VARIABLE_VIEW]?: unknown } | null)?.[VARIABLE_VIEW];
  return view instanceof Variable ? pooledOf(view) : undefined;
}
