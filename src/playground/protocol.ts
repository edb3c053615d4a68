// The playground's message protocol: the plain data the page and the playground session
// exchange (through a Web Worker and comlink in the browser, directly in Node tests), and the
// session's API. Types only (and two constants): the page imports this file without the engine.
import type { BackendInfo } from '../engine/index.js';
import type { FeatureSpec, GeneratorSpec, ModelKind } from './workspace/schema.js';

/** A table as the page describes it to the session (a TableSpec's fields the engine needs). */
export interface WorkerTable {
  name: string;
  dim: number;
  keyDtype: 'int32' | 'int64' | 'string';
  initializer: 'zeros' | 'constant' | 'randomNormal' | 'randomUniform' | 'truncatedNormal' | 'glorotUniform';
  initScale: number;
  initSeed: number;
  partitions: number;
  maxNorm: number;
  optimizer: 'SGD' | 'Momentum' | 'Adagrad' | 'Adam' | 'Ftrl' | 'RMSprop';
  learningRate: number;
  restrictPolicy: 'none' | 'timestamp' | 'frequency';
  restrictLimit: number;
  /** de.Variable insertOnLookup (fixed at creation). */
  insertOnLookup: boolean;
  /** Where the inspector's lookups gather rows: asked for; see {@link GatherInfo} for what ran. */
  gather: 'wasm' | 'webgl' | 'auto';
  /** 'in-process': a de.Variable in this worker; 'workers': de.pool.placeVariable on the worker pool. */
  placement: 'in-process' | 'workers';
}

/** The gather path a table asked for, the one that ran, and why (de.backendInfo().gatherReason). */
export interface GatherInfo {
  asked: 'wasm' | 'webgl' | 'auto';
  used: 'wasm' | 'webgl';
  reason: string;
  /** The asked path could not be used: `reason` says why. */
  fellBack: boolean;
}

/** A feature as the inspector reads it: the engine op its input kind and combiner map to. */
export interface WorkerFeature {
  name: string;
  /** How its ids arrive: rectangular ids, or rows of ids. */
  input: 'dense' | 'sparse' | 'ragged';
  /** The lookup its input kind, combiner and max sequence length name (de.featureOp). */
  op: 'embedding' | 'squashed' | 'sparse' | 'sequence';
  combiner: 'none' | 'sum' | 'mean' | 'sqrtn';
  maxSequenceLength: number;
}

/** A parsed batch: its shape, row splits (ragged / sparse) and flat ids and weights. */
export interface WorkerBatch {
  shape: number[];
  rowSplits: number[] | null;
  ids: (number | bigint | string)[];
  weights: number[] | null;
}

export interface IdInfo {
  /** The id as typed. */
  id: string;
  /**
   * 'hit': the key was in the table; 'miss': it was not, the vector is the initializer's value and
   * the table is unchanged (TFRA lookup); 'inserted': it was not, and this lookup inserted it with
   * the initializer's value (insertOnLookup, find-or-insert).
   */
  status: 'hit' | 'miss' | 'inserted';
  shard: number;
  /** The pool worker holding the shard (placement 'workers'), else -1. */
  worker: number;
  /** Slot in the shard's control-byte array, -1 for a miss (and on the pool, where the slot is not read). */
  slot: number;
  /** Row in the shard's value arena, -1 for a miss. */
  row: number;
  /** The stored (or initializer) vector, before maxNorm. */
  vector: Float32Array;
  norm: number;
  /** maxNorm scales this vector down when looked up. */
  clipped: boolean;
}

export interface LookupReply {
  feature: string;
  table: string;
  engineCall: string;
  /** The shape of the tensor the engine returned. */
  shape: number[];
  output: Float32Array;
  ids: IdInfo[];
  tableSize: number;
  /** The table inserts missing keys on lookup. */
  insertOnLookup: boolean;
  gather: GatherInfo;
  /** Placement 'workers': how many pool workers hold the table's shards; null in-process. */
  poolWorkers: number | null;
  ms: number;
}

/**
 * Tables the page emptied on purpose (a confirmed discard: deleted, replaced by a preset),
 * recreated empty even when their creation fields did not change. Both sync and trainConfigure
 * pass the page's recent requests; each id is applied once, by whichever call arrives first.
 */
