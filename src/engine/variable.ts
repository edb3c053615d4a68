// TFRA's dynamic_embedding.Variable: a hash table of keys -> float32 rows, split into shards.
//
// Every mutation validates all of its input first, so a rejected call leaves every shard as it was.
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, RuntimeError, show } from './errors.js';
import { type Initializer, type InitializerLike, resolveInitializer, zeros } from './initializers.js';
import { checkFinite, optionsOf } from './options.js';
import { defaultShardOf } from './partition.js';
import { canLookupDense, denseLookup } from './dense-lookup.js';
import { denseFromRows, readUnique } from './read.js';
import { writeAllOrNothing } from './shard-undo.js';
import { HashTable } from './table.js';
import { pickKeys } from './table-keys.js';
import { type Id, type IdsLike, isTensor, type KeyDtype, type Keys, toIds, toKeys } from './tensor.js';
import { activeFlavour, WasmHeap } from './wasm.js';

/** Routes one key to a shard in `[0, numShards)`. int32 keys arrive as numbers, int64 as bigints. */
export type Partitioner = (key: Id, numShards: number) => number;

/** A restrict policy class (Timestamp / Frequency); constructed with the Variable when restricting. */
export type RestrictPolicyClass = abstract new (...args: never[]) => unknown;

// Installed by train/restrict.ts (which imports this file, so the dependency points one way).
let restrictHandler: ((v: Variable, numReserved: number, options: { trigger?: number }) => number) | undefined;

/**
 * Installs the function `Variable.restrict` delegates to (the training module's restrict policies). Internal.
 *
 * @example
 * setRestrictHandler((v, n, o) => policyOf(v)!.restrict(n, o));
 */
export function setRestrictHandler(
  handler: ((v: Variable, numReserved: number, options: { trigger?: number }) => number) | undefined,
): void {
  restrictHandler = handler;
}

/** The key of {@link VariableOptions}' internal heap option. */
export const SHARD_HEAP = Symbol('dynemb.shardHeap');

/** Options of {@link Variable}. */
export interface VariableOptions {
  name: string;
  keyDtype?: KeyDtype;
  valueDtype?: 'float32';
  /** Row width; default 1, as TFRA's `get_variable`. */
  dim?: number;
  initializer?: InitializerLike;
  initCapacity?: number;
  partitions?: number;
  partitioner?: Partitioner;
  restrictPolicy?: RestrictPolicyClass;
  trainable?: boolean;
  insertOnLookup?: boolean;
  /** 'local' (default): shards in this thread. 'workers': create it with `await de.pool.placeVariable(pool, options)`. */
  placement?: 'local' | 'workers';
  /**
   * Internal: the heap the shards live in (optimizer slots share their Variable's, so training
   * updates values and slots in place with one kernel call). Default: a new heap.
   */
  [SHARD_HEAP]?: WasmHeap;
}

/**
 * Where a Variable's rows come from when they are not in its own shards: a Variable placed on
 * the worker pool reads through this (rows fetched from the workers ahead of a synchronous
 * lookup or training step). Internal to de.pool.
 */
export interface RemoteRows {
  read(keys: Keys): { values: Float32Array; exists: Uint8Array };
}

/**
 * An object that lookups accept in place of a Variable, reading through the Variable it names
 * (a pooled Variable's in-process view). Internal to de.pool.
 */
export const VARIABLE_VIEW: unique symbol = Symbol.for('dynemb.variableView');

/** What lookups take: a Variable, or a Variable placed on the worker pool (`de.pool.placeVariable`). */
export type VariableLike = Variable | { readonly [VARIABLE_VIEW]: Variable };

/** What `Variable.stats()` reports, summed over shards. */
export interface VariableStats {
  size: number;
  capacity: number;
  loadFactor: number;
  probeLengthHistogram: number[];
  bytes: number;
}

/** Values given to `upsert` / `accum`: nested arrays, a tensor, or a flat Float32Array. */
export type ValuesLike = number[] | number[][] | number[][][] | tf.Tensor | Float32Array | readonly unknown[];

const KEY_DTYPES: readonly KeyDtype[] = ['int32', 'int64', 'string'];

function checkInt(v: unknown, name: string, min: number, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new InvalidArgumentError(`${what}: ${name} must be an integer >= ${min}, got ${show(v)}.`);
  }
  return v;
}

