// A failed call changes nothing (#20 item 3): checks that run per shard used to fire after
// earlier shards were written, and a shard that ran out of memory left the others written.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { restore, save } from './checkpoint/checkpoint.js';
import { crc32 } from './checkpoint/format.js';
import { InvalidArgumentError, OutOfMemoryError } from './errors.js';
import { Adagrad } from './train/optimizers/index.js';
import { globalStep, setGlobalStep } from './train/step.js';
import { Variable } from './variable.js';
import { ready } from './wasm.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await ready();
});

function snapshot(v: Variable): string {
  const { keys, values, dim } = v.export();
  const rows = Array.from(keys as ArrayLike<number | bigint | string>, (k, i) => [
    String(k),
    Array.from(values.subarray(i * dim, (i + 1) * dim)).join(','),
  ]);
  rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return JSON.stringify(rows);
}

// Caps a shard's WebAssembly memory at what it has now, so its next growth fails.
function freeze(v: Variable, shard: number): void {
  const heap = v.shards[shard].heap;
  heap.exports.setMemoryLimit(heap.exports.memory.buffer.byteLength / 65536);
}

describe('failed calls on a partitioned Variable change no shard', () => {
  const bad = 'x\uD800';

  it('remove / upsert / accum / insertOnLookup lookup with a lone surrogate in the last key', () => {
    const v = new Variable({ name: 'atomic_s', keyDtype: 'string', dim: 1, partitions: 2 });
    v.upsert(['a', 'c', 'f'], [[1], [2], [3]]);
    const before = snapshot(v);
    expect(() => v.remove(['a', 'c', 'f', bad])).toThrow(InvalidArgumentError);
    expect(() => v.remove(['a', 'c', 'f', bad])).toThrow(/string id 3 contains a lone UTF-16 surrogate/);
    expect(v.size()).toBe(3);
    expect(() => v.upsert(['a', 'b', 'c', bad], [[9], [9], [9], [9]])).toThrow(InvalidArgumentError);
    expect(() => v.accum(['a', 'b', bad], [[0], [0], [0]], [[5], [5], [5]], [true, false, false])).toThrow(
      InvalidArgumentError,
    );
    expect(snapshot(v)).toBe(before);
    const w = new Variable({ name: 'atomic_i', keyDtype: 'string', dim: 1, partitions: 2, insertOnLookup: true });
    expect(() => w.lookup(['p', 'q', 'r', bad])).toThrow(InvalidArgumentError);
    expect(w.size()).toBe(0);
  });

  it('upsert / accum / insertOnLookup whose second shard runs out of memory put the first shard back', () => {
    // Keys below 10 go to shard 0, which has room for them; the rest to shard 1, which must grow.
    // The shards share one WebAssembly memory: capped at its current size, shard 0's write
    // succeeds and shard 1's fails, so the undo of shard 0 is what keeps the table unchanged.
    const partitioner = (k: number | bigint | string) => (Number(k) < 10 ? 0 : 1);
    const keys = Array.from({ length: 20_000 }, (_, i) => BigInt(i));
    const v = new Variable({ name: 'atomic_oom', keyDtype: 'int64', dim: 16, partitions: 2, partitioner });
    v.upsert([0n, 1n, 10n, 11n], new Float32Array(4 * 16).fill(1));
    const before = snapshot(v);
    freeze(v, 0);
    expect(() => v.upsert(keys, new Float32Array(keys.length * 16).fill(7))).toThrow(OutOfMemoryError);
    expect(snapshot(v)).toBe(before);
    const zeros = new Float32Array(keys.length * 16);
    const twos = new Float32Array(keys.length * 16).fill(2);
    expect(() =>
      v.accum(
        keys,
        zeros,
        twos,
        keys.map(() => false),
      ),
    ).toThrow(OutOfMemoryError);
    expect(snapshot(v)).toBe(before);
    const w = new Variable({
      name: 'atomic_ool',
      keyDtype: 'int64',
      dim: 16,
      partitions: 2,
      partitioner,
      insertOnLookup: true,
    });
    w.lookup([0n]);
    w.remove([0n]);
    freeze(w, 0);
    expect(() => w.lookup(keys)).toThrow(OutOfMemoryError);
    expect(w.size()).toBe(0);
    // the table stays usable
    v.upsert([2n, 3n], new Float32Array(32).fill(3));
    expect(v.size()).toBe(6);
  });
});

