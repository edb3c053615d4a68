// The worker's default model, run in Node on the real engine: it learns (loss falls), step back
// restores exactly the state before the last step, and restrict policies evict.
import { beforeAll, describe, expect, it } from 'vitest';
import * as de from '../../engine/index.js';
import { type TrainTable, Trainer } from '../../../workers/trainer.js';
import { defaultWorkspace } from '../workspace/schema.js';

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

function build(t: TrainTable, vocabulary = 50) {
  const v = new de.Variable({
    name: `${t.name}_${Math.random().toString(36).slice(2)}`,
    dim: t.dim,
    keyDtype: t.keyDtype,
    initializer: de.initializers.randomNormal({ mean: 0, stddev: 0.05, seed: 1 }),
    restrictPolicy: t.restrictPolicy === 'frequency' ? de.FrequencyRestrictPolicy : undefined,
  });
  const generator = { ...defaultWorkspace().generator, vocabulary, newIdRate: 0, batchSize: 64 };
  const trainer = new Trainer(
    { tables: [t], features: [{ name: 'user_id', table: t.name, combiner: 'mean' }], generator, seed: 3 },
    () => v,
  );
  return { v, trainer };
}

beforeAll(async () => {
  await de.ready();
});

describe('Trainer', () => {
  it('learns the generator labels: the loss falls over 150 steps', async () => {
    const { trainer, v } = build(table());
    await trainer.reset();
    const losses: number[] = [];
    for (let i = 0; i < 150; i++) losses.push((await trainer.runStep()).loss);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
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

  it('a frequency restrict policy evicts down to its limit', async () => {
    const { trainer, v } = build(table({ restrictPolicy: 'frequency', restrictLimit: 20 }), 500);
    await trainer.reset();
    let evicted = 0;
    for (let i = 0; i < 5; i++) evicted += (await trainer.runStep()).tables.user_emb.evictions;
    expect(evicted).toBeGreaterThan(0);
    expect(v.size()).toBe(20);
  });

  it('exports a checkpoint, .npy files and a TFRA script', async () => {
    const { trainer, v } = build(table());
    await trainer.reset();
    await trainer.runStep();
    const files = await trainer.exportFiles();
    expect(files.checkpoint.length).toBeGreaterThan(100);
    expect(Object.keys(files.npy)).toEqual([`${v.name}-keys.npy`, `${v.name}-values.npy`]);
    expect(files.python).toContain('tensorflow_recommenders_addons');
    expect(files.python).toContain('Adagrad');
  });
});
