import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, RuntimeError } from '../errors.js';
import { FeatureConfig, TableConfig } from './config.js';
import { TPUEmbeddingV0 } from './embedding.js';
import { Adagrad, SGD, type TPUEmbeddingOptimizer } from './optimizers.js';
import type { ShardingMode } from './sharding.js';
import { VirtualTPUStrategy } from './strategy.js';

const iota = (shape: [number, number]) => {
  const out: number[][] = [];
  for (let r = 0; r < shape[0]; r++) out.push(Array.from({ length: shape[1] }, (_, c) => r * shape[1] + c));
  return out;
};

/** The classic example: video 8x4 (sum), user 16x2 (mean), both 0..31 row-major. */
function classic(
  numCores: number,
  sharding: ShardingMode = 'replicated',
  optimizer: TPUEmbeddingOptimizer = new SGD({ learningRate: 0.1 }),
) {
  const strategy = new VirtualTPUStrategy({ numCores, sharding });
  const video = new TableConfig({ vocabularySize: 8, dim: 4, initializer: iota, combiner: 'sum', name: 'video' });
  const user = new TableConfig({ vocabularySize: 16, dim: 2, initializer: iota, combiner: 'mean', name: 'user' });
  const featureConfig = {
    watched: new FeatureConfig({ table: video, name: 'watched' }),
    favorited: new FeatureConfig({ table: video, name: 'favorited' }),
    friends: new FeatureConfig({ table: user, name: 'friends' }),
  };
  const emb = strategy.scope(() => new TPUEmbeddingV0({ featureConfig, optimizer }));
  // 4 examples: watched [0,1] [2] [3,4] [5]; favorited [6] [7,0] [] [1]; friends [3] [0,1] [15,15] [2,4,6].
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
  return { strategy, video, user, emb, features };
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, digits: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) expect(actual[i]).toBeCloseTo(expected[i], digits);
}

const sumLoss =
  (emb: TPUEmbeddingV0) =>
  ({ features }: { features: unknown }) => {
    const out = emb.embeddingLookup(features) as Record<string, tf.Tensor>;
    return tf.addN([tf.sum(out.watched), tf.sum(out.favorited), tf.sum(out.friends)]);
  };

