// de.interop.toTfraPython: a Python script that rebuilds the same tables, features and optimizer
// with tensorflow_recommenders_addons.dynamic_embedding and loads the .npy files of toNpy (tables,
// and optimizer slots once TFRA has created them), plus the same tables, features and optimizer
// for tf.tpu.experimental.embedding (dense tables of the exported rows).
//
// Everything user-supplied (names) reaches the script only as JSON string literals, which are
// valid Python string literals, or as sanitised identifiers: nothing is ever spliced in as code.
import { InvalidArgumentError, show } from '../errors.js';
import type { InitializerConfig } from '../initializers.js';
import { Optimizer } from '../train/optimizers/optimizer.js';
import { FrequencyRestrictPolicy, TimestampRestrictPolicy } from '../train/restrict.js';
import { Variable } from '../variable.js';
import { npyStem } from './npy.js';

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

const py = (s: string): string => JSON.stringify(s);

function pyNum(x: number): string {
  if (!Number.isFinite(x)) throw new InvalidArgumentError(`interop.toTfraPython: cannot export the number ${x}.`);
  return Number.isInteger(x) ? `${x}.0`.replace(/\.0$/, '') : String(x);
}

function ident(name: string, used: Set<string>): string {
  let id = name.replace(/[^A-Za-z0-9_]/g, '_');
  if (!/^[A-Za-z_]/.test(id)) id = `v_${id}`;
  if (
    [
      'def',
      'class',
      'import',
      'from',
      'as',
      'in',
      'is',
      'not',
      'and',
      'or',
      'lambda',
      'None',
      'True',
      'False',
      'de',
      'tf',
      'np',
      'os',
    ].includes(id)
  )
    id = `${id}_`;
  let out = id;
  for (let i = 2; used.has(out); i++) out = `${id}_${i}`;
  used.add(out);
  return out;
}

function initializerPy(cfg: InitializerConfig): string {
  const c = cfg.config;
  const seed = c.seed === undefined ? 'None' : pyNum(c.seed);
  switch (cfg.className) {
    case 'Zeros':
      return 'tf.keras.initializers.Zeros()';
    case 'Constant':
      return Array.isArray(c.value)
        ? `tf.constant_initializer([${c.value.map(pyNum).join(', ')}])`
        : `tf.keras.initializers.Constant(${pyNum(c.value ?? 0)})`;
    case 'RandomNormal':
      return `tf.keras.initializers.RandomNormal(mean=${pyNum(c.mean ?? 0)}, stddev=${pyNum(c.stddev ?? 0.05)}, seed=${seed})`;
    case 'RandomUniform':
      return `tf.keras.initializers.RandomUniform(minval=${pyNum(c.minval ?? -0.05)}, maxval=${pyNum(c.maxval ?? 0.05)}, seed=${seed})`;
    case 'TruncatedNormal':
      return `tf.keras.initializers.TruncatedNormal(mean=${pyNum(c.mean ?? 0)}, stddev=${pyNum(c.stddev ?? 0.05)}, seed=${seed})`;
    case 'GlorotUniform':
      return `tf.keras.initializers.GlorotUniform(seed=${seed})`;
  }
}

