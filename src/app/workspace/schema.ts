// The workspace: everything a person sets up (tables, features, batches, generator, training
// settings and seeds). It is plain JSON, versioned, and validated field by field whenever it
// comes from outside (a URL, IndexedDB): anything unexpected is refused with a message, never
// evaluated. Names are restricted to identifiers because they end up in generated code.

import { SECTIONS as PERF_SECTIONS, type SectionId } from '../../perf/index.js';

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
const LEGACY_PLACEMENTS: readonly unknown[] = ['worker', 'main'];
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
  sections: SectionId[];
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
    optimizer: 'Adagrad',
    learningRate: 0.1,
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
      batchSize: 32,
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

/** Raised with every problem found, each naming its field path. */
export class WorkspaceError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `The workspace is not valid: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ''}.`,
    );
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

class Checker {
  problems: string[] = [];
  obj(v: unknown, path: string, keys: readonly string[]): Obj {
    if (!isObj(v)) {
      this.problems.push(`${path} must be an object`);
      return {};
    }
    for (const k of Object.keys(v)) if (!keys.includes(k)) this.problems.push(`${path}.${k} is not a known field`);
    return v;
  }
  num(v: unknown, path: string, min: number, max: number, integer: boolean): number {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
      this.problems.push(`${path} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}]`);
      return min;
    }
    return v;
  }
  oneOf<T extends string>(v: unknown, path: string, options: readonly T[]): T {
    if (typeof v !== 'string' || !(options as readonly string[]).includes(v)) {
      this.problems.push(`${path} must be one of ${options.join(', ')}`);
      return options[0];
    }
    return v as T;
  }
  name(v: unknown, path: string): string {
    if (typeof v !== 'string' || v.length > LIMITS.name || !NAME_RE.test(v)) {
      this.problems.push(
        `${path} must be a name of letters, digits and _ (at most ${LIMITS.name}), not starting with a digit`,
      );
      return 'x';
    }
    return v;
  }
  names(v: unknown, path: string, max: number): string[] {
    if (!Array.isArray(v) || v.length > max) {
      this.problems.push(`${path} must be a list of at most ${max} names`);
      return [];
    }
    return v.map((x, i) => this.name(x, `${path}[${i}]`));
  }
  bool(v: unknown, path: string): boolean {
    if (typeof v !== 'boolean') {
      this.problems.push(`${path} must be true or false`);
      return false;
    }
    return v;
  }
}

const TABLE_KEYS = Object.keys(defaultTable()) as (keyof TableSpec)[];
const FEATURE_KEYS = Object.keys(defaultFeature()) as (keyof FeatureSpec)[];
const GEN_KEYS = Object.keys(defaultWorkspace().generator);
const TRAIN_KEYS = Object.keys(defaultWorkspace().training);
const TPU_KEYS = Object.keys(defaultTpu());
const DEMO_KEYS = Object.keys(defaultDemo());
const PERF_KEYS = Object.keys(defaultPerf());

function checkPerf(c: Checker, raw: unknown): PerfSpec {
  const p = c.obj(raw, 'perf', PERF_KEYS);
  const sections: SectionId[] = [];
  if (!Array.isArray(p.sections) || p.sections.length > PERF_SECTIONS.length) {
    c.problems.push(`perf.sections must be a list of at most ${PERF_SECTIONS.length} of ${PERF_SECTIONS.join(', ')}`);
  } else {
    p.sections.forEach((x, i) => {
      const id = c.oneOf(x, `perf.sections[${i}]`, PERF_SECTIONS);
      if (sections.includes(id) && x === id) c.problems.push(`perf.sections names ${id} twice`);
      sections.push(id);
    });
  }
  return {
    size: c.oneOf(p.size, 'perf.size', PERF_SIZES),
    // kept in the order the sections run
    sections: PERF_SECTIONS.filter((x) => sections.includes(x)),
    softwareWebgl: c.bool(p.softwareWebgl, 'perf.softwareWebgl'),
  };
}

function checkTpu(c: Checker, raw: unknown): TpuSpec {
  const t = c.obj(raw, 'tpu', TPU_KEYS);
  return {
    numCores: c.num(t.numCores, 'tpu.numCores', 1, LIMITS.tpuCores, true),
    sharding: c.oneOf(t.sharding, 'tpu.sharding', TPU_SHARDINGS),
    perCore: c.num(t.perCore, 'tpu.perCore', 1, LIMITS.tpuPerCore, true),
    // absent in links made before the cores could run on Web Workers
    execution: t.execution === undefined ? 'in-process' : c.oneOf(t.execution, 'tpu.execution', TPU_EXECUTIONS),
  };
}