// upsert / accum options: { allowNonFinite } (TFRA writes NaN and Infinity; dynemb refuses them unless asked).
function writeOptions(options: { allowNonFinite?: boolean } | undefined, what: string): { allowNonFinite?: boolean } {
  const o = optionsOf(options, what);
  if (o.allowNonFinite !== undefined && typeof o.allowNonFinite !== 'boolean') {
    throw new InvalidArgumentError(`${what}: allowNonFinite must be true or false, got ${show(o.allowNonFinite)}.`);
  }
  return o;
}

function concatKeys(dtype: KeyDtype, parts: Keys[]): Keys {
  if (dtype === 'string') return parts.flatMap((p) => p as string[]);
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = dtype === 'int32' ? new Int32Array(n) : new BigInt64Array(n);
  let o = 0;
  for (const p of parts) {
    (out as Int32Array).set(p as Int32Array, o);
    o += p.length;
  }
  return out;
}

/**
 * Flattens `values` to a Float32Array of `count * dim`, checking the shape is `idsShape + [dim]`
 * (or a flat array of that length).
 */
export function flattenValues(values: ValuesLike, idsShape: number[], dim: number, what: string): Float32Array {
  const expected = [...idsShape, dim];
  const n = expected.reduce((a, b) => a * b, 1);
  const fail = (got: string): InvalidArgumentError =>
    new InvalidArgumentError(`${what}: Expected shape [${expected.join(', ')}] (ids shape + [dim]), got ${got}.`);
  let out: Float32Array;
  if (values instanceof Float32Array) {
    if (values.length !== n) throw fail(`a Float32Array of length ${values.length} (expected length ${n})`);
    out = Float32Array.from(values);
  } else if (isTensor(values)) {
    if (values.shape.join(',') !== expected.join(',')) throw fail(`a tensor of shape [${values.shape.join(', ')}]`);
    if (values.dtype !== 'float32' && values.dtype !== 'int32') throw fail(`a tensor of dtype ${values.dtype}`);
    out = Float32Array.from(values.dataSync() as Float32Array);
  } else if (Array.isArray(values)) {
    out = new Float32Array(n);
    let k = 0;
    const walk = (v: unknown, depth: number, path: string): void => {
      if (depth === expected.length) {
        if (typeof v !== 'number') throw fail(`${show(v)} at ${path} where a number belongs`);
        out[k++] = v;
        return;
      }
      if (!Array.isArray(v) || v.length !== expected[depth]) {
        throw fail(
          `${Array.isArray(v) ? `length ${v.length}` : show(v)} at ${path || 'the top level'} (expected length ${expected[depth]})`,
        );
      }
      for (let i = 0; i < v.length; i++) walk(v[i], depth + 1, `${path}[${i}]`);
    };
    walk(values, 0, '');
  } else {
    throw fail(show(values));
  }
  return out;
}

/**
 * A dynamic embedding table (TFRA `de.Variable`): keys of `keyDtype` map to float32 rows of `dim`.
 * Lookups never insert (unless `insertOnLookup`); a missing key reads the initializer's value.
 *
 * @example
 * await de.ready();
 * const v = new de.Variable({ name: 'user_emb', keyDtype: 'int64', dim: 2, initializer: 0.5 });
 * v.upsert([1, 2], [[1, 1], [2, 2]]);
 * v.lookup([[2, 3]]).arraySync(); // [[[2, 2], [0.5, 0.5]]]
 * v.size();                       // 2
 */
export class Variable {
  readonly name: string;
  readonly keyDtype: KeyDtype;
  readonly valueDtype = 'float32' as const;
  readonly dim: number;
  readonly initializer: Initializer;
  readonly initCapacity: number;
  readonly partitions: number;
  readonly partitioner: Partitioner | undefined;
  readonly restrictPolicy: RestrictPolicyClass | undefined;
  readonly trainable: boolean;
  readonly insertOnLookup: boolean;
  /** One hash table per partition. */
  readonly shards: HashTable[];
  /** Set on the in-process view of a Variable placed on the worker pool: reads go there. Internal. */
  remoteRows: RemoteRows | undefined;

