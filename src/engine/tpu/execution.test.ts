// Cores in-process and cores on worker_threads (the pool) give bit-identical results: activations,
// losses, tables, slots, checksums, commStats, faults and resync, for every sharding mode.
// Workers load dist/lib (Node cannot run .ts in a worker): `npm run test:unit` builds it first.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerPool } from '../pool/pool.js';
import { ready } from '../wasm.js';
import { FeatureConfig, TableConfig } from './config.js';
import { TPUEmbeddingV0 } from './embedding.js';
import type { Execution } from './execution.js';
import { Adagrad, Adam, FTRL, SGD, type TPUEmbeddingOptimizer } from './optimizers.js';
import type { ShardingMode } from './sharding.js';
import { type GlobalBatch, VirtualTPUStrategy } from './index.js';

let pool: WorkerPool;
beforeAll(async () => {
  await ready();
  pool = await WorkerPool.create({ size: 2 });
});
afterAll(async () => {
  await pool.terminate();
});

const iota = (shape: [number, number]) =>
  Array.from({ length: shape[0] }, (_, r) => Array.from({ length: shape[1] }, (_, c) => r * shape[1] + c));
const tenths = (shape: [number, number]) => iota(shape).map((row) => row.map((x) => x / 10));

function strategyOf(execution: Execution, numCores: number, sharding: ShardingMode = 'replicated') {
  return new VirtualTPUStrategy(
    execution === 'workers' ? { numCores, sharding, execution, pool } : { numCores, sharding, execution },
  );
}

interface Model {
  strategy: VirtualTPUStrategy;
  emb: TPUEmbeddingV0;
  tables: TableConfig[];
  features: unknown;
  weights: unknown;
}

/** The classic example: video 8x4 (sum), user 16x2 (mean), both 0..31 row-major; 4 examples. */
function classic(
  execution: Execution,
  numCores: number,
  sharding: ShardingMode = 'replicated',
  opt?: () => TPUEmbeddingOptimizer,
): Model {
  const strategy = strategyOf(execution, numCores, sharding);
  const video = new TableConfig({ vocabularySize: 8, dim: 4, initializer: iota, combiner: 'sum', name: 'video' });
  const user = new TableConfig({ vocabularySize: 16, dim: 2, initializer: iota, combiner: 'mean', name: 'user' });
  const featureConfig = {
    watched: new FeatureConfig({ table: video, name: 'watched' }),
    favorited: new FeatureConfig({ table: video, name: 'favorited' }),
    friends: new FeatureConfig({ table: user, name: 'friends' }),
  };
  const optimizer = opt ? opt() : new SGD({ learningRate: 0.1 });
  const emb = strategy.scope(() => new TPUEmbeddingV0({ featureConfig, optimizer }));
  const features = {
    watched: {
      indices: [
        [0, 0],
        [0, 1],
        [1, 0],
        [2, 0],
        [2, 1],
        [3, 0],
      ],
      values: [0, 1, 2, 3, 4, 5],
      denseShape: [4, 2],
    },
    favorited: { values: [6, 7, 0, 1], rowSplits: [0, 1, 3, 3, 4] },
    friends: { values: [3, 0, 1, 15, 15, 2, 4, 6], rowSplits: [0, 1, 3, 5, 8] },
  };
  return { strategy, emb: emb as TPUEmbeddingV0, tables: [video, user], features, weights: undefined };
}

