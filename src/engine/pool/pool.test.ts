// The pool against a local HashTable: same results, both transports, and every fault path.
// Workers load dist/lib (Node cannot run .ts in a worker): `npm run test:unit` builds it first.
import os from 'node:os';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { HashTable } from '../table.js';
import type { KeyDtype, Keys } from '../table-keys.js';
import { ready } from '../wasm.js';
import { PoolTerminatedError, PoolTimeoutError, WorkerDiedError } from './errors.js';
import { defaultPoolSize, WorkerPool } from './pool.js';
import type { HostApi } from './protocol.js';
import type { Spawner } from './spawn.js';
import { PoolTable } from './table.js';
import { EXITING_WORKER, settleWithin, trackedSpawner } from './testing/tracked.js';

// A seeded LCG, so every run sees the same batches.
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function makeKeys(dtype: KeyDtype, raw: number[]): Keys {
  if (dtype === 'int32') return Int32Array.from(raw);
  if (dtype === 'int64') return BigInt64Array.from(raw, (x) => BigInt(x) * 4294967311n - 7n);
  return raw.map((x) => `id-${x}`);
}

function sortedExport(e: { keys: Keys; values: Float32Array }, dim: number): [string, number[]][] {
  const rows: [string, number[]][] = Array.from(e.keys as ArrayLike<number | bigint | string>, (k, i) => [
    String(k),
    Array.from(e.values.subarray(i * dim, (i + 1) * dim)),
  ]);
  return rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

let pool: WorkerPool | undefined;
afterEach(async () => {
  await pool?.terminate();
  pool = undefined;
});

beforeAll(async () => {
  await ready();
});

describe('WorkerPool basics', () => {
  it('starts N workers, answers calls, and terminate() leaves no worker behind', async () => {
    const t = trackedSpawner();
    pool = await WorkerPool.create({ size: 3, spawn: t.spawn });
    expect(t.alive()).toBe(3);
    expect(await Promise.all([0, 1, 2].map((i) => pool!.call(i, 'echo', [i * 10, 0])))).toEqual([0, 10, 20]);
    const pending = pool.call(1, 'echo', ['late', 60_000]);
    await pool.terminate();
    await expect(pending).rejects.toBeInstanceOf(PoolTerminatedError);
    await t.allExited();
    expect(t.alive()).toBe(0);
    await expect(pool.call(0, 'echo', [1, 0])).rejects.toThrow(/after terminate\(\)/);
  });

  it.each([0, 50])(
    'terminate() while a killed worker is being respawned ends the new thread too (spawn delay %i ms)',
    async (delayMs) => {
      const t = trackedSpawner(undefined, delayMs);
      pool = await WorkerPool.create({ size: 2, spawn: t.spawn });
      expect(t.alive()).toBe(2);
      pool.killWorker(1); // the respawn has called spawn() but holds no handle yet
      await pool.terminate();
      await pool.whenReady(); // the respawn gives up
      expect(t.started()).toBe(3);
      expect(await settleWithin(t.allExited(), 20_000)).toBe(true);
      expect(t.alive()).toBe(0);
      expect(pool.stats().pending).toBe(0);
    },
  );

  it('a pool whose start fails ends the threads still being spawned', async () => {
    const t = trackedSpawner(undefined, 100);
    let calls = 0;
    // worker 0's handle arrives 100 ms late; worker 1 fails at once, so create() terminates first
    const spawn: Spawner = () => {
      if (++calls === 2) throw new Error('no thread for worker 1');
      return t.spawn();
    };
    await expect(WorkerPool.create({ size: 2, spawn })).rejects.toThrow('no thread for worker 1');
    expect(t.started()).toBe(1);
    expect(await settleWithin(t.allExited(), 20_000)).toBe(true);
    expect(t.alive()).toBe(0);
  });

  it('rejects bad options with what was expected and given', async () => {
    await expect(WorkerPool.create({ size: 0 })).rejects.toThrow('size must be an integer in [1, 64], got 0');
    await expect(WorkerPool.create({ callTimeoutMs: -1 })).rejects.toThrow(
      'callTimeoutMs must be a number > 0, got -1',
    );
  });
});

describe('default pool size', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllGlobals();
  });

  it.each([
    [1, 1],
    [3, 3],
    [16, 4],
  ])('min(os.availableParallelism(), 4) in Node: %i -> %i', (cores, want) => {
    const spy = vi.spyOn(os, 'availableParallelism').mockReturnValue(cores);
    expect(defaultPoolSize()).toBe(want);
    expect(spy).toHaveBeenCalled();
  });

  it('falls back to os.cpus(), then navigator.hardwareConcurrency, then 2', () => {
    vi.spyOn(os, 'availableParallelism').mockReturnValue(0);
    const cpus = vi.spyOn(os, 'cpus').mockReturnValue(new Array(3).fill(os.cpus()[0]) as os.CpuInfo[]);
    expect(defaultPoolSize()).toBe(3);
    cpus.mockReturnValue([]);
    vi.stubGlobal('navigator', { hardwareConcurrency: 6 });
    expect(defaultPoolSize()).toBe(4);
    vi.stubGlobal('navigator', undefined);
    expect(defaultPoolSize()).toBe(2);
  });

  it('WorkerPool.create() without a size starts that many workers', async () => {
    vi.spyOn(os, 'availableParallelism').mockReturnValue(3);
    const t = trackedSpawner();
    pool = await WorkerPool.create({ spawn: t.spawn });
    expect(pool.size).toBe(3);
    expect(t.alive()).toBe(3);
    await pool.terminate();
    await t.allExited();
    expect(t.alive()).toBe(0);
  });
});