  constructor(options: VariableOptions) {
    if (activeFlavour() === undefined) {
      throw new RuntimeError('The WASM kernels are not loaded: await de.ready() before creating a Variable.');
    }
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError(`Variable expects an options object { name, dim, ... }, got ${show(options)}.`);
    }
    const what = `Variable ${show(options.name)}`;
    if (typeof options.name !== 'string' || options.name.length === 0) {
      throw new InvalidArgumentError(`Variable: name must be a non-empty string, got ${show(options.name)}.`);
    }
    const keyDtype = options.keyDtype === undefined ? 'int64' : options.keyDtype;
    if (!KEY_DTYPES.includes(keyDtype)) {
      throw new InvalidArgumentError(`${what}: keyDtype must be 'int32', 'int64' or 'string', got ${show(keyDtype)}.`);
    }
    if (options.valueDtype !== undefined && options.valueDtype !== 'float32') {
      throw new InvalidArgumentError(`${what}: valueDtype must be 'float32', got ${show(options.valueDtype)}.`);
    }
    const dim = checkInt(options.dim ?? 1, 'dim', 1, what); // TFRA's get_variable defaults dim to 1
    const partitions = checkInt(options.partitions ?? 1, 'partitions', 1, what);
    const initCapacity = checkInt(options.initCapacity ?? 1024, 'initCapacity', 1, what);
    if (options.partitioner !== undefined && typeof options.partitioner !== 'function') {
      throw new InvalidArgumentError(
        `${what}: partitioner must be a function (key, numShards) => shard, got ${show(options.partitioner)}.`,
      );
    }
    // a policy class has a restrict method on its prototype (Map, a plain function do not)
    const policyProto = (options.restrictPolicy as { prototype?: { restrict?: unknown } } | undefined)?.prototype;
    if (options.restrictPolicy !== undefined && typeof policyProto?.restrict !== 'function') {
      throw new InvalidArgumentError(
        `${what}: restrictPolicy must be a restrict policy class (de.TimestampRestrictPolicy or de.FrequencyRestrictPolicy) or undefined, got ${show(options.restrictPolicy)}.`,
      );
    }
    if (options.placement === 'workers') {
      throw new RuntimeError(
        `${what}: placement 'workers' puts the shards on a worker pool, whose calls are async; create it with await de.pool.placeVariable(pool, options) instead of new Variable(options).`,
      );
    }
    if (options.placement !== undefined && options.placement !== 'local') {
      throw new InvalidArgumentError(
        `${what}: placement must be 'local' or 'workers', got ${show(options.placement)}.`,
      );
    }
    for (const flag of ['trainable', 'insertOnLookup'] as const) {
      if (options[flag] !== undefined && typeof options[flag] !== 'boolean') {
        throw new InvalidArgumentError(`${what}: ${flag} must be a boolean, got ${show(options[flag])}.`);
      }
    }
    this.initializer = resolveInitializer(options.initializer, dim, what, zeros);
    this.name = options.name;
    this.keyDtype = keyDtype;
    this.dim = dim;
    this.partitions = partitions;
    this.initCapacity = initCapacity;
    this.partitioner = options.partitioner;
    this.restrictPolicy = options.restrictPolicy;
    this.trainable = options.trainable ?? true;
    this.insertOnLookup = options.insertOnLookup ?? false;
    const perShard = Math.max(1, Math.ceil(initCapacity / partitions));
    // one heap for every shard: a lookup routes and reads all of them in one kernel call
    const given = options[SHARD_HEAP];
    if (given !== undefined && !(given instanceof WasmHeap)) {
      throw new InvalidArgumentError(`${what}: the shard heap must be a WasmHeap, got ${show(given)}.`);
    }
    const heap = given ?? new WasmHeap();
    this.shards = Array.from(
      { length: partitions },
      () => new HashTable({ keyDtype, dim, initCapacity: perShard, heap }),
    );
  }

  /** Parses ids in any accepted form into this table's keys (checking the dtype), with their shape. */
  keysOf(idsLike: IdsLike, what: string): { keys: Keys; shape: number[] } {
    const x = toIds(idsLike, what);
    return { keys: toKeys(x, this.keyDtype, what), shape: x.shape };
  }

  /**
   * The shard of every key: TFRA's default `key mod N` (a floor-mod over the full int64 range) for integers and
   * `hashKeyString(key) mod N` for strings (the tables' own 64-bit string hash), or the custom partitioner.
   */
  shardOf(keys: Keys): Int32Array {
    const n = keys.length;
    const out = new Int32Array(n);
    const N = this.partitions;
    if (N === 1) return out;
    if (this.partitioner) {
      for (let i = 0; i < n; i++) {
        const s = this.partitioner(keys[i], N);
        if (!Number.isInteger(s) || s < 0 || s >= N) {
          throw new InvalidArgumentError(
            `Variable ${show(this.name)}: the partitioner must return an integer shard in [0, ${N}), got ${show(s)} for key ${show(keys[i])}.`,
          );
        }
        out[i] = s;
      }
      return out;
    }
    return defaultShardOf(keys, N);
  }

  // Groups positions by shard: for each shard the positions (into `keys`) and their keys.
  private route(keys: Keys): { idx: Int32Array; keys: Keys }[] {
    if (this.partitions === 1) {
      const idx = new Int32Array(keys.length);
      for (let i = 0; i < idx.length; i++) idx[i] = i;
      return [{ idx, keys }];
    }
    const shard = this.shardOf(keys);
    const counts = new Int32Array(this.partitions);
    for (const s of shard) counts[s]++;
    const idx = Array.from(counts, (c) => new Int32Array(c));
    counts.fill(0);
    for (let i = 0; i < shard.length; i++) idx[shard[i]][counts[shard[i]]++] = i;
    return idx.map((ix) => ({ idx: ix, keys: pickKeys(keys, ix) }));
  }

  /**
   * Reads the rows of `keys` (row-major `[n, dim]`): stored rows, and the initializer's value for
   * missing keys (inserted when `insertOnLookup`). `exists[i]` is 1 where the key was stored.
   * The low-level read under every lookup; prefer `lookup` / `de.embeddingLookup`.
   */
  read(keys: Keys): { values: Float32Array; exists: Uint8Array } {
    if (this.remoteRows) return this.remoteRows.read(keys);
    const dim = this.dim;
    const values = new Float32Array(keys.length * dim);
    if (this.partitions === 1) {
      // one shard: gather straight into the result
      const exists = this.shards[0].gather(keys, values);
      this.fillMissing(0, keys, values, exists);
      return { values, exists };
    }
    const exists = new Uint8Array(keys.length);
    const routes = this.route(keys);
    // insertOnLookup: the missing keys of every shard are inserted after all shards were read,
    // all or nothing (see shard-undo.ts)
    const inserts = routes.map(() => ({ keys: [] as Keys, init: new Float32Array(0) }));
    routes.forEach((r, s) => {
      if (r.keys.length === 0) return;
      const part = new Float32Array(r.keys.length * dim);
      const ex = this.shards[s].gather(r.keys, part);
      this.fillMissing(s, r.keys, part, ex, inserts[s]);
      for (let j = 0; j < r.idx.length; j++) {
        const o = r.idx[j] * dim;
        const p = j * dim;
        for (let d = 0; d < dim; d++) values[o + d] = part[p + d];
        exists[r.idx[j]] = ex[j];
      }
    });
    if (this.insertOnLookup)
      writeAllOrNothing(this.shards, inserts, (s) => this.shards[s].upsert(inserts[s].keys, inserts[s].init));
    return { values, exists };
  }

  // Writes the initializer's rows for the keys of shard `s` not found (`exists[j] == 0`) into
  // `part`, and inserts them when `insertOnLookup` (or hands them to `defer` to insert later).
  private fillMissing(
    s: number,
    keys: Keys,
    part: Float32Array,
    exists: Uint8Array,
    defer?: { keys: Keys; init: Float32Array },
  ): void {
    let count = 0;
    for (let j = 0; j < exists.length; j++) if (!exists[j]) count++;
    if (count === 0) return;
    const dim = this.dim;
    const missing = new Int32Array(count);
    for (let j = 0, m = 0; j < exists.length; j++) if (!exists[j]) missing[m++] = j;
    const mk = pickKeys(keys, missing);
    const init = new Float32Array(count * dim);
    this.initializer.fill(mk, dim, init);
    for (let m = 0; m < count; m++) part.set(init.subarray(m * dim, (m + 1) * dim), missing[m] * dim);
    if (!this.insertOnLookup) return;
    if (defer) {
      defer.keys = mk;
      defer.init = init;
    } else this.shards[s].upsert(mk, init);
  }

  /**
   * Looks up ids of any shape: a float32 tensor of shape `ids.shape + [dim]`. Never inserts
   * (unless `insertOnLookup`). With `returnExists`, also says which ids were stored.
   *
   * @example
   * v.lookup([1, 9], { returnExists: true }); // { values: Tensor [2, dim], exists: [true, false] }
   */
  lookup(idsLike: IdsLike): tf.Tensor;
  lookup(idsLike: IdsLike, options: { returnExists: true }): { values: tf.Tensor; exists: boolean[] };
  lookup(idsLike: IdsLike, options?: { returnExists?: boolean }): tf.Tensor | { values: tf.Tensor; exists: boolean[] };
  lookup(idsLike: IdsLike, options?: { returnExists?: boolean }): tf.Tensor | { values: tf.Tensor; exists: boolean[] } {
    options = optionsOf(options, `Variable ${show(this.name)}.lookup`);
    const { keys, shape } = this.keysOf(idsLike, `Variable ${show(this.name)}.lookup`);
    if (canLookupDense(this)) {
      const r = denseLookup(this, keys, shape, undefined, options.returnExists === true);
      return options.returnExists ? { values: r.values, exists: Array.from(r.exists!, (e) => e === 1) } : r.values;
    }
    let exists: boolean[] = [];
    const t = tf.tidy(() => {
      const r = readUnique(this, keys);
      exists = Array.from(r.index, (u) => r.exists[u] === 1);
      return denseFromRows(r, shape, this.dim);
    });
    return options.returnExists ? { values: t, exists } : t;
  }

  /**
   * Inserts or overwrites rows. `values` must be shaped `ids.shape + [dim]` (nested arrays or a
   * tensor) or be a flat Float32Array of `count(ids) * dim`. Duplicate ids: the last one wins.
   *
   * @example
   * v.upsert([[1, 2]], [[[0, 1], [2, 3]]]);
   */
  upsert(idsLike: IdsLike, values: ValuesLike, options?: { allowNonFinite?: boolean }): void {
    const what = `Variable ${show(this.name)}.upsert`;
    const o = writeOptions(options, what);
    const { keys, shape } = this.keysOf(idsLike, what);
    const flat = flattenValues(values, shape, this.dim, what);
    if (!o.allowNonFinite) checkFinite(flat, what, 'values');
    this.writeRows(keys, flat, true);
  }

  /**
   * Upserts already-validated keys and a flat `[n, dim]` buffer, routed to shards. `atomic`: if a
   * later shard runs out of memory, the earlier ones are put back (costs one read per shard).
   */
  writeRows(keys: Keys, flat: Float32Array, atomic = false): void {
    const dim = this.dim;
    if (this.partitions === 1) {
      this.shards[0].upsert(keys, flat);
      return;
    }
    const routes = this.route(keys);
    const write = (s: number) => {
      const r = routes[s];
      if (r.keys.length === 0) return;
      const part = new Float32Array(r.keys.length * dim);
      for (let j = 0; j < r.idx.length; j++) {
        const i = r.idx[j] * dim;
        const p = j * dim;
        for (let d = 0; d < dim; d++) part[p + d] = flat[i + d];
      }
      this.shards[s].upsert(r.keys, part);
    };
    if (atomic) writeAllOrNothing(this.shards, routes, write);
    else routes.forEach((_, s) => write(s));
  }

  /**
   * Removes keys; missing keys are ignored. Returns how many were removed.
   *
   * @example
   * v.remove([1, 12345]); // 1 when only key 1 was stored
   */
  remove(idsLike: IdsLike): number {
    const { keys } = this.keysOf(idsLike, `Variable ${show(this.name)}.remove`);
    let removed = 0;
    const routes = this.route(keys);
    writeAllOrNothing(this.shards, routes, (s) => {
      removed += this.shards[s].remove(routes[s].keys);
    });
    return removed;
  }

  /**
   * TFRA accum: where the key is stored and `exists[i]`, adds `new - old`; where it is absent and
   * `!exists[i]`, inserts `new`; otherwise (a concurrent writer won) nothing.
   *
   * @example
   * v.accum([1], [[0, 0]], [[1, 1]], [true]); // row 1 += [1, 1] if stored
   */
  accum(
    idsLike: IdsLike,
    oldValues: ValuesLike,
    newValues: ValuesLike,
    exists: ArrayLike<boolean | number> | tf.Tensor,
    options?: { allowNonFinite?: boolean },
  ): void {
    const what = `Variable ${show(this.name)}.accum`;
    const o = writeOptions(options, what);
    const { keys, shape } = this.keysOf(idsLike, what);
    const oldFlat = flattenValues(oldValues, shape, this.dim, `${what} (oldValues)`);
    const newFlat = flattenValues(newValues, shape, this.dim, `${what} (newValues)`);
    if (!o.allowNonFinite) {
      checkFinite(oldFlat, what, 'oldValues');
      checkFinite(newFlat, what, 'newValues');
    }
    const ex = isTensor(exists) ? Array.from(exists.dataSync() as ArrayLike<number>) : exists;
    if (ex === null || typeof ex !== 'object' || typeof ex.length !== 'number' || ex.length !== keys.length) {
      throw new InvalidArgumentError(
        `${what}: exists must hold one boolean per id (${keys.length}), got ${show(exists)}${ex && typeof ex.length === 'number' ? ` of length ${ex.length}` : ''}.`,
      );
    }
    for (let i = 0; i < ex.length; i++) {
      const e: unknown = ex[i];
      if (typeof e !== 'boolean' && e !== 0 && e !== 1) {
        throw new InvalidArgumentError(`${what}: exists[${i}] must be true / false (or 1 / 0), got ${show(e)}.`);
      }
    }
    const dim = this.dim;
    if (this.partitions === 1) {
      this.shards[0].accum(keys, oldFlat, newFlat, ex);
      return;
    }
    const routes = this.route(keys);
    writeAllOrNothing(this.shards, routes, (s) => {
      const r = routes[s];
      const o = new Float32Array(r.keys.length * dim);
      const nv = new Float32Array(r.keys.length * dim);
      const e = new Uint8Array(r.keys.length);
      r.idx.forEach((i, j) => {
        o.set(oldFlat.subarray(i * dim, (i + 1) * dim), j * dim);
        nv.set(newFlat.subarray(i * dim, (i + 1) * dim), j * dim);
        e[j] = ex[i] ? 1 : 0;
      });
      this.shards[s].accum(r.keys, o, nv, e);
    });
  }

  /**
   * Removes every key.
   *
   * @example
   * v.clear(); v.size(); // 0
   */
  clear(): void {
    for (const s of this.shards) s.clear();
  }

  /**
   * Every stored key and its row (any order), over all shards.
   *
   * @example
   * const { keys, values, dim } = v.export();
   */
  export(): { keys: Keys; values: Float32Array; dim: number } {
    const parts = this.shards.map((s) => s.export());
    const values = new Float32Array(parts.reduce((a, p) => a + p.values.length, 0));
    let o = 0;
    for (const p of parts) {
      values.set(p.values, o);
      o += p.values.length;
    }
    return {
      keys: concatKeys(
        this.keyDtype,
        parts.map((p) => p.keys),
      ),
      values,
      dim: this.dim,
    };
  }

  /**
   * Number of stored keys, in all shards or in one.
   *
   * @example
   * v.size(); v.size(0);
   */
  size(shard?: number): number {
    if (shard === undefined) return this.shards.reduce((a, s) => a + s.size(), 0);
    if (!Number.isInteger(shard) || shard < 0 || shard >= this.partitions) {
      throw new InvalidArgumentError(
        `Variable ${show(this.name)}.size: shard must be an integer in [0, ${this.partitions}), got ${show(shard)}.`,
      );
    }
    return this.shards[shard].size();
  }

  /**
   * Table statistics summed over shards.
   *
   * @example
   * v.stats().loadFactor; // size / capacity
   */
  stats(): VariableStats {
    const all = this.shards.map((s) => s.stats());
    const size = all.reduce((a, s) => a + s.size, 0);
    const capacity = all.reduce((a, s) => a + s.capacity, 0);
    const hist: number[] = [];
    for (const s of all) s.probeLengthHistogram.forEach((c, i) => (hist[i] = (hist[i] ?? 0) + c));
    return {
      size,
      capacity,
      loadFactor: capacity > 0 ? size / capacity : 0,
      probeLengthHistogram: Array.from(hist, (c) => c ?? 0),
      bytes: all.reduce((a, s) => a + s.bytes, 0),
    };
  }

  /**
   * Evicts keys through the restrict policy. Without a policy it warns and returns 0, as TFRA.
   *
   * @example
   * v.restrict(1000); // 0 (and a warning) when the Variable has no restrictPolicy
   */
  restrict(numReserved: number, options?: { trigger?: number }): number {
    const what = `Variable ${show(this.name)}.restrict`;
    options = optionsOf(options, what);
    checkInt(numReserved, 'numReserved', 0, what);
    if (options.trigger !== undefined) checkInt(options.trigger, 'trigger', 0, what);
    if (this.restrictPolicy === undefined) {
      console.warn(`${what}: this Variable has no restrictPolicy; nothing was removed.`);
      return 0;
    }
    if (restrictHandler === undefined) {
      throw new RuntimeError(
        `${what}: restrict policies are applied by the training module (de.train), which is not loaded.`,
      );
    }
    return restrictHandler(this, numReserved, options);
  }

  /** Frees the shards' WASM memory; the Variable must not be used afterwards. */
  dispose(): void {
    for (const s of this.shards) s.dispose();
  }
}