function optimizerPy(o: Optimizer): string {
  const c = o.getConfig();
  const b = (x: number | boolean) => (x ? 'True' : 'False');
  const n = (x: number | boolean) => pyNum(Number(x));
  switch (o.className) {
    case 'SGD':
      return `_keras_optimizers.SGD(learning_rate=${n(c.learningRate)})`;
    case 'Momentum':
      return `_keras_optimizers.SGD(learning_rate=${n(c.learningRate)}, momentum=${n(c.momentum)}, nesterov=${b(c.useNesterov)})`;
    case 'Adagrad':
      return `_keras_optimizers.Adagrad(learning_rate=${n(c.learningRate)}, initial_accumulator_value=${n(c.initialAccumulatorValue)}, epsilon=${n(c.epsilon)})`;
    case 'Adam':
      return `_keras_optimizers.Adam(learning_rate=${n(c.learningRate)}, beta_1=${n(c.beta1)}, beta_2=${n(c.beta2)}, epsilon=${n(c.epsilon)}, amsgrad=${b(c.amsgrad)})`;
    case 'RMSprop':
      return `_keras_optimizers.RMSprop(learning_rate=${n(c.learningRate)}, rho=${n(c.rho)}, momentum=${n(c.momentum)}, epsilon=${n(c.epsilon)}, centered=${b(c.centered)})`;
    case 'Ftrl':
      return `_keras_optimizers.Ftrl(learning_rate=${n(c.learningRate)}, learning_rate_power=${n(c.learningRatePower)}, initial_accumulator_value=${n(c.initialAccumulatorValue)}, l1_regularization_strength=${n(c.l1RegularizationStrength)}, l2_regularization_strength=${n(c.l2RegularizationStrength)}, l2_shrinkage_regularization_strength=${n(c.l2ShrinkageRegularizationStrength)}, beta=${n(c.beta)})`;
    default:
      throw new InvalidArgumentError(`interop.toTfraPython: unknown optimizer ${show(o.className)}.`);
  }
}

// The closest tf.tpu.experimental.embedding optimizer, or a comment saying why there is none.
function tpuOptimizerPy(o: Optimizer): { code: string; note: string } {
  const c = o.getConfig();
  const n = (x: number | boolean) => pyNum(Number(x));
  const emb = 'tf.tpu.experimental.embedding';
  switch (o.className) {
    case 'SGD':
      return { code: `${emb}.SGD(learning_rate=${n(c.learningRate)})`, note: 'the same rule' };
    case 'Adagrad':
      return {
        code: `${emb}.Adagrad(learning_rate=${n(c.learningRate)}, initial_accumulator_value=${n(c.initialAccumulatorValue)})`,
        note: "the same rule, but the TPU kernel has no epsilon (dynemb's, as Keras's, is added to the square root)",
      };
    case 'Adam':
      return {
        code: `${emb}.Adam(learning_rate=${n(c.learningRate)}, beta_1=${n(c.beta1)}, beta_2=${n(c.beta2)}, epsilon=${n(c.epsilon)}, lazy_adam=True, sum_inside_sqrt=False)`,
        note:
          'lazy Adam; unlike Keras the TPU kernel applies no bias correction' +
          (c.amsgrad ? ' and has no amsgrad' : ''),
      };
    case 'Ftrl':
      if (Number(c.l2ShrinkageRegularizationStrength) !== 0) {
        return { code: 'None', note: 'the TPU FTRL has no l2_shrinkage_regularization_strength' };
      }
      return {
        code: `${emb}.FTRL(learning_rate=${n(c.learningRate)}, learning_rate_power=${n(c.learningRatePower)}, l1_regularization_strength=${n(c.l1RegularizationStrength)}, l2_regularization_strength=${n(c.l2RegularizationStrength)}, beta=${n(c.beta)}, initial_accumulator_value=${n(c.initialAccumulatorValue)})`,
        note: 'the same rule',
      };
    default:
      return { code: 'None', note: `tf.tpu.experimental.embedding has no ${o.className} optimizer` };
  }
}

// The row a dense TPU table gives keys it does not hold: the initializer's value for constant
// initializers, its mean (zeros) for the random ones.
function missingRowPy(v: Variable): string {
  const c = v.initializer.getConfig();
  if (c.className === 'Constant') {
    const value = c.config.value ?? 0;
    return Array.isArray(value) ? `[${value.map(pyNum).join(', ')}]` : `[${pyNum(value)}] * ${v.dim}`;
  }
  if (c.className === 'RandomNormal' || c.className === 'TruncatedNormal')
    return `[${pyNum(c.config.mean ?? 0)}] * ${v.dim}`;
  if (c.className === 'RandomUniform') {
    return `[${pyNum(((c.config.minval ?? -0.05) + (c.config.maxval ?? 0.05)) / 2)}] * ${v.dim}`;
  }
  return `[0.0] * ${v.dim}`;
}

const KEY_DTYPE_PY = { int32: 'tf.int32', int64: 'tf.int64', string: 'tf.string' } as const;

