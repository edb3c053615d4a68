// The checkpoint binary format: a little-endian byte writer/reader and CRC-32.
//
//   "DYNEMBCK" | u32 version | f64 globalStep | u32 entryCount | entries... | u32 crc32(all before)
//   entry:     u8 kind (1 table, 2 optimizer) | string name | payload
//   table:     u8 keyDtype (0 int32, 1 int64, 2 string) | u32 dim | u32 n | keys | f32 values[n*dim]
//   optimizer: string className | f64 iterations | string configJson | u32 tables | (string name, table)...
//   string:    u32 byteLength | UTF-8 bytes
import { InvalidArgumentError } from '../errors.js';

export const MAGIC = 'DYNEMBCK';
// Version 2 (same layout as 1): a Momentum optimizer's `momentum` slot holds Keras's velocity
// (`a = m a - lr g; w += a`, what TFRA trains with); version 1 held tfjs's accumulation
// (`a = m a + g; w -= lr a`), so restore converts it (`velocity = -lr a`). Both are read.
export const VERSION = 2;
/** The oldest version restore still reads. */
export const OLDEST_VERSION = 1;

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/**
 * CRC-32 (IEEE, as zlib) of bytes.
 *
 * @example
 * crc32(new TextEncoder().encode('123456789')); // 0xcbf43926
 */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Appends little-endian values to a growing buffer. */
export class ByteWriter {
  private buf = new Uint8Array(1024);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): void {
    this.ensure(1);
    this.view.setUint8(this.length, v);
    this.length += 1;
  }
  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }
  f64(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.length, v, true);
    this.length += 8;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  string(s: string): void {
    const b = encoder.encode(s);
    this.u32(b.length);
    this.bytes(b);
  }
  /** Typed array contents, little-endian (the host order of every engine target). */
  array(a: Int32Array | BigInt64Array | Float32Array): void {
    this.bytes(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  /** The bytes written so far followed by their CRC-32. */
  finish(): Uint8Array {
    const body = this.buf.subarray(0, this.length);
    const crc = crc32(body);
    this.u32(crc);
    return this.buf.slice(0, this.length);
  }
}

/** Reads little-endian values, throwing a clear error when the data ends early. */
export class ByteReader {
  private readonly view: DataView;
  pos = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly end: number,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(n: number, what: string): void {
    if (this.pos + n > this.end) {
      throw new InvalidArgumentError(
        `checkpoint.restore: the checkpoint is truncated or corrupted: ${what} needs ${n} bytes at offset ${this.pos}, but the data ends at ${this.end}.`,
      );
    }
  }
  u8(what: string): number {
    this.need(1, what);
    return this.view.getUint8(this.pos++);
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  f64(what: string): number {
    this.need(8, what);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }
  raw(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.bytes.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  string(what: string): string {
    const n = this.u32(`${what} length`);
    const b = this.raw(n, what);
    try {
      return decoder.decode(b);
    } catch {
      throw new InvalidArgumentError(`checkpoint.restore: the checkpoint is corrupted: ${what} is not valid UTF-8.`);
    }
  }
}
