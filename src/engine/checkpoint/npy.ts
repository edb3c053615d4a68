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

const HEX = (b: number) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`;

/**
 * The file-name stem used for a Variable's .npy files. The mapping is injective (two different
 * names never share files) and the stem is a safe file name on every OS: letters, digits, `_` and
 * `-` stay as they are, `/` (the slot separator, `emb/m`) becomes `.`, and every other character is
 * written as `%XX` per UTF-8 byte (`%uXXXX` for a lone surrogate), so `a b` is `a%20b`, not `a_b`.
 *
 * @example
 * npyStem('user_emb/m'); // 'user_emb.m'
 * npyStem('a b');        // 'a%20b'
 */
export function npyStem(name: string): string {
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const c = name[i];
    if (/[A-Za-z0-9_-]/.test(c)) out += c;
    else if (c === '/') out += '.';
    else {
      const cp = name.codePointAt(i)!;
      const pair = cp > 0xffff;
      const lone = !pair && cp >= 0xd800 && cp <= 0xdfff;
      if (lone) out += `%u${cp.toString(16).toUpperCase()}`;
      else for (const b of new TextEncoder().encode(pair ? name.slice(i, i + 2) : c)) out += HEX(b);
      if (pair) i++;
    }
  }
  return out;
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
