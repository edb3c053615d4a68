// The worker's default model, run in Node on the real engine: it learns (loss falls), step back
// restores exactly the state before the last step, and restrict policies evict.
import { beforeAll, describe, expect, it } from 'vitest';
import * as de from '../../engine/index.js';
import type { TrainFeature, TrainTable } from '../protocol.js';
import { normHistograms } from './histograms.js';
import { Trainer } from './trainer.js';
import { defaultWorkspace, type GeneratorSpec, type ModelKind } from '../workspace/schema.js';

const table = (over: Partial<TrainTable> = {}): TrainTable => ({
  name: 'user_emb',
  dim: 4,
  keyDtype: 'int64',
  optimizer: 'Adagrad',
  learningRate: 0.3,
  restrictPolicy: 'none',
  restrictLimit: 1000,
  maxNorm: 0,
  ...over,
});

const feature = (over: Partial<TrainFeature> = {}): TrainFeature => ({
  name: 'user_id',
  table: 'user_emb',
  input: 'dense',
  combiner: 'mean',
  maxSequenceLength: 0,
  weights: false,
  ...over,
});

function variableOf(t: TrainTable): de.Variable {
  return new de.Variable({
    name: `${t.name}_${Math.random().toString(36).slice(2)}`,
    dim: t.dim,
    keyDtype: t.keyDtype,
    initializer: de.initializers.randomNormal({ mean: 0, stddev: 0.05, seed: 1 }),
    restrictPolicy: t.restrictPolicy === 'frequency' ? de.FrequencyRestrictPolicy : undefined,
  });
}

