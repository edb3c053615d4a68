// The playground session driven end to end in Node, as the page drives it through its worker:
// presets loaded, lookups inspected (shapes and values checked against the per-id vectors the
// session reports), ten steps trained, a step back, a save restored into a fresh session, the
// downloads, the internals and the tiny table.
import { afterEach, describe, expect, it } from 'vitest';
import * as de from '../engine/index.js';
import type { LookupReply } from './protocol.js';
import { TestSession } from './test-session.js';
import { PRESETS } from './workspace/presets.js';

const open: TestSession[] = [];
async function session(preset: string): Promise<TestSession> {
  const t = await TestSession.create();
  open.push(t);
  await t.loadPreset(preset);
  return t;
}

afterEach(async () => {
  for (const t of open.splice(0)) await t.dispose();
});

/** Row `i` of the reply's per-id vectors. */
const vec = (r: LookupReply, i: number) => Array.from(r.ids[i].vector);

describe('PlaygroundSession: the Lookup inspector', () => {
  it('TFRA SquashedEmbedding (sum): ids (3, 2) give (3, 8), each row the sum of its two vectors', async () => {
    const t = await session('tfra-squashed');
    const r = await t.inspect();
    expect(r.shape).toEqual([3, 8]);
    expect(r.ids.map((x) => x.id)).toEqual(['15', '2', '4', '92', '22', '4']);
    // An empty table: every id misses (TFRA lookups never insert) and reads the initializer's value.
    expect(r.ids.map((x) => x.status)).toEqual(['miss', 'miss', 'miss', 'miss', 'miss', 'miss']);
    expect(r.tableSize).toBe(0);
    // The same key reads the same initializer row (id 4 twice).
    expect(vec(r, 2)).toEqual(vec(r, 5));
    for (let row = 0; row < 3; row++) {
      for (let d = 0; d < 8; d++) {
        expect(r.output[row * 8 + d]).toBeCloseTo(vec(r, 2 * row)[d] + vec(r, 2 * row + 1)[d], 6);
      }
    }
    // randomNormal(stddev 0.05) rows of dim 8: norms near 0.05 * sqrt(8) = 0.14.
    for (const x of r.ids) {
      expect(x.norm).toBeGreaterThan(0.01);
      expect(x.norm).toBeLessThan(0.5);
    }
  });

  it('a weighted sparse feature (mean): row 0 is (1.0 v7 + 0.5 v8) / 1.5, shape (3, 4)', async () => {
    const t = await session('weighted-sparse');
    const r = await t.inspect();
    expect(r.shape).toEqual([3, 4]);
    expect(r.ids.map((x) => x.id)).toEqual(['7', '8', '9', '7', '10', '11']);
    for (let d = 0; d < 4; d++) {
      expect(r.output[d]).toBeCloseTo((1.0 * vec(r, 0)[d] + 0.5 * vec(r, 1)[d]) / 1.5, 6);
      expect(r.output[4 + d]).toBeCloseTo(vec(r, 2)[d], 6);
      expect(r.output[8 + d]).toBeCloseTo((0.25 * vec(r, 3)[d] + vec(r, 4)[d] + vec(r, 5)[d]) / 2.25, 6);
    }
  });

  it('TensorX Lookup (seq 4): ids (2, 3) give (2, 4, 6), the fourth step zeros', async () => {
    const t = await session('tensorx-lookup');
    const r = await t.inspect();
    expect(r.shape).toEqual([2, 4, 6]);
    for (let row = 0; row < 2; row++) {
      for (let j = 0; j < 3; j++) {
        expect(Array.from(r.output.subarray((row * 4 + j) * 6, (row * 4 + j + 1) * 6))).toEqual(vec(r, row * 3 + j));
      }
      // (the mask multiplies by 0, so a negative value becomes -0)
      expect(Array.from(r.output.subarray((row * 4 + 3) * 6, (row * 4 + 4) * 6), Math.abs)).toEqual([0, 0, 0, 0, 0, 0]);
    }
  });
});

