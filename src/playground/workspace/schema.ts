// The workspace: everything a person sets up (tables, features, batches, generator, training
// settings and seeds), as types, the choices each field allows, limits and defaults. It is plain
// JSON and versioned; validate.ts checks one that comes from outside (a URL, IndexedDB), url.ts
// puts one in a link.

export const SCHEMA_VERSION = 1;

export const KEY_DTYPES = ['int32', 'int64', 'string'] as const;
export const INITIALIZERS = [
  'zeros',
  'constant',
  'randomNormal',
  'randomUniform',
  'truncatedNormal',
  'glorotUniform',
] as const;
export const OPTIMIZERS = ['SGD', 'Momentum', 'Adagrad', 'Adam', 'Ftrl', 'RMSprop'] as const;
export const RESTRICT_POLICIES = ['none', 'timestamp', 'frequency'] as const;
/**
 * Where a table's shards live: 'in-process' in the playground's engine worker (de.Variable), or
 * 'workers' on a pool of engine workers (de.pool.placeVariable). Links made before the pool was
 * offered said 'worker' (the engine worker) or 'main'; both read as 'in-process'.
 */
export const PLACEMENTS = ['in-process', 'workers'] as const;
/** 'auto': calibrate on this machine and take the faster (de.gpu.chooseGather). */
export const GATHER_PATHS = ['wasm', 'webgl', 'auto'] as const;
export const INPUT_KINDS = ['dense', 'sparse', 'ragged'] as const;
/** 'none': the TFRA Embedding layer (no combiner applied, shape(ids) + [dim]). */
export const COMBINERS = ['none', 'sum', 'mean', 'sqrtn'] as const;
export const DISTRIBUTIONS = ['uniform', 'zipf'] as const;
export const MODELS = ['logistic', 'twoTower'] as const;

/** The Virtual TPU panel's sharding modes (de.tpu.SHARDING_MODES; a unit test keeps them equal). */
export const TPU_SHARDINGS = ['replicated', 'mod', 'row', 'table', 'column'] as const;
/** Where the virtual cores run: the main thread, or Web Workers (de.tpu.Execution). */
export const TPU_EXECUTIONS = ['in-process', 'workers'] as const;
/**
 * The Performance page's benchmark sections, in the order they run (src/perf SECTIONS; a unit
 * test keeps them equal: the floor imports only the engine, so it names them itself).
 */
export const PERF_SECTIONS = ['hashtable', 'gather', 'workers', 'train', 'gpu'] as const;
export type PerfSectionId = (typeof PERF_SECTIONS)[number];
/** The Performance page's run sizes. */
export const PERF_SIZES = ['quick', 'full'] as const;
/** The demo's "Train until step" choices. */
export const DEMO_TARGETS = [100, 200, 300, 500, 1000] as const;

export type KeyDtype = (typeof KEY_DTYPES)[number];
export type InitializerKind = (typeof INITIALIZERS)[number];
export type OptimizerKind = (typeof OPTIMIZERS)[number];
export type RestrictPolicy = (typeof RESTRICT_POLICIES)[number];
export type Placement = (typeof PLACEMENTS)[number];
export type GatherPath = (typeof GATHER_PATHS)[number];
export type InputKind = (typeof INPUT_KINDS)[number];
export type Combiner = (typeof COMBINERS)[number];
export type Distribution = (typeof DISTRIBUTIONS)[number];
export type ModelKind = (typeof MODELS)[number];

export interface TableSpec {
  name: string;
  dim: number;
  keyDtype: KeyDtype;
  initializer: InitializerKind;
  /** stddev (normal kinds), the value (constant) or the half-width (uniform: [-scale, scale]). */
  initScale: number;
  initSeed: number;
  optimizer: OptimizerKind;
  learningRate: number;
  restrictPolicy: RestrictPolicy;
  /** Keys kept when the policy evicts (TFRA `restrict(num_reserved)`). */
  restrictLimit: number;
  partitions: number;
  placement: Placement;
  gather: GatherPath;
  /** Clip looked-up vectors to this L2 norm; 0 = off. */
  maxNorm: number;
  /** de.Variable insertOnLookup: a lookup inserts missing keys (HKV find-or-insert); false = TFRA, never. */
  insertOnLookup: boolean;
}

export interface FeatureSpec {
  name: string;
  table: string;
  input: InputKind;
  combiner: Combiner;
  /** > 0: TensorX Lookup semantics, each example padded / cut to this many ids. */
  maxSequenceLength: number;
  weights: boolean;
}

