// A Variable placed on the worker pool (`placement: 'workers'`): the same options, routing,
// initializer and results as an in-process de.Variable, with async methods, and its shards on
// pool workers (shard i on worker i mod N).
import { optionsOf } from '../options.js';
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, RuntimeError, show } from '../errors.js';
import { embeddingLookupSparse, type SparseCombiner, safeEmbeddingLookupSparse } from '../lookup.js';
import { checkMaxNorm, denseFromRows, readUnique, uniqueKeys } from '../read.js';
import type { IdsLike, Keys, RaggedTensor, SparseTensor } from '../tensor.js';
import type { Optimizer } from '../train/optimizers/optimizer.js';
import { FrequencyRestrictPolicy, TimestampRestrictPolicy } from '../train/restrict.js';
import { flattenValues, Variable, VARIABLE_VIEW, type ValuesLike, type VariableOptions } from '../variable.js';
import type { WorkerPool } from './pool.js';
import { PoolTable } from './table.js';

/** Rows fetched from the pool for one synchronous pass: key -> row. */
interface Staged {
  pos: Map<number | bigint | string, number>;
  values: Float32Array;
  exists: Uint8Array;
}

// While a loss or lookup runs its first (discovery) pass, the keys each pooled Variable is asked for.
let discovering: Map<PooledVariable, Keys[]> | undefined;

const pooledOfView = new WeakMap<Variable, PooledVariable>();
const slotGroups = new WeakMap<Optimizer, number>();
let nextSlotGroup = 1;

function slotGroupOf(opt: Optimizer): number {
  let g = slotGroups.get(opt);
  if (g === undefined) {
    g = nextSlotGroup++;
    slotGroups.set(opt, g);
  }
  return g;
}

function concatKeys(parts: Keys[]): Keys {
  if (parts.length === 1) return parts[0];
  if (Array.isArray(parts[0])) return parts.flatMap((p) => p as string[]);
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = parts[0] instanceof Int32Array ? new Int32Array(n) : new BigInt64Array(n);
  let o = 0;
  for (const p of parts) {
    (out as Int32Array).set(p as Int32Array, o);
    o += p.length;
  }
  return out;
}

/**
 * The pooled Variable whose in-process view `v` is (reads of `v` come from the pool), or undefined. Internal.
 *
 * @example
 * pooledOf(pv[VARIABLE_VIEW]) === pv; // true
 */
export function pooledOf(v: Variable): PooledVariable | undefined {
  return pooledOfView.get(v);
}

/**
 * Runs `run` (synchronous) with the rows of every pooled Variable it reads fetched from the pool
 * first. Which rows: `known` when given, else those `discover` reads when run once with zero
 * rows (a dry run whose tensors are disposed: it must read the same ids as `run`). Internal:
 * pooled lookups and `await de.train.step(opt, lossFn, { async: true })` use it.
 *
 * @example
 * const loss = await withPoolRows(lossFn, () => runStep(opt, lossFn));
 */
export async function withPoolRows<T>(
  discover: (() => unknown) | undefined,
  run: () => T,
  known?: Map<PooledVariable, Keys[]>,
): Promise<T> {
  let seen = known;
  if (!seen) {
    if (discovering) throw new RuntimeError('withPoolRows: a discovery pass is already running (nested call).');
    seen = new Map();
    discovering = seen;
    try {
      tf.tidy(() => {
        discover?.();
      });
    } finally {
      discovering = undefined;
    }
  }
  const fetched = await Promise.all(
    [...seen].map(async ([pv, list]) => [pv, await pv.fetch(concatKeys(list))] as const),
  );
  for (const [pv, staged] of fetched) pv.staged = staged;
  try {
    return run();
  } finally {
    for (const [pv] of fetched) pv.staged = undefined;
  }
}

/** A read-only view of rows a pooled Variable keeps beside its values: an optimizer slot or the restrict status. */
export interface PooledPart {
  readonly name: string;
  readonly dim: number;
  /** Rows of ids ([...ids.shape, dim]); absent keys read the part's initial value. */
  lookup(ids: IdsLike): Promise<tf.Tensor>;
  export(): Promise<{ keys: Keys; values: Float32Array; dim: number }>;
  /**
   * Writes back rows as {@link export} returned them (inserting or overwriting; keys of the
   * Variable's key dtype, `values` [keys.length, dim]): restoring a saved slot or status.
   */
  import(rows: { keys: Keys; values: Float32Array }): Promise<void>;
  size(): Promise<number>;
}

