// Tables whose memory lies past 2 GiB (#20 item 1): every WASM address is unsigned, and a table
// that cannot grow within what 32-bit addresses reach is refused with OutOfMemoryError,
// unchanged, never wrapped. The memory below the table is a reserved block that is never
// touched, so the test commits little real memory while its addresses are the ones a 2-4 GiB
// table uses.
import { beforeAll, describe, expect, it } from 'vitest';
import { OutOfMemoryError } from './errors.js';
import { HashTable } from './table.js';
import { ready, WasmHeap } from './wasm.js';

beforeAll(async () => {
  await ready();
});

const GiB = 2 ** 30;

// A heap whose next allocations start past `bytes`.
function heapAbove(bytes: number): WasmHeap {
  const heap = new WasmHeap();
  heap.alloc(bytes, 'the padding below the table');
  return heap;
}

function rows(n: number, dim: number, key: (i: number) => number): Float32Array {
  const v = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) v.fill(key(i), i * dim, (i + 1) * dim);
  return v;
}

describe('tables past 2 GiB of WASM memory', () => {
  it('upsert, gather, export and remove stay exact with every address above 2^31', () => {
    const heap = heapAbove(2.25 * GiB);
    const t = new HashTable({ keyDtype: 'int64', dim: 8, heap });
    const n = 50_000;
    const keys = BigInt64Array.from({ length: n }, (_, i) => BigInt(i * 7 + 1));
    t.upsert(
      keys,
      rows(n, 8, (i) => i * 7 + 1),
    );
    expect(heap.memoryBytes).toBeGreaterThan(2 * GiB);
    expect(t.size()).toBe(n);
    const out = new Float32Array(3 * 8);
    expect(Array.from(t.gather(BigInt64Array.from([1n, 8n, 2n]), out))).toEqual([1, 1, 0]);
    expect(out[0]).toBe(1);
    expect(out[8]).toBe(8);
    const { keys: ek, values } = t.export();
    expect(new Set(Array.from(ek as BigInt64Array)).size).toBe(n);
    for (let i = 0; i < n; i += 997) expect(values[i * 8]).toBe(Number((ek as BigInt64Array)[i]));
    expect(t.remove(keys.subarray(0, 1000))).toBe(1000);
    expect(t.size()).toBe(n - 1000);
    const s = new HashTable({ keyDtype: 'string', dim: 2, heap });
    s.upsert(['a', 'héllo', 'z'.repeat(100)], new Float32Array([1, 1, 2, 2, 3, 3]));
    expect((s.export().keys as string[]).sort()).toEqual(['a', 'héllo', 'z'.repeat(100)].sort());
  });

  it('refuses with OutOfMemoryError, table unchanged, where the 4 GiB address space ends', () => {
    const heap = heapAbove(4 * GiB - 64 * 2 ** 20);
    const t = new HashTable({ keyDtype: 'int64', dim: 64, heap });
    const small = 1000;
    t.upsert(
      BigInt64Array.from({ length: small }, (_, i) => BigInt(i)),
      rows(small, 64, (i) => i),
    );
    // 1e6 rows of 256 bytes: 256 MB, far past the 64 MiB left below 4 GiB
    const n = 1_000_000;
    const keys = BigInt64Array.from({ length: n }, (_, i) => BigInt(small + i));
    expect(() => t.upsert(keys, new Float32Array(n * 64))).toThrow(OutOfMemoryError);
    expect(t.size()).toBe(small);
    const { keys: ek, values } = t.export();
    expect(new Set(Array.from(ek as BigInt64Array)).size).toBe(small);
    for (let i = 0; i < small; i++) expect(values[i * 64]).toBe(Number((ek as BigInt64Array)[i]));
    // a request larger than the address space is refused up front, not wrapped to a small block
    expect(() => heap.alloc(2 ** 32 + 16)).toThrow(OutOfMemoryError);
    expect(() => heap.alloc(5 * GiB)).toThrow(OutOfMemoryError);
  });
});