/** A bigger model with weights, a sequence feature and a dense feature (as sharding.test.ts). */
function weighted(execution: Execution, numCores: number, sharding: ShardingMode, opt: () => TPUEmbeddingOptimizer) {
  const strategy = strategyOf(execution, numCores, sharding);
  const video = new TableConfig({ vocabularySize: 8, dim: 4, initializer: tenths, combiner: 'sum', name: 'video' });
  const user = new TableConfig({ vocabularySize: 16, dim: 2, initializer: tenths, combiner: 'sqrtn', name: 'user' });
  const emb = strategy.scope(
    () =>
      new TPUEmbeddingV0({
        featureConfig: {
          watched: new FeatureConfig({ table: video, name: 'watched' }),
          history: new FeatureConfig({ table: video, maxSequenceLength: 2, name: 'history' }),
          friends: new FeatureConfig({ table: user, name: 'friends' }),
          item: new FeatureConfig({ table: user, name: 'item' }),
        },
        optimizer: opt(),
      }),
  );
  const features = {
    watched: { values: [0, 1, 2, 3, 4, 5, 7, 7], rowSplits: [0, 2, 3, 5, 8] },
    history: { values: [6, 1, 2, 3, 5], rowSplits: [0, 1, 4, 4, 5] },
    friends: { values: [3, 0, 1, 15, 15, 2, 4, 6], rowSplits: [0, 1, 3, 5, 8] },
    item: [[9], [10], [11], [9]],
  };
  const weights = {
    watched: { values: [1, 2, 0.5, 1, 1, 3, 1, 1], rowSplits: [0, 2, 3, 5, 8] },
    history: null,
    friends: { values: [1, 1, 3, 1, 1, 1, 2, 1], rowSplits: [0, 1, 3, 5, 8] },
    item: null,
  };
  return { strategy, emb: emb as TPUEmbeddingV0, tables: [video, user], features, weights };
}

/** The float32 bits of numbers, so comparisons are exact (−0 ≠ 0, NaN payloads count). */
const bits = (x: ArrayLike<number>): number[] => Array.from(new Uint32Array(Float32Array.from(x).buffer));

/** A loss that is not linear in the activations, so gradients differ per row. */
function stepOf(m: Model, activations: number[][]) {
  return (slice: GlobalBatch) => {
    const o = m.emb.embeddingLookup(slice.features, slice.weights) as Record<string, tf.Tensor>;
    const keys = Object.keys(o).sort();
    activations.push(...keys.map((k) => bits(o[k].dataSync())));
    return tf.addN(keys.map((k, i) => tf.sum(i % 2 === 0 ? tf.square(o[k]) : tf.mul(o[k], 0.5))));
  };
}

/** Everything observable after `steps` steps, with exact bits. */
async function observe(m: Model, steps: number, between?: (step: number) => void | Promise<void>) {
  const activations: number[][] = [];
  const losses: number[][] = [];
  for (let s = 0; s < steps; s++) {
    await between?.(s);
    const r = await m.strategy.run(stepOf(m, activations), { features: m.features, weights: m.weights });
    losses.push(bits(r.losses));
  }
  const tables = m.tables.map((t) => bits(m.emb.embeddingTables.get(t)!.dataSync()));
  const slots = Array.from({ length: m.strategy.numCores }, (_, c) => m.emb.coreArrays(c).map((a) => bits(a)));
  const after = m.emb.embeddingLookup(m.features, m.weights) as Record<string, tf.Tensor>;
  return {
    activations,
    losses,
    tables,
    slots,
    lookupAfter: Object.keys(after)
      .sort()
      .map((k) => bits(after[k].dataSync())),
    checksums: m.strategy.replicaChecksums(),
    comm: m.strategy.commStats(),
  };
}