function checkDemo(c: Checker, raw: unknown): DemoSpec {
  const d = c.obj(raw, 'demo', DEMO_KEYS);
  const spec: DemoSpec = {
    seed: c.num(d.seed, 'demo.seed', 0, 2 ** 31 - 1, true),
    users: c.num(d.users, 'demo.users', 2, LIMITS.demoUsers, true),
    initialItems: c.num(d.initialItems, 'demo.initialItems', 10, LIMITS.demoItems, true),
    newItemsPerStep: c.num(d.newItemsPerStep, 'demo.newItemsPerStep', 0, 100, true),
    maxItems: c.num(d.maxItems, 'demo.maxItems', 10, LIMITS.demoItems, true),
    itemTableLimit: c.num(d.itemTableLimit, 'demo.itemTableLimit', 10, LIMITS.demoItems, true),
    dim: c.num(d.dim, 'demo.dim', 1, LIMITS.demoDim, true),
    learningRate: c.num(d.learningRate, 'demo.learningRate', 1e-5, 1, false),
    trainUntil: c.num(d.trainUntil, 'demo.trainUntil', DEMO_TARGETS[0], DEMO_TARGETS.at(-1) ?? 1000, true),
    user: c.num(d.user, 'demo.user', 0, LIMITS.demoUsers - 1, true),
  };
  if (!(DEMO_TARGETS as readonly number[]).includes(spec.trainUntil) && typeof d.trainUntil === 'number') {
    c.problems.push(`demo.trainUntil must be one of ${DEMO_TARGETS.join(', ')}`);
  }
  if (spec.maxItems < spec.initialItems) c.problems.push('demo.maxItems must be at least demo.initialItems');
  if (spec.user >= spec.users) c.problems.push('demo.user must be below demo.users');
  return spec;
}

/**
 * Checks the demo's settings alone (the demo's settings form uses it); throws a
 * {@link WorkspaceError} listing every problem.
 */
export function validateDemoSpec(input: unknown): DemoSpec {
  const c = new Checker();
  const spec = checkDemo(c, input);
  if (c.problems.length > 0) throw new WorkspaceError(c.problems);
  return spec;
}

/**
 * Checks an untrusted value and returns a fresh, fully typed workspace built from it (never the
 * input object itself). Throws a {@link WorkspaceError} listing every problem.
 *
 * @example
 * validateWorkspace(JSON.parse(text)); // Workspace, or throws WorkspaceError
 */
