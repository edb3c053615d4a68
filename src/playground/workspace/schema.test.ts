import { describe, expect, it } from 'vitest';
import * as de from '../../engine/index.js';
import { DEFAULT_TRAINER } from '../demo/config.js';
import { DEFAULT_TPU_CONFIG } from '../tpu/config.js';
import {
  decodeWorkspace,
  defaultDemo,
  defaultTpu,
  defaultWorkspace,
  encodeWorkspace,
  placementProblem,
  poolSize,
  SCHEMA_VERSION,
  shardWorkers,
  TPU_SHARDINGS,
  validateDemoSpec,
  validateWorkspace,
  WorkspaceError,
} from './index.js';

const b64 = (s: string) => btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

describe('workspace schema', () => {
  it('round-trips the default workspace through the URL hash', () => {
    const w = defaultWorkspace();
    w.tables[0].dim = 16;
    w.batches.user_id = '[["é", "b"]]';
    expect(decodeWorkspace(encodeWorkspace(w))).toEqual(w);
  });

  it('returns null when the hash holds no workspace', () => {
    expect(decodeWorkspace('')).toBeNull();
    expect(decodeWorkspace('#other')).toBeNull();
  });

  it('refuses other versions', () => {
    const w = { ...defaultWorkspace(), v: 2 };
    expect(() => validateWorkspace(w)).toThrow(/version 2 is not supported/);
  });

  it('reads links made before the TPU and demo settings with their defaults', () => {
    const { tpu: _t, demo: _d, ...old } = defaultWorkspace();
    const w = validateWorkspace({ ...old, v: 1 });
    expect(w.v).toBe(SCHEMA_VERSION);
    expect(w.tpu).toEqual(defaultTpu());
    expect(w.demo).toEqual(defaultDemo());
  });

  it('round-trips the TPU and demo settings through the URL hash', () => {
    const w = defaultWorkspace();
    w.tpu = { numCores: 8, sharding: 'column', perCore: 2, execution: 'workers' };
    w.demo = { ...w.demo, seed: 9, users: 120, itemTableLimit: 90, learningRate: 0.02, trainUntil: 500, user: 119 };
    expect(decodeWorkspace(encodeWorkspace(w))).toEqual(w);
  });

  it('refuses bad TPU and demo settings, each by its field, and checks them against each other', () => {
    const w = defaultWorkspace() as unknown as Record<string, Record<string, unknown>>;
    w.tpu.numCores = 9;
    w.tpu.sharding = 'diagonal';
    w.tpu.extra = '<script>';
    w.demo.maxItems = 20;
    w.demo.initialItems = 50;
    w.demo.user = 300;
    w.demo.trainUntil = 250;
    w.demo.learningRate = 'fast';
    try {
      validateWorkspace(w);
      throw new Error('did not throw');
    } catch (e) {
      const p = (e as WorkspaceError).problems;
      expect(p).toContain('tpu.numCores must be an integer in [1, 8]');
      expect(p).toContain('tpu.sharding must be one of replicated, mod, row, table, column');
      expect(p).toContain('tpu.extra is not a known field');
      expect(p).toContain('demo.maxItems must be at least demo.initialItems');
      expect(p).toContain('demo.user must be below demo.users');
      expect(p).toContain('demo.trainUntil must be one of 100, 200, 300, 500, 1000');
      expect(p).toContain('demo.learningRate must be a number in [0.00001, 1]');
    }
    expect(() => validateDemoSpec({ ...defaultDemo(), users: 0 })).toThrow(/demo\.users must be an integer/);
  });

  it("keeps the TPU modes and the defaults equal to the panels' own", () => {
    expect([...TPU_SHARDINGS]).toEqual([...de.tpu.SHARDING_MODES]);
    expect(defaultTpu()).toEqual({
      numCores: DEFAULT_TPU_CONFIG.numCores,
      sharding: DEFAULT_TPU_CONFIG.sharding,
      perCore: DEFAULT_TPU_CONFIG.perCore,
      execution: DEFAULT_TPU_CONFIG.execution,
    });
    const t = DEFAULT_TRAINER;
    expect(defaultDemo()).toMatchObject({
      seed: t.world.seed,
      users: t.world.users,
      initialItems: t.world.initialItems,
      newItemsPerStep: t.world.newItemsPerStep,
      maxItems: t.world.maxItems,
      itemTableLimit: t.itemTableLimit,
      dim: t.dim,
      learningRate: t.learningRate,
    });
  });

  it('refuses names that could inject code, listing the field', () => {
    const w = defaultWorkspace();
    w.tables[0].name = 'x"); import os; os.system("rm -rf /")#';
    try {
      validateWorkspace(w);
      throw new Error('did not throw');
    } catch (e) {
      expect(e).toBeInstanceOf(WorkspaceError);
      expect((e as WorkspaceError).problems[0]).toMatch(/^tables\[0\]\.name/);
    }
  });

  it('refuses unknown fields, out-of-range numbers and dangling tables', () => {
    const w = defaultWorkspace() as unknown as Record<string, unknown>;
    (w.tables as Record<string, unknown>[])[0].__proto__x = 1;
    (w.tables as Record<string, unknown>[])[0].dim = 1e9;
    (w.features as Record<string, unknown>[])[0].table = 'nope';
    const problems = (() => {
      try {
        validateWorkspace(w);
        return [];
      } catch (e) {
        return (e as WorkspaceError).problems;
      }
    })();
    expect(problems).toContain('tables[0].__proto__x is not a known field');
    expect(problems).toContain('tables[0].dim must be an integer in [1, 256]');
    expect(problems).toContain('features[0].table names no table');
  });

  it('gives readable errors for garbage, truncated and non-JSON links', () => {
    expect(() => decodeWorkspace('#w=%%%')).toThrow(/not base64url/);
    expect(() => decodeWorkspace(`#w=${b64('{"v":1')}`)).toThrow(/readable workspace/);
    expect(() => decodeWorkspace(`#w=${b64('<script>alert(1)</script>')}`)).toThrow(/readable workspace/);
    expect(() => decodeWorkspace(`#w=${b64('[]')}`)).toThrow(/workspace must be an object/);
  });

  it('refuses duplicate table names', () => {
    const w = defaultWorkspace();
    w.tables.push({ ...w.tables[0] });
    expect(() => validateWorkspace(w)).toThrow(/used twice/);
  });

  it('returns a fresh object, not the input', () => {
    const w = defaultWorkspace();
    const out = validateWorkspace(w);
    expect(out).toEqual(w);
    expect(out.tables[0]).not.toBe(w.tables[0]);
  });

  it('reads links made before insertOnLookup and the two-tower settings, and refuses a dangling item feature', () => {
    const w = JSON.parse(JSON.stringify(defaultWorkspace()));
    delete w.tables[0].insertOnLookup;
    delete w.training.itemFeatures;
    const out = validateWorkspace(w);
    expect(out.tables[0].insertOnLookup).toBe(false);
    expect(out.training.itemFeatures).toEqual([]);
    w.training.itemFeatures = ['nope'];
    expect(() => validateWorkspace(w)).toThrow(/training.itemFeatures names nope, which is no feature/);
    w.training.itemFeatures = 'user_id';
    expect(() => validateWorkspace(w)).toThrow(/training.itemFeatures must be a list/);
    w.training.itemFeatures = ['user_id'];
    w.tables[0].insertOnLookup = 'yes';
    expect(() => validateWorkspace(w)).toThrow(/tables\[0\].insertOnLookup must be true or false/);
  });

  it('placement: in-process or the worker pool; old links (worker / main) read as in-process; pool + insert on lookup refused', () => {
    const w = defaultWorkspace() as unknown as { tables: Record<string, unknown>[] };
    expect(defaultWorkspace().tables[0].placement).toBe('in-process');
    for (const legacy of ['worker', 'main']) {
      w.tables[0].placement = legacy;
      expect(validateWorkspace(w).tables[0].placement).toBe('in-process');
    }
    w.tables[0].placement = 'workers';
    const pooled = validateWorkspace(w);
    expect(pooled.tables[0].placement).toBe('workers');
    expect(decodeWorkspace(encodeWorkspace(pooled))).toEqual(pooled);
    w.tables[0].placement = 'gpu';
    expect(() => validateWorkspace(w)).toThrow(/tables\[0\].placement must be one of in-process, workers/);
    w.tables[0].placement = 'workers';
    w.tables[0].insertOnLookup = true;
    expect(() => validateWorkspace(w)).toThrow(
      /tables\[0\]: insert on lookup cannot be used with placement on the worker pool/,
    );
    expect(placementProblem({ placement: 'in-process', insertOnLookup: true })).toBeNull();
    expect(placementProblem({ placement: 'workers', insertOnLookup: false })).toBeNull();
  });

  it('pool size min(hardwareConcurrency, 4), at least 2; shard i on worker i mod N', () => {
    expect([undefined, 0, 1, 2, 3, 4, 16, 2.5].map(poolSize)).toEqual([2, 2, 2, 2, 3, 4, 4, 2]);
    expect(shardWorkers(5, 2)).toEqual([0, 1, 0, 1, 0]);
    expect(shardWorkers(1, 4)).toEqual([0]);
  });
});