export interface GeneratorSpec {
  distribution: Distribution;
  /** Zipf exponent s (P(k) ∝ 1 / k^s). */
  zipfExponent: number;
  vocabulary: number;
  batchSize: number;
  idsPerExample: number;
  /** Fraction of ids that are new (never seen before), 0..1. */
  newIdRate: number;
  seed: number;
}

export interface TrainingSpec {
  model: ModelKind;
  seed: number;
  /** Steps per second while playing. */
  speed: number;
  /** Two-tower model: the features of the item tower (the others form the user tower); empty = the last feature. */
  itemFeatures: string[];
}

/** The Virtual TPU panel's settings. */
export interface TpuSpec {
  numCores: number;
  sharding: (typeof TPU_SHARDINGS)[number];
  /** Examples per core (the global batch is numCores × perCore). */
  perCore: number;
  execution: (typeof TPU_EXECUTIONS)[number];
}

/** The live recommender demo's settings: its world, model, and where training stops. */
export interface DemoSpec {
  seed: number;
  users: number;
  initialItems: number;
  newItemsPerStep: number;
  maxItems: number;
  /** The item table is restricted to this many keys after every step. */
  itemTableLimit: number;
  dim: number;
  learningRate: number;
  /** Play trains until this step. */
  trainUntil: number;
  /** The user whose recommendations are shown. */
  user: number;
}

/** The Performance page's settings for its next run. */
export interface PerfSpec {
  size: (typeof PERF_SIZES)[number];
  /** The benchmark sections to run, in the order they run. */
  sections: PerfSectionId[];
  /** Measure WebGL on a software renderer too. */
  softwareWebgl: boolean;
}

export interface Workspace {
  v: number;
  tables: TableSpec[];
  features: FeatureSpec[];
  /** The typed batch text of each feature, by feature name. */
  batches: Record<string, string>;
  generator: GeneratorSpec;
  training: TrainingSpec;
  tpu: TpuSpec;
  demo: DemoSpec;
  perf: PerfSpec;
}

export const LIMITS = {
  tables: 8,
  features: 12,
  dim: 256,
  partitions: 16,
  restrictLimit: 1_000_000,
  batchText: 20_000,
  vocabulary: 10_000_000,
  batchSize: 1024,
  idsPerExample: 64,
  maxSequenceLength: 64,
  name: 40,
  tpuCores: 8,
  tpuPerCore: 8,
  demoUsers: 5000,
  demoItems: 20_000,
  demoDim: 128,
} as const;

export function defaultTpu(): TpuSpec {
  return { numCores: 4, sharding: 'replicated', perCore: 4, execution: 'in-process' };
}

export function defaultDemo(): DemoSpec {
  return {
    seed: 42,
    users: 300,
    initialItems: 150,
    newItemsPerStep: 1,
    maxItems: 450,
    itemTableLimit: 250,
    dim: 16,
    learningRate: 0.05,
    trainUntil: 300,
    user: 3,
  };
}

export function defaultPerf(): PerfSpec {
  return { size: 'quick', sections: [...PERF_SECTIONS], softwareWebgl: false };
}

export function defaultTable(name = 'user_emb'): TableSpec {
  return {
    name,
    dim: 8,
    keyDtype: 'int64',
    initializer: 'randomNormal',
    initScale: 0.05,
    initSeed: 1,
    // Adam: its updates do not shrink with the gradient's scale (a mean over the batch makes the
    // per-row gradients small), so the default world is learned within seconds.
    optimizer: 'Adam',
    learningRate: 0.05,
    restrictPolicy: 'none',
    restrictLimit: 1000,
    partitions: 1,
    placement: 'in-process',
    gather: 'wasm',
    maxNorm: 0,
    insertOnLookup: false,
  };
}

export function defaultFeature(name = 'user_id', table = 'user_emb'): FeatureSpec {
  return { name, table, input: 'dense', combiner: 'none', maxSequenceLength: 0, weights: false };
}

export function defaultWorkspace(): Workspace {
  return {
    v: SCHEMA_VERSION,
    tables: [defaultTable()],
    features: [defaultFeature()],
    batches: { user_id: '[[15, 2], [4, 92], [22, 4]]' },
    generator: {
      distribution: 'zipf',
      zipfExponent: 1.1,
      vocabulary: 1000,
      batchSize: 64,
      idsPerExample: 4,
      newIdRate: 0.05,
      seed: 42,
    },
    training: { model: 'logistic', seed: 7, speed: 10, itemFeatures: [] },
    tpu: defaultTpu(),
    demo: defaultDemo(),
    perf: defaultPerf(),
  };
}

export const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