export function validateWorkspace(input: unknown): Workspace {
  const c = new Checker();
  if (!isObj(input)) throw new WorkspaceError(['the workspace must be an object']);
  const root = c.obj(input, 'workspace', [
    'v',
    'tables',
    'features',
    'batches',
    'generator',
    'training',
    'tpu',
    'demo',
    'perf',
  ]);
  if (root.v !== SCHEMA_VERSION) {
    throw new WorkspaceError([
      `version ${JSON.stringify(root.v) ?? 'missing'} is not supported (this app reads version ${SCHEMA_VERSION})`,
    ]);
  }
  const tables: TableSpec[] = [];
  if (!Array.isArray(root.tables) || root.tables.length < 1 || root.tables.length > LIMITS.tables) {
    c.problems.push(`tables must be a list of 1 to ${LIMITS.tables} tables`);
  } else {
    root.tables.forEach((raw, i) => {
      const p = `tables[${i}]`;
      const t = c.obj(raw, p, TABLE_KEYS);
      tables.push({
        name: c.name(t.name, `${p}.name`),
        dim: c.num(t.dim, `${p}.dim`, 1, LIMITS.dim, true),
        keyDtype: c.oneOf(t.keyDtype, `${p}.keyDtype`, KEY_DTYPES),
        initializer: c.oneOf(t.initializer, `${p}.initializer`, INITIALIZERS),
        initScale: c.num(t.initScale, `${p}.initScale`, -100, 100, false),
        initSeed: c.num(t.initSeed, `${p}.initSeed`, 0, 2 ** 31 - 1, true),
        optimizer: c.oneOf(t.optimizer, `${p}.optimizer`, OPTIMIZERS),
        learningRate: c.num(t.learningRate, `${p}.learningRate`, 1e-6, 10, false),
        restrictPolicy: c.oneOf(t.restrictPolicy, `${p}.restrictPolicy`, RESTRICT_POLICIES),
        restrictLimit: c.num(t.restrictLimit, `${p}.restrictLimit`, 1, LIMITS.restrictLimit, true),
        partitions: c.num(t.partitions, `${p}.partitions`, 1, LIMITS.partitions, true),
        placement: LEGACY_PLACEMENTS.includes(t.placement)
          ? 'in-process'
          : c.oneOf(t.placement, `${p}.placement`, PLACEMENTS),
        gather: c.oneOf(t.gather, `${p}.gather`, GATHER_PATHS),
        maxNorm: c.num(t.maxNorm, `${p}.maxNorm`, 0, 1000, false),
        // Absent in links made before it existed: TFRA's default.
        insertOnLookup: t.insertOnLookup === undefined ? false : c.bool(t.insertOnLookup, `${p}.insertOnLookup`),
      });
    });
  }
  const names = new Set<string>();
  tables.forEach((t, i) => {
    const problem = placementProblem(t);
    if (problem) c.problems.push(`tables[${i}]: ${problem}`);
  });
  for (const t of tables) {
    if (names.has(t.name)) c.problems.push(`table name ${t.name} is used twice`);
    names.add(t.name);
  }
  const features: FeatureSpec[] = [];
  if (!Array.isArray(root.features) || root.features.length < 1 || root.features.length > LIMITS.features) {
    c.problems.push(`features must be a list of 1 to ${LIMITS.features} features`);
  } else {
    const fnames = new Set<string>();
    root.features.forEach((raw, i) => {
      const p = `features[${i}]`;
      const f = c.obj(raw, p, FEATURE_KEYS);
      const feature: FeatureSpec = {
        name: c.name(f.name, `${p}.name`),
        table: c.name(f.table, `${p}.table`),
        input: c.oneOf(f.input, `${p}.input`, INPUT_KINDS),
        combiner: c.oneOf(f.combiner, `${p}.combiner`, COMBINERS),
        maxSequenceLength: c.num(f.maxSequenceLength, `${p}.maxSequenceLength`, 0, LIMITS.maxSequenceLength, true),
        weights: c.bool(f.weights, `${p}.weights`),
      };
      if (tables.length > 0 && !names.has(feature.table)) c.problems.push(`${p}.table names no table`);
      if (fnames.has(feature.name)) c.problems.push(`feature name ${feature.name} is used twice`);
      fnames.add(feature.name);
      features.push(feature);
    });
  }
  const batches: Record<string, string> = {};
  const rb = c.obj(
    root.batches,
    'batches',
    features.map((f) => f.name),
  );
  for (const [k, v] of Object.entries(rb)) {
    if (typeof v !== 'string' || v.length > LIMITS.batchText) {
      c.problems.push(`batches.${k} must be text of at most ${LIMITS.batchText} characters`);
    } else if (NAME_RE.test(k)) batches[k] = v;
  }
  const g = c.obj(root.generator, 'generator', GEN_KEYS);
  const generator: GeneratorSpec = {
    distribution: c.oneOf(g.distribution, 'generator.distribution', DISTRIBUTIONS),
    zipfExponent: c.num(g.zipfExponent, 'generator.zipfExponent', 0.1, 4, false),
    vocabulary: c.num(g.vocabulary, 'generator.vocabulary', 1, LIMITS.vocabulary, true),
    batchSize: c.num(g.batchSize, 'generator.batchSize', 1, LIMITS.batchSize, true),
    idsPerExample: c.num(g.idsPerExample, 'generator.idsPerExample', 1, LIMITS.idsPerExample, true),
    newIdRate: c.num(g.newIdRate, 'generator.newIdRate', 0, 1, false),
    seed: c.num(g.seed, 'generator.seed', 0, 2 ** 31 - 1, true),
  };
  const tr = c.obj(root.training, 'training', TRAIN_KEYS);
  const training: TrainingSpec = {
    model: c.oneOf(tr.model, 'training.model', MODELS),
    seed: c.num(tr.seed, 'training.seed', 0, 2 ** 31 - 1, true),
    speed: c.num(tr.speed, 'training.speed', 0.5, 60, false),
    // Absent in links made before the two-tower model: the default.
    itemFeatures:
      tr.itemFeatures === undefined ? [] : c.names(tr.itemFeatures, 'training.itemFeatures', LIMITS.features),
  };
  for (const n of training.itemFeatures) {
    if (!features.some((f) => f.name === n)) c.problems.push(`training.itemFeatures names ${n}, which is no feature`);
  }
  // Absent in links made before the TPU panel's and the demo's settings were kept: the defaults.
  const tpu = root.tpu === undefined ? defaultTpu() : checkTpu(c, root.tpu);
  const demo = root.demo === undefined ? defaultDemo() : checkDemo(c, root.demo);
  // Absent in links made before the Performance page's settings were kept: the defaults.
  const perf = root.perf === undefined ? defaultPerf() : checkPerf(c, root.perf);
  if (c.problems.length > 0) throw new WorkspaceError(c.problems);
  return { v: SCHEMA_VERSION, tables, features, batches, generator, training, tpu, demo, perf };
}