describe.each([true, false])('PoolTable equals a local HashTable (shared memory: %s)', (shared) => {
  it.each([
    ['int32', 1, 1],
    ['int64', 2, 3],
    ['string', 2, 4],
    ['int32', 2, 5],
  ] as [KeyDtype, number, number][])('%s keys, %i workers, %i partitions', async (dtype, workers, partitions) => {
    pool = await WorkerPool.create({ size: workers, shared });
    expect(pool.sharedMemory).toBe(shared);
    const dim = 3;
    const remote = await PoolTable.create(pool, { keyDtype: dtype, dim, partitions, initCapacity: 8 });
    const local = new HashTable({ keyDtype: dtype, dim });
    const r = rng(17);
    for (let step = 0; step < 30; step++) {
      const n = 1 + Math.floor(r() * 40);
      const keys = makeKeys(
        dtype,
        Array.from({ length: n }, () => Math.floor(r() * 60) - 10),
      );
      const vals = Float32Array.from({ length: n * dim }, () => Math.round((r() * 4 - 2) * 8) / 8);
      const op = step % 5;
      if (op === 0 || op === 3) {
        local.upsert(keys, vals);
        await remote.upsert(keys, vals);
      } else if (op === 1) {
        local.scatterAdd(keys, vals);
        await remote.scatterAdd(keys, vals);
      } else if (op === 2) {
        expect(await remote.remove(keys)).toBe(local.remove(keys));
      } else {
        const ex = Uint8Array.from({ length: n }, () => (r() < 0.5 ? 1 : 0));
        const old = vals.map((v) => v / 2);
        local.accum(keys, old, vals, ex);
        await remote.accum(keys, old, vals, ex);
      }
      const probe = makeKeys(
        dtype,
        Array.from({ length: 50 }, (_, i) => i - 10),
      );
      const want = new Float32Array(50 * dim);
      const wantEx = local.gather(probe, want, { maxNorm: step % 2 ? 1.5 : 0 });
      const got = await remote.gather(probe, { maxNorm: step % 2 ? 1.5 : 0 });
      expect(Array.from(got.exists)).toEqual(Array.from(wantEx));
      expect(Array.from(got.values)).toEqual(Array.from(want));
    }
    expect(await remote.size()).toBe(local.size());
    expect(sortedExport(await remote.export(), dim)).toEqual(sortedExport(local.export(), dim));
    await remote.clear();
    expect(await remote.size()).toBe(0);
  });
});

