// TPUEmbeddingV0: the mid-level TPU embedding API without the embedding accelerator. Tables are
// copied to every core (or, beyond V0, sharded by the strategy's `sharding`); lookups run on the
// core that calls them, through the strategy's run context.
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, RuntimeError, show } from '../errors.js';
import { FeatureConfig, initialTableValues, type TableConfig } from './config.js';
import type { FeatureInput, WeightInput } from './inputs.js';
import { type PreparedFeature, prepareFeature, stageA, stageB } from './lookup.js';
import { TPUEmbeddingOptimizer } from './optimizers.js';
import { TableLayout } from './sharding.js';
import { currentStrategy, type VirtualTPUStrategy } from './strategy.js';

/** The feature structure TPUEmbeddingV0 takes: one FeatureConfig, an array, or a record of them. */
export type FeatureConfigStructure = FeatureConfig | readonly FeatureConfig[] | Readonly<Record<string, FeatureConfig>>;

/** Features (or weights) in the same structure as the feature config. */
export type FeatureStructure<T> = T | readonly T[] | Readonly<Record<string, T>>;

/** The outputs of a lookup, in the structure of the feature config `C`. */
export type LookupOutput<C> = C extends FeatureConfig
  ? tf.Tensor
  : C extends readonly FeatureConfig[]
    ? tf.Tensor[]
    : { [K in keyof C]: tf.Tensor };

/** Options of {@link TPUEmbeddingV0}. */
export interface TPUEmbeddingV0Options<C extends FeatureConfigStructure = FeatureConfigStructure> {
  featureConfig: C;
  /** The global optimizer, for tables that have none of their own. */
  optimizer?: TPUEmbeddingOptimizer;
}

/** One core's copy (or shard) of one table and its optimizer slots, flat row-major. */
export interface TableShard {
  params: Float32Array;
  slots: Float32Array[];
}

interface FlatFeature {
  path: string;
  feature: FeatureConfig;
}

function flattenConfig(fc: unknown): { structure: 'single' | 'array' | 'record'; flat: FlatFeature[]; keys: string[] } {
  if (fc instanceof FeatureConfig)
    return { structure: 'single', flat: [{ path: fc.name ?? 'feature', feature: fc }], keys: [] };
  if (Array.isArray(fc)) {
    if (fc.length === 0)
      throw new InvalidArgumentError('featureConfig must hold at least one FeatureConfig, got an empty array.');
    const flat = fc.map((f, i) => {
      if (!(f instanceof FeatureConfig)) {
        throw new InvalidArgumentError(`featureConfig[${i}] must be a de.tpu.FeatureConfig, got ${show(f)}.`);
      }
      return { path: String(i), feature: f };
    });
    return { structure: 'array', flat, keys: [] };
  }
  if (fc !== null && typeof fc === 'object') {
    // TF's nest.flatten visits dict keys in sorted order; table order (and table_i names) follow it.
    const keys = Object.keys(fc).sort();
    if (keys.length === 0)
      throw new InvalidArgumentError('featureConfig must hold at least one FeatureConfig, got {}.');
    const flat = keys.map((k) => {
      const f = (fc as Record<string, unknown>)[k];
      if (!(f instanceof FeatureConfig)) {
        throw new InvalidArgumentError(`featureConfig.${k} must be a de.tpu.FeatureConfig, got ${show(f)}.`);
      }
      return { path: k, feature: f };
    });
    return { structure: 'record', flat, keys };
  }
  throw new InvalidArgumentError(
    `featureConfig must be a FeatureConfig, an array or a record of FeatureConfigs, got ${show(fc)}.`,
  );
}

/**
 * The TPUEmbeddingV0 mid-level API on a {@link VirtualTPUStrategy}. Must be created inside
 * `strategy.scope(...)`. Tables are ordered by first use; unnamed tables are named `table_{i}`.
 *
 * @example
 * const strategy = new de.tpu.VirtualTPUStrategy({ numCores: 2 });
 * const video = new de.tpu.TableConfig({ vocabularySize: 8, dim: 4, combiner: 'sum' });
 * const emb = strategy.scope(() => new de.tpu.TPUEmbeddingV0({
 *   featureConfig: { watched: new de.tpu.FeatureConfig({ table: video }) },
 *   optimizer: new de.tpu.SGD({ learningRate: 0.1 }),
 * }));
 * emb.embeddingLookup({ watched: [[1], [2]] }).watched.shape; // [2, 1, 4]
 */
