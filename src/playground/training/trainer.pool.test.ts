// The worker's model with a table placed on the worker pool (de.pool.placeVariable, Node worker
// threads here): the same losses, sizes and hit rates as the same model in-process, trained
// through de.train.step({ async: true }); no keyframe checkpoint for pooled tables, Step back resets and
// replays, and lands on the same state as the in-process keyframe Step back; Reset starts over.
// A reload keeps pooled tables: their rows, restrict status and optimizer slots are saved
// (workers/pooled-state.ts) and written back into a new model, which then trains on identically.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as de from '../../engine/index.js';
import type { TrainFeature, TrainTable } from '../protocol.js';
import { restorePooled, restoreProblem, savePooled } from './pooled-state.js';
import { Trainer, type TrainVariable } from './trainer.js';
import { defaultWorkspace } from '../workspace/schema.js';

const tables: TrainTable[] = [
  {
    name: 'user_emb',
    dim: 4,
    keyDtype: 'int64',
    optimizer: 'Adagrad',
    learningRate: 0.3,
    restrictPolicy: 'frequency',
    restrictLimit: 30,
    maxNorm: 0,
  },
  // Another optimizer: its group's step reads user_emb as a constant (outside the step).
  {
    name: 'item_emb',
    dim: 3,
    keyDtype: 'int32',
    optimizer: 'Adam',
    learningRate: 0.05,
    restrictPolicy: 'none',
    restrictLimit: 1,
    maxNorm: 0.5,
  },
];

const features: TrainFeature[] = [
  { name: 'user_id', table: 'user_emb', input: 'dense', combiner: 'mean', maxSequenceLength: 0, weights: false },
  { name: 'items', table: 'item_emb', input: 'sparse', combiner: 'sqrtn', maxSequenceLength: 0, weights: true },
  { name: 'history', table: 'user_emb', input: 'ragged', combiner: 'sum', maxSequenceLength: 3, weights: false },
];

const options = (t: TrainTable): de.VariableOptions => ({
  name: t.name,
  dim: t.dim,
  keyDtype: t.keyDtype,
  partitions: 3,
  initializer: de.initializers.randomNormal({ mean: 0, stddev: 0.05, seed: 7 }),
  restrictPolicy: t.restrictPolicy === 'frequency' ? de.FrequencyRestrictPolicy : undefined,
});

let pool: de.pool.WorkerPool;

beforeAll(async () => {
  await de.ready();
  pool = await de.pool.WorkerPool.create({ size: 2 });
});

afterAll(async () => {
  await pool.terminate();
});

async function build(pooled: boolean | string[]): Promise<{ trainer: Trainer; vars: Map<string, TrainVariable> }> {
  const vars = new Map<string, TrainVariable>();
  for (const t of tables) {
    const onPool = Array.isArray(pooled) ? pooled.includes(t.name) : pooled;
    vars.set(t.name, onPool ? await de.pool.placeVariable(pool, options(t)) : new de.Variable(options(t)));
  }
  const generator = { ...defaultWorkspace().generator, vocabulary: 60, newIdRate: 0.1, batchSize: 16 };
  const trainer = new Trainer(
    { tables, features, generator, seed: 3, model: 'logistic', itemFeatures: [] },
    (name) => vars.get(name)!,
    (name) => options(tables.find((t) => t.name === name)!),
  );
  return { trainer, vars };
}