describe('PoolTable routing', () => {
  it('keeps shard i on worker i mod N and routes by the partitioner', async () => {
    pool = await WorkerPool.create({ size: 2 });
    const t = await PoolTable.create(pool, {
      keyDtype: 'int32',
      dim: 1,
      partitions: 3,
      shardOf: (keys) => Int32Array.from(keys as Int32Array, (k) => (k < 10 ? 0 : k < 20 ? 1 : 2)),
    });
    await t.upsert(Int32Array.from([1, 2, 11, 21, 22, 23]), new Float32Array(6));
    expect([await t.size(0), await t.size(1), await t.size(2)]).toEqual([2, 1, 3]);
    expect([0, 1, 2].map((s) => t.workerOf(s))).toEqual([0, 1, 0]);
    expect((await pool.call(0, 'shardIds', [])).length).toBe(2);
    expect((await pool.call(1, 'shardIds', [])).length).toBe(1);
    const bad = await PoolTable.create(pool, {
      keyDtype: 'int32',
      dim: 1,
      partitions: 2,
      shardOf: () => Int32Array.of(7),
    });
    await expect(bad.upsert(Int32Array.of(1), new Float32Array(1))).rejects.toThrow(
      'the partitioner must return a shard in [0, 2), got 7 for key 1',
    );
    await expect(t.upsert(Int32Array.of(1), new Float32Array(2))).rejects.toThrow(
      'values must be a Float32Array of 1 x 1 = 1 values, got a Float32Array of length 2',
    );
  });
});