function build(
  t: TrainTable,
  vocabulary = 50,
  over: {
    features?: TrainFeature[];
    tables?: TrainTable[];
    model?: ModelKind;
    generator?: Partial<GeneratorSpec>;
  } = {},
) {
  const tables = over.tables ?? [t];
  const vars = new Map(tables.map((x) => [x.name, variableOf(x)]));
  const generator = { ...defaultWorkspace().generator, vocabulary, newIdRate: 0, batchSize: 64, ...over.generator };
  const trainer = new Trainer(
    {
      tables,
      features: over.features ?? [feature({ table: t.name })],
      generator,
      seed: 3,
      model: over.model ?? 'logistic',
      itemFeatures: [],
    },
    (name) => vars.get(name)!,
  );
  return { v: vars.get(t.name)!, vars, trainer };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const keySet = (v: de.Variable) => new Set(Array.from(v.export().keys as BigInt64Array, String));

beforeAll(async () => {
  await de.ready();
});

describe('Trainer', () => {
  it('learns the generator labels: the loss falls over 150 steps', async () => {
    const { trainer, v } = build(table());
    await trainer.reset();
    const losses: number[] = [];
    for (let i = 0; i < 150; i++) losses.push((await trainer.runStep()).loss);
    expect(mean(losses.slice(-20))).toBeLessThan(mean(losses.slice(0, 20)) - 0.05);
    expect(v.size()).toBeGreaterThan(0);
    expect(trainer.step).toBe(150);
  });

  it('reports hit rate, grad norm and size; step back restores the exact state before the last step', async () => {
    const { trainer, v } = build(table({ optimizer: 'Adam', learningRate: 0.05 }));
    await trainer.reset();
    const first = await trainer.runStep();
    expect(first.tables.user_emb.hitRate).toBe(0);
    expect(first.tables.user_emb.gradNorm).toBeGreaterThan(0);
    expect(first.tables.user_emb.size).toBe(v.size());
    for (let i = 0; i < 13; i++) await trainer.runStep();
    const before = v.export();
    const m14 = await trainer.runStep();
    expect(trainer.step).toBe(15);
    expect(await trainer.stepBack()).toBe(14);
    const after = v.export();
    expect(Array.from(after.keys as BigInt64Array)).toEqual(Array.from(before.keys as BigInt64Array));
    expect(Array.from(after.values)).toEqual(Array.from(before.values));
    // Replaying step 15 gives the same metrics as the first time.
    expect(await trainer.runStep()).toEqual(m14);
  });

  it('a new model over trained tables keeps their rows (start); Step back to 0 returns to them; Reset empties', async () => {
    const t = table({ optimizer: 'Adam', learningRate: 0.05 });
    const { trainer, v, vars } = build(t);
    await trainer.reset();
    for (let i = 0; i < 3; i++) await trainer.runStep();
    const kept = v.export();
    expect(kept.keys.length).toBeGreaterThan(0);
    // The learning rate changed: the page builds a new model over the same tables.
    const next = new Trainer({ ...trainer.config, tables: [{ ...t, learningRate: 0.2 }] }, (n) => vars.get(n)!);
    trainer.dispose();
    await next.start();
    expect(next.step).toBe(0);
    expect(Array.from(v.export().values)).toEqual(Array.from(kept.values));
    await next.runStep();
    await next.runStep();
    expect(Array.from(v.export().values)).not.toEqual(Array.from(kept.values));
    expect(await next.stepBack()).toBe(1);
    expect(await next.stepBack()).toBe(0);
    expect(Array.from(v.export().keys as BigInt64Array)).toEqual(Array.from(kept.keys as BigInt64Array));
    expect(Array.from(v.export().values)).toEqual(Array.from(kept.values));
    await next.reset();
    expect(v.size()).toBe(0);
    expect(next.step).toBe(0);
  });

  it('resume: a model restored from a saved state (checkpoint + head + step) trains on exactly as the original', async () => {
    const t = table({ optimizer: 'Adam', learningRate: 0.05 });
    const a = build(t);
    await a.trainer.reset();
    for (let i = 0; i < 3; i++) await a.trainer.runStep();
    const bytes = await de.checkpoint.save([a.v, ...a.trainer.optimizers]);
    const head = a.trainer.headState();
    const gs = de.train.globalStep();
    const next = [(await a.trainer.runStep()).loss, (await a.trainer.runStep()).loss];
    // A fresh page: new tables, a new model of the same settings, the saved state restored.
    const v2 = new de.Variable({
      name: a.v.name,
      dim: t.dim,
      keyDtype: t.keyDtype,
      initializer: de.initializers.randomNormal({ mean: 0, stddev: 0.05, seed: 1 }),
    });
    const b = { v: v2, trainer: new Trainer(a.trainer.config, () => v2) };
    await b.trainer.start();
    await de.checkpoint.restore(bytes, [b.v, ...b.trainer.optimizers]);
    await b.trainer.resume(3, gs, head.dense, head.denseSlots);
    expect(b.trainer.step).toBe(3);
    expect([(await b.trainer.runStep()).loss, (await b.trainer.runStep()).loss]).toEqual(next);
    expect(await b.trainer.stepBack()).toBe(4);
    expect(await b.trainer.stepBack()).toBe(3);
    await expect(b.trainer.stepBack()).rejects.toThrow(/Step back stops at step 3/);
    expect(b.trainer.step).toBe(3);
    await expect(b.trainer.resume(0, 0, [new Float32Array(1)], [])).rejects.toThrow(/does not fit this model/);
  });

  it('trains a two-tower model (user features vs item features, dot product) whose loss falls', async () => {
    const user = table({ name: 'user_emb', learningRate: 0.2 });
    const item = table({ name: 'item_emb', learningRate: 0.2 });
    const { trainer, vars } = build(user, 40, {
      tables: [user, item],
      features: [feature({ name: 'user_id', table: 'user_emb' }), feature({ name: 'item_id', table: 'item_emb' })],
      model: 'twoTower',
    });
    expect(trainer.summary).toMatch(/user tower \[user_id\].*item tower \[item_id\]/);
    await trainer.reset();
    const losses: number[] = [];
    for (let i = 0; i < 150; i++) losses.push((await trainer.runStep()).loss);
    expect(mean(losses.slice(-20))).toBeLessThan(mean(losses.slice(0, 20)) - 0.03);
    expect(vars.get('user_emb')!.size()).toBeGreaterThan(0);
    expect(vars.get('item_emb')!.size()).toBeGreaterThan(0);
  });

  it('refuses a two-tower model with one feature, and a sparse feature without a combiner, with the reason', () => {
    expect(() => build(table(), 50, { model: 'twoTower' })).toThrow(/needs at least one feature in each tower/);
    expect(() => build(table(), 50, { features: [feature({ input: 'ragged', combiner: 'none' })] })).toThrow(
      /ragged input needs a combiner/,
    );
    expect(() => build(table(), 50, { features: [feature({ weights: true })] })).toThrow(
      /weights apply only to sparse/,
    );
  });

  it("reports the gradient norm of the step's own update: SGD moves the rows by learning rate x that norm", async () => {
    const { trainer, v } = build(table({ optimizer: 'SGD', learningRate: 0.5 }));
    await trainer.reset();
    for (let i = 0; i < 3; i++) await trainer.runStep();
    const ids = [...new Set(trainer.batch(3).features.user_id.ids as number[])];
    const before = v.lookup(ids).dataSync();
    const m = await trainer.runStep();
    const after = v.lookup(ids).dataSync();
    let sq = 0;
    for (let i = 0; i < before.length; i++) sq += (after[i] - before[i]) ** 2;
    expect(m.tables.user_emb.gradNorm).toBeGreaterThan(0);
    expect(Math.sqrt(sq)).toBeCloseTo(0.5 * m.tables.user_emb.gradNorm, 5);
  });

  it('honours max sequence length: ids past it are cut and never read, so never inserted', async () => {
    const { trainer, v } = build(table(), 1000, {
      features: [feature({ combiner: 'none', maxSequenceLength: 2 })],
      generator: { idsPerExample: 5, batchSize: 8 },
    });
    await trainer.reset();
    const b = trainer.batch(0).features.user_id;
    await trainer.runStep();
    const kept = new Set<string>();
    for (let r = 0; r < 8; r++) for (let j = 0; j < 2; j++) kept.add(String(b.ids[r * 5 + j]));
    expect(keySet(v)).toEqual(kept);
  });

  it('reads ragged weighted rows with safeEmbeddingLookupSparse: every id trained, weights change the step', async () => {
    const run = async (weights: boolean) => {
      const { trainer, v } = build(table({ optimizer: 'SGD', learningRate: 0.5 }), 1000, {
        features: [feature({ input: 'ragged', combiner: 'sum', weights })],
        generator: { idsPerExample: 6, batchSize: 16 },
      });
      await trainer.reset();
      const b = trainer.batch(0).features.user_id;
      const m = await trainer.runStep();
      return { b, m, keys: keySet(v) };
    };
    const plain = await run(false);
    const weighted = await run(true);
    expect(plain.b.rowSplits).not.toBeNull();
    const lengths = plain.b.rowSplits!.slice(1).map((x, r) => x - plain.b.rowSplits![r]);
    expect(new Set(lengths).size).toBeGreaterThan(1); // rows of different lengths
    expect(plain.keys).toEqual(new Set(plain.b.ids.map(String)));
    expect(weighted.b.weights).toHaveLength(weighted.b.ids.length);
    expect(weighted.m.tables.user_emb.gradNorm).not.toBeCloseTo(plain.m.tables.user_emb.gradNorm, 6);
  });

  it('a frequency restrict policy evicts down to its limit', async () => {
    const { trainer, v } = build(table({ restrictPolicy: 'frequency', restrictLimit: 20 }), 500);
    await trainer.reset();
    let evicted = 0;
    for (let i = 0; i < 5; i++) evicted += (await trainer.runStep()).tables.user_emb.evictions;
    expect(evicted).toBeGreaterThan(0);
    expect(v.size()).toBe(20);
  });

  it('embedding-norm histograms of several tables share their bins', async () => {
    const [a, b] = normHistograms(
      [
        { table: 'a', norms: [0.1, 0.2, 0.3] },
        { table: 'b', norms: [1, 2, 4] },
      ],
      4,
    );
    expect(a.edges).toEqual(b.edges);
    expect(a.edges[4]).toBeCloseTo(4.0004, 10);
    expect(a.counts).toEqual([3, 0, 0, 0]);
    expect(b.counts).toEqual([1, 1, 0, 1]);
    expect([a.max, b.max]).toEqual([0.3, 4]);
    expect(normHistograms([{ table: 'e', norms: [] }], 2)[0]).toEqual({
      table: 'e',
      edges: [0, 0.5, 1],
      counts: [0, 0],
      keys: 0,
      max: 0,
    });
    // Through the trainer: two trained tables, the same edges, every key counted.
    const user = table({ name: 'user_emb' });
    const item = table({ name: 'item_emb', learningRate: 1 });
    const { trainer, vars } = build(user, 40, {
      tables: [user, item],
      features: [feature({ name: 'user_id', table: 'user_emb' }), feature({ name: 'item_id', table: 'item_emb' })],
    });
    await trainer.reset();
    for (let i = 0; i < 3; i++) await trainer.runStep();
    const [hu, hi] = await trainer.normHistograms(['user_emb', 'item_emb']);
    expect(hu.edges).toEqual(hi.edges);
    expect(hu.counts.reduce((x, y) => x + y)).toBe(vars.get('user_emb')!.size());
    expect(hi.counts.reduce((x, y) => x + y)).toBe(vars.get('item_emb')!.size());
    expect(hu.edges.at(-1)).toBeGreaterThanOrEqual(Math.max(hu.max, hi.max));
  });

  it('exports a checkpoint, .npy files and a TFRA script', async () => {
    const { trainer, v } = build(table());
    await trainer.reset();
    await trainer.runStep();
    const files = await trainer.exportFiles();
    expect(files.checkpoint.length).toBeGreaterThan(100);
    // the table and the Adagrad accumulator training created (restore_slots() in the script loads it)
    expect(Object.keys(files.npy).sort()).toEqual(
      [
        `${v.name}-keys.npy`,
        `${v.name}-values.npy`,
        `${v.name}.accumulator-keys.npy`,
        `${v.name}.accumulator-values.npy`,
      ].sort(),
    );
    const slotValues = files.npy[`${v.name}.accumulator-values.npy`];
    expect(slotValues.byteLength).toBeGreaterThan(files.npy[`${v.name}-values.npy`].byteLength - 16);
    expect(files.python).toContain('tensorflow_recommenders_addons');
    expect(files.python).toContain('Adagrad');
  });

  it('the TFRA script gives each table its own optimizer when they differ', async () => {
    const user = table({ name: 'user_emb', optimizer: 'Adam', learningRate: 0.01 });
    const item = table({ name: 'item_emb', optimizer: 'SGD', learningRate: 0.5 });
    const { trainer, vars } = build(user, 40, {
      tables: [user, item],
      features: [feature({ name: 'user_id', table: 'user_emb' }), feature({ name: 'item_id', table: 'item_emb' })],
    });
    await trainer.reset();
    await trainer.runStep();
    const { python } = await trainer.exportFiles();
    expect(python).toContain('optimizer_0 = de.DynamicEmbeddingOptimizer(_keras_optimizers.Adam(learning_rate=0.01');
    expect(python).toContain('optimizer_1 = de.DynamicEmbeddingOptimizer(_keras_optimizers.SGD(learning_rate=0.5');
    expect(python).toContain(`${JSON.stringify(vars.get('user_emb')!.name)}: optimizer_0,`);
    expect(python).toContain(`${JSON.stringify(vars.get('item_emb')!.name)}: optimizer_1,`);
  });
});
