// Property tests: long random operation sequences on a HashTable against a Map model, for
// int32, int64 and string keys, on both kernel builds; every step's observable state must match.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { HashTable, type KeyDtype, type Keys } from './table.js';
import { compileKernels, hostSupportsSimd, type WasmFlavour, WasmHeap } from './wasm.js';

type Key = number | bigint | string;
type Op =
  | { kind: 'upsert'; keys: Key[]; values: number[] }
  | { kind: 'remove'; keys: Key[] }
  | { kind: 'find'; keys: Key[] }
  | { kind: 'accum'; keys: Key[]; old: number[]; new: number[]; exists: boolean[] }
  | { kind: 'scatterAdd'; keys: Key[]; values: number[] }
  | { kind: 'findOrInsert'; keys: Key[] }
  | { kind: 'clear' }
  | { kind: 'roundTrip' }
  | { kind: 'grow'; start: number; count: number }
  | { kind: 'shrink'; start: number; count: number };

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

function keyArb(dtype: KeyDtype): fc.Arbitrary<Key> {
  if (dtype === 'int32') {
    return fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: -12, max: 12 }) },
      { weight: 1, arbitrary: fc.constantFrom(-(2 ** 31), 2 ** 31 - 1, 0, -1) },
      { weight: 1, arbitrary: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) },
    );
  }
  if (dtype === 'int64') {
    return fc.oneof(
      { weight: 4, arbitrary: fc.bigInt({ min: -12n, max: 12n }) },
      { weight: 1, arbitrary: fc.constantFrom(I64_MIN, I64_MAX, 0n, -1n, I64_MIN + 1n, 2n ** 32n, -(2n ** 32n)) },
      { weight: 1, arbitrary: fc.bigInt({ min: I64_MIN, max: I64_MAX }) },
    );
  }
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('', 'a', 'b', 'ab', 'ba', 'é', 'e\u0301', '日本', 'a\u0000', 'a\u0000b') },
    { weight: 1, arbitrary: fc.string({ maxLength: 40, unit: 'grapheme' }) },
    { weight: 1, arbitrary: fc.string({ minLength: 33, maxLength: 70 }) },
  );
}

const valueArb = fc.integer({ min: -8, max: 8 }).map((x) => x / 4);

function opArb(dtype: KeyDtype, dim: number): fc.Arbitrary<Op> {
  const keys = fc.array(keyArb(dtype), { maxLength: 24 });
  const withValues = (kind: 'upsert' | 'scatterAdd') =>
    keys.chain((ks) =>
      fc.array(valueArb, { minLength: ks.length * dim, maxLength: ks.length * dim }).map((values) => ({
        kind,
        keys: ks,
        values,
      })),
    );
  const accum = keys.chain((ks) =>
    fc
      .tuple(
        fc.array(valueArb, { minLength: ks.length * dim, maxLength: ks.length * dim }),
        fc.array(valueArb, { minLength: ks.length * dim, maxLength: ks.length * dim }),
        fc.array(fc.boolean(), { minLength: ks.length, maxLength: ks.length }),
      )
      .map(([o, n, e]) => ({ kind: 'accum' as const, keys: ks, old: o, new: n, exists: e })),
  );
  return fc.oneof(
    { weight: 6, arbitrary: withValues('upsert') },
    { weight: 4, arbitrary: keys.map((ks) => ({ kind: 'remove' as const, keys: ks })) },
    { weight: 3, arbitrary: keys.map((ks) => ({ kind: 'find' as const, keys: ks })) },
    { weight: 3, arbitrary: accum },
    { weight: 2, arbitrary: withValues('scatterAdd') },
    { weight: 2, arbitrary: keys.map((ks) => ({ kind: 'findOrInsert' as const, keys: ks })) },
    { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'roundTrip' as const }) },
    {
      weight: 1,
      arbitrary: fc
        .record({ start: fc.integer({ min: 0, max: 1500 }), count: fc.integer({ min: 1, max: 600 }) })
        .map((r) => ({ kind: 'grow' as const, ...r })),
    },
    {
      weight: 1,
      arbitrary: fc
        .record({ start: fc.integer({ min: 0, max: 1500 }), count: fc.integer({ min: 1, max: 600 }) })
        .map((r) => ({ kind: 'shrink' as const, ...r })),
    },
  );
}

function toKeys(dtype: KeyDtype, ks: Key[]): Keys {
  if (dtype === 'int32') return Int32Array.from(ks as number[]);
  if (dtype === 'int64') return BigInt64Array.from(ks as bigint[]);
  return (ks as string[]).slice();
}

