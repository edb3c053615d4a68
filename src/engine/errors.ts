/**
 * Errors thrown by the engine. Each message says what was wrong, what was expected and
 * what was given, so a user can act on it.
 *
 * @example
 * try { v.upsert([1, 2], [[0, 0]]); } catch (e) { if (e instanceof de.InvalidArgumentError) console.log(e.message); }
 */
export class DynembError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** An argument had the wrong type, shape or value. */
export class InvalidArgumentError extends DynembError {}

/** The WebAssembly memory could not grow; the operation was not applied. */
export class OutOfMemoryError extends DynembError {}

/** An operation was called in a state that does not allow it (as TF's RuntimeError). */
export class RuntimeError extends DynembError {}

/** Formats a value for an error message: short, and never the whole of a big array. */
export function show(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value))
    return `a ${value.constructor.name} of length ${(value as unknown as ArrayLike<unknown>).length}`;
  if (typeof value === 'function') return 'a function';
  const name = (value as object).constructor?.name;
  return name && name !== 'Object' ? `a ${name}` : 'an object';
}