describe('faults', () => {
  it('a killed worker rejects its pending read (not applied), is respawned and its shards restored', async () => {
    pool = await WorkerPool.create({ size: 2 });
    const t = await PoolTable.create(pool, { keyDtype: 'int32', dim: 2, partitions: 4 });
    const keys = Int32Array.from({ length: 100 }, (_, i) => i);
    const vals = Float32Array.from({ length: 200 }, (_, i) => i);
    await t.upsert(keys, vals);
    const read = t.gather(keys);
    pool.killWorker(1);
    const err = await read.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkerDiedError);
    expect((err as WorkerDiedError).applied).toBe(false);
    expect((err as Error).message).toMatch(/worker 1 died during gather .*retry it/);
    await pool.whenReady();
    const again = await t.gather(keys);
    expect(Array.from(again.values)).toEqual(Array.from(vals));
    expect(pool.stats().restarts).toBe(1);
  });

  it('a write pending on a dying worker is applied by the restore (and reported so)', async () => {
    pool = await WorkerPool.create({ size: 2 });
    const t = await PoolTable.create(pool, { keyDtype: 'int64', dim: 1, partitions: 2 });
    const keys = BigInt64Array.from([0n, 1n, 2n, 3n]);
    const write = t.upsert(keys, Float32Array.from([5, 6, 7, 8]));
    pool.killWorker(0);
    const err = await write.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkerDiedError);
    expect((err as WorkerDiedError).applied).toBe(true);
    const got = await t.gather(keys);
    expect(Array.from(got.values)).toEqual([5, 6, 7, 8]);
  });

  it('a worker that exits on its own is detected, its calls rejected, and restored', async () => {
    const tracked = trackedSpawner(EXITING_WORKER);
    pool = await WorkerPool.create({ size: 2, spawn: tracked.spawn });
    const t = await PoolTable.create(pool, { keyDtype: 'int32', dim: 1, partitions: 2 });
    await t.upsert(Int32Array.from([0, 1, 2, 3]), Float32Array.from([1, 2, 3, 4]));
    const exitCall = (
      pool as unknown as { call(w: number, m: keyof HostApi | 'exit', a: unknown[]): Promise<unknown> }
    ).call(1, 'exit', [7]);
    await expect(exitCall).rejects.toThrow(/worker 1 died during exit \(the worker thread exited with code 7\)/);
    await pool.whenReady();
    expect(Array.from((await t.gather(Int32Array.from([0, 1, 2, 3]))).values)).toEqual([1, 2, 3, 4]);
    expect(pool.stats().deaths).toEqual(['worker 1: the worker thread exited with code 7']);
    await pool.terminate();
    await tracked.allExited();
    expect(tracked.alive()).toBe(0);
  });

  it('a call past its timeout rejects with PoolTimeoutError and the hung worker is replaced', async () => {
    pool = await WorkerPool.create({ size: 1, callTimeoutMs: 300 });
    const t = await PoolTable.create(pool, { keyDtype: 'int32', dim: 1, partitions: 1 });
    await t.upsert(Int32Array.of(9), Float32Array.of(3));
    await expect(pool.call(0, 'echo', ['never', 30_000])).rejects.toBeInstanceOf(PoolTimeoutError);
    await pool.whenReady();
    expect(pool.stats().timeouts).toBe(1);
    expect(Array.from((await t.gather(Int32Array.of(9))).values)).toEqual([3]);
  });

  it('a training run with a worker killed mid-run ends with the same tables as one without', async () => {
    const dim = 4;
    const steps = 40;
    const lr = 0.1;
    // Sparse SGD on a squared loss towards a per-key target: read rows, compute the gradient
    // here, write -lr * grad back with scatterAdd (duplicates in a batch add up, as TF's sparse updates).
    const target = (k: number, j: number) => Math.sin(k * 0.37 + j);
    const batchOf = (step: number) => {
      const r = rng(1000 + step);
      return Int32Array.from({ length: 64 }, () => Math.floor(r() * 500));
    };
    const grads = (keys: Int32Array, rows: Float32Array) =>
      Float32Array.from(rows, (v, i) => -lr * 2 * (v - target(keys[Math.floor(i / dim)], i % dim)));

    const local = new HashTable({ keyDtype: 'int32', dim });
    for (let s = 0; s < steps; s++) {
      const keys = batchOf(s);
      const rows = new Float32Array(keys.length * dim);
      local.gather(keys, rows);
      local.scatterAdd(keys, grads(keys, rows));
    }

    pool = await WorkerPool.create({ size: 2 });
    // a small compaction threshold, so the restore uses a snapshot plus the log after it
    const t = await PoolTable.create(pool, { keyDtype: 'int32', dim, partitions: 4, compactBytes: 8 << 10 });
    let diedDuringWrite = 0;
    let diedDuringRead = 0;
    for (let s = 0; s < steps; s++) {
      const keys = batchOf(s);
      let rows: Float32Array;
      for (let attempt = 0; ; attempt++) {
        const read = t.gather(keys);
        if (s === 25 && attempt === 0) pool.killWorker(1); // dies while the step's read is in flight
        try {
          rows = (await read).values;
          break;
        } catch (e) {
          if (!(e instanceof WorkerDiedError) || e.applied) throw e;
          diedDuringRead++;
        }
      }
      const write = t.scatterAdd(keys, grads(keys, rows));
      if (s === 12) pool.killWorker(0); // dies while the step's update is in flight
      try {
        await write;
      } catch (e) {
        if (!(e instanceof WorkerDiedError) || !e.applied) throw e;
        diedDuringWrite++;
      }
    }
    expect([diedDuringRead, diedDuringWrite]).toEqual([1, 1]);
    expect(pool.stats().restarts).toBe(2);
    expect(sortedExport(await t.export(), dim)).toEqual(sortedExport(local.export(), dim));
  });
});