describe('VirtualTPUStrategy + TPUEmbeddingV0: the classic two-table example', () => {
  it('computes the activations derived by hand', () => {
    const { emb, features } = classic(2);
    const out = emb.embeddingLookup(features) as Record<string, tf.Tensor>;
    // watched (sum): rows 0+1, 2, 3+4, 5 of video (row i = [4i .. 4i+3]).
    expect(out.watched.arraySync()).toEqual([
      [4, 6, 8, 10],
      [8, 9, 10, 11],
      [28, 30, 32, 34],
      [20, 21, 22, 23],
    ]);
    // favorited (sum): 6, 7+0, empty -> 0, 1.
    expect(out.favorited.arraySync()).toEqual([
      [24, 25, 26, 27],
      [28, 30, 32, 34],
      [0, 0, 0, 0],
      [4, 5, 6, 7],
    ]);
    // friends (mean) over user rows [2i, 2i+1]: 3; mean(0,1); mean(15,15); mean(2,4,6).
    expect(out.friends.arraySync()).toEqual([
      [6, 7],
      [1, 2],
      [30, 31],
      [8, 9],
    ]);
  });

  it('one SGD step: per-core losses, summed gradients, identical replicas', async () => {
    const { strategy, emb, features, video, user } = classic(2);
    // Each core's outputs inside the step, keyed by the running core.
    const seen = new Map<number, Record<string, number[][]>>();
    const { losses } = await strategy.run(
      (slice) => {
        const out = emb.embeddingLookup(slice.features) as Record<string, tf.Tensor>;
        const core = strategy.runContext()!.core;
        seen.set(core, {
          watched: out.watched.arraySync() as number[][],
          favorited: out.favorited.arraySync() as number[][],
          friends: out.friends.arraySync() as number[][],
        });
        return sumLoss(emb)(slice);
      },
      { features },
    );
    // The global batch is split contiguously: core 0 gets examples 0-1, core 1 examples 2-3 of the
    // activations derived by hand above.
    expect([...seen.keys()].sort()).toEqual([0, 1]);
    expect(seen.get(0)).toEqual({
      watched: [
        [4, 6, 8, 10],
        [8, 9, 10, 11],
      ],
      favorited: [
        [24, 25, 26, 27],
        [28, 30, 32, 34],
      ],
      friends: [
        [6, 7],
        [1, 2],
      ],
    });
    expect(seen.get(1)).toEqual({
      watched: [
        [28, 30, 32, 34],
        [20, 21, 22, 23],
      ],
      favorited: [
        [0, 0, 0, 0],
        [4, 5, 6, 7],
      ],
      friends: [
        [30, 31],
        [8, 9],
      ],
    });
    // core 0 (examples 0,1): watched 28+38, favorited 102+124, friends 13+3 = 308
    // core 1 (examples 2,3): watched 124+86, favorited 0+22, friends 61+17 = 310
    expect(losses).toEqual([308, 310]);
    // d(loss/2)/d row = 0.5 per use for sum; video rows 0 and 1 are used twice, 2..7 once.
    const expectedVideo = iota([8, 4]).flatMap((row, i) => row.map((x) => x - 0.1 * (i < 2 ? 1 : 0.5)));
    expectClose(emb.embeddingTables.get(video)!.dataSync(), expectedVideo, 5);
    // user, mean: row 3 gets 0.5, rows 0,1 get 0.25, row 15 twice 0.25 = 0.5, rows 2,4,6 get 1/6.
    const gUser: Record<number, number> = { 3: 0.5, 0: 0.25, 1: 0.25, 15: 0.5, 2: 1 / 6, 4: 1 / 6, 6: 1 / 6 };
    const u = emb.embeddingTables.get(user)!.arraySync() as number[][];
    const expectedUser = iota([16, 2]).flatMap((row, i) => row.map((x) => x - 0.1 * (gUser[i] ?? 0)));
    expectClose(u.flat(), expectedUser, 5);
    expect(u[9]).toEqual([18, 19]); // untouched
    const sums = strategy.replicaChecksums();
    expect(sums).toHaveLength(2);
    expect(sums[0]).toBe(sums[1]);
    // Replicated: one ring all-reduce per table, 2(n-1) * V * D * 4 bytes.
    const last = strategy.commStats().lastStep!;
    expect(last.collectives.map((c) => [c.kind, c.name, c.bytes])).toEqual([
      ['all-reduce', 'video', 2 * 1 * 32 * 4],
      ['all-reduce', 'user', 2 * 1 * 32 * 4],
    ]);
  });

  it("each core gathers from its own replica: after a drop on core 1, core 1's lookups read core 1's tables", async () => {
    const { strategy, emb, features } = classic(2);
    // Step 1 with core 1's all-reduce messages dropped. Ring on 2 cores, chunk 0 = first half of the
    // rows, chunk 1 = second half: core 0 ends with only its own gradient g0 everywhere; core 1 gets
    // g0 for chunk 0 (copied from core 0) and g0 + g1 for chunk 1.
    // video (sum, 0.5 per use): g0 = rows 0:1, 1,2,6,7:0.5; g1 = rows 1,3,4,5:0.5. Chunk 1 = rows 4..7.
    // user (mean): g0 = row 3:0.5, rows 0,1:0.25; g1 = row 15:0.5, rows 2,4,6:1/6. Chunk 1 = rows 8..15.
    strategy.injectFault({ kind: 'drop', core: 1 });
    await strategy.run(sumLoss(emb), { features });
    const [s0, s1] = strategy.replicaChecksums();
    expect(s0).not.toBe(s1);
    const replica = [0, 1].map((c) => emb.coreArrays(c).map((a) => Array.from(a)));
    // video row 4 = [16..19]: untouched on core 0, -0.05 on core 1; user row 15 likewise.
    expectClose(replica[0][0].slice(16, 20), [16, 17, 18, 19], 6);
    expectClose(replica[1][0].slice(16, 20), [15.95, 16.95, 17.95, 18.95], 5);
    expectClose(replica[0][1].slice(30, 32), [30, 31], 6);
    expectClose(replica[1][1].slice(30, 32), [29.95, 30.95], 5);

    // Step 2 (no fault): record what each core's lookups return.
    const seen: Record<string, number[][]>[] = [];
    await strategy.run(
      (slice) => {
        const out = emb.embeddingLookup(slice.features) as Record<string, tf.Tensor>;
        seen[strategy.runContext()!.core] = {
          watched: out.watched.arraySync() as number[][],
          favorited: out.favorited.arraySync() as number[][],
          friends: out.friends.arraySync() as number[][],
        };
        return sumLoss(emb)(slice);
      },
      { features },
    );
    // The same lookup computed from one core's replica as it was before step 2 (core 1's slice:
    // watched [3, 4] and [5], favorited [] and [1], friends [15, 15] and [2, 4, 6]).
    const row = (a: number[], dim: number, i: number) => a.slice(i * dim, (i + 1) * dim);
    const add = (...xs: number[][]) => xs[0].map((_, j) => xs.reduce((acc, x) => acc + x[j], 0));
    const mean = (...xs: number[][]) => add(...xs).map((x) => x / xs.length);
    const lookupCore1Slice = ([video, user]: number[][]) => ({
      watched: [add(row(video, 4, 3), row(video, 4, 4)), row(video, 4, 5)],
      favorited: [[0, 0, 0, 0], row(video, 4, 1)],
      friends: [mean(row(user, 2, 15), row(user, 2, 15)), mean(row(user, 2, 2), row(user, 2, 4), row(user, 2, 6))],
    });
    const fromOwn = lookupCore1Slice(replica[1]);
    const fromCore0 = lookupCore1Slice(replica[0]);
    for (const k of ['watched', 'favorited', 'friends'] as const) {
      expectClose(seen[1][k].flat(), fromOwn[k].flat(), 4);
    }
    // By hand: core 1's video rows 3 (unchanged: its g1 was lost), 4, 5 (-0.05), row 1 (-0.05 from
    // g0 only); user row 15 -0.05, rows 2, 4, 6 unchanged (their g1 is in chunk 0, lost).
    expectClose(seen[1].watched.flat(), [27.95, 29.95, 31.95, 33.95, 19.95, 20.95, 21.95, 22.95], 4);
    expectClose(seen[1].favorited.flat(), [0, 0, 0, 0, 3.95, 4.95, 5.95, 6.95], 4);
    expectClose(seen[1].friends.flat(), [29.95, 30.95, 8, 9], 4);
    // Core 0's replica would have given other values for the same slice.
    expect(fromCore0.watched[0]).toEqual([28, 30, 32, 34]);
    expect(fromCore0.friends[0]).toEqual([30, 31]);
    expect(seen[1].watched[0][0]).not.toBeCloseTo(fromCore0.watched[0][0], 3);
    expect(seen[1].friends[0][0]).not.toBeCloseTo(fromCore0.friends[0][0], 3);
    // Core 0 read its own replica: watched rows 0 + 1 = [-0.1, 0.9, 1.9, 2.9] + [3.95, ..] and row 2.
    expectClose(seen[0].watched.flat(), [3.85, 5.85, 7.85, 9.85, 7.95, 8.95, 9.95, 10.95], 4);
  });

  it('with a per-example mean loss, 1, 2 and 4 cores train to the same tables', async () => {
    // Each core's loss is scaled by 1/n, so the summed gradient is that of the mean of the per-core
    // losses: with per-core losses that are means over the core's examples, every n agrees.
    const tables: number[][][] = [];
    for (const n of [1, 2, 4]) {
      const { strategy, emb, features, video, user } = classic(n);
      const { losses } = await strategy.run((slice) => tf.div(sumLoss(emb)(slice), 4 / n), { features });
      expect(losses.reduce((a, b) => a + b, 0) / n).toBeCloseTo(618 / 4, 4);
      tables.push([
        Array.from(emb.embeddingTables.get(video)!.dataSync()),
        Array.from(emb.embeddingTables.get(user)!.dataSync()),
      ]);
      expect(new Set(strategy.replicaChecksums()).size).toBe(1);
    }
    for (const t of tables.slice(1)) {
      expectClose(t[0], tables[0][0], 6);
      expectClose(t[1], tables[0][1], 6);
    }
  });

  it('Adagrad: the accumulators slot starts at 0.1 and grows by g²', async () => {
    const { strategy, emb, features, video } = classic(2, 'replicated', new Adagrad({ learningRate: 0.1 }));
    expect(emb.slot(video, 'accumulators')[0]).toBeCloseTo(0.1, 7);
    await strategy.run(sumLoss(emb), { features });
    // row 0: g = 1 -> a = 1.1, w = 0 - 0.1 * 1 / sqrt(1.1); row 2: g = 0.5 -> a = 0.35
    const acc = emb.slot(video, 'accumulators', 1);
    expect(acc[0]).toBeCloseTo(1.1, 6);
    expect(acc[2 * 4]).toBeCloseTo(0.35, 6);
    const v = emb.embeddingTables.get(video)!.dataSync();
    expect(v[0]).toBeCloseTo(-0.1 / Math.sqrt(1.1), 6);
    expect(v[8]).toBeCloseTo(8 - (0.1 * 0.5) / Math.sqrt(0.35), 5);
  });

  it('creating TPUEmbeddingV0 outside strategy.scope is a RuntimeError', () => {
    const t = new TableConfig({ vocabularySize: 4, dim: 2 });
    expect(() => new TPUEmbeddingV0({ featureConfig: new FeatureConfig({ table: t }) })).toThrow(RuntimeError);
    expect(() => new TPUEmbeddingV0({ featureConfig: new FeatureConfig({ table: t }) })).toThrow(/strategy.scope/);
  });

  it('refuses a batch that does not split over the cores, changing nothing', async () => {
    const { strategy, emb } = classic(2);
    const before = strategy.replicaChecksums();
    await expect(
      strategy.run(sumLoss(emb), {
        features: { watched: [[1], [2], [3]], favorited: [[1], [2], [3]], friends: [[1], [2], [3]] },
      }),
    ).rejects.toThrow(/global batch size of features.watched is 3.*multiple of 2/);
    expect(strategy.replicaChecksums()).toEqual(before);
    expect(strategy.commStats().steps).toHaveLength(0);
  });

  it('a step function that throws on one core leaves every replica unchanged', async () => {
    const { strategy, emb, features } = classic(2);
    const before = strategy.replicaChecksums();
    let calls = 0;
    await expect(
      strategy.run(
        (slice) => {
          calls++;
          if (calls === 2) throw new Error('boom on core 1');
          return sumLoss(emb)(slice);
        },
        { features },
      ),
    ).rejects.toThrow('boom on core 1');
    expect(strategy.replicaChecksums()).toEqual(before);
  });
});