describe.each(['in-process', 'workers'] as const)('cores %s: the classic two-table example', (execution) => {
  it('one SGD step gives the hand-derived losses and tables, replicas in sync', async () => {
    const m = classic(execution, 2);
    const callsBefore = pool.stats().calls;
    const sum = (slice: GlobalBatch) => {
      const o = m.emb.embeddingLookup(slice.features) as Record<string, tf.Tensor>;
      return tf.addN([tf.sum(o.watched), tf.sum(o.favorited), tf.sum(o.friends)]);
    };
    const { losses } = await m.strategy.run(sum, { features: m.features });
    expect(losses).toEqual([308, 310]);
    // video rows 0 and 1 are used twice (d = 0.5 per use), rows 2..7 once.
    const video = Array.from(m.emb.embeddingTables.get(m.tables[0])!.dataSync());
    expect(video).toEqual(iota([8, 4]).flatMap((row, i) => row.map((x) => Math.fround(x - 0.1 * (i < 2 ? 1 : 0.5)))));
    const user = m.emb.embeddingTables.get(m.tables[1])!.arraySync() as number[][];
    expect(user[3][0]).toBeCloseTo(6 - 0.05, 6);
    expect(user[2][1]).toBeCloseTo(5 - 0.1 / 6, 6);
    expect(user[9]).toEqual([18, 19]);
    expect(new Set(m.strategy.replicaChecksums()).size).toBe(1);
    expect(m.strategy.commStats().lastStep!.collectives.map((c) => [c.kind, c.name, c.bytes])).toEqual([
      ['all-reduce', 'video', 256],
      ['all-reduce', 'user', 256],
    ]);
    // place, forward, backward and apply on each of the 2 cores went to the workers (or none did).
    expect(pool.stats().calls - callsBefore).toBe(execution === 'workers' ? 8 : 0);
    if (execution === 'workers') {
      expect([0, 1].map((c) => m.strategy.workerOf(c))).toEqual([0, 1]);
      // What the workers hold is what the host mirror shows.
      const held = await m.strategy.coreState();
      expect(held.map((core) => core.map(bits))).toEqual([0, 1].map((c) => m.emb.coreArrays(c).map(bits)));
    } else {
      expect(m.strategy.workerOf(1)).toBe(-1);
    }
  });
});

