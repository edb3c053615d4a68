import { describe, expect, it } from 'vitest';
import { coreRange, DEFAULT_TPU_CONFIG, PHASES, tpuBatch } from './config.js';
import { TpuSim } from './sim.js';

describe('tpuBatch', () => {
  it('is a pure function of (config, step), with ids inside the vocabularies', () => {
    const cfg = { ...DEFAULT_TPU_CONFIG, numCores: 2, perCore: 3 };
    expect(tpuBatch(cfg, 5)).toEqual(tpuBatch(cfg, 5));
    expect(tpuBatch(cfg, 5)).not.toEqual(tpuBatch(cfg, 6));
    const b = tpuBatch(cfg, 0);
    expect(b.user).toHaveLength(6);
    expect(b.video.every((v) => v >= 0 && v < cfg.videoVocab)).toBe(true);
    expect(b.user.every((u) => u >= 0 && u < cfg.userVocab)).toBe(true);
    expect(b.labels.every((y) => y > -1 && y < 1)).toBe(true);
  });

  it('splits contiguously, as strategy.run does', () => {
    expect(coreRange(1, 4, 16)).toEqual([4, 8]);
    expect(coreRange(3, 4, 16)).toEqual([12, 16]);
  });
});

describe('TpuSim, replicated', () => {
  it('steps lookup, backward, 2(n-1) ring steps per table, apply; the replay matches the engine', async () => {
    const sim = new TpuSim({ ...DEFAULT_TPU_CONFIG, numCores: 4 });
    const seen: string[] = [];
    for (;;) {
      const phase = await sim.advance();
      seen.push(phase);
      if (phase === 'apply') break;
    }
    // lookup, backward, then all-reduce entered, 6 ring steps for each of 2 tables, then apply.
    expect(seen[0]).toBe(PHASES[0]);
    expect(seen[1]).toBe('backward');
    expect(seen.filter((p) => p === 'all-reduce')).toHaveLength(1 + 2 * 6);
    expect(seen.at(-1)).toBe('apply');
    const v = sim.view();
    expect(v.replayMatches).toBe(true);
    expect(v.inSync).toBe(true);
    expect(v.step).toBe(1);
    // All-reduce bytes: 2 (n-1) V D 4 per table.
    expect(v.history.at(-1)?.byKind['all-reduce']).toBe(2 * 3 * (32 + 24) * 4 * 4);
    expect(v.lastMeasured?.measured).toBe(v.lastMeasured?.predicted);
    sim.dispose();
  });

  it('a dropped contribution makes the checksums differ; resync makes them agree again', async () => {
    const sim = new TpuSim({ ...DEFAULT_TPU_CONFIG, numCores: 4 });
    await sim.runStep();
    expect(sim.view().inSync).toBe(true);
    sim.injectFault('drop', 2);
    expect(sim.view().faults).toEqual([{ kind: 'drop', core: 2, remainingSteps: 1, now: false }]);
    await sim.runStep();
    const diverged = sim.view();
    expect(diverged.inSync).toBe(false);
    // The replay used the same fault, so it still matches what the engine wrote.
    expect(diverged.replayMatches).toBe(true);
    expect(diverged.faults).toEqual([]);
    sim.resync();
    const after = sim.view();
    expect(after.inSync).toBe(true);
    expect(after.history.at(-1)?.label).toBe('resync');
    expect(after.history.at(-1)?.byKind.broadcast).toBe(3 * (32 + 24) * 4 * 4);
    sim.dispose();
  });

  it('a straggler delays messages past the end of the ring and the replicas diverge', async () => {
    const sim = new TpuSim({ ...DEFAULT_TPU_CONFIG, numCores: 3 });
    sim.injectFault('straggler', 0);
    await sim.runStep();
    expect(sim.view().inSync).toBe(false);
    sim.dispose();
  });
});

describe('TpuSim: bytes of finished steps only', () => {
  it('a step held at its ring steps is not in the history, and the last measured step is the finished one', async () => {
    const sim = new TpuSim({ ...DEFAULT_TPU_CONFIG, numCores: 4 });
    await sim.runStep();
    const full = 2 * 3 * (32 + 24) * 4 * 4;
    for (let i = 0; i < 4; i++) await sim.advance(); // lookup, backward, all-reduce, ring step 1 of step 2
    const v = sim.view();
    expect(v.phase).toBe('all-reduce');
    expect(v.history.map((h) => `${h.label} ${h.step} ${h.bytes}`)).toEqual([`step 1 ${full}`]);
    expect(v.lastMeasured).toEqual({ measured: full, predicted: full });
    while ((await sim.advance()) !== 'apply');
    expect(sim.view().history.map((h) => `${h.label} ${h.step} ${h.bytes}`)).toEqual([
      `step 1 ${full}`,
      `step 2 ${full}`,
    ]);
    sim.dispose();
  });
});

