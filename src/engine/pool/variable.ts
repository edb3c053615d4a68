// A Variable placed on the worker pool (`placement: 'workers'`): the same options, routing,
// initializer and results as an in-process de.Variable, with async methods, and its shards on
// pool workers (shard i on worker i mod N).
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, show } from '../errors.js';
import type { IdsLike } from '../tensor.js';
import { flattenValues, Variable, type ValuesLike, type VariableOptions } from '../variable.js';
import type { WorkerPool } from './pool.js';
import { PoolTable } from './table.js';

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

  private constructor(
    twin: Variable,
    readonly table: PoolTable,
  ) {
    this.twin = twin;
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
  static async create(pool: WorkerPool, options: VariableOptions): Promise<PooledVariable> {
    if (options?.insertOnLookup) {
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
    });
    return new PooledVariable(twin, table);
  }

  /**
   * Rows of ids of any shape: a float32 tensor of shape `ids.shape + [dim]`; with `returnExists`, also which ids were stored.
   *
   * @example
   * const { values, exists } = await v.lookup([1, 9], { returnExists: true });
   */
  async lookup(idsLike: IdsLike): Promise<tf.Tensor>;
  async lookup(idsLike: IdsLike, options: { returnExists: true }): Promise<{ values: tf.Tensor; exists: boolean[] }>;
  async lookup(
    idsLike: IdsLike,
    options: { returnExists?: boolean } = {},
  ): Promise<tf.Tensor | { values: tf.Tensor; exists: boolean[] }> {
    const { keys, shape } = this.twin.keysOf(idsLike, `Variable ${show(this.name)}.lookup`);
    const { values, exists } = await this.table.gather(keys);
    const missing: number[] = [];
    for (let i = 0; i < exists.length; i++) if (!exists[i]) missing.push(i);
    if (missing.length > 0) {
      const mk = Array.isArray(keys)
        ? missing.map((i) => keys[i])
        : keys instanceof Int32Array
          ? Int32Array.from(missing, (i) => keys[i])
          : BigInt64Array.from(missing, (i) => keys[i]);
      const init = new Float32Array(missing.length * this.dim);
      this.twin.initializer.fill(mk, this.dim, init);
      missing.forEach((i, m) => values.set(init.subarray(m * this.dim, (m + 1) * this.dim), i * this.dim));
    }
    const t = tf.tensor(values, [...shape, this.dim], 'float32');
    return options.returnExists ? { values: t, exists: Array.from(exists, (e) => e === 1) } : t;
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
    this.twin.dispose();
    await this.table.dispose();
  }
}

/**
 * Places a Variable on the pool (`placement: 'workers'`): same options as `new de.Variable`.
 *
 * @example
 * const v = await de.pool.placeVariable(pool, { name: 'item_emb', keyDtype: 'int64', dim: 8, partitions: 4 });
 */
export function placeVariable(pool: WorkerPool, options: VariableOptions): Promise<PooledVariable> {
  return PooledVariable.create(pool, options);
}