export interface FreshRequest {
  id: number;
  names: string[];
}

/** What trainSave returns and the page keeps in IndexedDB (version 1 had no pooled tables). */
export interface SavedTraining {
  v: 2;
  /** The model configuration it belongs to: restored only into the same model. */
  key: string;
  step: number;
  globalStep: number;
  /** The in-process tables in the checkpoint, in its order (every in-process table held). */
  tables: string[];
  /** de.checkpoint.save of those tables, then the model's optimizers. */
  checkpoint: Uint8Array;
  /** Every table held on the worker pool: rows, restrict status and the model's optimizer slots. */
  pooled: SavedPooledTable[];
  dense: Float32Array[];
  denseSlots: Float32Array[][];
}

/** One shard's hash table as the Internals panel draws it. */
export interface ShardInternals {
  shard: number;
  capacity: number;
  /** Control bytes: 0x80 empty, 0xFE tombstone, else the key's 7-bit tag. At most INTERNALS_SLOTS. */
  ctrl: Uint8Array;
  size: number;
  tombstones: number;
  loadFactor: number;
  probeLengthHistogram: number[];
}

export const INTERNALS_SLOTS = 4096;

/** The tiny-table demo's state: one small hash table, slot by slot. */
export interface TinyState {
  capacity: number;
  ctrl: Uint8Array;
  /** slot -> key, or null where the slot holds none. */
  keys: (number | null)[];
  size: number;
  tombstones: number;
  loadFactor: number;
  probeLengthHistogram: number[];
  /** What the last action did, in words. */
  event: string;
  /** The slot the last insert landed in, or -1. */
  lastSlot: number;
  nextKey: number;
}

export type OptimizerKind = 'SGD' | 'Momentum' | 'Adagrad' | 'Adam' | 'Ftrl' | 'RMSprop';

/** A trained table's settings the model reads (a WorkerTable has them all). */
export interface TrainTable {
  name: string;
  dim: number;
  keyDtype: 'int32' | 'int64' | 'string';
  optimizer: OptimizerKind;
  learningRate: number;
  restrictPolicy: 'none' | 'timestamp' | 'frequency';
  restrictLimit: number;
  maxNorm: number;
}

export type TrainFeature = Pick<FeatureSpec, 'name' | 'table' | 'input' | 'combiner' | 'maxSequenceLength' | 'weights'>;

/** The model: its tables, features, batch generator, seed and kind. */
export interface TrainConfig {
  tables: TrainTable[];
  features: TrainFeature[];
  generator: GeneratorSpec;
  /** Seeds the head's initial weights. */
  seed: number;
  model: ModelKind;
  /** Two-tower: the item tower's features (empty = the last feature). */
  itemFeatures: string[];
  /**
   * Batches from the imported feature log sent with setImportedLog (batch n = rows n·B … of it,
   * its label column the target) instead of the generator; absent: the generator.
   */
  source?: { kind: 'log'; id: number };
}

/** One table after one training step. */
export interface TableMetrics {
  size: number;
  /** Slots allocated; null for a table on the worker pool (the pool reports sizes, not capacities). */
  capacity: number | null;
  /** Fraction of the batch's ids of this table already held before the step. */
  hitRate: number;
  /** L2 norm of the gradient de.train.step applied to the table's unique rows (all its features summed). */
  gradNorm: number;
  /** Keys removed by the restrict policy after the step. */
  evictions: number;
}

/** One training step's loss and per-table metrics. */
export interface StepMetrics {
  /** The step number after this step (1 = the first step). */
  step: number;
  loss: number;
  /** Log-loss on the held-out evaluation batch after this step (every EVALUATE_EVERY steps; else null). */
  heldOutLoss: number | null;
  tables: Record<string, TableMetrics>;
}

/** A histogram of one table's row norms. */
export interface NormHistogram {
  table: string;
  /** Bin edges, the same for every table of one call: counts[i] counts norms in [edges[i], edges[i + 1]). */
  edges: number[];
  counts: number[];
  keys: number;
  /** The table's largest row norm (0 when it is empty). */
  max: number;
}

/** Stored keys and their rows ([keys.length, dim]). */
export interface SavedRows {
  keys: Int32Array | BigInt64Array | string[];
  values: Float32Array;
}