describe('checkpoint.restore of a checksum-valid file with bad counters changes nothing', () => {
  // Rewrites the f64 found at `at` and the CRC-32 at the end, so the file stays checksum-valid.
  function patch(bytes: Uint8Array, at: number, value: number): Uint8Array {
    const out = bytes.slice();
    new DataView(out.buffer).setFloat64(at, value, true);
    new DataView(out.buffer).setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
    return out;
  }
  const f64At = (bytes: Uint8Array, value: number) => {
    const pattern = new Uint8Array(new Float64Array([value]).buffer);
    for (let i = 0; i + 8 <= bytes.length; i++) if (pattern.every((b, j) => bytes[i + j] === b)) return i;
    throw new Error(`no ${value} in the file`);
  };

  it('refuses a global step of -1, NaN or 1.5 and optimizer iterations of -2 or 0.5 before replacing tables', async () => {
    const v = new Variable({ name: 'ckpt_atomic', keyDtype: 'int64', dim: 2 });
    v.upsert(
      [1n, 2n],
      [
        [1, 1],
        [2, 2],
      ],
    );
    const opt = new Adagrad({ learningRate: 0.1 });
    opt.setIterations(987_654_321);
    setGlobalStep(123_456_789);
    const bytes = await save([v, opt]);
    v.upsert([3n], [[3, 3]]);
    v.remove([1n]);
    opt.setIterations(5);
    setGlobalStep(7);
    const before = snapshot(v);
    const stepAt = f64At(bytes, 123_456_789);
    const iterAt = f64At(bytes, 987_654_321);
    for (const bad of [-1, NaN, 1.5]) {
      await expect(restore(patch(bytes, stepAt, bad), [v, opt])).rejects.toThrow(
        /the global step must be an integer >= 0.*Nothing was restored/,
      );
    }
    for (const bad of [-2, 0.5]) {
      await expect(restore(patch(bytes, iterAt, bad), [v, opt])).rejects.toThrow(/iterations must be an integer >= 0/);
    }
    expect(snapshot(v)).toBe(before);
    expect(opt.iterations).toBe(5);
    expect(globalStep()).toBe(7);
    await restore(bytes, [v, opt]);
    expect(v.size()).toBe(2);
    expect(globalStep()).toBe(123_456_789);
  });

  it('a restore that runs out of memory midway gives every table its rows back', async () => {
    const a = new Variable({ name: 'ckpt_a', keyDtype: 'int64', dim: 8 });
    const b = new Variable({ name: 'ckpt_b', keyDtype: 'int64', dim: 8 });
    const keys = Array.from({ length: 20_000 }, (_, i) => BigInt(i));
    a.upsert(keys, new Float32Array(keys.length * 8).fill(1));
    b.upsert(keys, new Float32Array(keys.length * 8).fill(2));
    const bytes = await save([a, b]);
    const a2 = new Variable({ name: 'ckpt_a', keyDtype: 'int64', dim: 8 });
    const b2 = new Variable({ name: 'ckpt_b', keyDtype: 'int64', dim: 8 });
    a2.upsert([5n], [[5, 5, 5, 5, 5, 5, 5, 5]]);
    b2.upsert([6n], [[6, 6, 6, 6, 6, 6, 6, 6]]);
    const heap = b2.shards[0].heap;
    heap.exports.setMemoryLimit(heap.exports.memory.buffer.byteLength / 65536);
    const before = [snapshot(a2), snapshot(b2)];
    await expect(restore(bytes, [a2, b2])).rejects.toThrow(OutOfMemoryError);
    expect([snapshot(a2), snapshot(b2)]).toEqual(before);
  });
});
