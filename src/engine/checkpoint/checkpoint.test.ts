import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { randomNormal } from '../initializers.js';
import { embeddingLookup } from '../lookup.js';
import { Adam, Adagrad } from '../train/optimizers/index.js';
import { FrequencyRestrictPolicy, policyOf } from '../train/restrict.js';
import { globalStep, step } from '../train/step.js';
import { Variable } from '../variable.js';
import { ready } from '../wasm.js';
import { restore, save } from './checkpoint.js';
import { crc32 } from './format.js';
import { toNpy } from './npy.js';
import { toTfraPython } from './tfra.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await ready();
});

let serial = 0;
const sortedRows = (v: Variable) => {
  const { keys, values, dim } = v.export();
  return Array.from(keys as ArrayLike<number | bigint | string>, (k, i) => [
    String(k),
    Array.from(values.subarray(i * dim, (i + 1) * dim)),
  ]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
};

function model() {
  const n = serial++;
  const user = new Variable({
    name: `user_${n}`,
    keyDtype: 'int64',
    dim: 3,
    initializer: randomNormal({ stddev: 0.1, seed: 3 }),
    restrictPolicy: FrequencyRestrictPolicy,
  });
  const tag = new Variable({ name: `tag_${n}`, keyDtype: 'string', dim: 2, initializer: 0.5 });
  const opt = new Adam({ learningRate: 0.05 });
  return { user, tag, opt };
}

function train(m: ReturnType<typeof model>, steps: number) {
  for (let t = 0; t < steps; t++) {
    step(m.opt, () =>
      tf.add(
        tf.sum(tf.square(embeddingLookup(m.user, [1, 2, 3 + t]))),
        tf.sum(tf.square(embeddingLookup(m.tag, ['a', t % 2 ? 'b' : 'c']))),
      ),
    );
  }
}

describe('checkpoint', () => {
  it('CRC-32 is the zlib one', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('round-trips variables, slots, step counters and status tables with replace semantics', async () => {
    const a = model();
    train(a, 3);
    const bytes = await save([a.user, a.tag, a.opt]);
    const savedStep = globalStep();
    const b = { user: a.user, tag: a.tag, opt: a.opt };
    const before = { user: sortedRows(a.user), tag: sortedRows(a.tag), m: sortedRows(a.opt.getSlot(a.user, 'm')) };
    const status = sortedRows(policyOf(a.user)!.status);
    // diverge: more training and a stray key, then restore replaces everything
    train(b, 2);
    b.user.upsert([999], [[9, 9, 9]]);
    await restore(bytes, [b.user, b.tag, b.opt]);
    expect(sortedRows(b.user)).toEqual(before.user);
    expect(sortedRows(b.tag)).toEqual(before.tag);
    expect(sortedRows(b.opt.getSlot(b.user, 'm'))).toEqual(before.m);
    expect(sortedRows(policyOf(b.user)!.status)).toEqual(status);
    expect(b.opt.iterations).toBe(3);
    expect(globalStep()).toBe(savedStep);
    // a fresh model of the same shape restores to the same state and trains on identically
    const c2 = {
      user: new Variable({
        name: a.user.name,
        keyDtype: 'int64',
        dim: 3,
        initializer: randomNormal({ stddev: 0.1, seed: 3 }),
        restrictPolicy: FrequencyRestrictPolicy,
      }),
      tag: new Variable({ name: a.tag.name, keyDtype: 'string', dim: 2, initializer: 0.5 }),
      opt: new Adam({ learningRate: 0.05 }),
    };
    await restore(bytes, [c2.user, c2.tag, c2.opt]);
    train(b, 1);
    train(c2, 1);
    expect(sortedRows(c2.user)).toEqual(sortedRows(b.user));
  });

  it('refuses truncated, corrupted and mismatched checkpoints, changing nothing', async () => {
    const a = model();
    train(a, 2);
    const bytes = await save([a.user, a.opt]);
    const target = model();
    target.user.upsert([5], [[1, 2, 3]]);
    const before = sortedRows(target.user);
    await expect(restore(bytes.slice(0, bytes.length - 9), [target.user])).rejects.toThrow(/truncated or corrupted/);
    const flipped = bytes.slice();
    flipped[40] ^= 1;
    await expect(restore(flipped, [target.user])).rejects.toThrow(/CRC-32/);
    await expect(restore(new Uint8Array(10), [target.user])).rejects.toThrow(/truncated: expected at least/);
    await expect(restore(bytes, [target.user])).rejects.toThrow(/no table named/);
    const wrongDim = new Variable({ name: a.user.name, keyDtype: 'int64', dim: 4 });
    await expect(restore(bytes, [wrongDim])).rejects.toThrow(
      /expects int64 keys and dim 4, the checkpoint holds int64 keys and dim 3/,
    );
    await expect(restore(bytes, [a.user, new Adagrad()])).rejects.toThrow(/is Adagrad, the checkpoint holds Adam/);
    await expect(save([{} as Variable])).rejects.toThrow(/item 0 must be a de.Variable/);
    expect(sortedRows(target.user)).toEqual(before);
  });
});

describe('interop', () => {
  const python = '/usr/bin/python3';

  it('writes .npy files NumPy loads with the right dtype, shape and values', () => {
    const v = new Variable({ name: `np_${serial++}/m`, keyDtype: 'int64', dim: 3 });
    v.upsert(
      [-(2n ** 62n), 7n, 123456789012n],
      [
        [1, 2, 3],
        [4.5, -5, 6],
        [0.25, 0, -1],
      ],
    );
    const s = new Variable({ name: `nps_${serial++}`, keyDtype: 'string', dim: 1 });
    s.upsert(['héllo', 'a'], [[1], [2]]);
    const dir = mkdtempSync(join(tmpdir(), 'dynemb-npy-'));
    const files = { ...toNpy(v), ...toNpy(s) };
    expect(Object.keys(files).sort()).toEqual(
      [
        `${v.name.replace('/', '.')}-keys.npy`,
        `${v.name.replace('/', '.')}-values.npy`,
        `${s.name}-keys.npy`,
        `${s.name}-values.npy`,
      ].sort(),
    );
    for (const [f, b] of Object.entries(files)) writeFileSync(join(dir, f), b);
    const stem = v.name.replace('/', '.');
    const out = execFileSync(python, [
      '-c',
      `import numpy as np, json, sys
d = sys.argv[1]
k = np.load(d + '/${stem}-keys.npy'); x = np.load(d + '/${stem}-values.npy')
sk = np.load(d + '/${s.name}-keys.npy'); sx = np.load(d + '/${s.name}-values.npy')
rows = {str(int(a)): [float(t) for t in b] for a, b in zip(k, x)}
print(json.dumps({'kd': str(k.dtype), 'ks': list(k.shape), 'vd': str(x.dtype), 'vs': list(x.shape), 'rows': rows,
  'sk': {str(a): float(b[0]) for a, b in zip(sk, sx)}, 'skd': sk.dtype.kind}))`,
      dir,
    ]).toString();
    const r = JSON.parse(out);
    expect(r.kd).toBe('int64');
    expect(r.ks).toEqual([3]);
    expect(r.vd).toBe('float32');
    expect(r.vs).toEqual([3, 3]);
    expect(r.rows).toEqual({ [String(-(2n ** 62n))]: [1, 2, 3], '7': [4.5, -5, 6], '123456789012': [0.25, 0, -1] });
    expect(r.skd).toBe('U');
    expect(r.sk).toEqual({ héllo: 1, a: 2 });
  });

  it('writes a TFRA Python script that compiles and names the same tables, features and optimizer', () => {
    const m = model();
    train(m, 1);
    const script = toTfraPython({
      variables: [m.user, m.tag],
      features: { user_id: m.user, tags: { variable: m.tag, combiner: 'sqrtn' }, 'x"); import os #': m.tag },
      optimizer: m.opt,
    });
    expect(script).toContain(`name=${JSON.stringify(m.user.name)}`);
    expect(script).toContain('key_dtype=tf.string');
    expect(script).toContain('restrict_policy=de.FrequencyRestrictPolicy');
    expect(script).toContain('tf.keras.initializers.RandomNormal(mean=0, stddev=0.1, seed=3)');
    expect(script).toContain(
      'de.DynamicEmbeddingOptimizer(_keras_optimizers.Adam(learning_rate=0.05, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False))',
    );
    expect(script).toContain(`"tags": (${m.tag.name}, "sqrtn")`);
    const dir = mkdtempSync(join(tmpdir(), 'dynemb-py-'));
    const file = join(dir, 'rebuild.py');
    writeFileSync(file, script);
    execFileSync(python, ['-m', 'py_compile', file]); // throws on a syntax error
    // the hostile feature name stays a string literal
    expect(script).toContain('"x\\"); import os #": (');
    expect(() => toTfraPython({ variables: [m.user], features: { f: m.tag } })).toThrow(
      /must read one of the exported variables/,
    );
  });

  // Stand-ins for tensorflow and TFRA that record what the script does (no TensorFlow here):
  // enough to run the generated script for real, not only to compile it.
  const FAKE_TF = `import numpy as np
int32, int64, string, float32 = "int32", "int64", "string", "float32"
class SparseTensor: pass
def constant(x, dtype=None): return np.asarray(x)
def range(n, dtype=None): return np.arange(n)
def constant_initializer(value): return ("constant", np.asarray(value))
class _Rec:
    def __init__(self, *args, **kwargs): self.kind, self.args, self.kwargs = type(self).__name__, args, kwargs
class _Iterations:
    value = None
    def assign(self, v): self.value = v
class _Opt(_Rec):
    def __init__(self, *args, **kwargs): super().__init__(*args, **kwargs); self.iterations = _Iterations()
class keras:
    class initializers:
        class RandomNormal(_Rec): pass
        class Zeros(_Rec): pass
        class Constant(_Rec): pass
    class optimizers:
        class Adam(_Opt): pass
        class Adagrad(_Opt): pass
        class SGD(_Opt): pass
class tpu:
    class experimental:
        class embedding:
            class TableConfig(_Rec): pass
            class FeatureConfig(_Rec): pass
            class Adam(_Rec): pass
            class Adagrad(_Rec): pass
class lookup:
    class KeyValueTensorInitializer(_Rec): pass
    class StaticHashTable(_Rec): pass
`;
  const FAKE_DE = `class Variable:
    def __init__(self, name, **kwargs): self.name, self.kwargs, self.rows, self.slots = name, kwargs, {}, []
    def clear(self): self.rows = {}
    def upsert(self, keys, values):
        for k, v in zip(keys.tolist(), values.tolist()): self.rows[k] = v
    def size(self): return len(self.rows)
    def get_slot_variables(self, optimizer): return self.slots
def get_variable(name, **kwargs): return Variable(name, **kwargs)
TimestampRestrictPolicy, FrequencyRestrictPolicy = "TimestampRestrictPolicy", "FrequencyRestrictPolicy"
def DynamicEmbeddingOptimizer(o): return o
`;

  it('the TFRA script runs: tables, features, slot rows after the first step, iterations, TPU tables', () => {
    const m = model();
    train(m, 3);
    const dir = mkdtempSync(join(tmpdir(), 'dynemb-tfra-'));
    mkdirSync(join(dir, 'stubs/tensorflow_recommenders_addons'), { recursive: true });
    mkdirSync(join(dir, 'stubs/tensorflow'));
    writeFileSync(join(dir, 'stubs/tensorflow/__init__.py'), FAKE_TF);
    writeFileSync(join(dir, 'stubs/tensorflow_recommenders_addons/__init__.py'), '');
    writeFileSync(join(dir, 'stubs/tensorflow_recommenders_addons/dynamic_embedding.py'), FAKE_DE);
    const files = {
      ...toNpy(m.user),
      ...toNpy(m.tag),
      ...toNpy(m.opt.getSlot(m.user, 'm')),
      ...toNpy(m.opt.getSlot(m.user, 'v')),
      // the tag table's slots are left out: restore_slots says so and goes on
    };
    for (const [f, b] of Object.entries(files)) writeFileSync(join(dir, f), b);
    writeFileSync(
      join(dir, 'rebuild.py'),
      toTfraPython({
        variables: [m.user, m.tag],
        features: { user_id: m.user, tags: { variable: m.tag, combiner: 'sqrtn' } },
        optimizer: m.opt,
      }),
    );
    const driver = `import importlib.util, json, sys
sys.path.insert(0, sys.argv[1] + "/stubs")
spec = importlib.util.spec_from_file_location("rebuild", sys.argv[1] + "/rebuild.py")
r = importlib.util.module_from_spec(spec); spec.loader.exec_module(r)
user, tag = r.TABLES[${JSON.stringify(m.user.name)}][0], r.TABLES[${JSON.stringify(m.tag.name)}][0]
out = {"user": dict(user.rows), "policy": user.kwargs["restrict_policy"], "tagRows": dict(tag.rows), "features": {k: [v[0].name, v[1]] for k, v in r.FEATURES.items()}}
out["opt"] = [r.optimizer.kind, r.optimizer.kwargs]
# TFRA's first apply_gradients: it creates the slot Variables and changes rows
from tensorflow_recommenders_addons import dynamic_embedding as de
user.slots = [de.Variable(user.name + "/TrainableWrapper/" + s) for s in ("m", "v")]
user.upsert(r.np.array([424242]), r.np.array([[9.0, 9.0, 9.0]]))
r.restore_slots(r.optimizer)
out["afterUser"] = user.rows
out["slots"] = {s.name.rsplit("/", 1)[-1]: s.rows for s in user.slots}
out["iterations"] = r.optimizer.iterations.value
features, tpu_opt, key_to_row = r.tpu_embedding_config()
t = features["tags"].kwargs["table"]
out["tpu"] = {"vocab": t.kwargs["vocabulary_size"], "combiner": t.kwargs["combiner"], "dim": t.kwargs["dim"],
  "rows": t.kwargs["initializer"][1].tolist(), "keys": key_to_row[${JSON.stringify(m.tag.name)}].args[0].args[0].tolist(),
  "default": key_to_row[${JSON.stringify(m.tag.name)}].kwargs["default_value"], "opt": [tpu_opt.kind, tpu_opt.kwargs]}
print(json.dumps(out))`;
    const run = execFileSync(python, ['-c', driver, dir]).toString();
    const log = run.split('\n');
    const r = JSON.parse(log[log.length - 2]);
    const rowsOf = (v: Variable) => {
      const { keys, values, dim } = v.export();
      return Object.fromEntries(
        Array.from(keys as ArrayLike<bigint | string>, (k, i) => [
          String(k),
          Array.from(values.subarray(i * dim, (i + 1) * dim)),
        ]),
      );
    };
    const near = (got: Record<string, number[]>, want: Record<string, number[]>) => {
      expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
      for (const k of Object.keys(want)) want[k].forEach((x, j) => expect(got[k][j]).toBeCloseTo(x, 6));
    };
    near(r.user, rowsOf(m.user));
    near(r.tagRows, rowsOf(m.tag));
    expect(r.policy).toBe('FrequencyRestrictPolicy');
    expect(r.features).toEqual({ user_id: [m.user.name, 'mean'], tags: [m.tag.name, 'sqrtn'] });
    expect(r.opt).toEqual(['Adam', { learning_rate: 0.05, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, amsgrad: false }]);
    near(r.afterUser, rowsOf(m.user)); // the stray key of the first TFRA step is gone
    near(r.slots.m, rowsOf(m.opt.getSlot(m.user, 'm')));
    near(r.slots.v, rowsOf(m.opt.getSlot(m.user, 'v')));
    expect(r.iterations).toBe(3);
    expect(run).toContain(`no .npy files for ${m.tag.name}.m`);
    // TPU: the tag table's rows plus a last row for unknown keys (its constant initializer, 0.5)
    const tagRows = rowsOf(m.tag);
    expect(r.tpu.vocab).toBe(Object.keys(tagRows).length + 1);
    expect(r.tpu.dim).toBe(2);
    expect(r.tpu.combiner).toBe('sqrtn');
    expect(r.tpu.default).toBe(Object.keys(tagRows).length);
    r.tpu.keys.forEach((k: string, i: number) => expect(r.tpu.rows[i][0]).toBeCloseTo(tagRows[k][0], 6));
    expect(r.tpu.rows[r.tpu.rows.length - 1]).toEqual([0.5, 0.5]);
    expect(r.tpu.opt[0]).toBe('Adam');
    expect(r.tpu.opt[1]).toMatchObject({ learning_rate: 0.05, lazy_adam: true, sum_inside_sqrt: false });
  });

  it('one optimizer per table group: each table restores the slots of its own optimizer, each optimizer its iterations', () => {
    const m = model();
    const tagOpt = new Adagrad({ learningRate: 0.2 });
    for (let t = 0; t < 3; t++) {
      step(m.opt, () => tf.sum(tf.square(embeddingLookup(m.user, [1, 2, 3 + t]))));
      if (t < 2) step(tagOpt, () => tf.sum(tf.square(embeddingLookup(m.tag, ['a', t % 2 ? 'b' : 'c']))));
    }
    const dir = mkdtempSync(join(tmpdir(), 'dynemb-tfra2-'));
    mkdirSync(join(dir, 'stubs/tensorflow_recommenders_addons'), { recursive: true });
    mkdirSync(join(dir, 'stubs/tensorflow'));
    writeFileSync(join(dir, 'stubs/tensorflow/__init__.py'), FAKE_TF);
    writeFileSync(join(dir, 'stubs/tensorflow_recommenders_addons/__init__.py'), '');
    writeFileSync(join(dir, 'stubs/tensorflow_recommenders_addons/dynamic_embedding.py'), FAKE_DE);
    const files = {
      ...toNpy(m.user),
      ...toNpy(m.tag),
      ...toNpy(m.opt.getSlot(m.user, 'm')),
      ...toNpy(m.opt.getSlot(m.user, 'v')),
      ...toNpy(tagOpt.getSlot(m.tag, 'accumulator')),
    };
    for (const [f, b] of Object.entries(files)) writeFileSync(join(dir, f), b);
    const script = toTfraPython({
      variables: [m.user, m.tag],
      features: { user_id: m.user, tags: m.tag },
      optimizers: [
        { optimizer: m.opt, variables: [m.user] },
        { optimizer: tagOpt, variables: [m.tag] },
      ],
    });
    expect(script).toContain('optimizer_1 = de.DynamicEmbeddingOptimizer(_keras_optimizers.Adagrad(learning_rate=0.2');
    writeFileSync(join(dir, 'rebuild.py'), script);
    const driver = `import importlib.util, json, sys
sys.path.insert(0, sys.argv[1] + "/stubs")
spec = importlib.util.spec_from_file_location("rebuild", sys.argv[1] + "/rebuild.py")
r = importlib.util.module_from_spec(spec); spec.loader.exec_module(r)
from tensorflow_recommenders_addons import dynamic_embedding as de
user, tag = r.TABLES[${JSON.stringify(m.user.name)}][0], r.TABLES[${JSON.stringify(m.tag.name)}][0]
user.slots = [de.Variable(user.name + "/TrainableWrapper/" + s) for s in ("m", "v")]
tag.slots = [de.Variable(tag.name + "/TrainableWrapper/accumulator")]
r.restore_slots()
features, tpu_opt, key_to_row = r.tpu_embedding_config()
print(json.dumps({
  "of": {k: [v.kind, v.kwargs["learning_rate"]] for k, v in r.OPTIMIZER_OF.items()},
  "head": r.optimizer.kind,
  "iterations": [r.optimizer_0.iterations.value, r.optimizer_1.iterations.value],
  "userSlots": {s.name.rsplit("/", 1)[-1]: s.rows for s in user.slots},
  "tagSlots": {s.name.rsplit("/", 1)[-1]: s.rows for s in tag.slots},
  "tpu": {f: [c.kwargs["table"].kwargs["optimizer"].kind, c.kwargs["table"].kwargs["optimizer"].kwargs["learning_rate"]] for f, c in features.items()},
}))`;
    const out = execFileSync(python, ['-c', driver, dir]).toString().trim().split('\n');
    const r = JSON.parse(out[out.length - 1]);
    expect(r.of).toEqual({ [m.user.name]: ['Adam', 0.05], [m.tag.name]: ['Adagrad', 0.2] });
    expect(r.head).toBe('Adam');
    expect(r.iterations).toEqual([3, 2]);
    const rows = (v: Variable) => {
      const { keys, values, dim } = v.export();
      return Object.fromEntries(
        Array.from(keys as ArrayLike<bigint | string>, (k, i) => [
          String(k),
          Array.from(values.subarray(i * dim, (i + 1) * dim)),
        ]),
      );
    };
    const near = (got: Record<string, number[]>, want: Record<string, number[]>) => {
      expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
      for (const k of Object.keys(want)) want[k].forEach((x, j) => expect(got[k][j]).toBeCloseTo(x, 6));
    };
    near(r.userSlots.m, rows(m.opt.getSlot(m.user, 'm')));
    near(r.userSlots.v, rows(m.opt.getSlot(m.user, 'v')));
    near(r.tagSlots.accumulator, rows(tagOpt.getSlot(m.tag, 'accumulator')));
    expect(r.tpu).toEqual({ user_id: ['Adam', 0.05], tags: ['Adagrad', 0.2] });
    expect(() =>
      toTfraPython({ variables: [m.user], optimizers: [{ optimizer: m.opt, variables: [m.user, m.tag] }] }),
    ).toThrow(/not one of the exported variables/);
    expect(() =>
      toTfraPython({
        variables: [m.user],
        optimizers: [
          { optimizer: m.opt, variables: [m.user] },
          { optimizer: tagOpt, variables: [m.user] },
        ],
      }),
    ).toThrow(/is in two optimizer groups/);
  });
});