/**
 * A runnable Python script that rebuilds the given dynamic-embedding tables with
 * `tensorflow_recommenders_addons.dynamic_embedding` (same names, key dtypes, dims, initializers,
 * partitions, restrict policies), loads their rows from the `.npy` files of {@link toNpy} (placed
 * next to the script) with `upsert`, maps the features to their tables (`embed(batch)`), and builds
 * the same optimizer wrapped in `de.DynamicEmbeddingOptimizer` (or, with `optimizers`, one per group
 * of tables: `OPTIMIZER_OF[table name]`, each table's TPU TableConfig with its own optimizer too). TFRA creates slot Variables on the
 * first `apply_gradients`; `restore_slots(optimizer)`, called right after it, loads the slot rows
 * (`toNpy(opt.getSlot(v, name))` files), reloads the tables and sets `optimizer.iterations`.
 * `tpu_embedding_config()` gives the same tables, features and closest optimizer for
 * `tf.tpu.experimental.embedding` (TPUEmbedding / TPUEmbeddingV0), whose tables are dense: each
 * table holds the exported rows plus one row for keys it does not hold, and `key_to_row` maps keys
 * to rows.
 *
 * @example
 * const script = de.interop.toTfraPython({ variables: [user], features: { user_id: user }, optimizer: opt });
 * // write script + de.interop.toNpy(user) files into one folder, then: python3 rebuild.py
 */
