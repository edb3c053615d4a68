// The worker pool in Chromium (production build, cross-origin isolated by the preview server's
// COOP/COEP): a Variable placed on 3 module Web Workers gives the lookups of an in-process one,
// ids and rows travel through SharedArrayBuffers, workers terminated in the middle of training
// are detected (their calls rejected with a clear error), respawned and restored so the final
// tables equal those of a run with no crash, and pool.terminate() leaves no worker running.
import { expect, test } from './fixtures.js';
import { serveLib } from './lib-route.js';

type Rows = [string, number[]][];

test('pool of Web Workers: same lookups, SAB, crash mid-training loses nothing, terminate leaves no worker', async ({
  page,
  context,
  consoleLog,
}) => {
  test.setTimeout(240_000);
  await serveLib(context);
  await page.goto('./__lib/blank.html');
  const r = await page.evaluate(async () => {
    const de: typeof import('../src/engine/index.js') = await import(`${location.origin}/__lib/index.js`);
    const tf: typeof import('@tensorflow/tfjs') = await import(`${location.origin}/__lib/vendor/tf.js`);
    await de.ready();
    await tf.setBackend('cpu');
    // Each worker runs dist/lib's worker entry (pool/worker-entry.js) and beats on a
    // BroadcastChannel while it lives.
    const src = `import '${location.origin}/__lib/pool/worker-entry.js';
      const id = Math.random().toString(36).slice(2);
      const beat = new BroadcastChannel('pool-e2e-alive');
      setInterval(() => beat.postMessage(id), 50);`;
    const url = URL.createObjectURL(new Blob([src], { type: 'text/javascript' }));
    const workers: Worker[] = [];
    const spawn = () => {
      const w = new Worker(url, { type: 'module' });
      workers.push(w);
      return de.pool.webWorkerHandle(w);
    };
    const alive = async () => {
      const seen = new Set<string>();
      const ch = new BroadcastChannel('pool-e2e-alive');
      ch.onmessage = (e) => seen.add(e.data as string);
      await new Promise((res) => setTimeout(res, 600));
      ch.close();
      return seen.size;
    };
    const sorted = (e: { keys: ArrayLike<unknown>; values: Float32Array }, dim: number): Rows =>
      Array.from(e.keys, (k, i): [string, number[]] => [
        String(k),
        Array.from(e.values.subarray(i * dim, (i + 1) * dim)),
      ]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

    const pool = await de.pool.WorkerPool.create({ size: 3, spawn, callTimeoutMs: 8000 });
    const opts = () => ({
      name: 'item_emb',
      keyDtype: 'int64' as const,
      dim: 8,
      partitions: 4,
      initializer: de.initializers.randomNormal({ seed: 7, stddev: 0.3 }),
      restrictPolicy: de.TimestampRestrictPolicy,
    });
    const local = new de.Variable(opts());
    const pv = await de.pool.placeVariable(pool, opts());
    const keys = Array.from({ length: 200 }, (_, i) => i * 3);
    const vals = Array.from({ length: 200 }, (_, i) => Array.from({ length: 8 }, (_, d) => Math.sin(i * 8 + d) * 2));
    local.upsert(keys, vals);
    await pv.upsert(keys, vals);

    // lookups: dense with maxNorm, and a weighted sparse 'sqrtn' combine
    const ids = [
      [0, 3, 5],
      [597, 1000, 3],
    ];
    const sp = new de.SparseTensor({
      indices: [
        [0, 0],
        [0, 1],
        [1, 0],
        [3, 0],
      ],
      values: [3, 6, 7, 9],
      denseShape: [4, 2],
    });
    const w = new de.SparseTensor({ indices: sp.indices, values: [1, 2, 0.5, 3], denseShape: [4, 2] });
    const lookups = {
      local: [
        de.embeddingLookup(local, ids).arraySync(),
        de.embeddingLookup(local, ids, { maxNorm: 1 }).arraySync(),
        de.embeddingLookupSparse(local, sp, w, { combiner: 'sqrtn', maxNorm: 1.5 }).arraySync(),
      ],
      pooled: [
        (await pv.lookup(ids)).arraySync(),
        (await pv.lookup(ids, { maxNorm: 1 })).arraySync(),
        (await pv.lookupSparse(sp, w, { combiner: 'sqrtn', maxNorm: 1.5 })).arraySync(),
      ],
    };

    // training: the same 24 steps in-process and on the pool; two workers die on the way
    const optLocal = new de.optimizers.Adam({ learningRate: 0.05 });
    const optPool = new de.optimizers.Adam({ learningRate: 0.05 });
    const batchOf = (s: number) => Array.from({ length: 64 }, (_, i) => ((i * 37 + s * 101) % 250) * 3);
    const lossOf = (v: Parameters<typeof de.embeddingLookup>[0], s: number) => () =>
      tf.tidy(() => {
        const e = de.embeddingLookup(v, batchOf(s), { maxNorm: 2 });
        const target = tf.tensor2d(
          Array.from({ length: 64 }, (_, i) => [Math.cos(i + s)]),
          [64, 1],
        );
        return tf.mean(tf.square(tf.sub(tf.sum(e, 1, true), target))) as import('@tensorflow/tfjs').Scalar;
      });
    const step0 = de.train.globalStep();
    for (let s = 0; s < 24; s++) de.train.step(optLocal, lossOf(local, s));
    de.train.setGlobalStep(step0); // the timestamp status is the global step: same clock for both runs

    const errors: { message: string; applied: boolean; name: string }[] = [];
    const call = pool.call.bind(pool);
    let killOnTrain = false;
    pool.call = ((wk: number, method: string, args: unknown[], o?: object) => {
      const p = call(wk, method as 'size', args as [number], o);
      if (killOnTrain && wk === 0 && method === 'apply' && (args[1] as { op?: string }).op === 'train') {
        killOnTrain = false;
        workers[0].terminate(); // dies with the step's update in flight
      }
      return p;
    }) as typeof pool.call;
    for (let s = 0; s < 24; s++) {
      if (s === 6) workers[1].terminate(); // dies between steps: the next read of its rows hangs
      if (s === 15) killOnTrain = true;
      for (;;) {
        try {
          await de.train.step(optPool, lossOf(pv, s), { async: true });
          break;
        } catch (e) {
          if (!(e instanceof de.pool.WorkerDiedError)) throw e;
          errors.push({ message: e.message, applied: e.applied, name: e.constructor.name });
          await pool.whenReady();
          if (e.applied) break; // in the recovery log: the restored worker applied it
        }
      }
    }
    pool.call = call;
    const tables = {
      local: [
        sorted(local.export(), 8),
        sorted(optLocal.getSlot(local, 'm').export(), 8),
        sorted(optLocal.getSlot(local, 'v').export(), 8),
      ],
      pooled: [
        sorted(await pv.export(), 8),
        sorted(await pv.getSlot(optPool, 'm').export(), 8),
        sorted(await pv.getSlot(optPool, 'v').export(), 8),
      ],
    };
    const status = sorted(await pv.status().export(), 1);
    const stats = pool.stats();
    const info = de.backendInfo();
    const aliveBefore = await alive();
    await pool.terminate();
    const aliveAfter = await alive();
    let afterTerminate = '';
    await pv.lookup([1]).catch((e: Error) => (afterTerminate = e.message));
    // the default size, and terminate() while a killed worker is being respawned (it must end the new one too)
    const dflt = await de.pool.WorkerPool.create({ spawn, callTimeoutMs: 8000 });
    const defaultSize = dflt.size;
    const spawnedBefore = workers.length;
    dflt.killWorker(dflt.size - 1);
    await dflt.terminate();
    await dflt.whenReady();
    const respawnedThenTerminated = workers.length - spawnedBefore;
    await new Promise((res) => setTimeout(res, 1500)); // time for a leaked worker to load and beat
    const aliveAfterRespawnTerminate = await alive();
    return {
      lookups,
      tables,
      statusKeys: status.length,
      trained: new Set(Array.from({ length: 24 }, (_, s) => batchOf(s)).flat()).size,
      errors,
      stats,
      aliveBefore,
      aliveAfter,
      afterTerminate,
      isolated: crossOriginIsolated,
      info,
      infoAfter: de.backendInfo(),
      spawned: workers.length - defaultSize - respawnedThenTerminated,
      defaultSize,
      cores: navigator.hardwareConcurrency,
      respawnedThenTerminated,
      aliveAfterRespawnTerminate,
    };
  });

  expect(r.isolated).toBe(true);
  expect(r.stats.sharedMemory).toBe(true); // ids and rows through SharedArrayBuffers
  expect(r.info.threads).toBe(3);
  expect(r.lookups.pooled).toEqual(r.lookups.local);
  // two deaths: a read that timed out (not applied: retried), an update that timed out (applied)
  expect(r.errors.map((e) => [e.name, e.applied])).toEqual([
    ['PoolTimeoutError', false],
    ['PoolTimeoutError', true],
  ]);
  expect(r.errors[0].message).toMatch(
    /worker 1 did not answer within 8000 ms; the worker is treated as hung and was restarted/,
  );
  expect(r.errors[1].message).toMatch(
    /apply on worker 0 did not answer within 8000 ms; .*\(the call is in the recovery log, so the restored worker applied it\)/,
  );
  expect(r.stats.restarts).toBe(2);
  expect(r.spawned).toBe(5);
  expect(r.tables.pooled).toEqual(r.tables.local);
  expect(r.tables.local[0].length).toBeGreaterThan(200); // training inserted new keys
  expect(r.statusKeys).toBe(r.trained); // every trained key has a timestamp, on the workers
  expect(r.aliveBefore).toBe(3);
  expect(r.aliveAfter).toBe(0);
  expect(r.infoAfter.threads).toBe(1);
  expect(r.afterTerminate).toMatch(/after terminate\(\)/);
  expect(r.defaultSize).toBe(Math.max(1, Math.min(r.cores, 4)));
  expect(r.respawnedThenTerminated).toBe(1);
  expect(r.aliveAfterRespawnTerminate).toBe(0);
  expect(consoleLog.errors).toEqual([]);
});
