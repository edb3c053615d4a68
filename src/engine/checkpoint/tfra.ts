// de.interop.toTfraPython: a Python script that rebuilds the same tables, features and optimizer
// with tensorflow_recommenders_addons.dynamic_embedding and loads the .npy files of toNpy.
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
  optimizer?: Optimizer;
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

const KEY_DTYPE_PY = { int32: 'tf.int32', int64: 'tf.int64', string: 'tf.string' } as const;

/**
 * A runnable Python script that rebuilds the given dynamic-embedding tables with
 * `tensorflow_recommenders_addons.dynamic_embedding` (same names, key dtypes, dims, initializers,
 * partitions, restrict policies), loads their rows from the `.npy` files of {@link toNpy} (placed
 * next to the script) with `upsert`, maps the features to their tables, and builds the same
 * optimizer wrapped in `de.DynamicEmbeddingOptimizer`. Optimizer slots are listed as .npy stems.
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
  const used = new Set<string>();
  const ids = new Map<Variable, string>();
  const L: string[] = [
    '#!/usr/bin/env python3',
    '"""Rebuilds dynemb tables with TensorFlow Recommenders-Addons (generated by dynemb).',
    '',
    'Put the .npy files written by de.interop.toNpy next to this script, then run it.',
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
    'def load_npy(stem):',
    '    """The (keys, values) arrays of one exported table."""',
    '    keys = np.load(os.path.join(NPY_DIR, stem + "-keys.npy"))',
    '    values = np.load(os.path.join(NPY_DIR, stem + "-values.npy"))',
    '    return keys, values',
    '',
    '',
    'def load_table(var, stem, key_dtype):',
    '    """Upserts the exported rows into a de.Variable (as TFRA restore: into an empty table)."""',
    '    keys, values = load_npy(stem)',
    '    if key_dtype == tf.int32:',
    '        keys = keys.astype(np.int32)',
    '    if len(keys):',
    '        var.upsert(tf.constant(keys, dtype=key_dtype), tf.constant(values, dtype=tf.float32))',
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
      `load_table(${id}, ${py(npyStem(v.name))}, ${KEY_DTYPE_PY[v.keyDtype]})`,
      '',
    );
  }
  L.push('', '# feature name -> (table, combiner for sparse ids)', 'FEATURES = {');
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
  if (config.optimizer) {
    const o = config.optimizer;
    L.push(`optimizer = de.DynamicEmbeddingOptimizer(${optimizerPy(o)})`);
    const stems = config.variables.flatMap((v) => o.slotSpecs().map((s) => npyStem(`${v.name}/${s.name}`)));
    L.push(
      '# dynemb slot rows, exported with de.interop.toNpy(opt.getSlot(v, name)); TFRA creates its slots',
      '# on the first apply_gradients, after which they can be filled with load_npy(stem) and upsert.',
      `SLOT_NPY_STEMS = [${stems.map(py).join(', ')}]`,
      `ITERATIONS = ${o.iterations}`,
    );
  } else {
    L.push('optimizer = None');
  }
  L.push(
    '',
    'if __name__ == "__main__":',
    `    for _v in [${config.variables.map((v) => ids.get(v)).join(', ')}]:`,
    '        print(_v.name, "size", int(_v.size()))',
    '',
  );
  return L.join('\n');
}