function growKeys(dtype: KeyDtype, start: number, count: number): Key[] {
  const out: Key[] = [];
  for (let i = 0; i < count; i++) {
    const x = 1000 + start + i;
    out.push(dtype === 'int32' ? x : dtype === 'int64' ? BigInt(x) * 0x1_0000_0001n : `k${x}`);
  }
  return out;
}

/** The model: key -> row (float32 values), and the same operation semantics as TFRA. */
class Model {
  readonly rows = new Map<Key, Float32Array>();
  constructor(readonly dim: number) {}
  upsert(ks: Key[], v: ArrayLike<number>): void {
    ks.forEach((k, i) => {
      this.rows.set(
        k,
        Float32Array.from({ length: this.dim }, (_, j) => v[i * this.dim + j]),
      );
    });
  }
  remove(ks: Key[]): number {
    let n = 0;
    for (const k of ks) if (this.rows.delete(k)) n++;
    return n;
  }
  accum(ks: Key[], o: number[], nv: number[], ex: boolean[]): void {
    ks.forEach((k, i) => {
      const row = this.rows.get(k);
      if (row && ex[i]) {
        for (let j = 0; j < this.dim; j++) {
          const d = Math.fround(nv[i * this.dim + j] - o[i * this.dim + j]);
          row[j] = Math.fround(row[j] + d);
        }
      } else if (!row && !ex[i]) {
        this.rows.set(k, Float32Array.from(nv.slice(i * this.dim, (i + 1) * this.dim)));
      }
    });
  }
  scatterAdd(ks: Key[], v: number[]): void {
    ks.forEach((k, i) => {
      let row = this.rows.get(k);
      if (!row) {
        row = new Float32Array(this.dim);
        this.rows.set(k, row);
      }
      for (let j = 0; j < this.dim; j++) row[j] = Math.fround(row[j] + v[i * this.dim + j]);
    });
  }
  findOrInsert(ks: Key[]): void {
    for (const k of ks) if (!this.rows.has(k)) this.rows.set(k, new Float32Array(this.dim));
  }
}

function checkState(t: HashTable, m: Model): void {
  expect(t.size()).toBe(m.rows.size);
  const { keys, values } = t.export();
  expect(keys.length).toBe(m.rows.size);
  const dim = t.dim;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as Key;
    const want = m.rows.get(k);
    if (!want) throw new Error(`exported key ${String(k)} is not in the model`);
    expect(Array.from(values.subarray(i * dim, (i + 1) * dim))).toEqual(Array.from(want));
  }
  const st = t.stats();
  expect(st.size).toBe(m.rows.size);
  expect(st.probeLengthHistogram.reduce((a, b) => a + b, 0)).toBe(m.rows.size);
  expect(st.capacity & (st.capacity - 1)).toBe(0);
  expect(st.size + st.tombstones).toBeLessThan(st.capacity);
}

function checkLookups(t: HashTable, m: Model, ks: Key[]): void {
  const dim = t.dim;
  const keys = toKeys(t.keyDtype, ks);
  const out = new Float32Array(ks.length * dim).fill(-99);
  const exists = t.gather(keys, out);
  const found = t.find(keys);
  const norms = t.rowNorms(keys);
  ks.forEach((k, i) => {
    const want = m.rows.get(k);
    expect(exists[i]).toBe(want ? 1 : 0);
    expect(found.exists[i]).toBe(want ? 1 : 0);
    expect(found.rows[i] >= 0).toBe(!!want);
    const got = Array.from(out.subarray(i * dim, (i + 1) * dim));
    if (want) {
      expect(got).toEqual(Array.from(want));
      let sq = 0;
      for (const x of want) sq += x * x;
      expect(norms[i]).toBeCloseTo(Math.sqrt(sq), 5);
    } else {
      expect(got).toEqual(new Array(dim).fill(-99));
      expect(norms[i]).toBe(0);
    }
  });
}

