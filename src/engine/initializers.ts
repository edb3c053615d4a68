// Keyed initializers: the value a missing key reads is a pure function of (seed, key, component).
//
// TFRA draws a fresh random row on every lookup of a missing key (users complain: the same id
// reads different embeddings until it is trained). Hashing (seed, key, component, draw) with a
// counter-based generator gives every key its own fixed, independent draw instead, with no state.
import { optionsOf } from './options.js';
import { InvalidArgumentError, show } from './errors.js';
import { keyWords } from './keyhash.js';
import type { Keys } from './tensor.js';

/** Fan-in / fan-out of the table being initialized (Glorot needs them). */
export interface Fans {
  fanIn: number;
  fanOut: number;
}

/** A serializable description of an initializer: `initializers.fromConfig` rebuilds it. */
export interface InitializerConfig {
  className: 'Zeros' | 'Constant' | 'RandomNormal' | 'RandomUniform' | 'TruncatedNormal' | 'GlorotUniform';
  config: {
    value?: number | number[];
    mean?: number;
    stddev?: number;
    minval?: number;
    maxval?: number;
    seed?: number;
  };
}

/**
 * Fills the rows of missing keys. Subclasses are pure: the same (config, key) always gives the
 * same row.
 *
 * @example
 * const init = de.initializers.randomNormal({ stddev: 0.1, seed: 7 });
 * const out = new Float32Array(4);
 * init.fill(new Int32Array([3]), 4, out); // the row key 3 reads, every time
 */
export abstract class Initializer {
  abstract readonly className: InitializerConfig['className'];
  /** Writes `keys.length` rows of `dim` values into `out` (row-major). `fans` default to `[dim, dim]`. */
  abstract fill(keys: Keys, dim: number, out: Float32Array, fans?: Fans): void;
  /** The config `initializers.fromConfig` takes. */
  abstract getConfig(): InitializerConfig;
  /** Throws if this initializer cannot fill rows of `dim` values. */
  check(_dim: number, _what: string): void {}
}

const M1 = 0xcc9e2d51;
const M2 = 0x1b873593;
function round(h: number, k: number): number {
  let x = Math.imul(k, M1);
  x = (x << 15) | (x >>> 17);
  x = Math.imul(x, M2);
  let y = h ^ x;
  y = (y << 13) | (y >>> 19);
  return (Math.imul(y, 5) + 0xe6546b64) | 0;
}
function fmix(h: number): number {
  let x = h ^ (h >>> 16);
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}
// MurmurHash3-32 of the four words (lo, hi, component, draw) seeded with `seed`.
function draw32(seed: number, lo: number, hi: number, j: number, d: number): number {
  let h = round(seed, lo);
  h = round(h, hi);
  h = round(h, j);
  h = round(h, d);
  return fmix(h ^ 16);
}
const TWO32 = 4294967296;
const uniform01 = (u: number): number => (u + 0.5) / TWO32; // in (0, 1), never 0 or 1

function randomSeed(): number {
  return Math.floor(Math.random() * TWO32) >>> 0;
}

function checkNumber(
  v: unknown,
  name: string,
  what: string,
  opts: { positive?: boolean; nonNegative?: boolean } = {},
): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || (opts.positive && v <= 0) || (opts.nonNegative && v < 0)) {
    throw new InvalidArgumentError(
      `${what}: ${name} must be a finite number${opts.positive ? ' > 0' : opts.nonNegative ? ' >= 0' : ''}, got ${show(v)}.`,
    );
  }
  return v;
}
function checkSeed(seed: unknown, what: string): number {
  if (seed === undefined) return randomSeed();
  if (typeof seed !== 'number' || !Number.isInteger(seed)) {
    throw new InvalidArgumentError(`${what}: seed must be an integer, got ${show(seed)}.`);
  }
  return seed >>> 0;
}

// Per-key draws: calls `row(seed, lo, hi, j)` for every component.
function fillKeyed(keys: Keys, dim: number, out: Float32Array, value: (lo: number, hi: number, j: number) => number) {
  const words = new Uint32Array(keys.length * 2);
  keyWords(keys, words);
  for (let i = 0; i < keys.length; i++) {
    const lo = words[2 * i] | 0;
    const hi = words[2 * i + 1] | 0;
    for (let j = 0; j < dim; j++) out[i * dim + j] = value(lo, hi, j);
  }
}

class Zeros extends Initializer {
  readonly className = 'Zeros' as const;
  fill(keys: Keys, dim: number, out: Float32Array): void {
    out.fill(0, 0, keys.length * dim);
  }
  getConfig(): InitializerConfig {
    return { className: 'Zeros', config: {} };
  }
}

