// de.interop.toTfraPython: a Python script that rebuilds the same tables, features and optimizer
// with tensorflow_recommenders_addons.dynamic_embedding and loads the .npy files of toNpy (tables,
// and optimizer slots once TFRA has created them), plus the same tables, features and optimizer
// for tf.tpu.experimental.embedding (dense tables of the exported rows).
//
// Everything user-supplied (names) reaches the script only through tfra-py.ts: as string
// literals, one-line comments or sanitised identifiers; nothing is ever spliced in as code.
import { InvalidArgumentError, show } from '../errors.js';
import { Optimizer } from '../train/optimizers/optimizer.js';
import { FrequencyRestrictPolicy, TimestampRestrictPolicy } from '../train/restrict.js';
import { Variable } from '../variable.js';
import { npyStem } from './npy.js';
import { optimizerPy, tpuOptimizerPy } from './tfra-optimizers.js';
import { ident, initializerPy, KEY_DTYPE_PY, missingRowPy, py, pyComment, pyInt, pyNum } from './tfra-py.js';
import { EMBED, MAIN, PREAMBLE, RESTORE_SLOTS, TPU_BODY, TPU_HEAD } from './tfra-template.js';

/** One feature of the exported model: the table it reads and how sparse rows are combined. */
export interface TfraFeature {
  variable: Variable;
  combiner?: 'sum' | 'mean' | 'sqrtn';
}

/** What {@link toTfraPython} exports. */
export interface TfraExportConfig {
  variables: Variable[];
  /** Feature name -> table (and combiner, default 'mean'). */
  features?: Record<string, Variable | TfraFeature>;
  /** One optimizer for every table (and the dense head). */
  optimizer?: Optimizer;
  /**
   * Or one optimizer per group of tables (each table in at most one group; the first group's
   * optimizer is also `optimizer` in the script, for the dense head). Not with `optimizer`.
   */
  optimizers?: { optimizer: Optimizer; variables: Variable[] }[];
}

/** An optimizer and the tables it trains. */
interface Group {
  opt: Optimizer;
  vars: Variable[];
}

/** The checked export: tables, optimizer groups and features (name, table, combiner). */
interface Plan {
  variables: Variable[];
  groups: Group[];
  features: { name: string; variable: Variable; combiner: 'sum' | 'mean' | 'sqrtn' }[];
}

const WHAT = 'interop.toTfraPython';

function checkVariables(config: TfraExportConfig): void {
  if (config === null || typeof config !== 'object' || !Array.isArray(config.variables)) {
    throw new InvalidArgumentError(
      `${WHAT} expects { variables: de.Variable[], features?, optimizer? }, got ${show(config)}.`,
    );
  }
  const names = new Set<string>();
  config.variables.forEach((v, i) => {
    if (!(v instanceof Variable))
      throw new InvalidArgumentError(`${WHAT}: variables[${i}] must be a de.Variable, got ${show(v)}.`);
    // Two tables of one name would share TABLES entries and .npy files.
    if (names.has(v.name))
      throw new InvalidArgumentError(`${WHAT}: two variables are named ${show(v.name)}; names must be unique.`);
    names.add(v.name);
  });
}

function groupsOf(config: TfraExportConfig): Group[] {
  if (config.optimizer !== undefined && !(config.optimizer instanceof Optimizer)) {
    throw new InvalidArgumentError(
      `${WHAT}: optimizer must be a de.optimizers.* optimizer, got ${show(config.optimizer)}.`,
    );
  }
  if (config.optimizers !== undefined && config.optimizer !== undefined) {
    throw new InvalidArgumentError(`${WHAT}: give optimizer or optimizers, not both.`);
  }
  if (config.optimizer) return [{ opt: config.optimizer, vars: config.variables.slice() }];
  if (config.optimizers === undefined) return [];
  if (!Array.isArray(config.optimizers)) {
    throw new InvalidArgumentError(
      `${WHAT}: optimizers must be an array of { optimizer, variables }, got ${show(config.optimizers)}.`,
    );
  }
  const seen = new Set<Variable>();
  return config.optimizers.map((g, i) => {
    if (!g || !(g.optimizer instanceof Optimizer) || !Array.isArray(g.variables)) {
      throw new InvalidArgumentError(
        `${WHAT}: optimizers[${i}] must be { optimizer: a de.optimizers.* optimizer, variables: de.Variable[] }, got ${show(g)}.`,
      );
    }
    for (const v of g.variables) {
      if (!config.variables.includes(v)) {
        throw new InvalidArgumentError(
          `${WHAT}: optimizers[${i}] trains ${show(v instanceof Variable ? v.name : v)}, which is not one of the exported variables.`,
        );
      }
      if (seen.has(v))
        throw new InvalidArgumentError(
          `${WHAT}: ${show(v.name)} is in two optimizer groups; a table has one optimizer.`,
        );
      seen.add(v);
    }
    return { opt: g.optimizer, vars: g.variables.slice() };
  });
}

