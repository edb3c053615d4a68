// Names never become code: hostile table / feature names in the TFRA script and the .npy file
// names, which must also never collide (each table loads its own rows).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adagrad, Adam } from '../train/optimizers/index.js';
import { Variable } from '../variable.js';
import { ready } from '../wasm.js';
import { npyStem, toNpy } from './npy.js';
import { toTfraPython } from './tfra.js';

beforeAll(async () => {
  await ready();
});

const python = '/usr/bin/python3';

// Parses the script with Python's own parser and lists every attribute and name it uses as code.
function codeNames(script: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'dynemb-inject-'));
  writeFileSync(join(dir, 'rebuild.py'), script);
  const out = execFileSync(python, [
    '-c',
    `import ast, json, sys
tree = ast.parse(open(sys.argv[1], encoding="utf-8").read())
names = set()
for n in ast.walk(tree):
    if isinstance(n, ast.Attribute): names.add(n.attr)
    if isinstance(n, ast.Name): names.add(n.id)
    if isinstance(n, (ast.Import, ast.ImportFrom)): names.update(a.name for a in n.names)
print(json.dumps(sorted(names)))`,
    join(dir, 'rebuild.py'),
  ]).toString();
  return JSON.parse(out) as string[];
}

describe('toTfraPython with hostile names', () => {
  const evil = [
    'b\nimport os; os.system("id")\n#',
    'b\rimport subprocess; subprocess.run("id")\r#',
    'nul\u0000x',
    'ls\u2028eval("1")',
    '"""; exec("1") #',
  ];

  it('keeps every name a string literal: the script parses and calls nothing it did not write', () => {
    const vars = evil.map((name) => new Variable({ name, keyDtype: 'int64', dim: 2 }));
    const groups = [
      { optimizer: new Adam({ learningRate: 0.1 }), variables: vars.slice(0, 3) },
      { optimizer: new Adagrad({ learningRate: 0.2 }), variables: vars.slice(3) },
    ];
    const features = Object.fromEntries(evil.map((n, i) => [`f${n}`, vars[i]]));
    const script = toTfraPython({ variables: vars, optimizers: groups, features });
    const names = codeNames(script);
    for (const bad of ['system', 'subprocess', 'run', 'exec', 'eval']) expect(names).not.toContain(bad);
    for (const line of script.split('\n')) expect(line).not.toMatch(/^\s*(import (os|subprocess);|exec|eval)/);
    // Only the script's own imports.
    expect(names.filter((n) => ['os', 'numpy', 'tensorflow', 'dynamic_embedding'].includes(n)).sort()).toEqual([
      'dynamic_embedding',
      'numpy',
      'os',
      'tensorflow',
    ]);
  });

  it('refuses two tables of one name', () => {
    const a = new Variable({ name: 'same', dim: 1 });
    const b = new Variable({ name: 'same', dim: 1 });
    expect(() => toTfraPython({ variables: [a, b] })).toThrow(/two variables are named "same"/);
  });
});

describe('npyStem', () => {
  it('gives different tables different files ("a b" vs "a_b", slots vs tables)', () => {
    expect(npyStem('a b')).toBe('a%20b');
    expect(npyStem('a_b')).toBe('a_b');
    expect(npyStem('user_emb/m')).toBe('user_emb.m');
    expect(npyStem('user_emb.m')).toBe('user_emb%2Em');
    expect(npyStem('\uD800')).toBe('%uD800');
    expect(npyStem('\uFFFD')).toBe('%EF%BF%BD');
    const a = new Variable({ name: 'a b', dim: 1 });
    const b = new Variable({ name: 'a_b', dim: 1 });
    a.upsert([1], [[1]]);
    b.upsert([2], [[2]]);
    const files = { ...toNpy(a), ...toNpy(b) };
    expect(Object.keys(files).sort()).toEqual(['a%20b-keys.npy', 'a%20b-values.npy', 'a_b-keys.npy', 'a_b-values.npy']);
  });

  it('is injective and yields safe file names (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (x, y) => {
        expect(npyStem(x)).toMatch(/^[A-Za-z0-9_.%-]*$/);
        if (x !== y) expect(npyStem(x)).not.toBe(npyStem(y));
      }),
      { numRuns: 400 },
    );
    // Near misses that a character-by-character replacement would merge.
    const near = ['a/b', 'a.b', 'a_b', 'a b', 'a%2Fb', 'a%b', 'a\u00e9', 'a\u0065\u0301'];
    expect(new Set(near.map(npyStem)).size).toBe(near.length);
  });
});