describe('VirtualTPUStrategy options', () => {
  it('numCores must be an int in [1, 8]', () => {
    for (const [n, shown] of [
      [0, '0'],
      [9, '9'],
      [2.5, '2.5'],
      ['2', '"2"'],
    ] as const) {
      expect(() => new VirtualTPUStrategy({ numCores: n as number })).toThrow(
        new InvalidArgumentError(`VirtualTPUStrategy: numCores must be an int in [1, 8], got ${shown}.`),
      );
    }
    expect([1, 8].map((n) => new VirtualTPUStrategy({ numCores: n }).numCores)).toEqual([1, 8]);
  });
});

describe('strategy.run bookkeeping', () => {
  it('a step leaves no tfjs tensors behind, in replicated and sharded modes', async () => {
    for (const mode of ['replicated', 'row', 'mod'] as const) {
      const { strategy, emb, features } = classic(2, mode);
      await strategy.run(sumLoss(emb), { features });
      const before = tf.memory().numTensors;
      await strategy.run(sumLoss(emb), { features });
      expect({ mode, tensors: tf.memory().numTensors }).toEqual({ mode, tensors: before });
    }
  });

  it('sharded: a lookup inside run must use the core slice it was given', async () => {
    const { strategy, emb, features } = classic(2, 'table');
    await expect(strategy.run(() => sumLoss(emb)({ features }), { features })).rejects.toThrow(
      /embeddingLookup must be called with the features \(and weights\) of the core's slice/,
    );
    expect(strategy.stepCount).toBe(0);
  });
});