export function toTfraPython(config: TfraExportConfig): string {
  if (config === null || typeof config !== 'object' || !Array.isArray(config.variables)) {
    throw new InvalidArgumentError(
      `interop.toTfraPython expects { variables: de.Variable[], features?, optimizer? }, got ${show(config)}.`,
    );
  }
  config.variables.forEach((v, i) => {
    if (!(v instanceof Variable))
      throw new InvalidArgumentError(`interop.toTfraPython: variables[${i}] must be a de.Variable, got ${show(v)}.`);
  });
  if (config.optimizer !== undefined && !(config.optimizer instanceof Optimizer)) {
    throw new InvalidArgumentError(
      `interop.toTfraPython: optimizer must be a de.optimizers.* optimizer, got ${show(config.optimizer)}.`,
    );
  }
  if (config.optimizers !== undefined && config.optimizer !== undefined) {
    throw new InvalidArgumentError('interop.toTfraPython: give optimizer or optimizers, not both.');
  }
  // Optimizer groups: an optimizer and the variables it trains.
  const groups: { opt: Optimizer; vars: Variable[] }[] = [];
  if (config.optimizer) groups.push({ opt: config.optimizer, vars: config.variables.slice() });
  if (config.optimizers !== undefined) {
    if (!Array.isArray(config.optimizers)) {
      throw new InvalidArgumentError(
        `interop.toTfraPython: optimizers must be an array of { optimizer, variables }, got ${show(config.optimizers)}.`,
      );
    }
    const seen = new Set<Variable>();
    config.optimizers.forEach((g, i) => {
      if (!g || !(g.optimizer instanceof Optimizer) || !Array.isArray(g.variables)) {
        throw new InvalidArgumentError(
          `interop.toTfraPython: optimizers[${i}] must be { optimizer: a de.optimizers.* optimizer, variables: de.Variable[] }, got ${show(g)}.`,
        );
      }
      for (const v of g.variables) {
        if (!config.variables.includes(v)) {
          throw new InvalidArgumentError(
            `interop.toTfraPython: optimizers[${i}] trains ${show(v instanceof Variable ? v.name : v)}, which is not one of the exported variables.`,
          );
        }
        if (seen.has(v)) {
          throw new InvalidArgumentError(
            `interop.toTfraPython: ${show(v.name)} is in two optimizer groups; a table has one optimizer.`,
          );
        }
        seen.add(v);
      }
      groups.push({ opt: g.optimizer, vars: g.variables.slice() });
    });
  }
  const groupOf = (v: Variable) => groups.find((g) => g.vars.includes(v));
  const used = new Set<string>();
  const ids = new Map<Variable, string>();
  const o = groups[0]?.opt;
  const multi = groups.length > 1;
  const stem = (v: Variable) => py(npyStem(v.name));
  const L: string[] = [
    '#!/usr/bin/env python3',
    '"""Rebuilds dynemb tables with TensorFlow Recommenders-Addons (generated by dynemb).',
    '',
    'Put the .npy files written by de.interop.toNpy next to this script, then run it: it creates the',
    'dynamic-embedding Variables, upserts their rows and prints their sizes. The optimizer slot rows',
    '(de.interop.toNpy(opt.getSlot(v, name)) files) are loaded by restore_slots(optimizer) after the',
    'first training step, when TFRA has created its slot Variables. tpu_embedding_config() gives the',
    'same tables, features and optimizer for tf.tpu.experimental.embedding.',
    '"""',
    'import os',
    '',
    'import numpy as np',
    'import tensorflow as tf',
    'from tensorflow_recommenders_addons import dynamic_embedding as de',
    '',
    'NPY_DIR = os.path.dirname(os.path.abspath(__file__))',
    '_keras_optimizers = getattr(tf.keras.optimizers, "legacy", tf.keras.optimizers)',
    '',
    '',
    'def npy_path(stem, part):',
    '    return os.path.join(NPY_DIR, stem + "-" + part + ".npy")',
    '',
    '',
    'def has_npy(stem):',
    '    return os.path.exists(npy_path(stem, "keys")) and os.path.exists(npy_path(stem, "values"))',
    '',
    '',
    'def load_npy(stem):',
    '    """The (keys, values) arrays of one exported table: keys [n] (int64 or str), values [n, dim] float32."""',
    '    return np.load(npy_path(stem, "keys")), np.load(npy_path(stem, "values"))',
    '',
    '',
    'def typed_keys(keys, key_dtype):',
    '    return tf.constant(keys.astype(np.int32) if key_dtype == tf.int32 else keys, dtype=key_dtype)',
    '',
    '',
    'def load_table(var, stem, key_dtype):',
    '    """Replaces the rows of a de.Variable with the exported ones (clear, then upsert, as TFRA restore)."""',
    '    keys, values = load_npy(stem)',
    '    var.clear()',
    '    if len(keys):',
    '        var.upsert(typed_keys(keys, key_dtype), tf.constant(values, dtype=tf.float32))',
    '    return len(keys)',
    '',
    '',
  ];
  for (const v of config.variables) {
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
      `    dim=${v.dim},`,
      `    devices=["/CPU:0"] * ${v.partitions},`,
      `    initializer=${initializerPy(v.initializer.getConfig())},`,
      `    init_size=${v.initCapacity},`,
      `    restrict_policy=${policy},`,
      `    trainable=${v.trainable ? 'True' : 'False'},`,
      ')',
      `load_table(${id}, ${stem(v)}, ${KEY_DTYPE_PY[v.keyDtype]})`,
      '',
    );
  }
  L.push(
    '# dynemb name -> (de.Variable, .npy stem, key dtype, dim, row for keys a dense TPU table does not hold)',
    'TABLES = {',
    ...config.variables.map(
      (v) =>
        `    ${py(v.name)}: (${ids.get(v)}, ${stem(v)}, ${KEY_DTYPE_PY[v.keyDtype]}, ${v.dim}, ${missingRowPy(v)}),`,
    ),
    '}',
  );
  L.push('', '# feature name -> (table, combiner for sparse ids)', 'FEATURES = {');
  const tableCombiner = new Map<Variable, string>();
  for (const [name, f] of Object.entries(config.features ?? {})) {
    const feat = f instanceof Variable ? { variable: f } : f;
    const id = feat && ids.get(feat.variable);
    if (!id) {
      throw new InvalidArgumentError(
        `interop.toTfraPython: feature ${show(name)} must read one of the exported variables.`,
      );
    }
    const combiner = feat.combiner ?? 'mean';
    if (!['sum', 'mean', 'sqrtn'].includes(combiner)) {
      throw new InvalidArgumentError(
        `interop.toTfraPython: feature ${show(name)} has combiner ${show(combiner)}; expected 'sum', 'mean' or 'sqrtn'.`,
      );
    }
    if (!tableCombiner.has(feat.variable)) tableCombiner.set(feat.variable, combiner);
    L.push(`    ${py(name)}: (${id}, ${py(combiner)}),`);
  }
  L.push(
    '}',
    '',
    '',
    'def embed(batch):',
    '    """Looks up every feature of a batch: dense ids -> [.., dim]; tf.SparseTensor ids -> combined [batch, dim]."""',
    '    out = {}',
    '    for name, (table, combiner) in FEATURES.items():',
    '        ids = batch[name]',
    '        if isinstance(ids, tf.SparseTensor):',
    '            out[name] = de.embedding_lookup_sparse(table, ids, None, combiner=combiner, name=name)',
    '        else:',
    '            out[name] = de.embedding_lookup(table, ids, name=name)',
    '    return out',
    '',
    '',
  );
  const tpu = o ? tpuOptimizerPy(o) : { code: 'None', note: 'no optimizer was exported' };
  const slotsOf = (v: Variable) => {
    const g = groupOf(v);
    if (!g) return `    ${py(v.name)}: [],  # no optimizer trains it`;
    return `    ${py(v.name)}: [${g.opt
      .slotSpecs()
      .map((sp) => `(${py(sp.name)}, ${pyNum(sp.initial)}, ${py(npyStem(`${v.name}/${sp.name}`))})`)
      .join(', ')}],`;
  };
  if (!o) {
    L.push('optimizer = None', 'ITERATIONS = 0', 'OPTIMIZER_OF = {}', 'ITERATIONS_OF = []', 'SLOTS = {}');
  } else if (!multi) {
    L.push(
      `optimizer = de.DynamicEmbeddingOptimizer(${optimizerPy(o)})`,
      `ITERATIONS = ${o.iterations}  # dynemb's step counter (Adam's bias correction reads it)`,
      '# dynemb name -> the optimizer that trains it',
      'OPTIMIZER_OF = {',
      ...groups[0].vars.map((v) => `    ${py(v.name)}: optimizer,`),
      '}',
      'ITERATIONS_OF = [(optimizer, ITERATIONS)]',
      '# dynemb name -> [(slot name, initial value, .npy stem of de.interop.toNpy(opt.getSlot(v, name)))]',
      'SLOTS = {',
      ...config.variables.map(slotsOf),
      '}',
    );
  } else {
    L.push(
      '# One optimizer per group of tables, as in dynemb: a TFRA DynamicEmbeddingOptimizer trains the tables',
      "# whose gradients it is given, so apply each group's gradients with its own optimizer",
      '# (OPTIMIZER_OF[table name]); optimizer (the first) also trains the dense layers.',
    );
    groups.forEach((g, i) => {
      L.push(
        `optimizer_${i} = de.DynamicEmbeddingOptimizer(${optimizerPy(g.opt)})  # trains ${g.vars.map((v) => v.name).join(', ')}`,
      );
    });
    L.push(
      'optimizer = optimizer_0',
      `ITERATIONS = ${o.iterations}  # optimizer_0's step counter (Adam's bias correction reads it)`,
      '# dynemb name -> the optimizer that trains it',
      'OPTIMIZER_OF = {',
      ...groups.flatMap((g, i) => g.vars.map((v) => `    ${py(v.name)}: optimizer_${i},`)),
      '}',
      "# each optimizer's step counter",
      `ITERATIONS_OF = [${groups.map((g, i) => `(optimizer_${i}, ${g.opt.iterations})`).join(', ')}]`,
      '# dynemb name -> [(slot name, initial value, .npy stem of de.interop.toNpy(opt.getSlot(v, name)))] of its optimizer',
      'SLOTS = {',
      ...config.variables.map(slotsOf),
      '}',
    );
  }
  L.push(
    '',
    '',
    'def restore_slots(optimizer=None):',
    '    """Loads dynemb\'s optimizer state into TFRA\'s. TFRA creates a table\'s slot Variables on the first',
    "    apply_gradients that trains it: call this right after that first step. It replaces each slot's rows",
    "    with the exported ones, reloads the tables (undoing that step) and sets the optimizers' iterations.",
    '    optimizer: None (each table\'s own, OPTIMIZER_OF), or the one optimizer that trains every table."""',
    '    for name, slots in SLOTS.items():',
    '        var, stem, key_dtype = TABLES[name][:3]',
    '        opt = optimizer if optimizer is not None else OPTIMIZER_OF[name]',
    '        created = {s.name.rsplit("/", 1)[-1]: s for s in var.get_slot_variables(opt)}',
    '        for slot_name, initial, slot_stem in slots:',
    '            if not has_npy(slot_stem):',
    '                print("restore_slots: no .npy files for", slot_stem, "- slot", slot_name, "of", name, "not loaded")',
    '                continue',
    '            slot = created.get(slot_name)',
    '            if slot is None:',
    '                if np.all(load_npy(slot_stem)[1] == initial):',
    "                    continue  # e.g. RMSprop's momentum slot with momentum 0: Keras keeps none",
    '                raise ValueError("TFRA has no slot %r for %s; train one step with the optimizer first" % (slot_name, name))',
    '            load_table(slot, slot_stem, key_dtype)',
    '        load_table(var, stem, key_dtype)',
    '    if optimizer is not None:',
    '        optimizer.iterations.assign(ITERATIONS)',
    '    else:',
    '        for opt, iterations in ITERATIONS_OF:',
    '            opt.iterations.assign(iterations)',
    '',
    '',
    'def tpu_embedding_config():',
    '    """The same tables, features and optimizer for tf.tpu.experimental.embedding (TPUEmbedding, or',
    '    TPUEmbeddingV0 under a TPUStrategy). TPU tables are dense: each table holds its n exported rows',
    '    plus a row n for keys it does not hold, and key_to_row[table name] (a tf.lookup.StaticHashTable)',
    '    maps keys to rows. A table takes the combiner of the first feature that reads it.',
    '    Returns (feature_config, optimizer, key_to_row)."""',
    '    combiners = {',
    ...[...tableCombiner].map(([v, c]) => `        ${py(v.name)}: ${py(c)},`),
    '    }',
    ...(multi
      ? [
          "    # each table's own optimizer (TableConfig.optimizer); the one returned is the first group's",
          '    table_optimizers = {',
          ...groups.flatMap((g) => {
            const t = tpuOptimizerPy(g.opt);
            return g.vars.map((v) => `        ${py(v.name)}: ${t.code},  # ${g.opt.className} -> ${t.note}`);
          }),
          '    }',
        ]
      : ['    table_optimizers = {}']),
    '    tables, key_to_row = {}, {}',
    '    for name, (var, stem, key_dtype, dim, missing_row) in TABLES.items():',
    '        keys, values = load_npy(stem)',
    '        n = len(keys)',
    '        rows = np.concatenate([values.reshape(n, dim), np.array([missing_row], dtype=np.float32)])',
    '        tables[name] = tf.tpu.experimental.embedding.TableConfig(',
    '            vocabulary_size=n + 1,',
    '            dim=dim,',
    '            initializer=tf.constant_initializer(rows),',
    '            combiner=combiners.get(name, "mean"),',
    '            optimizer=table_optimizers.get(name),',
    '            name=name,',
    '        )',
    '        key_to_row[name] = tf.lookup.StaticHashTable(',
    '            tf.lookup.KeyValueTensorInitializer(typed_keys(keys, key_dtype), tf.range(n, dtype=tf.int64)),',
    '            default_value=n,',
    '        )',
    '    by_var = {id(var): name for name, (var, *_rest) in TABLES.items()}',
    '    feature_config = {',
    '        feature: tf.tpu.experimental.embedding.FeatureConfig(table=tables[by_var[id(table)]], name=feature)',
    '        for feature, (table, _combiner) in FEATURES.items()',
    '    }',
    `    # ${o ? o.className : 'no optimizer'} -> ${tpu.note}`,
    `    return feature_config, ${tpu.code}, key_to_row`,
    '',
    '',
    'if __name__ == "__main__":',
    '    for _name, (_v, *_rest) in TABLES.items():',
    '        print(_name, "size", int(_v.size()))',
    '',
  );
  return L.join('\n');
}