function featuresOf(config: TfraExportConfig): Plan['features'] {
  const features = config.features ?? {};
  if (features === null || typeof features !== 'object') {
    throw new InvalidArgumentError(
      `${WHAT}: features must be an object of feature name -> table, got ${show(features)}.`,
    );
  }
  return Object.entries(features).map(([name, f]) => {
    const feat = f instanceof Variable ? { variable: f } : f;
    if (!feat || !config.variables.includes(feat.variable)) {
      throw new InvalidArgumentError(`${WHAT}: feature ${show(name)} must read one of the exported variables.`);
    }
    const combiner = feat.combiner ?? 'mean';
    if (combiner !== 'sum' && combiner !== 'mean' && combiner !== 'sqrtn') {
      throw new InvalidArgumentError(
        `${WHAT}: feature ${show(name)} has combiner ${show(combiner)}; expected 'sum', 'mean' or 'sqrtn'.`,
      );
    }
    return { name, variable: feat.variable, combiner };
  });
}

// de.get_variable(...) and load_table(...) for each table, then TABLES.
function tablesPy(plan: Plan, ids: Map<Variable, string>): string[] {
  const L: string[] = [];
  const used = new Set<string>();
  for (const v of plan.variables) {
    const id = ident(v.name, used);
    ids.set(v, id);
    const policy =
      v.restrictPolicy === TimestampRestrictPolicy
        ? 'de.TimestampRestrictPolicy'
        : v.restrictPolicy === FrequencyRestrictPolicy
          ? 'de.FrequencyRestrictPolicy'
          : 'None';
    L.push(
      `${id} = de.get_variable(`,
      `    name=${py(v.name)},`,
      `    key_dtype=${KEY_DTYPE_PY[v.keyDtype]},`,
      '    value_dtype=tf.float32,',
      `    dim=${pyInt(v.dim)},`,
      `    devices=["/CPU:0"] * ${pyInt(v.partitions)},`,
      `    initializer=${initializerPy(v.initializer.getConfig())},`,
      `    init_size=${pyInt(v.initCapacity)},`,
      `    restrict_policy=${policy},`,
      `    trainable=${v.trainable ? 'True' : 'False'},`,
      ')',
      `load_table(${id}, ${py(npyStem(v.name))}, ${KEY_DTYPE_PY[v.keyDtype]})`,
      '',
    );
  }
  L.push(
    '# dynemb name -> (de.Variable, .npy stem, key dtype, dim, row for keys a dense TPU table does not hold)',
    'TABLES = {',
    ...plan.variables.map(
      (v) =>
        `    ${py(v.name)}: (${ids.get(v)}, ${py(npyStem(v.name))}, ${KEY_DTYPE_PY[v.keyDtype]}, ${pyInt(v.dim)}, ${missingRowPy(v)}),`,
    ),
    '}',
    '',
    '# feature name -> (table, combiner for sparse ids)',
    'FEATURES = {',
    ...plan.features.map((f) => `    ${py(f.name)}: (${ids.get(f.variable)}, ${py(f.combiner)}),`),
    '}',
  );
  return L;
}

// optimizer(s), ITERATIONS, OPTIMIZER_OF, ITERATIONS_OF and SLOTS.
function optimizersPy(plan: Plan): string[] {
  const { groups } = plan;
  const o = groups[0]?.opt;
  if (!o) return ['optimizer = None', 'ITERATIONS = 0', 'OPTIMIZER_OF = {}', 'ITERATIONS_OF = []', 'SLOTS = {}'];
  const single = groups.length === 1;
  const optName = (i: number) => (single ? 'optimizer' : `optimizer_${i}`);
  const slotsOf = (v: Variable) => {
    const g = groups.find((x) => x.vars.includes(v));
    if (!g) return `    ${py(v.name)}: [],  # no optimizer trains it`;
    const specs = g.opt
      .slotSpecs()
      .map((sp) => `(${py(sp.name)}, ${pyNum(sp.initial)}, ${py(npyStem(`${v.name}/${sp.name}`))})`);
    return `    ${py(v.name)}: [${specs.join(', ')}],`;
  };
  const L: string[] = single
    ? [`optimizer = de.DynamicEmbeddingOptimizer(${optimizerPy(o)})`]
    : [
        '# One optimizer per group of tables, as in dynemb: a TFRA DynamicEmbeddingOptimizer trains the tables',
        "# whose gradients it is given, so apply each group's gradients with its own optimizer",
        '# (OPTIMIZER_OF[table name]); optimizer (the first) also trains the dense layers.',
        ...groups.map(
          (g, i) =>
            `${optName(i)} = de.DynamicEmbeddingOptimizer(${optimizerPy(g.opt)})  ${pyComment(`trains ${g.vars.map((v) => py(v.name)).join(', ')}`)}`,
        ),
        'optimizer = optimizer_0',
      ];
  L.push(
    `ITERATIONS = ${pyInt(o.iterations)}  # ${single ? "dynemb's" : "optimizer_0's"} step counter (Adam's bias correction reads it)`,
    '# dynemb name -> the optimizer that trains it',
    'OPTIMIZER_OF = {',
    ...groups.flatMap((g, i) => g.vars.map((v) => `    ${py(v.name)}: ${optName(i)},`)),
    '}',
    "# each optimizer's step counter",
    `ITERATIONS_OF = [${groups.map((g, i) => `(${optName(i)}, ${pyInt(g.opt.iterations)})`).join(', ')}]`,
    '# dynemb name -> [(slot name, initial value, .npy stem of de.interop.toNpy(opt.getSlot(v, name)))] of its optimizer',
    'SLOTS = {',
    ...plan.variables.map(slotsOf),
    '}',
  );
  return L;
}

