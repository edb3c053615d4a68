// The baseline of the hash-table cases: the dynamic table a JavaScript developer would write.

/**
 * The plain-JS dynamic table a JavaScript developer would write: a Map from id to row over a
 * growable Float32Array arena (doubling), freed rows reused. Int32 ids use number keys (the
 * fastest Map keys V8 has), so that baseline is the strong one; int64 ids (TFRA's key type) need
 * bigint keys, as a JavaScript developer holding int64 ids would write it.
 *
 * @example
 * const js = new JsTable(8);
 * js.upsert(Int32Array.of(5, 9), new Float32Array(16));
 * js.size; // 2
 */
export class JsTable {
  readonly dim: number;
  private map = new Map<number | bigint, number>();
  arena: Float32Array;
  private rows = 0;
  private free: number[] = [];

  constructor(dim: number) {
    this.dim = dim;
    this.arena = new Float32Array(dim * 1024);
  }

  get size(): number {
    return this.map.size;
  }

  upsert(keys: Int32Array | BigInt64Array, values: Float32Array): void {
    const dim = this.dim;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      let r = this.map.get(k);
      if (r === undefined) {
        r = this.free.length > 0 ? (this.free.pop() as number) : this.rows++;
        if ((r + 1) * dim > this.arena.length) {
          const bigger = new Float32Array(this.arena.length * 2);
          bigger.set(this.arena);
          this.arena = bigger;
        }
        this.map.set(k, r);
      }
      const a = this.arena;
      const o = r * dim;
      const v = i * dim;
      for (let j = 0; j < dim; j++) a[o + j] = values[v + j];
    }
  }

  find(keys: Int32Array | BigInt64Array, rows: Int32Array, exists: Uint8Array): void {
    for (let i = 0; i < keys.length; i++) {
      const r = this.map.get(keys[i]);
      rows[i] = r === undefined ? -1 : r;
      exists[i] = r === undefined ? 0 : 1;
    }
  }

  gather(keys: Int32Array | BigInt64Array, out: Float32Array, exists: Uint8Array): void {
    const dim = this.dim;
    const a = this.arena;
    for (let i = 0; i < keys.length; i++) {
      const r = this.map.get(keys[i]);
      if (r === undefined) {
        exists[i] = 0;
        out.fill(0, i * dim, (i + 1) * dim);
        continue;
      }
      exists[i] = 1;
      const o = r * dim;
      const d = i * dim;
      for (let j = 0; j < dim; j++) out[d + j] = a[o + j];
    }
  }
}
