import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { FeatureConfig, TableConfig } from './config.js';
import { TPUEmbeddingV0 } from './embedding.js';
import { Adagrad, Adam, FTRL, SGD, type TPUEmbeddingOptimizer } from './optimizers.js';
import { predictStepBytes, type ShardingMode, TableLayout } from './sharding.js';
import { VirtualTPUStrategy } from './strategy.js';

const iota = (shape: [number, number]) =>
  Array.from({ length: shape[0] }, (_, r) => Array.from({ length: shape[1] }, (_, c) => (r * shape[1] + c) / 10));

function model(n: number, sharding: ShardingMode, optimizer: TPUEmbeddingOptimizer) {
  const strategy = new VirtualTPUStrategy({ numCores: n, sharding });
  const video = new TableConfig({ vocabularySize: 8, dim: 4, initializer: iota, combiner: 'sum', name: 'video' });
  const user = new TableConfig({ vocabularySize: 16, dim: 2, initializer: iota, combiner: 'mean', name: 'user' });
  const emb = strategy.scope(
    () =>
      new TPUEmbeddingV0({
        featureConfig: {
          watched: new FeatureConfig({ table: video, name: 'watched' }),
          history: new FeatureConfig({ table: video, maxSequenceLength: 2, name: 'history' }),
          friends: new FeatureConfig({ table: user, name: 'friends' }),
          item: new FeatureConfig({ table: user, name: 'item' }),
        },
        optimizer,
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
  return { strategy, emb, video, user, features, weights };
}

type Outputs = Record<string, tf.Tensor>;
// A loss that is not linear in the activations, so the gradients differ per row.
const loss = (emb: TPUEmbeddingV0) => (slice: { features: unknown; weights?: unknown }) => {
  const o = emb.embeddingLookup(slice.features, slice.weights) as Outputs;
  return tf.addN([
    tf.sum(tf.square(o.watched)),
    tf.sum(tf.square(o.history)),
    tf.sum(o.friends),
    tf.sum(tf.mul(o.item, o.item)),
  ]);
};

async function train(n: number, mode: ShardingMode, opt: () => TPUEmbeddingOptimizer, steps = 2) {
  const m = model(n, mode, opt());
  const outputs: number[][] = [];
  const lossesAll: number[][] = [];
  for (let s = 0; s < steps; s++) {
    const { losses } = await m.strategy.run(
      (slice) => {
        const o = m.emb.embeddingLookup(slice.features, slice.weights) as Outputs;
        if (s === 0) outputs.push(...['friends', 'history', 'item', 'watched'].map((k) => Array.from(o[k].dataSync())));
        return loss(m.emb)(slice);
      },
      { features: m.features, weights: m.weights },
    );
    lossesAll.push(losses);
  }
  return {
    ...m,
    outputs,
    lossesAll,
    video: Array.from(m.emb.embeddingTables.get(m.video)!.dataSync()),
    user: Array.from(m.emb.embeddingTables.get(m.user)!.dataSync()),
  };
}

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, digits: number): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], digits);
}

describe('TableLayout', () => {
  it('places rows and columns as each mode says', () => {
    const row = new TableLayout('row', 3, 8, 4, 0); // blocks of ceil(8/3) = 3 rows
    expect([0, 1, 2].map((c) => row.rowsOn(c))).toEqual([3, 3, 2]);
    expect([row.owner(5), row.localRow(5), row.owner(6), row.globalRow(2, 1)]).toEqual([1, 2, 2, 7]);
    const mod = new TableLayout('mod', 3, 8, 4, 0);
    expect([0, 1, 2].map((c) => mod.rowsOn(c))).toEqual([3, 3, 2]);
    expect([mod.owner(7), mod.localRow(7), mod.globalRow(1, 2)]).toEqual([1, 2, 7]);
    const col = new TableLayout('column', 3, 8, 4, 0);
    expect([0, 1, 2].map((c) => col.colsOn(c))).toEqual([2, 1, 1]);
    expect(col.colStarts).toEqual([0, 2, 3]);
    const table = new TableLayout('table', 3, 8, 4, 4);
    expect([0, 1, 2].map((c) => table.sizeOn(c))).toEqual([0, 32, 0]);
  });
});

describe('sharded modes train exactly like replicated', () => {
  for (const [name, opt] of [
    ['SGD', () => new SGD({ learningRate: 0.05 })],
    ['Adagrad', () => new Adagrad({ learningRate: 0.1 })],
    ['Adam', () => new Adam({ learningRate: 0.05 })],
    ['FTRL', () => new FTRL({ learningRate: 0.5 })],
  ] as const) {
    for (const n of [2, 4]) {
      it(`${name} on ${n} cores: outputs, losses and tables equal for mod, row, table, column`, async () => {
        const ref = await train(n, 'replicated', opt);
        for (const mode of ['mod', 'row', 'table', 'column'] as const) {
          const got = await train(n, mode, opt);
          for (const [i, o] of got.outputs.entries()) expectClose(o, ref.outputs[i], 5);
          for (const [i, l] of got.lossesAll.entries()) expectClose(l, ref.lossesAll[i], 4);
          expectClose(got.video, ref.video, 5);
          expectClose(got.user, ref.user, 5);
        }
        // Training changed something (the comparison is not between two untouched tables).
        expect(ref.video[0]).not.toBeCloseTo(0, 3);
        expect(ref.user[18]).not.toBeCloseTo(1.8, 3);
      });
    }
  }
});