class Constant extends Initializer {
  readonly className = 'Constant' as const;
  readonly value: number | number[];
  constructor(value: number | readonly number[]) {
    super();
    if (Array.isArray(value)) {
      value.forEach((v, i) => {
        checkNumber(v, `value[${i}]`, 'initializers.constant');
      });
      this.value = [...value];
    } else {
      this.value = checkNumber(value, 'value', 'initializers.constant');
    }
  }
  override check(dim: number, what: string): void {
    if (Array.isArray(this.value) && this.value.length !== dim) {
      throw new InvalidArgumentError(
        `${what}: a constant initializer array must have length dim = ${dim}, got length ${this.value.length}.`,
      );
    }
  }
  fill(keys: Keys, dim: number, out: Float32Array): void {
    const v = this.value;
    for (let i = 0; i < keys.length; i++) {
      if (Array.isArray(v)) out.set(v, i * dim);
      else out.fill(v, i * dim, (i + 1) * dim);
    }
  }
  getConfig(): InitializerConfig {
    return { className: 'Constant', config: { value: Array.isArray(this.value) ? [...this.value] : this.value } };
  }
}

class RandomNormal extends Initializer {
  readonly className = 'RandomNormal' as const;
  readonly mean: number;
  readonly stddev: number;
  readonly seed: number;
  constructor(o: { mean?: number; stddev?: number; seed?: number } = {}) {
    o = optionsOf(o, 'initializers');
    super();
    this.mean = checkNumber(o.mean ?? 0, 'mean', 'initializers.randomNormal');
    this.stddev = checkNumber(o.stddev ?? 0.05, 'stddev', 'initializers.randomNormal', { nonNegative: true });
    this.seed = checkSeed(o.seed, 'initializers.randomNormal');
  }
  fill(keys: Keys, dim: number, out: Float32Array): void {
    const { mean, stddev, seed } = this;
    fillKeyed(keys, dim, out, (lo, hi, j) => {
      const u1 = uniform01(draw32(seed, lo, hi, j, 0));
      const u2 = uniform01(draw32(seed, lo, hi, j, 1));
      return mean + stddev * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    });
  }
  getConfig(): InitializerConfig {
    return { className: 'RandomNormal', config: { mean: this.mean, stddev: this.stddev, seed: this.seed } };
  }
}

class TruncatedNormal extends Initializer {
  readonly className = 'TruncatedNormal' as const;
  readonly mean: number;
  readonly stddev: number;
  readonly seed: number;
  constructor(o: { mean?: number; stddev?: number; seed?: number } = {}) {
    o = optionsOf(o, 'initializers');
    super();
    this.mean = checkNumber(o.mean ?? 0, 'mean', 'initializers.truncatedNormal');
    this.stddev = checkNumber(o.stddev ?? 0.05, 'stddev', 'initializers.truncatedNormal', { nonNegative: true });
    this.seed = checkSeed(o.seed, 'initializers.truncatedNormal');
  }
  fill(keys: Keys, dim: number, out: Float32Array): void {
    const { mean, stddev, seed } = this;
    fillKeyed(keys, dim, out, (lo, hi, j) => {
      // Resample outside ±2σ, as TF; 64 tries fail with probability 0.0455^64.
      let z = 0;
      for (let a = 0; a < 64; a++) {
        const u1 = uniform01(draw32(seed, lo, hi, j, 2 * a));
        const u2 = uniform01(draw32(seed, lo, hi, j, 2 * a + 1));
        z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
        if (Math.abs(z) <= 2) break;
        z = 0;
      }
      return mean + stddev * z;
    });
  }
  getConfig(): InitializerConfig {
    return { className: 'TruncatedNormal', config: { mean: this.mean, stddev: this.stddev, seed: this.seed } };
  }
}

class RandomUniform extends Initializer {
  readonly className = 'RandomUniform' as const;
  readonly minval: number;
  readonly maxval: number;
  readonly seed: number;
  constructor(o: { minval?: number; maxval?: number; seed?: number } = {}) {
    o = optionsOf(o, 'initializers');
    super();
    this.minval = checkNumber(o.minval ?? -0.05, 'minval', 'initializers.randomUniform');
    this.maxval = checkNumber(o.maxval ?? 0.05, 'maxval', 'initializers.randomUniform');
    if (this.maxval < this.minval) {
      throw new InvalidArgumentError(
        `initializers.randomUniform: expected minval <= maxval, got minval ${this.minval} and maxval ${this.maxval}.`,
      );
    }
    this.seed = checkSeed(o.seed, 'initializers.randomUniform');
  }
  fill(keys: Keys, dim: number, out: Float32Array): void {
    const { minval, maxval, seed } = this;
    const span = maxval - minval;
    fillKeyed(keys, dim, out, (lo, hi, j) => minval + span * (draw32(seed, lo, hi, j, 0) / TWO32));
  }
  getConfig(): InitializerConfig {
    return { className: 'RandomUniform', config: { minval: this.minval, maxval: this.maxval, seed: this.seed } };
  }
}

