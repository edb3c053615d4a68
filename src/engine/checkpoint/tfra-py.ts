// Python literals for the generated TFRA script. Every user-supplied string (table, feature and
// slot names) reaches the script through `py` (a JSON string literal, which is a valid Python
// string literal with every control character escaped), `pyComment` (a comment on one line) or
// `ident` (a sanitised identifier); numbers through `pyNum` / `pyInt`, which refuse anything else.
import { InvalidArgumentError, show } from '../errors.js';
import type { InitializerConfig } from '../initializers.js';
import type { Variable } from '../variable.js';

/**
 * A Python string literal of `s` (JSON's escapes are Python's: `\n`, `\"`, `\u0000`, ...).
 *
 * @example
 * py('a\nb'); // '"a\\nb"'
 */
export const py = (s: string): string => {
  if (typeof s !== 'string') throw new InvalidArgumentError(`interop.toTfraPython: expected a string, got ${show(s)}.`);
  return JSON.stringify(s);
};

// Characters Python (or an editor) may treat as the end of a line, and the other controls.
// eslint-disable-next-line no-control-regex
const LINE_BREAKING = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * A `# comment` that stays on its one line whatever `text` holds (control characters escaped).
 *
 * @example
 * pyComment('trains "a\nb"'); // '# trains "a\\u000ab"'
 */
export function pyComment(text: string): string {
  return `# ${String(text).replace(LINE_BREAKING, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}`;
}

/**
 * A finite number as a Python literal (integers without a fraction).
 *
 * @example
 * pyNum(0.5); // '0.5'
 */
export function pyNum(x: number): string {
  if (typeof x !== 'number' || !Number.isFinite(x)) {
    throw new InvalidArgumentError(`interop.toTfraPython: cannot export the number ${show(x)}.`);
  }
  return String(x);
}

/**
 * A non-negative integer as a Python literal (dims, counts, step counters).
 *
 * @example
 * pyInt(8); // '8'
 */
export function pyInt(x: number): string {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) {
    throw new InvalidArgumentError(`interop.toTfraPython: expected an integer >= 0, got ${show(x)}.`);
  }
  return String(x);
}

// Python keywords and the names the script itself defines or imports.
const TAKEN = new Set([
  ...'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield match case type'.split(
    ' ',
  ),
  ...'de tf np os optimizer ITERATIONS OPTIMIZER_OF ITERATIONS_OF SLOTS TABLES FEATURES NPY_DIR npy_path has_npy load_npy typed_keys load_table embed restore_slots tpu_embedding_config print id len _keras_optimizers _name _v _rest'.split(
    ' ',
  ),
]);

/**
 * A Python identifier for `name`, unique within `used`: characters outside `[A-Za-z0-9_]` become
 * `_`, a leading digit gets `v_`, keywords and the script's own names get a trailing `_`.
 *
 * @example
 * ident('user-emb', new Set()); // 'user_emb'
 */
export function ident(name: string, used: Set<string>): string {
  let id = name.replace(/[^A-Za-z0-9_]/g, '_');
  if (!/^[A-Za-z_]/.test(id)) id = `v_${id}`;
  if (TAKEN.has(id) || /^optimizer_\d+$/.test(id)) id = `${id}_`;
  let out = id;
  for (let i = 2; used.has(out); i++) out = `${id}_${i}`;
  used.add(out);
  return out;
}

/** The Keras initializer that draws what a dynemb initializer draws. */
export function initializerPy(cfg: InitializerConfig): string {
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

/**
 * The row a dense TPU table gives keys it does not hold: the initializer's value for constant
 * initializers, its mean (zeros) for the random ones.
 */
export function missingRowPy(v: Variable): string {
  const c = v.initializer.getConfig();
  const dim = pyInt(v.dim);
  if (c.className === 'Constant') {
    const value = c.config.value ?? 0;
    return Array.isArray(value) ? `[${value.map(pyNum).join(', ')}]` : `[${pyNum(value)}] * ${dim}`;
  }
  if (c.className === 'RandomNormal' || c.className === 'TruncatedNormal')
    return `[${pyNum(c.config.mean ?? 0)}] * ${dim}`;
  if (c.className === 'RandomUniform') {
    return `[${pyNum(((c.config.minval ?? -0.05) + (c.config.maxval ?? 0.05)) / 2)}] * ${dim}`;
  }
  return `[0.0] * ${dim}`;
}

/** The TF dtype of each key dtype. */
export const KEY_DTYPE_PY = { int32: 'tf.int32', int64: 'tf.int64', string: 'tf.string' } as const;