describe('communication bytes', () => {
  // A small case to count by hand: 2 cores, table t (V=4, D=2, sum), one feature f, batch of 2,
  // core 0 reads ids [0, 3], core 1 reads [1].
  function tiny(mode: ShardingMode) {
    const strategy = new VirtualTPUStrategy({ numCores: 2, sharding: mode });
    const t = new TableConfig({
      vocabularySize: 4,
      dim: 2,
      combiner: 'sum',
      initializer: () => [
        [1, 1],
        [1, 1],
        [1, 1],
        [1, 1],
      ],
      name: 't',
    });
    const emb = strategy.scope(
      () =>
        new TPUEmbeddingV0({ featureConfig: { f: new FeatureConfig({ table: t, name: 'f' }) }, optimizer: new SGD() }),
    );
    const features = { f: { values: [0, 3, 1], rowSplits: [0, 2, 3] } };
    return { strategy, emb, features };
  }
  const traffic = [{ table: 0, idsPerCore: [[0, 3], [1]], outputPerCore: [2, 2] }];
  const expected: Record<ShardingMode, number> = {
    // all-reduce of the 4x2 gradient: 2 (n-1) V D 4 = 64
    replicated: 64,
    // table on core 0: core 1 sends 1 id (12 B), gets 1x2 outputs (8 B), sends 8 B of gradient back
    table: 12 + 8 + 8,
    // columns: 1 each; each core sends its ids to the other (12*2 + 12*1), gets 1 column back
    // (2 and 1... B=1 per core, so 1 float = 4 B each way), gradients the same 4 B each way
    column: 12 * 2 + 12 * 1 + 4 + 4 + 4 + 4,
    // rows 0-1 on core 0, 2-3 on core 1: core 0 sends id 3 to core 1, core 1 sends id 1 to core 0
    // (12 B each); reduce-scatter and all-gather of the 1x2 outputs per core: (n-1) * (2+2) * 4 = 16 B each
    row: 12 + 12 + 16 + 16,
    // mod: owner id%2; core 0 needs 3 (core 1), core 1 needs 1 (core 1, local): 4 B id + 8 B row
    // forward, 8 B gradient back
    mod: 4 + 8 + 8,
  };
  for (const mode of ['replicated', 'table', 'column', 'row', 'mod'] as const) {
    it(`${mode}: measured bytes equal the hand count and the cost model`, async () => {
      const { strategy, emb, features } = tiny(mode);
      await strategy.run(({ features: f }) => tf.sum((emb.embeddingLookup(f) as Outputs).f), { features });
      const measured = strategy.commStats().lastStep!.bytes;
      expect(measured).toBe(expected[mode]);
      expect(predictStepBytes(mode, 2, [{ vocabularySize: 4, dim: 2 }], traffic).total).toBe(expected[mode]);
    });
  }

  it('the cost model matches the measured bytes of the bigger model on 4 cores, for every mode', async () => {
    for (const mode of ['replicated', 'table', 'column', 'row', 'mod'] as const) {
      const m = model(4, mode, new SGD());
      await m.strategy.run(loss(m.emb), { features: m.features, weights: m.weights });
      const measured = m.strategy.commStats().lastStep!.bytes;
      // per core: one example each
      const ids = {
        watched: [[0, 1], [2], [3, 4], [5, 7, 7]],
        history: [[6], [1, 2], [], [5]],
        friends: [[3], [0, 1], [15, 15], [2, 4, 6]],
        item: [[9], [10], [11], [9]],
      };
      const traffic = [
        { table: 1, idsPerCore: ids.friends, outputPerCore: [2, 2, 2, 2] },
        { table: 0, idsPerCore: ids.history, outputPerCore: [8, 8, 8, 8] },
        { table: 1, idsPerCore: ids.item, outputPerCore: [2, 2, 2, 2] },
        { table: 0, idsPerCore: ids.watched, outputPerCore: [4, 4, 4, 4] },
      ];
      const tables = [
        { vocabularySize: 8, dim: 4 },
        { vocabularySize: 16, dim: 2 },
      ];
      expect(m.emb.tables.map((t) => t.name)).toEqual(['user', 'video']);
      const predicted = predictStepBytes(
        mode,
        4,
        [tables[1], tables[0]],
        traffic.map((t) => ({ ...t, table: t.table === 1 ? 0 : 1 })),
      );
      expect({ mode, bytes: measured }).toEqual({ mode, bytes: predicted.total });
    }
  });
});