describe('PlaygroundSession: training, step back, save and restore, export', () => {
  it('trains ten steps, steps back exactly, restores into a fresh session and exports', async () => {
    const t = await session('tfra-embedding');
    const { metrics } = await t.train(10);
    expect(metrics.map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const losses = metrics.map((m) => m.loss);
    // Logistic regression from a near-zero start: the first loss is about ln 2 = 0.693.
    expect(losses[0]).toBeCloseTo(Math.LN2, 1);
    for (const l of losses) {
      expect(l).toBeGreaterThan(0);
      expect(l).toBeLessThan(2);
    }
    // Zipf ids over a vocabulary of 1000, 32 examples x 4 ids a step: the table grows, hits rise.
    const sizes = metrics.map((m) => m.tables.embedding.size);
    expect(sizes[0]).toBeGreaterThan(10);
    expect(sizes[9]).toBeGreaterThan(sizes[0]);
    expect(metrics[9].tables.embedding.hitRate).toBeGreaterThan(metrics[0].tables.embedding.hitRate);

    // Deterministic: a second session trains to the very same losses.
    const twin = await session('tfra-embedding');
    expect((await twin.train(10)).metrics.map((m) => m.loss)).toEqual(losses);

    // Step back restores the state before step 10: replaying step 10 gives its loss again.
    expect((await t.session.trainStepBack()).step).toBe(9);
    const again = await t.session.trainSteps(1);
    expect(again.metrics[0].step).toBe(10);
    expect(again.metrics[0].loss).toBe(losses[9]);
    expect(again.sizes.embedding).toBe(sizes[9]);

    // Save, restore into a fresh session: same step, same tables, same next loss, same lookups.
    const saved = (await t.session.trainSave())!;
    expect(saved.step).toBe(10);
    expect(saved.tables).toEqual(['embedding']);
    const fresh = await session('tfra-embedding');
    const restored = await fresh.restore(saved);
    expect(restored).toMatchObject({ restored: true, reason: '', step: 10, sizes: { embedding: sizes[9] } });
    const a = await t.inspect();
    const b = await fresh.inspect();
    expect(Array.from(b.output)).toEqual(Array.from(a.output));
    expect(a.ids.filter((x) => x.status === 'hit').length).toBeGreaterThan(0);
    const [nextA, nextB] = [await t.session.trainSteps(1), await fresh.session.trainSteps(1)];
    expect(nextB.metrics[0].loss).toBe(nextA.metrics[0].loss);

    // A state saved for other settings changes nothing and says why.
    const other = await session('tfra-squashed');
    const refused = await other.restore(saved);
    expect(refused).toMatchObject({ restored: false, reason: 'the saved model had other settings', step: 0 });

    // The downloads: a checkpoint that restores the table, its .npy files and the TFRA script.
    const files = await t.session.exportFiles();
    expect(Object.keys(files.npy)).toEqual(expect.arrayContaining(['embedding-keys.npy', 'embedding-values.npy']));
    expect(files.python).toContain('embedding');
    const copy = new de.Variable({ name: 'embedding', dim: 8, keyDtype: 'int64' });
    await de.checkpoint.restore(files.checkpoint, [copy, new de.optimizers.Adam({ learningRate: 0.05 })]);
    expect(copy.size()).toBe(nextA.sizes.embedding);
    copy.dispose();
  });
});

describe('PlaygroundSession: internals and the tiny table', () => {
  it("reports each shard's size and load factor, and the tiny table's inserts and removes", async () => {
    const t = await session('tfra-embedding');
    const { sizes } = await t.train(3);
    const shards = t.session.internals('embedding')!;
    expect(shards).toHaveLength(1);
    expect(shards[0].size).toBe(sizes.embedding);
    expect(shards[0].loadFactor).toBeCloseTo(sizes.embedding / shards[0].capacity, 6);
    expect(t.session.internals('no_such_table')).toBeNull();

    const empty = t.session.tinyReset(1);
    expect(empty).toMatchObject({ size: 0, tombstones: 0, lastSlot: -1, nextKey: 17 });
    const one = t.session.tinyInsert();
    expect(one.size).toBe(1);
    expect(one.keys[one.lastSlot]).toBe(17);
    expect(one.nextKey).toBe(406);
    t.session.tinyInsert();
    const removed = t.session.tinyRemove();
    expect(removed.size).toBe(1);
    expect(removed.keys.filter((k) => k !== null)).toEqual([406]);
  });
});

describe('PlaygroundSession: a table on the worker pool', () => {
  it('looks up through the pool: the same shape, each id on worker shard mod 2, hits after training', async () => {
    const w = PRESETS.find((p) => p.id === 'tfra-embedding')!.build();
    w.tables[0] = { ...w.tables[0], placement: 'workers', partitions: 4 };
    const t = await TestSession.create(w);
    open.push(t);
    const before = await t.inspect();
    expect(before.shape).toEqual([3, 2, 8]);
    expect(before.poolWorkers).toBe(2);
    expect(before.ids.map((x) => x.status)).toEqual(['miss', 'miss', 'miss', 'miss', 'miss', 'miss']);
    for (const x of before.ids) expect(x.worker).toBe(x.shard % 2);
    const { metrics } = await t.train(3);
    expect(metrics[0].loss).toBeCloseTo(Math.LN2, 1);
    expect(metrics[2].tables.embedding.capacity).toBeNull();
    const after = await t.inspect();
    expect(after.tableSize).toBe(metrics[2].tables.embedding.size);
    // In-process, the same rows: a twin session trains to the same losses and lookups.
    const local = await session('tfra-embedding');
    const ref = await local.train(3);
    expect(metrics.map((m) => m.loss).map((l) => l.toFixed(5))).toEqual(ref.metrics.map((m) => m.loss.toFixed(5)));
    const localAfter = await local.inspect();
    expect(after.ids.map((x) => x.status)).toEqual(localAfter.ids.map((x) => x.status));
    for (let i = 0; i < after.output.length; i++) expect(after.output[i]).toBeCloseTo(localAfter.output[i], 5);
  });
});