function toBase64Url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new WorkspaceError(['the link holds characters that are not base64url']);
  const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** The URL hash for a workspace: `#w=<base64url(JSON)>`. */
export function encodeWorkspace(w: Workspace): string {
  return `#w=${toBase64Url(new TextEncoder().encode(JSON.stringify(w)))}`;
}

/** Largest hash the app reads (a hostile link cannot make it parse megabytes). */
export const MAX_HASH = 200_000;

/**
 * Reads a workspace from a URL hash. Returns null when the hash holds none; throws a
 * {@link WorkspaceError} with a readable reason when it holds a bad one.
 *
 * @example
 * decodeWorkspace(encodeWorkspace(defaultWorkspace())); // the default workspace
 */
export function decodeWorkspace(hash: string): Workspace | null {
  const m = /^#?w=(.*)$/s.exec(hash);
  if (!m) return null;
  if (hash.length > MAX_HASH) throw new WorkspaceError([`the link is too long (${hash.length} characters)`]);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(fromBase64Url(m[1])));
  } catch (e) {
    if (e instanceof WorkspaceError) throw e;
    throw new WorkspaceError(['the link does not hold a readable workspace (it may be cut short)']);
  }
  return validateWorkspace(json);
}

/** How many engine workers the playground's pool starts: min(hardwareConcurrency, 4), at least 2. */
export function poolSize(hardwareConcurrency: number | undefined): number {
  const hc = Number.isInteger(hardwareConcurrency) && hardwareConcurrency! > 0 ? hardwareConcurrency! : 2;
  return Math.max(2, Math.min(hc, 4));
}

/** The pool worker each shard of a pooled table lives on (de.pool: shard i on worker i mod N). */
export function shardWorkers(partitions: number, workers: number): number[] {
  return Array.from({ length: partitions }, (_, s) => s % workers);
}

/** Why a table's settings cannot be combined with its placement, or null when they can. */
export function placementProblem(t: Pick<TableSpec, 'placement' | 'insertOnLookup'>): string | null {
  if (t.placement === 'workers' && t.insertOnLookup) {
    return 'insert on lookup cannot be used with placement on the worker pool (a pooled lookup is read-only: de.pool.placeVariable refuses insertOnLookup); turn insert on lookup off or keep the table in-process';
  }
  return null;
}

/** Step back with a table on the worker pool resets and replays from step 0: at most this many steps. */
export const POOLED_REPLAY_MAX = 200;

/** Why a model with a table on the worker pool has no keyframe checkpoint to go back to. */
export function pooledCheckpointMessage(names: string[]): string {
  return `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} placed on the worker pool, which keeps no keyframe checkpoints (de.checkpoint saves and restores in-process tables; a reload still keeps the pooled rows, slots and restrict status, in this browser); set the Placement to In-process in the Tables panel for them.`;
}

/** What the Code panel's downloads do with tables on the worker pool. */
export function pooledDownloadNote(names: string[]): string {
  return `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} on the worker pool: the downloads copy ${names.length === 1 ? 'its' : 'their'} rows, restrict status and optimizer slots from the workers into in-process tables first (de.checkpoint and de.interop read in-process tables), so the checkpoint restores into in-process de.Variables.`;
}