function run(t: HashTable, m: Model, op: Op): void {
  const dtype = t.keyDtype;
  switch (op.kind) {
    case 'upsert':
      t.upsert(toKeys(dtype, op.keys), Float32Array.from(op.values));
      m.upsert(op.keys, op.values);
      break;
    case 'remove':
      expect(t.remove(toKeys(dtype, op.keys))).toBe(m.remove(op.keys));
      break;
    case 'find':
      break;
    case 'accum':
      t.accum(toKeys(dtype, op.keys), Float32Array.from(op.old), Float32Array.from(op.new), op.exists);
      m.accum(op.keys, op.old, op.new, op.exists);
      break;
    case 'scatterAdd':
      t.scatterAdd(toKeys(dtype, op.keys), Float32Array.from(op.values));
      m.scatterAdd(op.keys, op.values);
      break;
    case 'findOrInsert': {
      const rows = t.findOrInsert(toKeys(dtype, op.keys));
      m.findOrInsert(op.keys);
      // the same key gets the same row; distinct keys distinct rows
      const seen = new Map<Key, number>();
      op.keys.forEach((k, i) => {
        const r = seen.get(k);
        if (r !== undefined) expect(rows[i]).toBe(r);
        seen.set(k, rows[i]);
      });
      expect(new Set(seen.values()).size).toBe(seen.size);
      break;
    }
    case 'clear':
      t.clear();
      m.rows.clear();
      break;
    case 'roundTrip': {
      const { keys, values } = t.export();
      t.clear();
      t.import(keys, values);
      break;
    }
    case 'grow': {
      const ks = growKeys(dtype, op.start, op.count);
      const v = Float32Array.from({ length: ks.length * t.dim }, (_, i) => (i % 7) - 3);
      t.upsert(toKeys(dtype, ks), v);
      m.upsert(ks, v);
      break;
    }
    case 'shrink': {
      const ks = growKeys(dtype, op.start, op.count);
      expect(t.remove(toKeys(dtype, ks))).toBe(m.remove(ks));
      break;
    }
  }
  if ('keys' in op) checkLookups(t, m, op.keys);
  checkState(t, m);
  // every key the model holds must still be reachable by a probe (export alone would not see a lost key)
  checkLookups(t, m, [...m.rows.keys()]);
}

const flavours: WasmFlavour[] = hostSupportsSimd() ? ['simd', 'scalar'] : ['scalar'];

beforeAll(async () => {
  for (const f of flavours) await compileKernels(f);
});

describe.each(flavours)('HashTable against a Map model (%s kernels)', (flavour) => {
  for (const dtype of ['int32', 'int64', 'string'] as const) {
    it(`matches the model over random ${dtype} operation sequences`, () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 6 }).chain((dim) =>
            fc.record({
              dim: fc.constant(dim),
              metadata: fc.boolean(),
              maxLoad: fc.constantFrom(0.5, 0.875, 0.95),
              ops: fc.array(opArb(dtype, dim), { minLength: 1, maxLength: 40 }),
            }),
          ),
          ({ dim, metadata, maxLoad, ops }) => {
            const heap = new WasmHeap({ flavour });
            const t = new HashTable({ keyDtype: dtype, dim, metadata, heap, maxLoadFactor: maxLoad });
            const m = new Model(dim);
            for (const op of ops) run(t, m, op);
            t.dispose();
          },
        ),
        { numRuns: 60 },
      );
    });
  }
});

describe('SIMD and scalar builds', () => {
  it.runIf(flavours.length === 2)('build bit-identical tables and outputs from the same operations', () => {
    fc.assert(
      fc.property(fc.array(opArb('int64', 3), { minLength: 1, maxLength: 30 }), (ops) => {
        const tables = flavours.map(
          (flavour) => new HashTable({ keyDtype: 'int64', dim: 3, heap: new WasmHeap({ flavour }) }),
        );
        const models = flavours.map(() => new Model(3));
        for (const op of ops) {
          tables.forEach((t, i) => {
            run(t, models[i], op);
          });
          const [a, b] = tables.map((t) => t.inspect());
          expect(b.ctrl).toEqual(a.ctrl);
          expect(b.rows).toEqual(a.rows);
          const [ea, eb] = tables.map((t) => t.export());
          expect(eb.keys).toEqual(ea.keys);
          expect(new Uint8Array(eb.values.buffer)).toEqual(new Uint8Array(ea.values.buffer));
        }
        // clipped gathers and norms of random rows agree bit for bit
        const { keys } = tables[0].export();
        const outs = tables.map((t) => {
          const out = new Float32Array(keys.length * 3);
          t.gather(keys, out, { maxNorm: 0.7 });
          return new Uint8Array(out.buffer);
        });
        expect(outs[1]).toEqual(outs[0]);
        const norms = tables.map((t) => new Uint8Array(t.rowNorms(keys).buffer));
        expect(norms[1]).toEqual(norms[0]);
      }),
      { numRuns: 40 },
    );
  });
});