/**
 * A dynamic embedding table (TFRA `de.Variable`) whose shards live on a WorkerPool. Lookups
 * route ids by the partitioner, fan out to the workers and assemble the rows in order; a
 * missing key reads the initializer's value, exactly as in-process.
 *
 * @example
 * const pool = await de.pool.WorkerPool.create({ size: 2 });
 * const v = await de.pool.placeVariable(pool, { name: 'user_emb', dim: 4, partitions: 4, placement: 'workers' });
 * await v.upsert([1, 2], [[1, 1, 1, 1], [2, 2, 2, 2]]);
 * (await v.lookup([[2, 3]])).shape; // [1, 2, 4]
 */
export class PooledVariable {
  readonly placement = 'workers' as const;
  /** An in-process twin (one tiny shard per partition) that parses ids and routes keys exactly as de.Variable. */
  private readonly twin: Variable;
  /** Rows fetched for the synchronous pass now running (see withPoolRows). Internal. */
  staged: Staged | undefined;

  private constructor(
    twin: Variable,
    readonly table: PoolTable,
  ) {
    this.twin = twin;
    twin.remoteRows = { read: (keys) => this.readRows(keys) };
    pooledOfView.set(twin, this);
  }

  /** The in-process view lookups read through: `de.embeddingLookup(pooledVariable, ...)` works inside a step. */
  get [VARIABLE_VIEW](): Variable {
    return this.twin;
  }

  get trainable(): boolean {
    return this.twin.trainable;
  }

  /** The restrict policy's kind, or null without one. */
  get policy(): 'timestamp' | 'frequency' | null {
    const p = this.twin.restrictPolicy;
    if (p === undefined) return null;
    if (p === TimestampRestrictPolicy) return 'timestamp';
    if (p === FrequencyRestrictPolicy) return 'frequency';
    throw new RuntimeError(
      `Variable ${show(this.name)}: restrictPolicy must be de.TimestampRestrictPolicy or de.FrequencyRestrictPolicy, got ${show(p)}.`,
    );
  }

  // The twin's reads: staged rows, or the keys a discovery pass asks for (zeros meanwhile).
  private readRows(keys: Keys): { values: Float32Array; exists: Uint8Array } {
    const dim = this.dim;
    if (discovering) {
      const list = discovering.get(this);
      if (list) list.push(keys);
      else discovering.set(this, [keys]);
      return { values: new Float32Array(keys.length * dim), exists: new Uint8Array(keys.length) };
    }
    const st = this.staged;
    if (!st) {
      throw new RuntimeError(
        `Variable ${show(this.name)} is placed on workers: its rows are read asynchronously. Use await v.lookup(ids) (or lookupSparse / safeLookupSparse), or read it inside await de.train.step(optimizer, lossFn, { async: true }).`,
      );
    }
    const values = new Float32Array(keys.length * dim);
    const exists = new Uint8Array(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const p = st.pos.get(keys[i]);
      if (p === undefined) {
        throw new InvalidArgumentError(
          `Variable ${show(this.name)}: the second run read id ${show(keys[i])}, which the first run did not; a loss reading a pooled Variable must read the same ids each time it runs.`,
        );
      }
      values.set(st.values.subarray(p * dim, (p + 1) * dim), i * dim);
      exists[i] = st.exists[p];
    }
    return { values, exists };
  }

  /** Fetches the rows of `keys` from the pool (initializer values for missing keys), indexed by key. Internal. */
  async fetch(keys: Keys): Promise<Staged> {
    const { unique } = uniqueKeys(keys);
    const { values, exists } = await this.table.gather(unique);
    this.fillMissing(unique, values, exists);
    const pos = new Map<number | bigint | string, number>();
    for (let i = 0; i < unique.length; i++) pos.set(unique[i], i);
    return { pos, values, exists };
  }

