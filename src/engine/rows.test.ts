import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from './errors.js';
import { backendInfo } from './info.js';
import { gatherRows, rowNorms } from './rows.js';
import { compileKernels, hostSupportsSimd, ready, WasmHeap } from './wasm.js';

beforeAll(async () => {
  await ready();
  await compileKernels('scalar');
});

describe('kernel loading', () => {
  it('picks the SIMD build on Node 20 and reports it', () => {
    expect(hostSupportsSimd()).toBe(true);
    expect(backendInfo().wasm).toBe('simd');
    expect(new WasmHeap().exports.simdBuild()).toBe(1);
    expect(new WasmHeap({ flavour: 'scalar' }).exports.simdBuild()).toBe(0);
  });
});

describe('gatherRows', () => {
  it('gathers rows by index', () => {
    const m = new Float32Array([1, 2, 3, 4, 5, 6]);
    expect(Array.from(gatherRows(m, 2, [2, 0, 2]))).toEqual([5, 6, 1, 2, 5, 6]);
    expect(gatherRows(m, 2, []).length).toBe(0);
  });

  it('clips each row to maxNorm as v * m / max(|v|, m)', () => {
    const m = new Float32Array([3, 4, 0.3, 0.4]);
    const out = gatherRows(m, 2, [0, 1], { maxNorm: 1 });
    expect(out[0]).toBeCloseTo(0.6, 6);
    expect(out[1]).toBeCloseTo(0.8, 6);
    // a row shorter than maxNorm is copied unchanged, bit for bit
    expect(out[2]).toBe(Math.fround(0.3));
    expect(out[3]).toBe(Math.fround(0.4));
  });

  it('rejects bad indices and dims with a message saying what was expected', () => {
    const m = new Float32Array(6);
    expect(() => gatherRows(m, 2, [3])).toThrow(/index 0 must be an integer in \[0, 3\), got 3/);
    expect(() => gatherRows(m, 2, [0.5])).toThrow(InvalidArgumentError);
    expect(() => gatherRows(m, 4, [0])).toThrow(/multiple of dim \(4\), got length 6/);
    expect(() => gatherRows(m, 0, [0])).toThrow(/dim must be an integer >= 1, got 0/);
  });

  it('SIMD and scalar builds give bit-identical results (norms and clipping, odd dims)', () => {
    const simd = new WasmHeap({ flavour: 'simd' });
    const scalar = new WasmHeap({ flavour: 'scalar' });
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return (seed / 2 ** 32) * 4 - 2;
    };
    for (const dim of [1, 3, 4, 7, 16, 33, 1024]) {
      const rowsN = 17;
      const m = Float32Array.from({ length: rowsN * dim }, rand);
      const idx = Int32Array.from({ length: 40 }, (_, i) => (i * 7) % rowsN);
      const results = [simd, scalar].map((h) => {
        const mp = h.alloc(m.length * 4);
        const ip = h.alloc(idx.length * 4);
        const op = h.alloc(idx.length * dim * 4);
        const np = h.alloc(rowsN * 4);
        h.f32.set(m, mp >> 2);
        h.i32.set(idx, ip >> 2);
        h.exports.gatherRows(mp, rowsN, dim, ip, idx.length, op, 0.5);
        h.exports.rowNorms(mp, rowsN, dim, np);
        return {
          out: new Uint32Array(h.f32.slice(op >> 2, (op >> 2) + idx.length * dim).buffer),
          norms: new Uint32Array(h.f32.slice(np >> 2, (np >> 2) + rowsN).buffer),
        };
      });
      expect(results[0].out).toEqual(results[1].out);
      expect(results[0].norms).toEqual(results[1].norms);
    }
  });
});

describe('rowNorms', () => {
  it('computes L2 norms per row', () => {
    expect(Array.from(rowNorms(new Float32Array([3, 4, 0, 0, 1, 0]), 2))).toEqual([5, 0, 1]);
  });
});

describe('WasmHeap memory limit', () => {
  it('fails allocation with a clear error instead of trapping, and stays usable', () => {
    const h = new WasmHeap({ maxMemoryBytes: 4 * 65536 });
    expect(() => h.alloc(8 * 65536, 'a big table')).toThrow(/Could not allocate 524288 bytes for a big table/);
    const p = h.alloc(1024);
    expect(p).toBeGreaterThan(0);
    h.free(p);
    expect(h.alloc(1024)).toBe(p); // the freed block is reused
  });
});