describe('TpuSim, sharded', () => {
  it('every mode trains to the same tables as replicated, and moves the predicted bytes', async () => {
    const run = async (sharding: (typeof DEFAULT_TPU_CONFIG)['sharding']) => {
      const sim = new TpuSim({ ...DEFAULT_TPU_CONFIG, numCores: 4, sharding });
      for (let i = 0; i < 3; i++) await sim.runStep();
      const v = sim.view();
      const tables = [...sim.emb.embeddingTables.values()].map((t) => Array.from(t.dataSync()));
      sim.dispose();
      return { v, tables };
    };
    const ref = await run('replicated');
    for (const mode of ['mod', 'row', 'table', 'column'] as const) {
      const { v, tables } = await run(mode);
      tables.forEach((t, ti) => {
        t.forEach((x, k) => {
          expect(x).toBeCloseTo(ref.tables[ti][k], 4);
        });
      });
      expect(v.lastMeasured?.measured).toBe(v.lastMeasured?.predicted);
      expect(v.costs.map((c) => c.mode)).toEqual(['replicated', 'mod', 'row', 'table', 'column']);
    }
  });

  it('phase stepping is refused outside replicated mode', async () => {
    const sim = new TpuSim({ ...DEFAULT_TPU_CONFIG, sharding: 'row' });
    await expect(sim.advance()).rejects.toThrow(/replicated/);
    sim.dispose();
  });
});

describe('TpuSim: the all-reduce phase is the engine step, held between ring steps', () => {
  it("shows the engine's ring (a dropped core's messages), changes no table before apply, defers mid-step faults", async () => {
    const sim = new TpuSim({ ...DEFAULT_TPU_CONFIG, numCores: 4 });
    sim.injectFault('drop', 2);
    const before = sim.view().checksums;
    for (let i = 0; i < 4; i++) await sim.advance(); // lookup, backward, all-reduce, ring step 1
    let v = sim.view();
    expect(v.ring?.done).toBe(1);
    expect(v.ring?.last?.messages.map((m) => m.fate)).toEqual(['delivered', 'delivered', 'dropped', 'delivered']);
    expect(v.ring?.bytesPerLink.every((b) => b > 0)).toBe(true);
    // after apply, the step's last ring step stays shown (the dropped core's messages with it)
    const held = new TpuSim({ ...DEFAULT_TPU_CONFIG, numCores: 4 });
    held.injectFault('drop', 1);
    await held.runStep();
    const after = held.view();
    expect(after.phase).toBe('apply');
    expect(after.ring?.ringIndex).toBe(1);
    expect(after.ring?.done).toBe(6);
    expect(after.ring?.phase).toBe('done');
    expect(after.ring?.last?.messages.map((m) => m.fate)).toEqual(['delivered', 'dropped', 'delivered', 'delivered']);
    held.dispose();
    expect(v.checksums).toEqual(before);
    expect(sim.strategy.stepCount).toBe(0);
    expect(() => sim.resync()).toThrow(/while a step is running/);
    expect(v.faults).toEqual([{ kind: 'drop', core: 2, remainingSteps: 1, now: true }]);
    sim.injectFault('straggler', 1); // injected mid-step: acts on the next step
    expect(sim.view().faults).toEqual([
      { kind: 'drop', core: 2, remainingSteps: 1, now: true },
      { kind: 'straggler', core: 1, remainingSteps: 1, now: false },
    ]);
    while ((await sim.advance()) !== 'apply');
    v = sim.view();
    expect(v.replayMatches).toBe(true);
    expect(v.inSync).toBe(false);
    expect(v.faults).toEqual([{ kind: 'straggler', core: 1, remainingSteps: 1, now: false }]);
    sim.dispose();
  });

  it('restarting the panel mid-step abandons the held step with no change', async () => {
    const sim = new TpuSim({ ...DEFAULT_TPU_CONFIG, numCores: 2 });
    const before = sim.view().checksums;
    for (let i = 0; i < 4; i++) await sim.advance();
    sim.dispose();
    await new Promise((r) => setTimeout(r, 0));
    expect(sim.strategy.stepCount).toBe(0);
    expect(sim.strategy.replicaChecksums()).toEqual(before);
  });

  it('one core: no ring steps; apply checks the update against the replayed gradient', async () => {
    const sim = new TpuSim({ ...DEFAULT_TPU_CONFIG, numCores: 1 });
    await sim.runStep();
    expect(sim.view().replayMatches).toBe(true);
    expect(sim.view().step).toBe(1);
    sim.dispose();
  });
});

describe('TpuSim with cores on the worker pool', () => {
  it('phase by phase and whole steps, replicated and row: the same view as cores on the main thread', async () => {
    const { WorkerPool } = await import('../../engine/pool/pool.js');
    const { ready } = await import('../../engine/wasm.js');
    await ready();
    const pool = await WorkerPool.create({ size: 2 });
    try {
      for (const sharding of ['replicated', 'row'] as const) {
        const views = [];
        for (const execution of ['in-process', 'workers'] as const) {
          const sim = new TpuSim({ ...DEFAULT_TPU_CONFIG, numCores: 4, sharding, execution }, pool);
          await sim.runStep();
          if (sharding === 'replicated') sim.injectFault('drop', 1);
          await sim.runStep();
          await sim.runStep();
          const v = sim.view();
          views.push({
            ...v,
            config: { ...v.config, execution: '' },
            cores: v.cores.map((c) => ({ ...c, worker: 0 })),
          });
          expect(v.cores.map((c) => c.worker)).toEqual(execution === 'workers' ? [0, 1, 0, 1] : [-1, -1, -1, -1]);
          if (sharding === 'replicated') expect(v.replayMatches).toBe(true);
          sim.dispose();
        }
        expect(views[1]).toEqual(views[0]);
        expect(views[0].step).toBe(3);
      }
      expect(() => new TpuSim({ ...DEFAULT_TPU_CONFIG, execution: 'workers' })).toThrow(/needs a WorkerPool/);
    } finally {
      await pool.terminate();
    }
  });
});