  private fillMissing(keys: Keys, values: Float32Array, exists: Uint8Array): void {
    const missing: number[] = [];
    for (let i = 0; i < exists.length; i++) if (!exists[i]) missing.push(i);
    if (missing.length === 0) return;
    const mk = Array.isArray(keys)
      ? missing.map((i) => keys[i])
      : keys instanceof Int32Array
        ? Int32Array.from(missing, (i) => keys[i])
        : BigInt64Array.from(missing, (i) => keys[i]);
    const init = new Float32Array(missing.length * this.dim);
    this.twin.initializer.fill(mk, this.dim, init);
    missing.forEach((i, m) => values.set(init.subarray(m * this.dim, (m + 1) * this.dim), i * this.dim));
  }

  get name(): string {
    return this.twin.name;
  }
  get dim(): number {
    return this.twin.dim;
  }
  get keyDtype(): Variable['keyDtype'] {
    return this.twin.keyDtype;
  }
  get partitions(): number {
    return this.twin.partitions;
  }

  /** Creates the Variable's shards on the pool. See {@link placeVariable}. */
  static async create(
    pool: WorkerPool,
    options: VariableOptions,
    recovery: { compactBytes?: number } = {},
  ): Promise<PooledVariable> {
    options = optionsOf(options, 'placeVariable');
    if (options.insertOnLookup) {
      throw new InvalidArgumentError(
        `Variable ${show(options.name)}: insertOnLookup is not supported with placement 'workers' (a lookup there is read-only); got true.`,
      );
    }
    const twin = new Variable({ ...options, placement: 'local', initCapacity: options.partitions ?? 1 });
    const table = await PoolTable.create(pool, {
      keyDtype: twin.keyDtype,
      dim: twin.dim,
      partitions: twin.partitions,
      shardOf: (keys) => twin.shardOf(keys),
      initCapacity: options.initCapacity ?? 1024,
      compactBytes: recovery.compactBytes,
    });
    return new PooledVariable(twin, table);
  }

  /**
   * Rows of ids of any shape: a float32 tensor of shape `ids.shape + [dim]`, each clipped to
   * `maxNorm` when given; with `returnExists`, also which ids were stored. Same results as
   * `de.embeddingLookup` in-process (the same code runs over rows fetched from the workers).
   *
   * @example
   * const { values, exists } = await v.lookup([1, 9], { returnExists: true, maxNorm: 1 });
   */
  async lookup(idsLike: IdsLike, options?: { maxNorm?: number }): Promise<tf.Tensor>;
  async lookup(
    idsLike: IdsLike,
    options: { returnExists: true; maxNorm?: number },
  ): Promise<{ values: tf.Tensor; exists: boolean[] }>;
  async lookup(
    idsLike: IdsLike,
    options: { returnExists?: boolean; maxNorm?: number } = {},
  ): Promise<tf.Tensor | { values: tf.Tensor; exists: boolean[] }> {
    const what = `Variable ${show(this.name)}.lookup`;
    const maxNorm = checkMaxNorm(options.maxNorm, what);
    const { keys, shape } = this.twin.keysOf(idsLike, what);
    let exists: boolean[] = [];
    const t = await withPoolRows(
      undefined,
      () =>
        tf.tidy(() => {
          const r = readUnique(this.twin, keys, { maxNorm });
          exists = Array.from(r.index, (u) => r.exists[u] === 1);
          return denseFromRows(r, shape, this.dim);
        }),
      new Map([[this as PooledVariable, [keys]]]),
    );
    return options.returnExists ? { values: t, exists } : t;
  }

  /**
   * `de.embeddingLookupSparse` on this Variable: a rank-2 sparse batch combined per row with
   * 'sum' | 'mean' | 'sqrtn' (weights optional), each vector clipped to `maxNorm` first.
   *
   * @example
   * await v.lookupSparse(sp, null, { combiner: 'sqrtn' }); // [maxRow + 1, dim]
   */
  async lookupSparse(
    spIds: SparseTensor | RaggedTensor,
    spWeights: SparseTensor | RaggedTensor | null,
    options: { combiner?: SparseCombiner; maxNorm?: number } = {},
  ): Promise<tf.Tensor2D> {
    const f = () => embeddingLookupSparse(this, spIds, spWeights, options);
    return withPoolRows(f, f);
  }

