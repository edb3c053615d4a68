// Reading a workspace that comes from outside (a URL, IndexedDB): every field is checked and a
// fresh, fully typed workspace is built from it; anything unexpected is refused with a message
// naming the field, never evaluated. Names are restricted to identifiers because they end up in
// generated code.
import { placementProblem } from './placement.js';
import {
  COMBINERS,
  DEMO_TARGETS,
  type DemoSpec,
  defaultDemo,
  defaultFeature,
  defaultPerf,
  defaultTable,
  defaultTpu,
  defaultWorkspace,
  DISTRIBUTIONS,
  type FeatureSpec,
  GATHER_PATHS,
  type GeneratorSpec,
  INITIALIZERS,
  INPUT_KINDS,
  KEY_DTYPES,
  LIMITS,
  MODELS,
  NAME_RE,
  OPTIMIZERS,
  PERF_SECTIONS,
  PERF_SIZES,
  type PerfSectionId,
  type PerfSpec,
  PLACEMENTS,
  RESTRICT_POLICIES,
  SCHEMA_VERSION,
  type TableSpec,
  TPU_EXECUTIONS,
  TPU_SHARDINGS,
  type TpuSpec,
  type TrainingSpec,
  type Workspace,
} from './schema.js';

/** Links made before the pool was offered said 'worker' (the engine worker) or 'main'; both read as 'in-process'. */
const LEGACY_PLACEMENTS: readonly unknown[] = ['worker', 'main'];

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
  const sections: PerfSectionId[] = [];
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