describe('Trainer with tables on the worker pool', () => {
  it('gives the same losses, sizes, hit rates and evictions as in-process; step back replays; reset starts over', async () => {
    const local = await build(false);
    const pooled = await build(true);
    await local.trainer.reset();
    await pooled.trainer.reset();
    expect(local.trainer.pooledTables).toEqual([]);
    expect(pooled.trainer.pooledTables).toEqual(['user_emb', 'item_emb']);
    const rows = async (v: TrainVariable) => {
      const e = await v.export();
      const keys = Array.from(e.keys as ArrayLike<number | bigint>, Number);
      const order = keys.map((_, i) => i).sort((i, j) => keys[i] - keys[j]);
      return order.map((i) => [keys[i], ...Array.from(e.values.subarray(i * e.dim, (i + 1) * e.dim))]);
    };
    const names = ['user_emb', 'item_emb'];
    const atStep5: Record<string, number[][][]> = { local: [], pooled: [] };
    const a = [];
    const b = [];
    for (let i = 0; i < 6; i++) {
      if (i === 5) {
        for (const n of names) {
          atStep5.local.push(await rows(local.vars.get(n)!));
          atStep5.pooled.push(await rows(pooled.vars.get(n)!));
        }
      }
      a.push(await local.trainer.runStep());
      b.push(await pooled.trainer.runStep());
    }
    for (let i = 0; i < a.length; i++) {
      expect(b[i].step).toBe(a[i].step);
      expect(b[i].loss).toBeCloseTo(a[i].loss, 5);
      for (const name of ['user_emb', 'item_emb']) {
        const x = a[i].tables[name];
        const y = b[i].tables[name];
        expect(y.size).toBe(x.size);
        expect(y.hitRate).toBe(x.hitRate);
        expect(y.evictions).toBe(x.evictions);
        expect(y.gradNorm).toBeCloseTo(x.gradNorm, 4);
        expect(y.capacity).toBeNull();
        expect(x.capacity).toBeGreaterThanOrEqual(x.size);
      }
    }
    // The loss moved, and the restrict policy evicted in both.
    expect(a[5].loss).not.toBe(a[0].loss);
    expect(a.some((m) => m.tables.user_emb.evictions > 0)).toBe(true);
    const h1 = (await local.trainer.normHistograms(['user_emb']))[0];
    const h2 = (await pooled.trainer.normHistograms(['user_emb']))[0];
    expect(h2.keys).toBe(h1.keys);

    expect(pooled.trainer.step).toBe(6);

    // Step back: in-process restores keyframe 0 (its optimizer slots emptied too) and replays,
    // pooled resets and replays; each is exactly its state at step 5, and the two agree.
    expect(await local.trainer.stepBack()).toBe(5);
    expect(await pooled.trainer.stepBack()).toBe(5);
    for (const [k, name] of names.entries()) {
      const x = await rows(local.vars.get(name)!);
      const y = await rows(pooled.vars.get(name)!);
      expect(x).toEqual(atStep5.local[k]);
      expect(y).toEqual(atStep5.pooled[k]);
      expect(y.length).toBe(x.length);
      y.forEach((r, i) => r.forEach((c, j) => expect(c).toBeCloseTo(x[i][j], 5)));
    }
    const replayed = await pooled.trainer.runStep();
    expect(replayed.loss).toBeCloseTo(b[5].loss, 5);

    await pooled.trainer.reset();
    expect(pooled.trainer.step).toBe(0);
    expect(await (pooled.vars.get('user_emb') as de.pool.PooledVariable).size()).toBe(0);
    const again = await pooled.trainer.runStep();
    expect(again.loss).toBeCloseTo(a[0].loss, 5);
    for (const v of pooled.vars.values()) await v.dispose();
    local.trainer.dispose();
    pooled.trainer.dispose();
  }, 120_000);

  it('a saved state (cloned as IndexedDB keeps it) restores rows, status, slots and step: the next steps are the same', async () => {
    const names = ['user_emb', 'item_emb'];
    const pv = (b: { vars: Map<string, TrainVariable> }, n: string) => b.vars.get(n) as de.pool.PooledVariable;
    const sorted = async (part: { export(): Promise<{ keys: unknown; values: Float32Array; dim: number }> }) => {
      const e = (await part.export()) as { keys: ArrayLike<number | bigint>; values: Float32Array; dim: number };
      const keys = Array.from(e.keys, Number);
      const order = keys.map((_, i) => i).sort((i, j) => keys[i] - keys[j]);
      return order.map((i) => [keys[i], ...Array.from(e.values.subarray(i * e.dim, (i + 1) * e.dim))]);
    };
    const first = await build(true);
    await first.trainer.start();
    for (let i = 0; i < 4; i++) await first.trainer.runStep();
    const opts = first.trainer.optimizers;
    const pooled = [];
    for (const n of names) pooled.push(await savePooled(pv(first, n), opts));
    const saved = structuredClone({
      pooled,
      checkpoint: await de.checkpoint.save(opts),
      head: first.trainer.headState(),
      step: first.trainer.step,
      globalStep: de.train.globalStep(),
    });
    const user = saved.pooled[0];
    expect(user.name).toBe('user_emb');
    expect(user.rows.keys).toBeInstanceOf(BigInt64Array);
    expect(user.status?.keys.length).toBe(user.rows.keys.length);
    expect(user.slots.map((x) => [x.optimizer, x.slot])).toEqual([[0, 'accumulator']]);
    expect(saved.pooled[1].slots.map((x) => [x.optimizer, x.slot])).toEqual([
      [1, 'm'],
      [1, 'v'],
    ]);
    const before: Record<string, number[][][]> = {};
    for (const n of names) {
      const v = pv(first, n);
      const opt = opts[n === 'user_emb' ? 0 : 1];
      before[n] = [await sorted(v), ...(await Promise.all(opt.slotSpecs().map((x) => sorted(v.getSlot(opt, x.name)))))];
      if (v.policy !== null) before[n].push(await sorted(v.status()));
    }
    const iterations = opts.map((o) => o.iterations);
    expect(iterations[0]).toBe(4);
    const straight = [await first.trainer.runStep(), await first.trainer.runStep()];

    // A new model on new tables (the page reloaded): restore, then the same two steps.
    const second = await build(true);
    await second.trainer.start();
    const opts2 = second.trainer.optimizers;
    for (const [i, n] of names.entries()) expect(restoreProblem(saved.pooled[i], pv(second, n), opts2)).toBeNull();
    await de.checkpoint.restore(saved.checkpoint, opts2);
    for (const [i, n] of names.entries()) await restorePooled(saved.pooled[i], pv(second, n), opts2);
    await second.trainer.resume(saved.step, saved.globalStep, saved.head.dense, saved.head.denseSlots);
    expect(second.trainer.step).toBe(4);
    expect(de.train.globalStep()).toBe(saved.globalStep);
    for (const n of names) {
      const v = pv(second, n);
      const opt = opts2[n === 'user_emb' ? 0 : 1];
      const now = [await sorted(v), ...(await Promise.all(opt.slotSpecs().map((x) => sorted(v.getSlot(opt, x.name)))))];
      if (v.policy !== null) now.push(await sorted(v.status()));
      expect(now).toEqual(before[n]);
      expect(now[0].length).toBeGreaterThan(0);
    }
    expect(opts2.map((o) => o.iterations)).toEqual(iterations);
    const resumed = [await second.trainer.runStep(), await second.trainer.runStep()];
    for (let i = 0; i < 2; i++) {
      expect(resumed[i].step).toBe(straight[i].step);
      expect(resumed[i].loss).toBeCloseTo(straight[i].loss, 6);
      for (const n of names) {
        expect(resumed[i].tables[n].size).toBe(straight[i].tables[n].size);
        expect(resumed[i].tables[n].hitRate).toBe(straight[i].tables[n].hitRate);
        expect(resumed[i].tables[n].evictions).toBe(straight[i].tables[n].evictions);
        expect(resumed[i].tables[n].gradNorm).toBeCloseTo(straight[i].tables[n].gradNorm, 5);
      }
    }
    for (const n of names) expect(await sorted(pv(second, n))).toEqual(await sorted(pv(first, n)));
    // No keyframes on the pool, and the steps before the reload are not kept.
    await expect(second.trainer.stepBack()).rejects.toThrow(
      /Step back is not available since the page reloaded at step 4/,
    );
    expect(second.trainer.step).toBe(6);

    // A saved table that does not fit is refused before anything is written.
    const third = await build(true);
    await third.trainer.start();
    const v3 = pv(third, 'user_emb');
    const o3 = third.trainer.optimizers;
    const wide = {
      ...user,
      dim: 5,
      rows: { ...user.rows, values: new Float32Array(user.rows.keys.length * 5) },
      slots: [],
    };
    expect(restoreProblem(wide, v3, o3)).toMatch(/has int64 keys and dim 4, the saved one int64 keys and dim 5/);
    expect(restoreProblem({ ...user, status: null }, v3, o3)).toMatch(/restrict policy/);
    expect(restoreProblem({ ...user, slots: [{ ...user.slots[0], optimizer: 7 }] }, v3, o3)).toMatch(/optimizer 7/);
    expect(restoreProblem({ ...user, slots: [{ ...user.slots[0], slot: 'm' }] }, v3, o3)).toMatch(/no slot m/);
    expect(restoreProblem({ ...user, rows: { keys: new Int32Array(1), values: new Float32Array(4) } }, v3, o3)).toMatch(
      /BigInt64Array/,
    );
    expect(restoreProblem({ ...user, rows: { ...user.rows, values: new Float32Array(3) } }, v3, o3)).toMatch(
      /Float32Array of \d+ x 4/,
    );
    await expect(restorePooled(wide, v3, o3)).rejects.toThrow(/cannot be restored/);
    expect(await v3.size()).toBe(0);
    for (const b of [first, second, third]) {
      for (const v of b.vars.values()) await v.dispose();
      b.trainer.dispose();
    }
  }, 120_000);
});

