// Respawning without leaks: at most one respawn per worker slot, a bounded restart rate with a
// clear error when a worker keeps dying, and no thread alive after terminate(). Each case counts
// the threads it started and the ones still running. Workers load dist/lib: `npm run build:lib` first.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ready } from '../wasm.js';
import { PoolWorkerFailedError } from './errors.js';
import { WorkerPool } from './pool.js';
import { PoolTable } from './table.js';
import { settleWithin, trackedSpawner } from './testing/tracked.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let pool: WorkerPool | undefined;
afterEach(async () => {
  await pool?.terminate();
  pool = undefined;
});

beforeAll(async () => {
  await ready();
});

describe('WorkerPool respawns', () => {
  it('a second kill while the first respawn is starting leaves one respawn: one thread, none after terminate()', async () => {
    const t = trackedSpawner();
    pool = await WorkerPool.create({ size: 1, spawn: t.spawn });
    const table = await PoolTable.create(pool, { keyDtype: 'int32', dim: 1, partitions: 1 });
    await table.upsert(Int32Array.of(7), Float32Array.of(2));
    pool.killWorker(0);
    await sleep(30);
    pool.killWorker(0); // the respawned thread is still loading
    expect(await settleWithin(pool.whenReady(), 30_000)).toBe(true);
    expect(t.alive()).toBe(1);
    expect(t.started()).toBe(3); // the first, the respawn killed while loading, its replacement
    expect(Array.from((await table.gather(Int32Array.of(7))).values)).toEqual([2]);
    await pool.terminate();
    expect(await settleWithin(t.allExited(), 20_000)).toBe(true);
    expect(t.alive()).toBe(0);
  });

  it('ten kills 50 ms apart on a 3-worker pool leave exactly 3 threads, and 0 after terminate()', async () => {
    const t = trackedSpawner();
    pool = await WorkerPool.create({ size: 3, spawn: t.spawn });
    for (let k = 0; k < 10; k++) {
      pool.killWorker(k % 3);
      await sleep(50);
    }
    expect(await settleWithin(pool.whenReady(), 60_000)).toBe(true);
    expect(t.alive()).toBe(3);
    expect(pool.stats().restarts).toBe(10);
    expect(await pool.call(0, 'echo', [5, 0])).toBe(5);
    await pool.terminate();
    expect(await settleWithin(t.allExited(), 20_000)).toBe(true);
    expect(t.alive()).toBe(0);
  });

  it('a worker that keeps dying ends in a clear error: whenReady settles, calls to it fail, nothing leaks', async () => {
    const t = trackedSpawner();
    pool = await WorkerPool.create({ size: 2, spawn: t.spawn, maxRestarts: 3, restartWindowMs: 60_000 });
    for (let k = 0; k < 12; k++) {
      pool.killWorker(0);
      await sleep(60);
    }
    const err = await Promise.race([pool.whenReady().then(() => 'ready'), sleep(30_000).then(() => 'hung')]).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PoolWorkerFailedError);
    expect((err as Error).message).toMatch(
      /worker 0 died 4 times within 60000 ms \(last: killed by killWorker\(\)\); it is not restarted again/,
    );
    await expect(pool.call(0, 'echo', [1, 0])).rejects.toBeInstanceOf(PoolWorkerFailedError);
    expect(await pool.call(1, 'echo', [2, 0])).toBe(2); // the other worker serves on
    expect(pool.stats().failed).toEqual([0]);
    expect(pool.stats().restarts).toBe(3);
    expect(t.alive()).toBe(1);
    expect(t.started()).toBeLessThanOrEqual(2 + 3);
    await pool.terminate();
    expect(await settleWithin(t.allExited(), 20_000)).toBe(true);
    expect(t.alive()).toBe(0);
  });

  it('rejects bad restart limits with what was expected and given', async () => {
    await expect(WorkerPool.create({ size: 1, maxRestarts: -1 })).rejects.toThrow(
      'maxRestarts must be an integer >= 0, got -1',
    );
    await expect(WorkerPool.create({ size: 1, restartWindowMs: 0 })).rejects.toThrow(
      'restartWindowMs must be a number > 0, got 0',
    );
  });
});