class GlorotUniform extends Initializer {
  readonly className = 'GlorotUniform' as const;
  readonly seed: number;
  constructor(o: { seed?: number } = {}) {
    o = optionsOf(o, 'initializers');
    super();
    this.seed = checkSeed(o.seed, 'initializers.glorotUniform');
  }
  fill(keys: Keys, dim: number, out: Float32Array, fans: Fans = { fanIn: dim, fanOut: dim }): void {
    const limit = Math.sqrt(6 / (fans.fanIn + fans.fanOut));
    const seed = this.seed;
    fillKeyed(keys, dim, out, (lo, hi, j) => limit * (2 * (draw32(seed, lo, hi, j, 0) / TWO32) - 1));
  }
  getConfig(): InitializerConfig {
    return { className: 'GlorotUniform', config: { seed: this.seed } };
  }
}

/**
 * All zeros (the Variable default, as TFRA).
 *
 * @example
 * new de.Variable({ name: 'v', dim: 4, initializer: de.initializers.zeros() });
 */
export function zeros(): Initializer {
  return new Zeros();
}

/**
 * A constant: a number broadcast to `[dim]`, or an array of length `dim`.
 *
 * @example
 * de.initializers.constant([1, 2, 3]); // every missing key reads [1, 2, 3]
 */
export function constant(value: number | readonly number[]): Initializer {
  return new Constant(value);
}

/**
 * Normal draws, keyed (Keras defaults: mean 0, stddev 0.05).
 *
 * @example
 * de.initializers.randomNormal({ stddev: 0.1, seed: 42 });
 */
export function randomNormal(options: { mean?: number; stddev?: number; seed?: number } = {}): Initializer {
  return new RandomNormal(options);
}

/**
 * Uniform draws in `[minval, maxval)`, keyed (Keras defaults: -0.05, 0.05).
 *
 * @example
 * de.initializers.randomUniform({ minval: -1, maxval: 1, seed: 1 });
 */
export function randomUniform(options: { minval?: number; maxval?: number; seed?: number } = {}): Initializer {
  return new RandomUniform(options);
}

/**
 * Normal draws resampled outside two standard deviations, keyed (stddev default 0.05).
 *
 * @example
 * de.initializers.truncatedNormal({ stddev: 1, seed: 3 }); // values in [-2, 2]
 */
export function truncatedNormal(options: { mean?: number; stddev?: number; seed?: number } = {}): Initializer {
  return new TruncatedNormal(options);
}

/**
 * Glorot (Xavier) uniform: `U(-l, l)`, `l = sqrt(6 / (fanIn + fanOut))`. A fixed `[vocab, n]`
 * table uses fans (vocab, n); a dynamic table has no vocabulary, so both fans are `dim`.
 *
 * @example
 * de.initializers.glorotUniform({ seed: 0 }); // dim 8, dynamic: U(-0.612, 0.612)
 */
export function glorotUniform(options: { seed?: number } = {}): Initializer {
  return new GlorotUniform(options);
}

/**
 * Rebuilds an initializer from `getConfig()` output.
 *
 * @example
 * const again = de.initializers.fromConfig(de.initializers.randomNormal({ seed: 1 }).getConfig());
 */
export function fromConfig(cfg: InitializerConfig): Initializer {
  if (cfg === null || typeof cfg !== 'object' || typeof cfg.config !== 'object') {
    throw new InvalidArgumentError(`initializers.fromConfig expects { className, config }, got ${show(cfg)}.`);
  }
  const c = cfg.config;
  switch (cfg.className) {
    case 'Zeros':
      return zeros();
    case 'Constant':
      return constant(c.value ?? 0);
    case 'RandomNormal':
      return randomNormal(c);
    case 'RandomUniform':
      return randomUniform(c);
    case 'TruncatedNormal':
      return truncatedNormal(c);
    case 'GlorotUniform':
      return glorotUniform(c);
    default:
      throw new InvalidArgumentError(
        `initializers.fromConfig: unknown className ${show(cfg.className)}; expected Zeros, Constant, RandomNormal, RandomUniform, TruncatedNormal or GlorotUniform.`,
      );
  }
}

/** What an `initializer` option may be: a number (broadcast), an array of length dim, or an Initializer. */
export type InitializerLike = number | readonly number[] | Initializer;

/**
 * Resolves an `initializer` option for rows of `dim` values; `undefined` gives `fallback`.
 *
 * @example
 * resolveInitializer(0.5, 4, 'Variable', zeros()); // constant 0.5
 */
export function resolveInitializer(
  init: InitializerLike | undefined,
  dim: number,
  what: string,
  fallback: () => Initializer,
): Initializer {
  let out: Initializer;
  if (init === undefined) out = fallback();
  else if (init instanceof Initializer) out = init;
  else if (typeof init === 'number' || Array.isArray(init)) out = constant(init);
  else {
    throw new InvalidArgumentError(
      `${what}: initializer must be a number, an array of length dim or a de.initializers.* value, got ${show(init)}.`,
    );
  }
  out.check(dim, what);
  return out;
}