type Rows = { keys: Int32Array | BigInt64Array | string[]; values: Float32Array };

/** Rows keyed by key (as a string), each row's values. */
function byKey(r: Rows, dim: number): Map<string, number[]> {
  const m = new Map<string, number[]>();
  Array.from(r.keys as ArrayLike<number | bigint | string>).forEach((k, i) =>
    m.set(String(k), Array.from(r.values.subarray(i * dim, (i + 1) * dim))),
  );
  return m;
}

/** A NumPy .npy v1.0 file read back: its dtype, shape and data (little-endian int32/int64/float32). */
function parseNpy(bytes: Uint8Array): {
  descr: string;
  shape: number[];
  data: Int32Array | BigInt64Array | Float32Array;
} {
  expect(Array.from(bytes.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  const headerLen = bytes[8] | (bytes[9] << 8);
  const header = new TextDecoder().decode(bytes.subarray(10, 10 + headerLen));
  const descr = /'descr': '([^']+)'/.exec(header)![1];
  const shape = /'shape': \(([^)]*)\)/
    .exec(header)![1]
    .split(',')
    .filter((x) => x.trim() !== '')
    .map(Number);
  const body = bytes.slice(10 + headerLen);
  const data =
    descr === '<i4'
      ? new Int32Array(body.buffer)
      : descr === '<i8'
        ? new BigInt64Array(body.buffer)
        : new Float32Array(body.buffer);
  return { descr, shape, data };
}