  /**
   * `de.safeEmbeddingLookupSparse` on this Variable: any rank >= 2, weights <= 0 pruned for
   * non-sum combiners, empty rows read `defaultId`'s vector or zeros.
   *
   * @example
   * await v.safeLookupSparse(sp, weights, { combiner: 'mean', defaultId: 0 });
   */
  async safeLookupSparse(
    spIds: SparseTensor | RaggedTensor,
    spWeights: SparseTensor | RaggedTensor | null,
    options: { combiner?: SparseCombiner; defaultId?: number | bigint | string; maxNorm?: number } = {},
  ): Promise<tf.Tensor> {
    const f = () => safeEmbeddingLookupSparse(this, spIds, spWeights, options);
    return withPoolRows(f, f);
  }

  /**
   * Sends one training step's update of rows this Variable's shards hold to the workers (the
   * optimizer, its slots and the restrict status are updated there). Internal: train.step calls it.
   */
  applyTraining(
    rows: { keys: Keys; old: Float32Array; exists: Uint8Array; grad: Float32Array; maxNorm: number; bpV2: boolean },
    optimizer: Optimizer,
    step: number,
  ): Promise<void> {
    const { className, config, iterations } = optimizer.getState();
    return this.table.train(rows.keys, rows.old, rows.exists, rows.grad, {
      maxNorm: rows.maxNorm,
      bpV2: rows.bpV2,
      optimizer: { className, config, iterations },
      slotGroup: slotGroupOf(optimizer),
      policy: this.policy,
      step,
    });
  }

  private partView(name: string, label: string, dim: number, initial: number): PooledPart {
    const full = `${this.name}/${label}`;
    return {
      name: full,
      dim,
      lookup: async (idsLike: IdsLike): Promise<tf.Tensor> => {
        const { keys, shape } = this.twin.keysOf(idsLike, `${full}.lookup`);
        const { values, exists } = await this.table.gather(keys, { part: { name, dim } });
        for (let i = 0; i < exists.length; i++) if (!exists[i]) values.fill(initial, i * dim, (i + 1) * dim);
        return tf.tensor(values, [...shape, dim], 'float32');
      },
      export: async () => ({ ...(await this.table.export(name)), dim }),
      import: async (rows: { keys: Keys; values: Float32Array }): Promise<void> => {
        if (typeof rows !== 'object' || rows === null) {
          throw new InvalidArgumentError(`${full}.import: expected { keys, values }, got ${show(rows)}.`);
        }
        try {
          await this.table.upsertPart(name, dim, rows.keys, rows.values);
        } catch (e) {
          if (e instanceof InvalidArgumentError) throw new InvalidArgumentError(`${full}.import: ${e.message}`);
          throw e;
        }
      },
      size: () => this.table.partSize(name),
    };
  }

  /**
   * An optimizer slot of this Variable, kept on the workers beside its rows (as TFRA's
   * `optimizer.get_slot(var, name)`; named `${name}/${slot}`).
   *
   * @example
   * await v.getSlot(opt, 'm').export();
   */
  getSlot(optimizer: Optimizer, name: string): PooledPart {
    const spec = optimizer.slotSpecs().find((s) => s.name === name);
    if (!spec) {
      throw new InvalidArgumentError(
        `${optimizer.className}.getSlot: unknown slot ${show(name)}; this optimizer keeps ${
          optimizer
            .slotSpecs()
            .map((s) => JSON.stringify(s.name))
            .join(', ') || 'no slots'
        }.`,
      );
    }
    return this.partView(`slot:${slotGroupOf(optimizer)}/${name}`, name, this.dim, spec.initial);
  }

  /**
   * The restrict policy's status table (`${name}/timestamp_status` or `/frequency_status`), on the workers.
   *
   * @example
   * await v.status().lookup([1, 2]);
   */
  status(): PooledPart {
    const policy = this.policy;
    if (policy === null) throw new InvalidArgumentError(`Variable ${show(this.name)} has no restrictPolicy.`);
    return this.partView('status', `${policy}_status`, 1, 0);
  }

