// Virtual TPU cores on Web Workers (the production build's engine worker, through window.dynemb's
// WorkerPool) against cores on the main thread: the classic two-table example and a few training
// steps in every sharding mode, with a dropped contribution and a resync, compared bit for bit.
import { expect, openApp, test } from './fixtures.js';

type Run = {
  losses: number[][];
  activations: number[][];
  tables: number[][];
  cores: number[][][];
  held: number[][][];
  checksums: number[][];
  comm: unknown;
  workers: number[];
  calls: number;
  backend: string;
};

test('Virtual TPU: cores on Web Workers train bit-identically to cores on the main thread', async ({
  page,
  consoleLog,
}) => {
  test.setTimeout(180_000);
  await openApp(page);
  const runs = await page.evaluate(async () => {
    const de = window.dynemb;
    await de.ready();
    const pool = await de.pool.WorkerPool.create({ size: 2 });
    const bits = (x: ArrayLike<number>): number[] => Array.from(new Uint32Array(Float32Array.from(x).buffer));
    const iota = (shape: [number, number]) =>
      Array.from({ length: shape[0] }, (_, r) => Array.from({ length: shape[1] }, (_, c) => r * shape[1] + c));
    // Tensors are the engine's own tfjs tensors, so the step uses their chained ops.
    type T = {
      square(): T;
      sum(): T;
      mul(x: number): T;
      add(x: T): T;
      dataSync(): Float32Array;
    };
    const one = async (execution: 'in-process' | 'workers', sharding: string, optimizer: 'SGD' | 'Adagrad') => {
      const strategy = new de.tpu.VirtualTPUStrategy(
        execution === 'workers'
          ? { numCores: 4, sharding: sharding as 'replicated', execution, pool }
          : { numCores: 4, sharding: sharding as 'replicated', execution },
      );
      const video = new de.tpu.TableConfig({
        vocabularySize: 8,
        dim: 4,
        initializer: iota,
        combiner: 'sum',
        name: 'video',
      });
      const user = new de.tpu.TableConfig({
        vocabularySize: 16,
        dim: 2,
        initializer: iota,
        combiner: 'mean',
        name: 'user',
      });
      const emb = strategy.scope(
        () =>
          new de.tpu.TPUEmbeddingV0({
            featureConfig: {
              watched: new de.tpu.FeatureConfig({ table: video, name: 'watched' }),
              favorited: new de.tpu.FeatureConfig({ table: video, name: 'favorited' }),
              friends: new de.tpu.FeatureConfig({ table: user, name: 'friends' }),
            },
            optimizer:
              optimizer === 'SGD' ? new de.tpu.SGD({ learningRate: 0.1 }) : new de.tpu.Adagrad({ learningRate: 0.1 }),
          }),
      );
      const features = {
        watched: { values: [0, 1, 2, 3, 4, 5, 6, 7], rowSplits: [0, 2, 3, 5, 6, 6, 7, 8, 8] },
        favorited: { values: [6, 7, 0, 1, 2, 3], rowSplits: [0, 1, 3, 3, 4, 5, 5, 6, 6] },
        friends: { values: [3, 0, 1, 15, 15, 2, 4, 6, 9, 8], rowSplits: [0, 1, 3, 5, 8, 8, 9, 10, 10] },
      };
      const activations: number[][] = [];
      const step = (slice: { features: unknown }) => {
        const o = emb.embeddingLookup(slice.features) as unknown as Record<string, T>;
        for (const k of ['favorited', 'friends', 'watched']) activations.push(bits(o[k].dataSync()));
        return o.watched.square().sum().add(o.favorited.mul(0.5).sum()).add(o.friends.square().sum()) as never;
      };
      const losses: number[][] = [];
      const checksums: number[][] = [];
      const callsBefore = pool.stats().calls;
      for (let s = 0; s < 3; s++) {
        if (sharding === 'replicated' && s === 1) strategy.injectFault({ kind: 'drop', core: 2 });
        losses.push(bits((await strategy.run(step, { features })).losses));
        checksums.push(strategy.replicaChecksums());
        if (sharding === 'replicated' && s === 1) {
          strategy.resync();
          checksums.push(strategy.replicaChecksums());
        }
      }
      const tables = [video, user].map((t) => bits(emb.embeddingTables.get(t)!.dataSync()));
      const cores = [0, 1, 2, 3].map((c) => emb.coreArrays(c).map((a) => bits(a)));
      const held = (await strategy.coreState()).map((c) => c.map((a) => bits(a)));
      const workers = [0, 1, 2, 3].map((c) => strategy.workerOf(c));
      const calls = pool.stats().calls - callsBefore;
      await strategy.dispose();
      return {
        losses,
        activations,
        tables,
        cores,
        held,
        checksums,
        comm: strategy.commStats(),
        workers,
        calls,
        backend: de.backendInfo().wasm,
      };
    };
    const out: Record<string, { inProcess: unknown; workers: unknown }> = {};
    for (const [sharding, opt] of [
      ['replicated', 'SGD'],
      ['replicated', 'Adagrad'],
      ['mod', 'SGD'],
      ['row', 'Adagrad'],
      ['table', 'SGD'],
      ['column', 'Adagrad'],
    ] as const) {
      out[`${sharding}/${opt}`] = {
        inProcess: await one('in-process', sharding, opt),
        workers: await one('workers', sharding, opt),
      };
    }
    // One SGD step of the original 4-example classic batch on 2 cores, on workers: the hand-derived losses.
    const strategy = new de.tpu.VirtualTPUStrategy({ numCores: 2, execution: 'workers', pool });
    const video = new de.tpu.TableConfig({
      vocabularySize: 8,
      dim: 4,
      initializer: iota,
      combiner: 'sum',
      name: 'video',
    });
    const user = new de.tpu.TableConfig({
      vocabularySize: 16,
      dim: 2,
      initializer: iota,
      combiner: 'mean',
      name: 'user',
    });
    const emb = strategy.scope(
      () =>
        new de.tpu.TPUEmbeddingV0({
          featureConfig: {
            watched: new de.tpu.FeatureConfig({ table: video }),
            favorited: new de.tpu.FeatureConfig({ table: video }),
            friends: new de.tpu.FeatureConfig({ table: user }),
          },
          optimizer: new de.tpu.SGD({ learningRate: 0.1 }),
        }),
    );
    const { losses } = await strategy.run(
      (slice) => {
        const o = emb.embeddingLookup(slice.features) as unknown as Record<string, T>;
        return o.watched.sum().add(o.favorited.sum()).add(o.friends.sum()) as never;
      },
      {
        features: {
          watched: { values: [0, 1, 2, 3, 4, 5], rowSplits: [0, 2, 3, 5, 6] },
          favorited: { values: [6, 7, 0, 1], rowSplits: [0, 1, 3, 3, 4] },
          friends: { values: [3, 0, 1, 15, 15, 2, 4, 6], rowSplits: [0, 1, 3, 5, 8] },
        },
      },
    );
    const video0 = Array.from(emb.embeddingTables.get(video)!.dataSync().slice(0, 12));
    await strategy.dispose();
    await pool.terminate();
    return { out, classic: { losses, video0 } };
  });

  expect(runs.classic.losses).toEqual([308, 310]);
  // Rows 0, 1 used twice (d(loss/2) = 0.5 per use), row 2 once: w - 0.1 g.
  expect(runs.classic.video0).toEqual(
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map((x, i) => Math.fround(x - (i < 8 ? 0.1 : 0.05))),
  );
  for (const [name, { inProcess, workers }] of Object.entries(runs.out) as [
    string,
    { inProcess: Run; workers: Run },
  ][]) {
    expect(inProcess.calls, `${name}: in-process makes no worker calls`).toBe(0);
    expect(workers.calls, `${name}: the cores ran on the workers`).toBeGreaterThan(0);
    expect(workers.workers).toEqual([0, 1, 0, 1]); // core c on worker c mod 2
    expect(inProcess.workers).toEqual([-1, -1, -1, -1]);
    const strip = (r: Run) => ({ ...r, calls: 0, workers: [] });
    expect(strip(workers), name).toEqual(strip(inProcess));
    expect(workers.held, `${name}: the workers hold what the host mirror shows`).toEqual(workers.cores);
  }
  // The dropped contribution diverged the replicas and resync repaired them, identically on both.
  const rep = runs.out['replicated/SGD'].workers as Run;
  expect(rep.checksums.map((c) => new Set(c).size > 1)).toEqual([false, true, false, false]);
  expect(consoleLog.errors).toEqual([]);
});