describe('cores on workers give bit-identical results to cores in-process', () => {
  for (const n of [1, 2, 4]) {
    it(`classic example, replicated, ${n} core(s) on a pool of 2 (core c on worker c mod 2), 3 Adagrad steps`, async () => {
      const opt = () => new Adagrad({ learningRate: 0.1 });
      const ref = await observe(classic('in-process', n, 'replicated', opt), 3);
      const got = await observe(classic('workers', n, 'replicated', opt), 3);
      expect(got).toEqual(ref);
      expect(ref.tables[0]).not.toEqual(bits(iota([8, 4]).flat())); // training changed the tables
    });
  }

  for (const mode of ['replicated', 'mod', 'row', 'table', 'column'] as const) {
    for (const [name, opt] of [
      ['SGD', () => new SGD({ learningRate: 0.05 })],
      ['Adam', () => new Adam({ learningRate: 0.05 })],
      ['Adam (not lazy: every row updates)', () => new Adam({ learningRate: 0.05, lazyAdam: false })],
      ['FTRL', () => new FTRL({ learningRate: 0.5, l1RegularizationStrength: 0.01 })],
    ] as const) {
      it(`${mode}, ${name}, 4 cores with weights, sequence and dense features: 2 steps`, async () => {
        const ref = await observe(weighted('in-process', 4, mode, opt), 2);
        const got = await observe(weighted('workers', 4, mode, opt), 2);
        expect(got).toEqual(ref);
        expect(ref.comm.lastStep!.bytes).toBeGreaterThan(0);
      });
    }
  }

  it('a dropped core and a straggler diverge the replicas the same way; resync repairs both', async () => {
    const run = async (execution: Execution) => {
      const m = classic(execution, 4);
      const sums: number[][] = [];
      const res = await observe(m, 4, async (s) => {
        sums.push(m.strategy.replicaChecksums());
        if (s === 1) m.strategy.injectFault({ kind: 'drop', core: 2 });
        if (s === 2) {
          m.strategy.resync();
          sums.push(m.strategy.replicaChecksums());
          m.strategy.injectFault({ kind: 'straggler', core: 1, delay: 2 });
        }
      });
      sums.push(m.strategy.replicaChecksums());
      const held = await m.strategy.coreState();
      return { res, sums, held: held.map((c) => c.map(bits)) };
    };
    const ref = await run('in-process');
    const got = await run('workers');
    expect(got).toEqual(ref);
    // Before steps 0 and 1: in sync; after the drop: diverged; after resync: in sync; after the
    // straggler (and one clean step, which does not repair it): diverged.
    expect(ref.sums.map((s) => new Set(s).size > 1)).toEqual([false, false, true, false, true, true]);
  });

  it('a worker killed between steps gets its cores back and training continues identically', async () => {
    const ref = await observe(classic('in-process', 4), 3);
    const m = classic('workers', 4);
    const got = await observe(m, 3, async (s) => {
      if (s === 2) {
        pool.killWorker(1);
        await pool.whenReady();
      }
    });
    expect(got).toEqual(ref);
  });

  it('a step that throws on one core changes no core, on workers too', async () => {
    const m = classic('workers', 2);
    await observe(m, 1);
    const before = await m.strategy.coreState();
    let calls = 0;
    await expect(
      m.strategy.run(
        (slice) => {
          if (++calls === 2) throw new Error('boom on core 1');
          return tf.sum((m.emb.embeddingLookup(slice.features) as Record<string, tf.Tensor>).watched);
        },
        { features: m.features },
      ),
    ).rejects.toThrow('boom on core 1');
    expect((await m.strategy.coreState()).map((c) => c.map(bits))).toEqual(before.map((c) => c.map(bits)));
  });

  it('a lookup of other features inside run is refused with the rule, in both executions', async () => {
    for (const execution of ['in-process', 'workers'] as const) {
      const m = classic(execution, 2);
      await expect(
        m.strategy.run(() => tf.sum((m.emb.embeddingLookup(m.features) as Record<string, tf.Tensor>).watched), {
          features: m.features,
        }),
      ).rejects.toThrow(/embeddingLookup must be called with the features \(and weights\) of the core's slice/);
      expect(m.strategy.stepCount).toBe(0);
    }
  });

  it('rejects bad execution options', () => {
    expect(() => new VirtualTPUStrategy({ numCores: 2, execution: 'gpu' as Execution })).toThrow(
      /execution must be one of 'in-process', 'workers', got "gpu"/,
    );
    expect(() => new VirtualTPUStrategy({ numCores: 2, pool })).toThrow(
      /a pool is only used with execution 'workers', got execution "in-process"/,
    );
    expect(
      () => new VirtualTPUStrategy({ numCores: 2, execution: 'workers', pool: {} as unknown as WorkerPool }),
    ).toThrow(/pool must be a de.pool.WorkerPool/);
  });

  it('dispose drops the cores from the workers; a strategy without a pool starts and ends its own', async () => {
    const m = classic('workers', 2);
    await observe(m, 1);
    await m.strategy.dispose();
    await expect(m.strategy.run(() => tf.scalar(0), { features: m.features })).rejects.toThrow(/disposed/);
    const own = new VirtualTPUStrategy({ numCores: 2, execution: 'workers' });
    const t = new TableConfig({ vocabularySize: 4, dim: 2, initializer: iota, combiner: 'sum', name: 't' });
    const emb = own.scope(
      () => new TPUEmbeddingV0({ featureConfig: { f: new FeatureConfig({ table: t }) }, optimizer: new SGD() }),
    );
    await own.run((s) => tf.sum((emb.embeddingLookup(s.features) as Record<string, tf.Tensor>).f), {
      features: { f: [[0], [1]] },
    });
    const ownPool = own.pool!;
    expect(ownPool.size).toBeGreaterThan(0);
    await own.dispose();
    expect(ownPool.isTerminated).toBe(true);
  });
});

describe('strategy.run reports every ring step with the real data (onRingStep)', () => {
  const events = async (execution: Execution, mode: ShardingMode) => {
    const m = classic(execution, 4, mode);
    const seen: { kind: string; name: string; ring: number; done: number; total: number; buffers: number[][] }[] = [];
    await m.strategy.run(
      stepOf(m, []),
      { features: m.features },
      {
        onRingStep: (e) => {
          seen.push({
            kind: e.kind,
            name: e.name,
            ring: e.ring,
            done: e.done,
            total: e.total,
            buffers: e.buffers.map(bits),
          });
        },
      },
    );
    return { m, seen };
  };

  it('replicated: 2 (n-1) ring steps per table; the last buffers are the gradients SGD applied', async () => {
    const before = classic('in-process', 4).tables.map((t) => iota([t.vocabularySize, t.dim]).flat());
    const { m, seen } = await events('in-process', 'replicated');
    expect(seen.map((e) => `${e.kind} ${e.name} ${e.ring} ${e.done}/${e.total}`)).toEqual([
      ...[1, 2, 3, 4, 5, 6].map((d) => `all-reduce video 0 ${d}/6`),
      ...[1, 2, 3, 4, 5, 6].map((d) => `all-reduce user 1 ${d}/6`),
    ]);
    for (const [ti, name] of ['video', 'user'].entries()) {
      const last = seen.filter((e) => e.name === name).at(-1)!;
      expect(new Set(last.buffers.map((b) => b.join())).size).toBe(1); // every core holds the sum
      const g = new Float32Array(Uint32Array.from(last.buffers[0]).buffer);
      const after = m.emb.embeddingTables.get(m.tables[ti])!.dataSync();
      expect(bits(after)).toEqual(bits(before[ti].map((w, k) => w - 0.1 * g[k])));
    }
    // Before the all-gather, core i holds the full sum of chunk (i + 1) mod n only.
    expect(seen[2].buffers).not.toEqual(seen[5].buffers);
  });

  it('row: reduce-scatter of outputs and all-gather of output gradients; the same events on workers', async () => {
    const ref = await events('in-process', 'row');
    const got = await events('workers', 'row');
    expect(got.seen).toEqual(ref.seen);
    expect([...new Set(ref.seen.map((e) => `${e.kind} ${e.name} ${e.total}`))]).toEqual([
      'reduce-scatter favorited/outputs 3',
      'reduce-scatter friends/outputs 3',
      'reduce-scatter watched/outputs 3',
      'all-gather favorited/output gradients 3',
      'all-gather friends/output gradients 3',
      'all-gather watched/output gradients 3',
    ]);
  });

  it('a fault injected while a step runs acts on the next step; resync during a step is refused', async () => {
    const m = classic('workers', 2);
    let refused = '';
    await m.strategy.run(
      stepOf(m, []),
      { features: m.features },
      {
        onRingStep: (e) => {
          if (e.ring !== 0 || e.done !== 1) return;
          m.strategy.injectFault({ kind: 'drop', core: 1 });
          try {
            m.strategy.resync();
          } catch (err) {
            refused = (err as Error).message;
          }
        },
      },
    );
    expect(refused).toMatch(/resync\(\) was called while a step is running/);
    expect(new Set(m.strategy.replicaChecksums()).size).toBe(1);
    expect(m.strategy.activeFaults()).toEqual([{ fault: { kind: 'drop', core: 1 }, remainingSteps: 1 }]);
    await m.strategy.run(stepOf(m, []), { features: m.features });
    expect(new Set(m.strategy.replicaChecksums()).size).toBe(2);
    expect(m.strategy.activeFaults()).toEqual([]);
    // The workers hold what the mirror shows (only the written rows travel back).
    const held = await m.strategy.coreState();
    expect(held.map((c) => c.map(bits))).toEqual([0, 1].map((c) => m.emb.coreArrays(c).map(bits)));
  });

  it('a paused hook holds the step before any update; a hook that throws changes nothing', async () => {
    const m = classic('workers', 2);
    const before = m.strategy.replicaChecksums();
    let release!: () => void;
    let paused!: () => void;
    const atPause = new Promise<void>((r) => (paused = r));
    const running = m.strategy.run(
      stepOf(m, []),
      { features: m.features },
      {
        onRingStep: (e) =>
          e.ring === 1 && e.done === 1
            ? new Promise<void>((r) => {
                release = r;
                paused();
              })
            : undefined,
      },
    );
    await atPause;
    expect(m.strategy.replicaChecksums()).toEqual(before);
    expect(m.strategy.stepCount).toBe(0);
    release();
    await running;
    expect(m.strategy.stepCount).toBe(1);
    expect(m.strategy.replicaChecksums()).not.toEqual(before);
    const now = m.strategy.replicaChecksums();
    await expect(
      m.strategy.run(stepOf(m, []), { features: m.features }, { onRingStep: () => Promise.reject(new Error('stop')) }),
    ).rejects.toThrow('stop');
    expect(m.strategy.replicaChecksums()).toEqual(now);
    await expect(m.strategy.run(stepOf(m, []), { features: m.features }, { onRingStep: 3 as never })).rejects.toThrow(
      /onRingStep must be a function/,
    );
  });
});