// tpu_embedding_config(): each table's combiner and optimizer, then the fixed body.
function tpuPy(plan: Plan): string[] {
  const { groups } = plan;
  const o = groups[0]?.opt;
  const tpu = o ? tpuOptimizerPy(o) : { code: 'None', note: 'no optimizer was exported' };
  const combiners = new Map<Variable, string>();
  for (const f of plan.features) if (!combiners.has(f.variable)) combiners.set(f.variable, f.combiner);
  const perTable =
    groups.length > 1
      ? [
          "    # each table's own optimizer (TableConfig.optimizer); the one returned is the first group's",
          '    table_optimizers = {',
          ...groups.flatMap((g) => {
            const t = tpuOptimizerPy(g.opt);
            return g.vars.map(
              (v) => `        ${py(v.name)}: ${t.code},  ${pyComment(`${g.opt.className} -> ${t.note}`)}`,
            );
          }),
          '    }',
        ]
      : ['    table_optimizers = {}'];
  return [
    ...TPU_HEAD,
    '    combiners = {',
    ...[...combiners].map(([v, c]) => `        ${py(v.name)}: ${py(c)},`),
    '    }',
    ...perTable,
    ...TPU_BODY,
    `    ${pyComment(`${o ? o.className : 'no optimizer'} -> ${tpu.note}`)}`,
    `    return feature_config, ${tpu.code}, key_to_row`,
  ];
}

/**
 * A runnable Python script that rebuilds the given dynamic-embedding tables with
 * `tensorflow_recommenders_addons.dynamic_embedding` (same names, key dtypes, dims, initializers,
 * partitions, restrict policies), loads their rows from the `.npy` files of {@link toNpy} (placed
 * next to the script) with `upsert`, maps the features to their tables (`embed(batch)`), and builds
 * the same optimizer wrapped in `de.DynamicEmbeddingOptimizer` (or, with `optimizers`, one per group
 * of tables: `OPTIMIZER_OF[table name]`, each table's TPU TableConfig with its own optimizer too).
 * TFRA creates slot Variables on the first `apply_gradients`; `restore_slots(optimizer)`, called
 * right after it, loads the slot rows (`toNpy(opt.getSlot(v, name))` files), reloads the tables
 * and sets `optimizer.iterations`. `tpu_embedding_config()` gives the same tables, features and
 * closest optimizer for `tf.tpu.experimental.embedding` (TPUEmbedding / TPUEmbeddingV0), whose
 * tables are dense: each table holds the exported rows plus one row for keys it does not hold,
 * and `key_to_row` maps keys to rows. Names of any characters are safe: they appear only as
 * escaped string literals (and in file names through the injective {@link npyStem}).
 *
 * @example
 * const script = de.interop.toTfraPython({ variables: [user], features: { user_id: user }, optimizer: opt });
 * // write script + de.interop.toNpy(user) files into one folder, then: python3 rebuild.py
 */
export function toTfraPython(config: TfraExportConfig): string {
  checkVariables(config);
  const plan: Plan = { variables: config.variables, groups: groupsOf(config), features: featuresOf(config) };
  const ids = new Map<Variable, string>();
  return [
    ...PREAMBLE,
    ...tablesPy(plan, ids),
    ...EMBED,
    ...optimizersPy(plan),
    ...RESTORE_SLOTS,
    ...tpuPy(plan),
    ...MAIN,
  ].join('\n');
}
