// Keys as 64-bit words, and FNV-1a 64 for strings, in 32-bit halves (no BigInt on the hot path).
// Used by the default string partitioner and by keyed initializers.
import type { Keys } from './tensor.js';

const encoder = new TextEncoder();

/**
 * FNV-1a 64 of a string's UTF-8 bytes, as `[lo, hi]` unsigned 32-bit halves.
 *
 * @example
 * fnv1a64(''); // [0x84222325, 0xcbf29ce4] (the offset basis)
 */
export function fnv1a64(s: string): [number, number] {
  const bytes = encoder.encode(s);
  let lo = 0x84222325;
  let hi = 0xcbf29ce4;
  for (let i = 0; i < bytes.length; i++) {
    lo = (lo ^ bytes[i]) >>> 0;
    // (hi·2^32 + lo) · (2^40 + 0x1b3) mod 2^64
    const p = lo * 0x1b3;
    const carry = Math.floor(p / 4294967296);
    const newLo = p >>> 0;
    hi = (Math.imul(hi, 0x1b3) + carry + (lo << 8)) >>> 0;
    lo = newLo;
  }
  return [lo, hi];
}

/**
 * Writes each key as two 32-bit words (lo, hi) into `out` (length 2·n). Integer keys are their
 * two's-complement 64-bit value (so int32 5 and int64 5n agree); strings are their FNV-1a 64.
 *
 * @example
 * const w = new Uint32Array(2); keyWords(new Int32Array([-1]), w); // [0xffffffff, 0xffffffff]
 */
export function keyWords(keys: Keys, out: Uint32Array): void {
  if (keys instanceof Int32Array) {
    for (let i = 0; i < keys.length; i++) {
      out[2 * i] = keys[i] >>> 0;
      out[2 * i + 1] = keys[i] < 0 ? 0xffffffff : 0;
    }
  } else if (keys instanceof BigInt64Array) {
    // Little-endian halves straight from the buffer.
    const u = new Uint32Array(keys.buffer, keys.byteOffset, keys.length * 2);
    const le = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
    if (le) out.set(u);
    else
      for (let i = 0; i < keys.length; i++) {
        const k = BigInt.asUintN(64, keys[i]);
        out[2 * i] = Number(k & 0xffffffffn);
        out[2 * i + 1] = Number(k >> 32n);
      }
  } else {
    for (let i = 0; i < keys.length; i++) {
      const [lo, hi] = fnv1a64(keys[i]);
      out[2 * i] = lo;
      out[2 * i + 1] = hi;
    }
  }
}
