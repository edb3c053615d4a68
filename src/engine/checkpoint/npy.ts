// NumPy .npy v1.0 writer: a Variable's keys (int64, or unicode for string keys) and values
// (float32 [n, dim]) in the format `np.load` reads.
import { InvalidArgumentError, show } from '../errors.js';
import { Variable } from '../variable.js';

function npy(descr: string, shape: number[], body: Uint8Array): Uint8Array {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
  // magic(6) + version(2) + header length(2) + header, padded with spaces and ended by \n to 64 bytes
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(body, total);
  return out;
}

/**
 * The file-name stem used for a Variable's .npy files: its name with every character outside
 * `[A-Za-z0-9_.-]` replaced by `_` (slot names like `emb/m` become `emb_m`).
 *
 * @example
 * npyStem('user_emb/m'); // 'user_emb_m'
 */
export function npyStem(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_');
}

/**
 * Writes a Variable as two NumPy .npy v1.0 files: `${name}-keys.npy` (int64 `[n]`; string keys
 * as unicode `<U{maxLength}`) and `${name}-values.npy` (float32 `[n, dim]`), rows in the same order.
 *
 * @example
 * const files = de.interop.toNpy(v); // { 'user_emb-keys.npy': Uint8Array, 'user_emb-values.npy': Uint8Array }
 * // python: np.load('user_emb-keys.npy'), np.load('user_emb-values.npy')
 */
export function toNpy(variable: Variable): Record<string, Uint8Array> {
  if (!(variable instanceof Variable)) {
    throw new InvalidArgumentError(`interop.toNpy expects a de.Variable, got ${show(variable)}.`);
  }
  const { keys, values, dim } = variable.export();
  const n = keys.length;
  let keyFile: Uint8Array;
  if (keys instanceof Int32Array || keys instanceof BigInt64Array) {
    const k64 = new BigInt64Array(n);
    for (let i = 0; i < n; i++) k64[i] = BigInt(keys[i]);
    keyFile = npy('<i8', [n], new Uint8Array(k64.buffer));
  } else {
    const cps = keys.map((k) => Array.from(k, (c) => c.codePointAt(0)!));
    const width = Math.max(1, ...cps.map((c) => c.length));
    const body = new Uint32Array(n * width);
    cps.forEach((c, i) => body.set(c, i * width));
    keyFile = npy(`<U${width}`, [n], new Uint8Array(body.buffer));
  }
  const valueFile = npy('<f4', [n, dim], new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  const stem = npyStem(variable.name);
  return { [`${stem}-keys.npy`]: keyFile, [`${stem}-values.npy`]: valueFile };
}
