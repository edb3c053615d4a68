// The generated TypeScript runs on the engine as written (imports swapped for the modules).
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import * as de from '../../engine/index.js';
import { PRESETS } from '../../playground/workspace/index.js';
import { defaultWorkspace } from '../../playground/workspace/index.js';
import { typescriptFor } from './code.js';

async function run(code: string): Promise<unknown[]> {
  const body = code.replace(/^import .*$/gm, '');
  const logs: unknown[] = [];
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
    ...args: string[]
  ) => (...a: unknown[]) => Promise<void>;
  await new AsyncFunction('de', 'tf', 'console', body)(de, tf, { log: (...a: unknown[]) => logs.push(...a) });
  return logs;
}

describe('typescriptFor', () => {
  it('rebuilds the default workspace and trains one step', async () => {
    const code = typescriptFor(defaultWorkspace());
    expect(code).toContain('new de.optimizers.Adam({ learningRate: 0.05 })');
    const logs = await run(code);
    expect(logs[0]).toBe('loss');
    expect(logs[1]).toBeGreaterThan(0);
    expect(logs[2]).toBe('user_emb');
    expect(logs[3]).toBeGreaterThan(0);
  });

  it('runs every preset (shared tables, string ids, restrict policies), and mixed optimizers', async () => {
    for (const p of PRESETS) {
      const logs = await run(typescriptFor(p.build()));
      expect(Number.isFinite(logs[1]), p.id).toBe(true);
    }
    const w = defaultWorkspace();
    w.tables = [w.tables[0], { ...w.tables[0], name: 'item_emb', optimizer: 'SGD', keyDtype: 'string' }];
    w.features = [w.features[0], { ...w.features[0], name: 'item_id', table: 'item_emb', combiner: 'sum' }];
    const code = typescriptFor(w);
    expect(code).toContain('const optimizer1 = new de.optimizers.SGD');
    const logs = await run(code);
    expect(logs).toHaveLength(6);
  });

  it('writes the two-tower model and every input kind (sparse with weights, ragged, sequence) and runs them', async () => {
    const w = defaultWorkspace();
    w.tables = [w.tables[0], { ...w.tables[0], name: 'item_emb', maxNorm: 0.5 }];
    w.features = [
      { ...w.features[0], input: 'sparse', combiner: 'sqrtn', weights: true },
      { ...w.features[0], name: 'item_id', table: 'item_emb', input: 'ragged', combiner: 'sum' },
      { ...w.features[0], name: 'history', table: 'item_emb', maxSequenceLength: 3 },
    ];
    w.training = { ...w.training, model: 'twoTower', itemFeatures: ['item_id', 'history'] };
    const code = typescriptFor(w);
    expect(code).toContain('const wUser = glorot(8, 9');
    expect(code).toContain('const wItem = glorot(32, 9'); // 8 + 3 x 8
    expect(code).toContain("op: 'sparse', combiner: 'sqrtn', seq: 0, weights: true");
    expect(code).toContain('maxNorm: 0.5');
    const logs = await run(code);
    expect(Number.isFinite(logs[1])).toBe(true);
    expect(logs[3]).toBeGreaterThan(0);
    expect(logs[5]).toBeGreaterThan(0);
    // A model that cannot be built says why instead of training.
    w.training.itemFeatures = ['user_id', 'item_id', 'history'];
    expect(typescriptFor(w)).toMatch(/cannot train this workspace: .*needs at least one feature in each tower/);
  });

  it('places worker-pool tables with de.pool.placeVariable and trains them with de.train.step({ async: true })', async () => {
    const w = defaultWorkspace();
    w.tables = [
      { ...w.tables[0], placement: 'workers', partitions: 3, restrictPolicy: 'frequency', restrictLimit: 5 },
      { ...w.tables[0], name: 'item_emb', optimizer: 'SGD', maxNorm: 0.5 },
    ];
    w.features = [
      { ...w.features[0], input: 'sparse', combiner: 'sqrtn', weights: true },
      { ...w.features[0], name: 'item_id', table: 'item_emb', combiner: 'sum' },
      { ...w.features[0], name: 'history', maxSequenceLength: 3 },
    ];
    const code = typescriptFor(w);
    expect(code).toContain('const user_emb = await de.pool.placeVariable(pool, {');
    expect(code).toContain('const item_emb = new de.Variable({');
    expect(code).toContain('{ varList, async: true }');
    expect(code).toContain('await user_emb.restrict(5)');
    const logs = await run(code);
    expect(logs[0]).toBe('loss');
    expect(Number.isFinite(logs[1])).toBe(true);
    expect(logs[2]).toBe('user_emb');
    expect(logs[3]).toBeGreaterThan(0);
    expect(logs[3]).toBeLessThanOrEqual(5);
    expect(logs[5]).toBeGreaterThan(0);
    // In-process workspaces keep the synchronous step.
    expect(typescriptFor(defaultWorkspace())).not.toContain('async: true');
  }, 60_000);

  it('gives tables named class, de, tf, batch and class_ valid, distinct identifiers and runs', async () => {
    const w = defaultWorkspace();
    const names = ['class', 'de', 'tf', 'batch', 'class_'];
    w.tables = names.map((name, i) => ({ ...w.tables[0], name, restrictPolicy: i === 0 ? 'timestamp' : 'none' }));
    w.features = names.map((table, i) => ({ ...w.features[0], name: i === 0 ? 'user_id' : `f_${table}`, table }));
    const code = typescriptFor(w);
    expect(code).toContain('const class_ = new de.Variable({');
    expect(code).toContain("  name: 'class',");
    expect(code).toContain('const class__ = new de.Variable({');
    expect(code).toContain('const de_ = new de.Variable({');
    expect(code).toContain('const tf_ = new de.Variable({');
    expect(code).toContain('const batch_ = new de.Variable({');
    const logs = await run(code);
    expect(logs.filter((x) => typeof x === 'string')).toEqual(['loss', ...names]);
    expect(Number.isFinite(logs[1])).toBe(true);
    expect(logs[3]).toBeGreaterThan(0);
  });
});