export class TPUEmbeddingV0<C extends FeatureConfigStructure = FeatureConfigStructure> {
  readonly strategy: VirtualTPUStrategy;
  readonly featureConfig: C;
  readonly optimizer: TPUEmbeddingOptimizer | undefined;
  /** Tables in order of first use. */
  readonly tables: readonly TableConfig[];
  private readonly flat: FlatFeature[];
  private readonly structure: 'single' | 'array' | 'record';
  private readonly keys: string[];
  private readonly tableIndexOf = new Map<TableConfig, number>();
  private built = false;
  private layouts: TableLayout[] = [];
  /** shards[core][table]. */
  private shards: TableShard[][] = [];
  private variables = new Map<TableConfig, tf.Variable>();

  constructor(options: TPUEmbeddingV0Options<C>) {
    const strategy = currentStrategy();
    if (!strategy) {
      throw new RuntimeError(
        'TPUEmbeddingV0 should be created under a VirtualTPUStrategy (inside strategy.scope(() => new TPUEmbeddingV0(...))) but found the default strategy.',
      );
    }
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError(`TPUEmbeddingV0 expects { featureConfig, optimizer? }, got ${show(options)}.`);
    }
    const { structure, flat, keys } = flattenConfig(options.featureConfig);
    if (options.optimizer !== undefined && !(options.optimizer instanceof TPUEmbeddingOptimizer)) {
      throw new InvalidArgumentError(
        `TPUEmbeddingV0: optimizer must be a TPU embedding optimizer (de.tpu.SGD, Adagrad, Adam or FTRL), got ${show(options.optimizer)}.`,
      );
    }
    const tables: TableConfig[] = [];
    for (const { feature } of flat) if (!tables.includes(feature.table)) tables.push(feature.table);
    // Check names before naming anything, so a failed constructor changes no TableConfig.
    const names = tables.map((t, i) => t.name ?? `table_${i}`);
    const seen = new Set<string>();
    for (const name of names) {
      if (seen.has(name))
        throw new InvalidArgumentError(`Tables must have a unique name. Multiple tables with name ${name} found.`);
      seen.add(name);
    }
    tables.forEach((t, i) => {
      t.name = names[i];
      this.tableIndexOf.set(t, i);
    });
    this.strategy = strategy;
    this.featureConfig = options.featureConfig;
    this.optimizer = options.optimizer;
    this.tables = tables;
    this.flat = flat;
    this.structure = structure;
    this.keys = keys;
    strategy.register(this);
  }

  /** The optimizer a table trains with: its own, else the global one. */
  optimizerFor(table: TableConfig): TPUEmbeddingOptimizer | undefined {
    return table.optimizer ?? this.optimizer;
  }

  /** Index of a table in {@link tables}. */
  tableIndex(table: TableConfig): number {
    const i = this.tableIndexOf.get(table);
    if (i === undefined)
      throw new InvalidArgumentError(`Table ${show(table.name)} is not used by this TPUEmbeddingV0.`);
    return i;
  }

  /**
   * Creates every core's copy (or shard) of every table and its optimizer slots. Idempotent.
   *
   * @example
   * emb.build(); emb.build(); // the second call does nothing
   */
  build(): void {
    if (this.built) return;
    const n = this.strategy.numCores;
    const layouts = this.tables.map((t, i) => new TableLayout(this.strategy.sharding, n, t.vocabularySize, t.dim, i));
    const full = this.tables.map((t) => initialTableValues(t));
    const shards: TableShard[][] = [];
    for (let c = 0; c < n; c++) {
      shards.push(
        this.tables.map((t, ti) => {
          const l = layouts[ti];
          const rows = l.rowsOn(c);
          const cols = l.colsOn(c);
          const params = new Float32Array(rows * cols);
          for (let r = 0; r < rows; r++) {
            const g = l.globalRow(c, r);
            for (let j = 0; j < cols; j++) params[r * cols + j] = full[ti][g * t.dim + l.colStarts[c] + j];
          }
          const slots = (this.optimizerFor(t)?.slots() ?? []).map((s) =>
            new Float32Array(rows * cols).fill(s.initialValue),
          );
          return { params, slots };
        }),
      );
    }
    this.layouts = layouts;
    this.shards = shards;
    this.variables = new Map(
      this.tables.map((t, ti) => [t, tf.variable(tf.tensor2d(full[ti], [t.vocabularySize, t.dim]), false)]),
    );
    this.built = true;
  }

  /** Whether {@link build} has run. */
  get isBuilt(): boolean {
    return this.built;
  }

  /**
   * Each TableConfig's parameters `[vocabularySize, dim]`: core 0's copy (all cores hold the same
   * when in sync); in sharded modes the table assembled from its shards. Refreshed after every step.
   */
  get embeddingTables(): Map<TableConfig, tf.Variable> {
    this.build();
    return new Map(this.variables);
  }

  /** The table layout of table `i` (internal to the strategy). */
  layout(i: number): TableLayout {
    this.build();
    return this.layouts[i];
  }

  /** Core `core`'s shard of table `i` (its own arrays; the strategy updates them in place). */
  shard(core: number, i: number): TableShard {
    this.build();
    return this.shards[core][i];
  }

  /**
   * One optimizer slot of one table on one core, `[rows, cols]` of that core's shard
   * (`[vocabularySize, dim]` when replicated). Slot names are TF's: accumulators, momenta, velocities, linears.
   *
   * @example
   * emb.slot(video, 'accumulators', 0); // Float32Array, all 0.1 before training with Adagrad
   */
  slot(table: TableConfig, name: string, core = 0): Float32Array {
    this.build();
    const ti = this.tableIndex(table);
    const specs = this.optimizerFor(table)?.slots() ?? [];
    const k = specs.findIndex((s) => s.name === name);
    if (k < 0) {
      throw new InvalidArgumentError(
        `Table ${table.name} has no slot ${show(name)}; its optimizer has [${specs.map((s) => s.name).join(', ')}].`,
      );
    }
    if (!Number.isInteger(core) || core < 0 || core >= this.strategy.numCores) {
      throw new InvalidArgumentError(`core must be in [0, ${this.strategy.numCores}), got ${show(core)}.`);
    }
    return Float32Array.from(this.shards[core][ti].slots[k]);
  }

  /** Rebuilds the embeddingTables variables from the shards (after a step or a resync). */
  refreshVariables(): void {
    this.tables.forEach((t, ti) => {
      const full = new Float32Array(t.vocabularySize * t.dim);
      const l = this.layouts[ti];
      for (let c = 0; c < this.strategy.numCores; c++) {
        const cols = l.colsOn(c);
        const sh = this.shards[c][ti].params;
        for (let r = 0; r < l.rowsOn(c); r++) {
          const g = l.globalRow(c, r);
          for (let j = 0; j < cols; j++) full[g * t.dim + l.colStarts[c] + j] = sh[r * cols + j];
        }
        if (this.strategy.sharding === 'replicated') break; // core 0's copy
      }
      tf.tidy(() => this.variables.get(t)?.assign(tf.tensor2d(full, [t.vocabularySize, t.dim])));
    });
  }

  /** Flattens features and weights in the config's structure and validates them (TF's rules). */
  prepare(features: unknown, weights?: unknown): PreparedFeature[] {
    const pick = (x: unknown, k: number, what: string): unknown => {
      if (this.structure === 'single') return x;
      if (this.structure === 'array') {
        if (!Array.isArray(x) || x.length !== this.flat.length) {
          throw new InvalidArgumentError(
            `${what} must have the same structure as featureConfig: an array of ${this.flat.length}, got ${show(x)}.`,
          );
        }
        return x[k];
      }
      if (x === null || typeof x !== 'object' || Array.isArray(x)) {
        throw new InvalidArgumentError(
          `${what} must have the same structure as featureConfig: a record with keys [${this.keys.join(', ')}], got ${show(x)}.`,
        );
      }
      const got = Object.keys(x).sort();
      if (got.length !== this.keys.length || got.some((g, i) => g !== this.keys[i])) {
        throw new InvalidArgumentError(
          `${what} must have the same structure as featureConfig: keys [${this.keys.join(', ')}], got [${got.join(', ')}].`,
        );
      }
      return (x as Record<string, unknown>)[this.flat[k].path];
    };
    return this.flat.map(({ path, feature }, k) =>
      prepareFeature(
        pick(features, k, 'features') as FeatureInput,
        weights === undefined || weights === null ? undefined : (pick(weights, k, 'weights') as WeightInput),
        feature,
        path,
      ),
    );
  }

  /** Packs flat outputs into the config's structure. */
  pack(outputs: tf.Tensor[]): LookupOutput<C> {
    if (this.structure === 'single') return outputs[0] as LookupOutput<C>;
    if (this.structure === 'array') return outputs as LookupOutput<C>;
    const out: Record<string, tf.Tensor> = {};
    this.flat.forEach(({ path }, k) => {
      out[path] = outputs[k];
    });
    return out as LookupOutput<C>;
  }

  /**
   * Looks up every feature: dense ids -> `ids.shape + [dim]`; sparse / ragged -> combined `[B, dim]`
   * (or `[B, L, dim]` for sequence features; or the feature's `outputShape + [dim]`). Inside
   * `strategy.run` it must be given the core's slice of the features (and weights) as the step
   * received them, and returns what the running core gathered from its own tables (in-process or
   * on its worker); outside `strategy.run` it reads core 0's tables.
   *
   * @example
   * const out = emb.embeddingLookup(
   *   { watched: { values: [0, 1, 2], rowSplits: [0, 2, 3] } },
   *   { watched: { values: [1, 2, 1], rowSplits: [0, 2, 3] } },
   * );
   */
  embeddingLookup(features: unknown, weights?: unknown): LookupOutput<C> {
    this.build();
    const prepared = this.prepare(features, weights);
    const ctx = this.strategy.runContext();
    let outputs: tf.Tensor[];
    if (ctx) outputs = ctx.lookup(this, prepared, features, weights);
    else {
      outputs = tf.tidy(() =>
        prepared.map((p) => {
          const v = this.variables.get(p.feature.table);
          if (!v) throw new RuntimeError('TPUEmbeddingV0: table variables are missing; build() failed earlier.');
          return stageB(p, stageA(p, v));
        }),
      );
    }
    return this.pack(outputs);
  }

  /**
   * Calling the object, as TF's `__call__`: the same as {@link embeddingLookup}.
   *
   * @example
   * emb.call({ watched: [[1]] });
   */
  call(features: unknown, weights?: unknown): LookupOutput<C> {
    return this.embeddingLookup(features, weights);
  }

  /** Bytes of every table and slot on `core`, for checksums. */
  coreArrays(core: number): Float32Array[] {
    this.build();
    return this.shards[core].flatMap((s) => [s.params, ...s.slots]);
  }

  /** Copies core 0's tables and slots to every other core (replicated mode); returns floats per table. */
  broadcastFromCore0(): number[] {
    this.build();
    const n = this.strategy.numCores;
    return this.tables.map((_, ti) => {
      const src = this.shards[0][ti];
      for (let c = 1; c < n; c++) {
        const dst = this.shards[c][ti];
        dst.params.set(src.params);
        dst.slots.forEach((s, k) => {
          s.set(src.slots[k]);
        });
      }
      return src.params.length * (1 + src.slots.length);
    });
  }

  /** Releases the tfjs variables. */
  dispose(): void {
    for (const v of this.variables.values()) v.dispose();
    this.variables.clear();
    this.built = false;
  }
}