/** What a pooled table holds on the workers, as saved. */
export interface SavedPooledTable {
  name: string;
  keyDtype: 'int32' | 'int64' | 'string';
  dim: number;
  rows: SavedRows;
  /** The restrict policy's status (one value per key); null without a policy. */
  status: SavedRows | null;
  /** Optimizer slots: `optimizer` is the index in the model's optimizers (Trainer.optimizers). */
  slots: { optimizer: number; slot: string; rows: SavedRows }[];
}

/** What trainConfigure answers: whether the model was rebuilt, its step and the tables' state. */
export interface ConfigureReply {
  rebuilt: boolean;
  step: number;
  histograms: NormHistogram[];
  summary: string;
  sizes: Record<string, number>;
  /** The loss chart's reference lines (nats, on the held-out batch); null when training reads an imported log. */
  reference: { baseline: number; ceiling: number } | null;
}

/** What trainSteps answers: each step's metrics, then the histograms and sizes after them. */
export interface StepsReply {
  metrics: StepMetrics[];
  histograms: NormHistogram[];
  sizes: Record<string, number>;
  ms: number;
}

/** What trainRestore answers: whether the saved state was restored, and if not, why. */
export interface RestoreReply {
  restored: boolean;
  reason: string;
  step: number;
  histograms: NormHistogram[];
  sizes: Record<string, number>;
}

/** The Code panel's downloads: the checkpoint, the .npy files and the TFRA script. */
export interface ExportedFiles {
  checkpoint: Uint8Array;
  npy: Record<string, Uint8Array>;
  python: string;
}

/** The model settings trainConfigure / trainRestore take beside the tables and features. */
export type ModelSettings = Omit<TrainConfig, 'tables' | 'features'>;

/**
 * The playground session's API (src/playground/session.ts implements it; workers/playground.worker.ts
 * serves it over comlink, where every answer arrives as a promise).
 */
export interface PlaygroundApi {
  /** Loads the engine and tfjs; returns which backends run. */
  init(): Promise<BackendInfo>;
  /** Drops tables no longer in the workspace; returns the size of each remaining one. */
  sync(specs: WorkerTable[], fresh?: FreshRequest[]): Promise<Record<string, number>>;
  /** The gather path a table setting gets here (decided once per session). */
  gatherChoice(asked: WorkerTable['gather']): Promise<GatherInfo>;
  /** Looks a batch up through a feature: the output tensor and each id's provenance. */
  lookup(t: WorkerTable, f: WorkerFeature, b: WorkerBatch): Promise<LookupReply>;
  /** (Re)builds the model when its configuration changed; returns whether it did and the step. */
  trainConfigure(
    specs: WorkerTable[],
    features: TrainFeature[],
    config: ModelSettings,
    fresh?: FreshRequest[],
  ): Promise<ConfigureReply>;
  /** Holds an imported feature log (JSON of src/playground/import's ImportedLog) under `id` for training to read. */
  setImportedLog(id: number, json: string): void;
  /** Runs `n` steps; returns each step's metrics and the embedding-norm histograms after them. */
  trainSteps(n: number): Promise<StepsReply>;
  /** Goes back to the state before the last step. */
  trainStepBack(): Promise<{ step: number; histograms: NormHistogram[]; sizes: Record<string, number> }>;
  /** Empties the trained tables and starts the model over. */
  trainReset(): Promise<{ histograms: NormHistogram[]; sizes: Record<string, number> }>;
  /** The trained state to keep across a reload; null when there is no model. */
  trainSave(): Promise<SavedTraining | null>;
  /** Builds the model and restores a saved state that belongs to exactly it. */
  trainRestore(
    saved: SavedTraining,
    specs: WorkerTable[],
    features: TrainFeature[],
    config: ModelSettings,
    allSpecs: WorkerTable[],
  ): Promise<RestoreReply>;
  /** Control bytes and statistics of each shard of an in-process table; null otherwise. */
  internals(name: string): ShardInternals[] | null;
  /** The tiny-table demo: start over, insert the next key, remove the oldest. */
  tinyReset(seed: number): TinyState;
  tinyInsert(): TinyState;
  tinyRemove(): TinyState;
  /** The checkpoint, the .npy files and the TFRA script for the trained tables. */
  exportFiles(): Promise<ExportedFiles>;
}