test('Virtual TPU panel: "Run cores on: Web Workers" trains to the same checksums as the main thread', async ({
  page,
  consoleLog,
}) => {
  await openApp(page);
  const tpu = page.getByRole('region', { name: 'Virtual TPU', exact: true });
  const steps = tpu.getByText(/^Steps done: \d+/);
  const runOn = tpu.getByLabel('Run cores on');
  const checksums = async () =>
    Promise.all([0, 1, 2, 3].map((c) => tpu.getByTestId(`checksum-${c}`).locator('code').textContent()));
  const train = async () => {
    await expect(tpu.getByRole('button', { name: 'Run a whole step' })).toBeEnabled();
    for (let i = 1; i <= 2; i++) {
      await tpu.getByRole('button', { name: 'Run a whole step' }).click();
      await expect(steps).toHaveText(new RegExp(`^Steps done: ${i}`));
    }
    await expect(tpu.getByTestId('tpu-sync')).toHaveText('Replicas in sync: all 4 checksums agree.');
    return checksums();
  };

  await expect(runOn).toHaveValue('main thread');
  await expect(tpu.getByText('on worker 1')).toHaveCount(0);
  const mainThread = await train();

  await runOn.selectOption('Web Workers');
  await expect(tpu.getByRole('listitem', { name: 'Core 1' })).toContainText('on worker 1');
  await expect(tpu.getByRole('listitem', { name: 'Core 2' })).toContainText('on worker 0');
  await expect(steps).toHaveText(/^Steps done: 0/);
  const workers = await train();
  expect(workers).toEqual(mainThread);
  expect(new Set(workers).size).toBe(1);

  // Phase by phase on workers: the ring shown (the engine's, held between ring steps) is what was applied.
  await tpu.getByRole('button', { name: 'Next phase: local lookup' }).click();
  await tpu.getByRole('button', { name: 'Finish this step' }).click();
  await expect(steps).toHaveText(/^Steps done: 3/);
  await expect(tpu.getByText("every core's update equals the engine's ring result shown above")).toBeVisible();
  expect(consoleLog.errors).toEqual([]);
});
