import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, OutOfMemoryError } from './errors.js';
import { mulberry32 } from './random.js';
import { HashTable, hashKeyString, type KeyDtype } from './table.js';
import { compileKernels, hostSupportsSimd, type WasmFlavour, WasmHeap } from './wasm.js';

const flavours: WasmFlavour[] = hostSupportsSimd() ? ['simd', 'scalar'] : ['scalar'];
const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

beforeAll(async () => {
  for (const f of flavours) await compileKernels(f);
});

/** A deterministic pseudo-random float stream in [-2, 2) (the engine's mulberry32). */
function randoms(seed: number, n: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => r() * 4 - 2);
}

describe.each(flavours)('HashTable (%s kernels)', (flavour) => {
  const make = (keyDtype: KeyDtype, dim: number, extra: Partial<ConstructorParameters<typeof HashTable>[0]> = {}) =>
    new HashTable({ keyDtype, dim, heap: new WasmHeap({ flavour }), ...extra });

  it('keeps int64 keys exact over the full signed range', () => {
    const t = make('int64', 2);
    const keys = new BigInt64Array([0n, -1n, I64_MIN, I64_MAX, I64_MIN + 1n, I64_MAX - 1n, 1n, 2n ** 53n + 1n]);
    const values = Float32Array.from({ length: keys.length * 2 }, (_, i) => i);
    t.upsert(keys, values);
    expect(t.size()).toBe(8);
    const out = new Float32Array(16);
    expect(Array.from(t.gather(keys, out))).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    expect(Array.from(out)).toEqual(Array.from(values));
    // neighbours of the stored keys are absent
    expect(Array.from(t.find(new BigInt64Array([2n, -2n, 2n ** 53n])).exists)).toEqual([0, 0, 0]);
    const exp = t.export();
    expect(new Set(exp.keys as BigInt64Array)).toEqual(new Set(keys));
  });

  it('keeps int32 extremes and negative keys apart', () => {
    const t = make('int32', 1);
    const keys = new Int32Array([-(2 ** 31), 2 ** 31 - 1, 0, -1, 1]);
    t.upsert(keys, new Float32Array([1, 2, 3, 4, 5]));
    const out = new Float32Array(5);
    t.gather(new Int32Array([1, -1, 0, 2 ** 31 - 1, -(2 ** 31)]), out);
    expect(Array.from(out)).toEqual([5, 4, 3, 2, 1]);
    expect(Array.from((t.export().keys as Int32Array).sort())).toEqual(Array.from(keys.slice().sort()));
  });

  it('handles empty batches in every operation', () => {
    for (const dtype of ['int32', 'int64', 'string'] as const) {
      const t = make(dtype, 3);
      const empty = dtype === 'int32' ? new Int32Array(0) : dtype === 'int64' ? new BigInt64Array(0) : [];
      t.upsert(empty, new Float32Array(0));
      expect(t.find(empty).rows.length).toBe(0);
      expect(t.gather(empty, new Float32Array(0)).length).toBe(0);
      expect(t.findOrInsert(empty).length).toBe(0);
      expect(t.remove(empty)).toBe(0);
      t.accum(empty, new Float32Array(0), new Float32Array(0), []);
      t.scatterAdd(empty, new Float32Array(0));
      expect(t.rowNorms(empty).length).toBe(0);
      expect(t.export().keys.length).toBe(0);
      expect(t.size()).toBe(0);
    }
  });

  it('lets the last duplicate win in upsert, and accumulates duplicates in scatterAdd', () => {
    const t = make('string', 2);
    t.upsert(['x', 'y', 'x', 'x'], new Float32Array([1, 1, 2, 2, 3, 3, 4, 4]));
    const out = new Float32Array(4);
    t.gather(['x', 'y'], out);
    expect(Array.from(out)).toEqual([4, 4, 2, 2]);
    t.scatterAdd(['z', 'z', 'x'], new Float32Array([1, 0.5, 1, 0.5, 10, 10]));
    const out2 = new Float32Array(4);
    t.gather(['z', 'x'], out2);
    expect(Array.from(out2)).toEqual([2, 1, 14, 14]);
    expect(t.size()).toBe(3);
  });

  it('ignores missing keys in remove and counts the removed ones', () => {
    const t = make('int64', 1);
    t.upsert(new BigInt64Array([1n, 2n]), new Float32Array([1, 2]));
    expect(t.remove(new BigInt64Array([3n, 1n, 1n, 4n]))).toBe(1);
    expect(t.size()).toBe(1);
    expect(t.remove(new BigInt64Array([1n]))).toBe(0);
  });

  it('applies TFRA accum semantics', () => {
    const t = make('int32', 2);
    t.upsert(new Int32Array([1, 2]), new Float32Array([10, 10, 20, 20]));
    // key 1 present & exists -> += new-old; key 2 present & !exists -> nothing;
    // key 3 absent & !exists -> insert new; key 4 absent & exists -> nothing
    t.accum(
      new Int32Array([1, 2, 3, 4]),
      new Float32Array([1, 1, 0, 0, 0, 0, 0, 0]),
      new Float32Array([2, 4, 7, 7, 5, 6, 8, 8]),
      [true, false, false, true],
    );
    const out = new Float32Array(8).fill(-1);
    const ex = t.gather(new Int32Array([1, 2, 3, 4]), out);
    expect(Array.from(ex)).toEqual([1, 1, 1, 0]);
    expect(Array.from(out)).toEqual([11, 13, 20, 20, 5, 6, -1, -1]);
  });

  it('supports dim 1 and dim 1024', () => {
    for (const dim of [1, 1024]) {
      const t = make('int64', dim);
      const n = 300;
      const keys = BigInt64Array.from({ length: n }, (_, i) => BigInt(i) * 1_000_003n - 7n);
      const values = randoms(dim, n * dim);
      t.upsert(keys, values);
      const out = new Float32Array(n * dim);
      expect(t.gather(keys, out).every((x) => x === 1)).toBe(true);
      expect(out).toEqual(values);
      const { rows } = t.find(keys);
      const back = new Float32Array(n * dim);
      t.readRows(rows, back);
      expect(back).toEqual(values);
    }
  });

  it('clips gathered rows to maxNorm and reports row norms', () => {
    const t = make('int32', 2);
    t.upsert(new Int32Array([1, 2]), new Float32Array([3, 4, 0.3, 0.4]));
    const out = new Float32Array(4);
    t.gather(new Int32Array([1, 2]), out, { maxNorm: 1 });
    expect(out[0]).toBeCloseTo(0.6, 6);
    expect(out[1]).toBeCloseTo(0.8, 6);
    expect(Array.from(out.subarray(2))).toEqual([Math.fround(0.3), Math.fround(0.4)]);
    const norms = t.rowNorms(new Int32Array([1, 2, 3]));
    expect(norms[0]).toBe(5);
    expect(norms[1]).toBeCloseTo(0.5, 6);
    expect(norms[2]).toBe(0);
  });

  it('gathers straight into a view of its own WASM memory', () => {
    const heap = new WasmHeap({ flavour });
    const t = new HashTable({ keyDtype: 'int32', dim: 2, heap });
    t.upsert(new Int32Array([5]), new Float32Array([1, 2]));
    const ptr = heap.alloc(16, 'test output');
    const out = heap.f32.subarray(ptr >> 2, (ptr >> 2) + 4).fill(9);
    expect(Array.from(t.gather(new Int32Array([6, 5]), out))).toEqual([0, 1]);
    expect(Array.from(heap.f32.subarray(ptr >> 2, (ptr >> 2) + 4))).toEqual([9, 9, 1, 2]);
  });

  it('reads rows by index (into a JS array or its own WASM memory) and refuses rows freed by remove or clear', () => {
    const heap = new WasmHeap({ flavour });
    const t = new HashTable({ keyDtype: 'int64', dim: 3, heap });
    t.upsert(new BigInt64Array([10n, 20n, 30n]), new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9]));
    const { rows } = t.find(new BigInt64Array([30n, 10n]));
    const out = new Float32Array(6);
    t.readRows(rows, out);
    expect(Array.from(out)).toEqual([7, 8, 9, 1, 2, 3]);
    const ptr = heap.alloc(24, 'test output');
    t.readRows(rows, heap.f32.subarray(ptr >> 2, (ptr >> 2) + 6), { maxNorm: 1 });
    const clipped = heap.f32.subarray(ptr >> 2, (ptr >> 2) + 3);
    expect(Math.hypot(...clipped)).toBeCloseTo(1, 6);
    // row of key 10 freed: refused with the index named, and nothing written
    const [freed] = t.find(new BigInt64Array([10n])).rows;
    t.remove(new BigInt64Array([10n]));
    out.fill(-1);
    expect(() => t.readRows(new Int32Array([rows[0], freed]), out)).toThrow(
      new RegExp(`rows\\[1\\] = ${freed} does not name a row holding a key`),
    );
    expect(Array.from(out)).toEqual([-1, -1, -1, -1, -1, -1]);
    expect(() => t.writeRows(new Int32Array([freed]), new Float32Array(3))).toThrow(InvalidArgumentError);
    expect(() => t.rowPointers(new Int32Array([freed]))).toThrow(InvalidArgumentError);
    // a reused row is readable again
    t.upsert(new BigInt64Array([40n]), new Float32Array([0, 0, 1]));
    const [reused] = t.find(new BigInt64Array([40n])).rows;
    t.readRows(new Int32Array([reused]), out.subarray(0, 3));
    expect(Array.from(out.subarray(0, 3))).toEqual([0, 0, 1]);
    t.clear();
    expect(() => t.readRows(rows.subarray(0, 1), out.subarray(0, 3))).toThrow(/does not name a row holding a key/);
  });

  it('gives row addresses that view the rows in WASM memory', () => {
    const t = make('int32', 3);
    t.upsert(new Int32Array([4, 8]), new Float32Array([1, 2, 3, 4, 5, 6]));
    const ptrs = t.rowPointers(t.find(new Int32Array([8, 4])).rows);
    const f32 = t.heap.f32;
    expect(Array.from(f32.subarray(ptrs[0] >> 2, (ptrs[0] >> 2) + 3))).toEqual([4, 5, 6]);
    expect(Array.from(f32.subarray(ptrs[1] >> 2, (ptrs[1] >> 2) + 3))).toEqual([1, 2, 3]);
    expect(() => t.rowPointers(new Int32Array([2]))).toThrow(InvalidArgumentError);
  });

  it('inserts missing keys once in findOrInsert, with init values for the new ones', () => {
    const t = make('int64', 2);
    t.upsert(new BigInt64Array([1n]), new Float32Array([1, 1]));
    const seen: number[][] = [];
    const rows = t.findOrInsert(new BigInt64Array([2n, 1n, 2n, 3n]), (idx) => {
      seen.push(Array.from(idx));
      return Float32Array.from({ length: idx.length * 2 }, (_, i) => 10 + i);
    });
    expect(seen).toEqual([[0, 3]]);
    expect(rows[0]).toBe(rows[2]);
    expect(new Set(rows).size).toBe(3);
    const out = new Float32Array(6);
    t.readRows(new Int32Array([rows[0], rows[1], rows[3]]), out);
    expect(Array.from(out)).toEqual([10, 11, 1, 1, 12, 13]);
    // default init: zeros
    const r = t.findOrInsert(new BigInt64Array([9n]));
    t.readRows(r, out.subarray(0, 2));
    expect(Array.from(out.subarray(0, 2))).toEqual([0, 0]);
  });

  it('undoes findOrInsert when init fails, and rejects a wrongly shaped init result', () => {
    const t = make('string', 2);
    t.upsert(['a'], new Float32Array([1, 2]));
    expect(() =>
      t.findOrInsert(['a', 'b'], () => {
        throw new Error('init broke');
      }),
    ).toThrow('init broke');
    expect(t.size()).toBe(1);
    expect(() => t.findOrInsert(['c'], () => new Float32Array(3))).toThrow(/must have keys.length \* dim = 1 \* 2 = 2/);
    expect(t.export().keys).toEqual(['a']);
  });

  it('keeps every key reachable while removing from full groups (tombstones) and reuses rows', () => {
    const t = make('int32', 1, { maxLoadFactor: 0.95 });
    const n = 240; // capacity 256 at 95%: groups fill up and probes overflow into later groups
    const keys = Int32Array.from({ length: n }, (_, i) => i * 31 + 5);
    t.upsert(keys, Float32Array.from(keys));
    expect(t.stats().capacity).toBe(256);
    expect(
      t
        .stats()
        .probeLengthHistogram.slice(1)
        .some((x) => x > 0),
    ).toBe(true);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i += 2) {
      t.remove(keys.subarray(i, i + 1));
      const ex = t.gather(keys, out);
      for (let j = 0; j < n; j++) {
        const present = !(j % 2 === 0 && j <= i);
        expect(ex[j]).toBe(present ? 1 : 0);
        if (present) expect(out[j]).toBe(keys[j]);
      }
    }
    expect(t.stats().tombstones).toBeGreaterThan(0);
    const highRow = Math.max(...t.find(keys).rows);
    // new keys take the freed rows: no row index beyond those already handed out
    t.upsert(
      Int32Array.from({ length: 100 }, (_, i) => -i - 1),
      new Float32Array(100),
    );
    const { rows } = t.find(Int32Array.from({ length: 100 }, (_, i) => -i - 1));
    expect(Math.max(...rows)).toBeLessThan(n);
    expect(highRow).toBeLessThan(n);
    expect(t.size()).toBe(n / 2 + 100);
  });

  it('grows past 100k keys keeping the load factor at or under the maximum', () => {
    const t = make('int64', 2);
    const n = 100_000;
    const keys = BigInt64Array.from({ length: n }, (_, i) => BigInt(i) << 20n);
    t.upsert(keys, new Float32Array(n * 2).fill(1));
    const s = t.stats();
    expect(s.size).toBe(n);
    expect(s.capacity).toBe(131072);
    expect(s.loadFactor).toBeLessThanOrEqual(0.875);
    expect(t.find(keys).exists.every((x) => x === 1)).toBe(true);
  });

  it.each(['int64', 'string'] as const)(
    'gives the same find and gather results when a large batch probes in group order (%s keys)',
    (keyDtype) => {
      // Slots of >= 4 MiB (int64: 2^19 slots of 13 B; string: 2^18 of 17 B) and batches of
      // >= slot groups / 4 take the kernels' ordered lookup; chunks of 1,000 keys never do.
      const cap = keyDtype === 'int64' ? 2 ** 19 : 2 ** 18;
      const t = make(keyDtype, 3, { initCapacity: Math.floor(cap * 0.9), maxLoadFactor: 0.95 });
      expect(t.stats().capacity).toBe(cap);
      const size = Math.floor(cap * 0.85);
      const keyOf = (r: number) => (r * 2654435761) % 4294967291;
      const mk = (ranks: number[]) =>
        keyDtype === 'int64'
          ? BigInt64Array.from(ranks, (r) => BigInt(keyOf(r)) * (r % 2 ? -1n : 1n) * 4099n)
          : ranks.map((r) => `k${keyOf(r)}-${r}`);
      for (let s = 0; s < size; s += 50000) {
        const ranks = Array.from({ length: Math.min(50000, size - s) }, (_, i) => s + i);
        t.upsert(
          mk(ranks),
          Float32Array.from({ length: ranks.length * 3 }, (_, i) => ranks[Math.floor(i / 3)] * 4 + (i % 3)),
        );
      }
      // tombstones: every 7th key removed
      const removed = Array.from({ length: Math.ceil(size / 7) }, (_, i) => i * 7);
      expect(t.remove(mk(removed))).toBe(removed.length);
      expect(t.stats().capacity).toBe(cap);
      // a batch with present, removed, never-inserted and repeated keys
      const n = 40000;
      let seed = 12345;
      const ranks = Array.from({ length: n }, () => {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        return seed % (size + 20000);
      });
      for (let i = 0; i < 500; i++) ranks[n - 1 - i] = ranks[i];
      const keys = mk(ranks);
      const big = t.find(keys);
      const rows = new Int32Array(n);
      const exists = new Uint8Array(n);
      for (let s = 0; s < n; s += 1000) {
        const part = t.find(keys.slice(s, s + 1000));
        rows.set(part.rows, s);
        exists.set(part.exists, s);
      }
      expect(big.rows).toEqual(rows);
      expect(big.exists).toEqual(exists);
      ranks.forEach((r, i) => expect(exists[i]).toBe(r < size && r % 7 !== 0 ? 1 : 0));
      const outBig = new Float32Array(n * 3).fill(-7);
      expect(t.gather(keys, outBig)).toEqual(exists);
      const outParts = new Float32Array(n * 3).fill(-7);
      for (let s = 0; s < n; s += 1000) t.gather(keys.slice(s, s + 1000), outParts.subarray(s * 3, (s + 1000) * 3));
      expect(outBig).toEqual(outParts);
      const want = Float32Array.from({ length: n * 3 }, (_, j) =>
        exists[Math.floor(j / 3)] ? ranks[Math.floor(j / 3)] * 4 + (j % 3) : -7,
      );
      expect(outBig).toEqual(want);
      t.dispose();
    },
  );

  it('records last-update step and count once per call for restrict policies', () => {
    const t = make('int64', 2, { metadata: true });
    const k = new BigInt64Array([1n, 2n]);
    t.upsert(k, new Float32Array(4));
    t.touch(new BigInt64Array([1n, 1n, 3n]), 5);
    t.touch(new BigInt64Array([1n, 2n]), 7);
    const m = t.metadata(new BigInt64Array([1n, 2n, 3n]));
    expect(Array.from(m.step)).toEqual([7, 7, 0]);
    expect(Array.from(m.count)).toEqual([2, 1, 0]);
    // metadata does not leak into values, and a re-inserted key starts from zero
    const out = new Float32Array(4).fill(9);
    t.gather(k, out);
    expect(Array.from(out)).toEqual([0, 0, 0, 0]);
    t.remove(new BigInt64Array([1n]));
    t.upsert(new BigInt64Array([4n]), new Float32Array([1, 1]));
    expect(Array.from(t.metadata(new BigInt64Array([4n])).count)).toEqual([0]);
    expect(() => make('int64', 2).touch(k, 1)).toThrow(/metadata: true/);
  });

  it('reports stats and internals consistently', () => {
    const t = make('int32', 16);
    const keys = Int32Array.from({ length: 50 }, (_, i) => i);
    t.upsert(keys, new Float32Array(50 * 16));
    t.remove(keys.subarray(0, 10));
    const s = t.stats();
    const ins = t.inspect();
    expect(ins.capacity).toBe(s.capacity);
    const full = ins.ctrl.filter((b) => b < 0x80).length;
    expect(full).toBe(40);
    expect(ins.ctrl.filter((b) => b === 0xfe).length).toBe(s.tombstones);
    expect(ins.rows.filter((r) => r >= 0).length).toBe(40);
    expect(s.loadFactor).toBe(40 / s.capacity);
    const before = s.bytes;
    t.clear();
    expect(t.size()).toBe(0);
    expect(t.stats().bytes).toBeLessThan(before);
    expect(t.inspect().ctrl.every((b) => b === 0x80)).toBe(true);
  });

  it('clear() empties the table and gives its memory back: capacity returns to the initial capacity', () => {
    for (const dtype of ['int64', 'string'] as const) {
      const t = make(dtype, 4, { initCapacity: 100 });
      const initial = t.stats();
      const n = 5000;
      const keys =
        dtype === 'int64'
          ? BigInt64Array.from({ length: n }, (_, i) => BigInt(i) * 7919n)
          : Array.from({ length: n }, (_, i) => `key-${i}-${'x'.repeat(i % 40)}`);
      t.upsert(keys, new Float32Array(n * 4).fill(1));
      expect(t.stats().capacity).toBeGreaterThan(initial.capacity);
      t.clear();
      const after = t.stats();
      expect(after.size).toBe(0);
      expect(after.capacity).toBe(initial.capacity);
      expect(after.bytes).toBe(initial.bytes);
      expect(t.find(keys).exists.every((e) => e === 0)).toBe(true);
      // usable as new
      t.upsert(keys.slice(0, 3) as typeof keys, new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));
      const out = new Float32Array(12);
      expect(Array.from(t.gather(keys.slice(0, 3) as typeof keys, out))).toEqual([1, 1, 1]);
      expect(Array.from(out)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    }
  });

  it('keeps string key bytes in their own arena and reclaims removed ones', () => {
    const t = make('string', 1);
    const round = (r: number) => Array.from({ length: 2000 }, (_, i) => `r${r}-${i}-${'y'.repeat(60)}`);
    const bytesAfter: number[] = [];
    for (let r = 0; r < 12; r++) {
      const keys = round(r);
      t.upsert(
        keys,
        Float32Array.from(keys, (_, i) => i + r),
      );
      if (r > 0) expect(t.remove(round(r - 1))).toBe(2000);
      bytesAfter.push(t.stats().bytes);
    }
    // 12 rounds of 2000 new 70-byte keys: without reclaiming, ~1.7 MB of dead bytes would pile up
    expect(bytesAfter[11]).toBeLessThan(bytesAfter[2] * 1.25);
    const keys = round(11);
    const out = new Float32Array(2000);
    expect(t.gather(keys, out).every((e) => e === 1)).toBe(true);
    expect(Array.from(out.subarray(0, 3))).toEqual([11, 12, 13]);
    expect(new Set(t.export().keys as string[])).toEqual(new Set(keys));
  });

  it('holds 100k- and 1M-key dim-16 tables in under 1.5x the raw key + value bytes', () => {
    // grown batch by batch, so freed slot arrays get reused by value chunks (the allocator splits them)
    for (const n of [100_000, 1_000_000]) {
      const t = make('int64', 16);
      const batch = 65536;
      for (let start = 0; start < n; start += batch) {
        const count = Math.min(batch, n - start);
        t.upsert(
          BigInt64Array.from({ length: count }, (_, i) => BigInt(start + i)),
          new Float32Array(count * 16),
        );
      }
      const raw = n * (8 + 16 * 4);
      expect(t.size()).toBe(n);
      expect(t.stats().bytes / raw).toBeLessThan(1.5);
      t.dispose();
    }
  });

  it('validates input before changing anything', () => {
    const t = make('int64', 2);
    t.upsert(new BigInt64Array([1n]), new Float32Array([1, 2]));
    const bad = [
      () => t.upsert(new Int32Array([1]) as unknown as BigInt64Array, new Float32Array(2)),
      () => t.upsert(new BigInt64Array([2n]), new Float32Array(3)),
      () => t.upsert(new BigInt64Array([2n]), [1, 2] as unknown as Float32Array),
      () => t.accum(new BigInt64Array([2n]), new Float32Array(2), new Float32Array(2), []),
      () => t.gather(new BigInt64Array([1n]), new Float32Array(2), { maxNorm: Number.NaN }),
      () => t.writeRows(new Int32Array([5]), new Float32Array(2)),
      () => t.readRows(new Int32Array([-1]), new Float32Array(2)),
      () => t.scatterAdd(new BigInt64Array([2n, 3n]), new Float32Array(2)),
    ];
    for (const f of bad) expect(f).toThrow(InvalidArgumentError);
    expect(t.export().keys).toEqual(new BigInt64Array([1n]));
    expect(() => make('string', 1).find(['ok', '\ud800'])).toThrow(/lone UTF-16 surrogate/);
    expect(() => new HashTable({ keyDtype: 'int64', dim: 0 })).toThrow(/dim must be an integer/);
    expect(() => new HashTable({ keyDtype: 'uint8' as KeyDtype, dim: 2 })).toThrow(/keyDtype/);
    expect(() => new HashTable({ keyDtype: 'int64', dim: 2, maxLoadFactor: 1 })).toThrow(/maxLoadFactor/);
    t.dispose();
    expect(() => t.size()).toThrow(/disposed/);
  });

  it('throws OutOfMemoryError and stays unchanged and usable when memory cannot grow', () => {
    for (const dtype of ['int64', 'string'] as const) {
      const heap = new WasmHeap({ flavour, maxMemoryBytes: 4 << 20 });
      const t = new HashTable({ keyDtype: dtype, dim: 8, heap });
      const keyOf = (i: number) => (dtype === 'int64' ? BigInt(i) : `key-${i}`);
      const batch = (from: number, n: number) => {
        const ks = Array.from({ length: n }, (_, i) => keyOf(from + i));
        return dtype === 'int64' ? BigInt64Array.from(ks as bigint[]) : (ks as string[]);
      };
      let inserted = 0;
      let error: unknown;
      for (let round = 0; round < 200 && !error; round++) {
        const before = t.export();
        const statsBefore = t.stats();
        try {
          t.upsert(batch(inserted, 2000), new Float32Array(2000 * 8).fill(round));
          inserted += 2000;
        } catch (e) {
          error = e;
          const after = t.export();
          expect(after.keys).toEqual(before.keys);
          expect(after.values).toEqual(before.values);
          const st = t.stats();
          expect([st.size, st.capacity, st.tombstones]).toEqual([
            statsBefore.size,
            statsBefore.capacity,
            statsBefore.tombstones,
          ]);
        }
      }
      expect(error).toBeInstanceOf(OutOfMemoryError);
      expect((error as Error).message).toMatch(/cannot grow/);
      expect(inserted).toBeGreaterThan(0);
      // still usable: reads, removals, and inserts into the room that removal freed
      expect(t.find(batch(0, 10)).exists.every((x) => x === 1)).toBe(true);
      expect(t.remove(batch(0, 1000))).toBe(1000);
      t.upsert(batch(10_000_000, 500), new Float32Array(500 * 8).fill(3));
      expect(t.size()).toBe(inserted - 1000 + 500);
      // findOrInsert, accum and scatterAdd fail the same way
      for (const op of [
        () => t.findOrInsert(batch(20_000_000, 60_000)),
        () => t.scatterAdd(batch(30_000_000, 60_000), new Float32Array(60_000 * 8)),
        () =>
          t.accum(
            batch(40_000_000, 60_000),
            new Float32Array(60_000 * 8),
            new Float32Array(60_000 * 8),
            new Uint8Array(60_000),
          ),
      ]) {
        const size = t.size();
        expect(op).toThrow(OutOfMemoryError);
        expect(t.size()).toBe(size);
      }
    }
  });
});

describe('hashKeyString', () => {
  it('computes the same 64-bit hash as the kernels', async () => {
    await compileKernels('scalar');
    const heap = new WasmHeap({ flavour: 'scalar' });
    const enc = new TextEncoder();
    for (const s of ['', 'a', 'user_42', 'é日本🎉', 'x'.repeat(100), 'a\u0000b']) {
      const bytes = enc.encode(s);
      const p = heap.alloc(bytes.length + 1, 'test');
      heap.u8.set(bytes, p);
      expect(hashKeyString(s)).toBe(BigInt.asUintN(64, heap.exports.hashBytes(p, bytes.length)));
    }
    expect(hashKeyString('a')).not.toBe(hashKeyString('b'));
    expect(hashKeyString('user_42') % 4n).toBe(hashKeyString('user_42') % 4n);
  });
});