  /**
   * TFRA restrict through the restrict policy, on the workers: when `size() > trigger`, each
   * shard keeps its `floor(numReserved / partitions)` keys with the largest status and removes
   * the rest from the values, the status and every optimizer slot. Resolves to how many were removed.
   *
   * @example
   * await v.restrict(1000, { trigger: 1200 });
   */
  async restrict(numReserved: number, options: { trigger?: number } = {}): Promise<number> {
    const what = `Variable ${show(this.name)}.restrict`;
    if (!Number.isInteger(numReserved) || numReserved < 0) {
      throw new InvalidArgumentError(`${what}: numReserved must be an integer >= 0, got ${show(numReserved)}.`);
    }
    const trigger = options.trigger ?? numReserved;
    if (!Number.isInteger(trigger) || trigger < 0) {
      throw new InvalidArgumentError(`${what}: trigger must be an integer >= 0, got ${show(options.trigger)}.`);
    }
    if (this.policy === null) {
      console.warn(`${what}: this Variable has no restrictPolicy; nothing was removed.`);
      return 0;
    }
    if ((await this.size()) <= trigger) return 0;
    const quota = this.partitions === 1 ? numReserved : Math.floor(numReserved / this.partitions);
    return this.table.restrictShards(quota);
  }

  /**
   * Inserts or overwrites rows; `values` shaped `ids.shape + [dim]` (or flat).
   *
   * @example
   * await v.upsert([[1, 2]], [[[0, 1], [2, 3]]]);
   */
  async upsert(idsLike: IdsLike, values: ValuesLike): Promise<void> {
    const what = `Variable ${show(this.name)}.upsert`;
    const { keys, shape } = this.twin.keysOf(idsLike, what);
    await this.table.upsert(keys, flattenValues(values, shape, this.dim, what));
  }

  /**
   * Removes keys (missing ones ignored); resolves to how many were removed.
   *
   * @example
   * await v.remove([1, 12345]); // 1
   */
  async remove(idsLike: IdsLike): Promise<number> {
    const { keys } = this.twin.keysOf(idsLike, `Variable ${show(this.name)}.remove`);
    return this.table.remove(keys);
  }

  /**
   * Adds `-lr * grad`-style deltas to rows (a sparse SGD step), inserting absent keys at zero first.
   *
   * @example
   * await v.scatterAdd([5], [[0.1, 0]]);
   */
  async scatterAdd(idsLike: IdsLike, deltas: ValuesLike): Promise<void> {
    const what = `Variable ${show(this.name)}.scatterAdd`;
    const { keys, shape } = this.twin.keysOf(idsLike, what);
    await this.table.scatterAdd(keys, flattenValues(deltas, shape, this.dim, what));
  }

  /**
   * Stored keys, over all shards or in one.
   *
   * @example
   * await v.size(); await v.size(0);
   */
  size(shard?: number): Promise<number> {
    return this.table.size(shard);
  }

  /**
   * Every stored key and its row (any order).
   *
   * @example
   * const { keys, values, dim } = await v.export();
   */
  async export(): Promise<{ keys: Int32Array | BigInt64Array | string[]; values: Float32Array; dim: number }> {
    return { ...(await this.table.export()), dim: this.dim };
  }

  /**
   * Removes every key.
   *
   * @example
   * await v.clear();
   */
  clear(): Promise<void> {
    return this.table.clear();
  }

  /** Frees the shards on the workers (and the in-process twin). */
  async dispose(): Promise<void> {
    pooledOfView.delete(this.twin);
    this.twin.dispose();
    await this.table.dispose();
  }
}

/**
 * Places a Variable on the pool (`placement: 'workers'`): same options as `new de.Variable`.
 * `recovery.compactBytes`: compact a shard's recovery log into a snapshot past this size (default 4 MiB).
 *
 * @example
 * const v = await de.pool.placeVariable(pool, { name: 'item_emb', keyDtype: 'int64', dim: 8, partitions: 4 });
 */
export function placeVariable(
  pool: WorkerPool,
  options: VariableOptions,
  recovery: { compactBytes?: number } = {},
): Promise<PooledVariable> {
  return PooledVariable.create(pool, options, recovery);
}
