// The options argument every engine call takes: omitted, or a plain object. `null`, a string or
// an array used to reach `options.x` and fail with a raw TypeError (or be ignored silently).
import { InvalidArgumentError, show } from './errors.js';

/**
 * `options` itself when it is an object, `{}` when omitted; otherwise a clear error.
 *
 * @example
 * optionsOf(undefined, 'embeddingLookup'); // {}
 * optionsOf(null, 'embeddingLookup');      // throws InvalidArgumentError
 */
export function optionsOf<T extends object>(options: T | undefined, what: string): T {
  if (options === undefined) return {} as T;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidArgumentError(`${what}: options must be an object (or omitted), got ${show(options)}.`);
  }
  return options;
}

/**
 * Checks that a flat buffer of values holds only finite numbers (unless the caller allows
 * others): a NaN or Infinity written into a table, or into optimizer slots, poisons it for good.
 *
 * @example
 * checkFinite(new Float32Array([1, NaN]), 'upsert', 'values'); // throws: values[1] is NaN
 */
export function checkFinite(values: ArrayLike<number>, what: string, name: string): void {
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (x - x !== 0) {
      throw new InvalidArgumentError(
        `${what}: ${name}[${i}] is ${x}; expected finite numbers (pass { allowNonFinite: true } to write it anyway, as TFRA does).`,
      );
    }
  }
}