describe('Code panel downloads with tables on the worker pool', () => {
  for (const [label, onPool] of [
    ['both tables pooled', ['user_emb', 'item_emb']],
    ['user_emb pooled, item_emb in-process', ['user_emb']],
  ] as const) {
    it(`${label}: the .npy files hold the rows, the checkpoint restores rows, status, slots and step in-process`, async () => {
      const { trainer, vars } = await build([...onPool]);
      await trainer.reset();
      for (let i = 0; i < 6; i++) await trainer.runStep();
      expect(trainer.pooledTables).toEqual([...onPool]);
      const opts = trainer.optimizers;
      const trainedBefore = opts.map((o) => o.trainedVariables().length);
      const files = await trainer.exportFiles();

      // .npy: each table's keys and values, the same rows as the table holds.
      // ... and the slots training created, for the script's restore_slots()
      const stems = ['item_emb', 'user_emb', 'user_emb.accumulator', 'item_emb.m', 'item_emb.v'];
      expect(Object.keys(files.npy).sort()).toEqual(stems.flatMap((s) => [`${s}-keys.npy`, `${s}-values.npy`]).sort());
      const acc = parseNpy(files.npy['user_emb.accumulator-values.npy']);
      expect(acc.shape).toEqual([(await vars.get('user_emb')!.export()).keys.length, 4]);
      for (const t of tables) {
        const want = await vars.get(t.name)!.export();
        expect(want.keys.length).toBeGreaterThan(0);
        const k = parseNpy(files.npy[`${t.name}-keys.npy`]);
        const v = parseNpy(files.npy[`${t.name}-values.npy`]);
        expect(k.descr).toBe('<i8'); // int64 keys, as TFRA (int32 keys widened)
        expect(k.shape).toEqual([want.keys.length]);
        expect(v.descr).toBe('<f4');
        expect(v.shape).toEqual([want.keys.length, t.dim]);
        const got = byKey({ keys: k.data as BigInt64Array, values: v.data as Float32Array }, t.dim);
        expect(got).toEqual(byKey(want, t.dim));
      }

      // The checkpoint restores into in-process Variables and fresh optimizers: the same rows,
      // restrict status, optimizer slots and iterations.
      const fresh = tables.map((t) => new de.Variable(options(t)));
      const freshOpts = [
        new de.optimizers.Adagrad({ learningRate: 0.3 }),
        new de.optimizers.Adam({ learningRate: 0.05 }),
      ];
      await de.checkpoint.restore(files.checkpoint, [...fresh, ...freshOpts]);
      expect(freshOpts.map((o) => o.iterations)).toEqual(opts.map((o) => o.iterations));
      expect(opts[0].iterations).toBe(6);
      for (const [i, t] of tables.entries()) {
        const src = vars.get(t.name)!;
        const dst = fresh[i];
        expect(byKey(dst.export(), t.dim)).toEqual(byKey(await src.export(), t.dim));
        const dstStatus = de.policyOf(dst);
        if (t.restrictPolicy === 'frequency') {
          const srcStatus =
            src instanceof de.pool.PooledVariable ? await src.status().export() : de.policyOf(src)!.status.export();
          expect(srcStatus.keys.length).toBeGreaterThan(0);
          expect(byKey(dstStatus!.status.export(), 1)).toEqual(byKey(srcStatus, 1));
        } else expect(dstStatus).toBeUndefined();
        const opt = opts[i];
        for (const spec of opt.slotSpecs()) {
          const srcSlot =
            src instanceof de.pool.PooledVariable
              ? await src.getSlot(opt, spec.name).export()
              : opt.getSlot(src, spec.name).export();
          expect(srcSlot.keys.length).toBeGreaterThan(0);
          expect(byKey(freshOpts[i].getSlot(dst, spec.name).export(), t.dim)).toEqual(byKey(srcSlot, t.dim));
        }
      }
      expect(files.python).toContain('name="user_emb"');
      expect(files.python).toContain('name="item_emb"');
      expect(files.python).toContain('Adagrad');
      expect(files.python).toContain('Adam');

      // The copies are freed and the model's optimizers untouched: it trains on.
      expect(opts.map((o) => o.trainedVariables().length)).toEqual(trainedBefore);
      expect((await trainer.runStep()).step).toBe(7);
      for (const v of fresh) v.dispose();
    });
  }
});
