// The TypeScript (dynemb) that rebuilds the workspace's tables, features and optimizers and runs
// the Training panel's model for one step. Names appear as escaped string literals (`str`) and,
// for tables, as identifiers that are never a reserved word or a name the code itself uses
// (a table named `class`, `de` or `batch` becomes `class_`, `de_`, `batch_`); every other value is
// a number or a fixed keyword, so nothing user-typed is spliced in as code.
// The code is plain JavaScript-compatible TypeScript: the unit test runs it on the engine.
import type { TableSpec, Workspace } from '../../playground/workspace/index.js';
import { planModel, TOWER_UNITS } from '../../playground/training/model.js';

function initializer(t: TableSpec): string {
  switch (t.initializer) {
    case 'zeros':
      return 'de.initializers.zeros()';
    case 'constant':
      return `de.initializers.constant(${t.initScale})`;
    case 'randomNormal':
      return `de.initializers.randomNormal({ mean: 0, stddev: ${t.initScale}, seed: ${t.initSeed} })`;
    case 'randomUniform':
      return `de.initializers.randomUniform({ minval: ${-Math.abs(t.initScale)}, maxval: ${Math.abs(t.initScale)}, seed: ${t.initSeed} })`;
    case 'truncatedNormal':
      return `de.initializers.truncatedNormal({ mean: 0, stddev: ${t.initScale}, seed: ${t.initSeed} })`;
    case 'glorotUniform':
      return `de.initializers.glorotUniform({ seed: ${t.initSeed} })`;
  }
}

// JavaScript's reserved words (strict mode and modules included) and every top-level name the
// generated code declares or imports.
const TAKEN = new Set(
  (
    'break case catch class const continue debugger default delete do else enum export extends false finally for ' +
    'function if implements import in instanceof interface let new null package private protected public return ' +
    'static super switch this throw true try typeof var void while with yield await async arguments eval undefined ' +
    'NaN Infinity globalThis console Math Array Object JSON Promise ' +
    'tf de pool features B N randomId batch labels readOf fromRead featureInput fixedInput glorot cat w b head ' +
    'logits wUser wItem trainStep'
  ).split(' '),
);

/**
 * The identifier each table's variable gets in the generated code: its name, or its name with
 * trailing `_`s where that would be a reserved word, a name the code itself uses, or another
 * table's identifier (tables `class` and `class_` become `class_` and `class__`).
 *
 * @example
 * tableIdentifiers(['class', 'user_emb']); // Map { 'class' => 'class_', 'user_emb' => 'user_emb' }
 */
export function tableIdentifiers(names: string[]): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set<string>();
  // Names that need no change keep it first, so a later `class` never takes `class_` from a table named so.
  const clean = (n: string) => /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(n);
  const taken = (id: string) => TAKEN.has(id) || /^(optimizer|loss)\d+$/.test(id);
  for (const n of names) {
    if (clean(n) && !taken(n)) {
      out.set(n, n);
      used.add(n);
    }
  }
  for (const n of names) {
    if (out.has(n)) continue;
    let id = clean(n) ? n : `t_${n.replace(/[^A-Za-z0-9_$]/g, '_')}`;
    while (taken(id) || used.has(id)) id = `${id}_`;
    out.set(n, id);
    used.add(id);
  }
  return out;
}

/** A single-quoted JavaScript string literal of `s`, every quote and control character escaped. */
const str = (s: string): string => `'${JSON.stringify(s).slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'")}'`;

const POLICY = { timestamp: 'de.TimestampRestrictPolicy', frequency: 'de.FrequencyRestrictPolicy' } as const;

/** dynemb TypeScript for the workspace: tables, features, one optimizer per table, one training step. */
export function typescriptFor(w: Workspace): string {
  const used = w.tables.filter((t) => w.features.some((f) => f.table === t.name));
  // Tables placed on the worker pool: async reads outside a step, de.train.step({ async: true }).
  const pooled = used.some((t) => t.placement === 'workers');
  const aw = pooled ? 'await ' : '';
  const g = w.generator;
  const L: string[] = [
    "import * as tf from '@tensorflow/tfjs';",
    "import * as de from 'dynemb';",
    '',
    'await de.ready();',
    '',
    '// Tables',
  ];
  if (pooled) {
    L.push(
      '// The tables placed on the worker pool: shard i on worker i mod 2 (Web Workers in a browser, worker threads in Node)',
      'const pool = await de.pool.WorkerPool.create({ size: 2 });',
    );
  }
  const ids = tableIdentifiers(used.map((t) => t.name));
  const id = (table: string) => ids.get(table)!;
  for (const t of used) {
    L.push(
      t.placement === 'workers'
        ? `const ${id(t.name)} = await de.pool.placeVariable(pool, {`
        : `const ${id(t.name)} = new de.Variable({`,
    );
    L.push(`  name: ${str(t.name)},`);
    L.push(`  dim: ${t.dim},`);
    L.push(`  keyDtype: '${t.keyDtype}',`);
    L.push(`  initializer: ${initializer(t)},`);
    L.push(`  partitions: ${t.partitions},`);
    if (t.restrictPolicy !== 'none') L.push(`  restrictPolicy: ${POLICY[t.restrictPolicy]},`);
    if (t.insertOnLookup) L.push("  insertOnLookup: true, // a lookup inserts missing keys (not TFRA's default)");
    L.push('});');
  }
  // One optimizer per distinct (optimizer, learning rate), as the Training panel does.
  const groups: TableSpec[][] = [];
  for (const t of used) {
    const gr = groups.find((x) => x[0].optimizer === t.optimizer && x[0].learningRate === t.learningRate);
    if (gr) gr.push(t);
    else groups.push([t]);
  }
  L.push('', '// Optimizers: de.train.step updates every row the loss read through a lookup');
  groups.forEach((gr, i) => {
    L.push(`const optimizer${i} = new de.optimizers.${gr[0].optimizer}({ learningRate: ${gr[0].learningRate} });`);
  });
  const plan = planModel(w.training.model, w.training.itemFeatures, w.features, w.tables);
  if (!plan.ok) {
    L.push('', `// The Training panel cannot train this workspace: ${plan.message.replace(/\n/g, ' ')}`);
    return `${L.join('\n')}\n`;
  }
  const maxNormOf = (table: string) => w.tables.find((t) => t.name === table)?.maxNorm ?? 0;
  L.push('', '// Features: the engine call each is read with (as in the Lookup inspector) and its model input width');
  L.push('const features = [');
  for (const f of plan.features) {
    const c = f.combiner === 'none' ? 'mean' : f.combiner;
    const m = maxNormOf(f.table);
    L.push(
      `  { name: ${str(f.name)}, table: ${id(f.table)}, op: '${f.op}', combiner: '${c}', seq: ${f.maxSequenceLength}, weights: ${f.weights}, maxNorm: ${m > 0 ? m : 'undefined'}, width: ${f.width}, tower: ${f.tower ? `'${f.tower}'` : 'null'} },`,
    );
  }
  L.push('];');
  L.push(
    '',
    `// One batch (here: random ids below ${g.vocabulary}): ${g.batchSize} rows of ${g.idsPerExample} ids; sparse / ragged rows hold 1..${g.idsPerExample}.`,
    `const B = ${g.batchSize};`,
    `const N = ${g.idsPerExample};`,
    'const randomId = (f) => {',
    `  const id = Math.floor(Math.random() * ${g.vocabulary});`,
    "  return f.table.keyDtype === 'string' ? `id_${id}` : id;",
    '};',
    'const batch = {};',
    'for (const f of features) {',
    "  const rows = Array.from({ length: B }, () => Array.from({ length: f.op === 'sparse' ? 1 + Math.floor(Math.random() * N) : N }, () => randomId(f)));",
    '  batch[f.name] = { rows, weights: f.weights ? rows.map((r) => r.map(() => 0.25 + Math.random() * 1.75)) : null };',
    '}',
    'const labels = tf.tensor2d(Array.from({ length: B }, () => (Math.random() < 0.5 ? 1 : 0)), [B, 1]);',
    '',
    '/** The one engine read of a feature: rows of dense ids, or a safe sparse lookup. */',
    'function readOf(f) {',
    '  const { rows, weights } = batch[f.name];',
    "  if (f.op === 'sparse') {",
    '    const indices = rows.flatMap((r, i) => r.map((_, j) => [i, j]));',
    '    const denseShape = [B, Math.max(...rows.map((r) => r.length))];',
    '    const spIds = new de.SparseTensor({ indices, values: rows.flat(), denseShape });',
    '    const spWeights = weights ? new de.SparseTensor({ indices, values: weights.flat(), denseShape }) : null;',
    '    return { sparse: [spIds, spWeights, { combiner: f.combiner, maxNorm: f.maxNorm }] };',
    '  }',
    '  // sequence (TensorX Lookup): only the ids kept (each row cut to f.seq) are read',
    "  const ids = f.op === 'sequence' ? rows.map((r) => r.slice(0, f.seq)).flat() : rows;",
    '  return { ids, opts: { maxNorm: f.maxNorm } };',
    '}',
    '',
    "/** A feature's part of the model input, [B, width], from what its read returned. */",
    'function fromRead(f, e) {',
    "  if (f.op === 'embedding') return tf.mean(e, 1);",
    "  if (f.op === 'squashed') {",
    "    return f.combiner === 'sum' ? tf.sum(e, 1) : f.combiner === 'mean' ? tf.mean(e, 1) : tf.div(tf.sum(e, 1), Math.sqrt(N));",
    '  }',
    "  if (f.op === 'sparse') return e;",
    '  // sequence: rows padded with zero vectors to f.seq, then concatenated',
    '  const kept = batch[f.name].rows.map((r) => r.slice(0, f.seq));',
    '  const index = [];',
    '  const mask = [];',
    '  let k = 0;',
    '  for (const r of kept) for (let j = 0; j < f.seq; j++) { index.push(j < r.length ? k++ : 0); mask.push(j < r.length ? 1 : 0); }',
    "  const padded = tf.mul(tf.gather(e, tf.tensor1d(index, 'int32')), tf.tensor2d(mask, [mask.length, 1]));",
    '  return tf.reshape(padded, [B, f.seq * f.table.dim]);',
    '}',
    '',
    "/** A feature's part of the model input, [B, width] (inside de.train.step the reads are taped). */",
    'function featureInput(f) {',
    '  const r = readOf(f);',
    '  return fromRead(f, r.sparse ? de.safeEmbeddingLookupSparse(f.table, ...r.sparse) : de.embeddingLookup(f.table, r.ids, r.opts));',
    '}',
    ...(pooled
      ? [
          '',
          '// Outside a step a pooled table is read asynchronously (inside one, de.train.step({ async: true }) fetches its rows).',
          'async function fixedInput(f) {',
          '  if (!(f.table instanceof de.pool.PooledVariable)) return featureInput(f);',
          '  const r = readOf(f);',
          '  return fromRead(f, r.sparse ? await f.table.safeLookupSparse(...r.sparse) : await f.table.lookup(r.ids, r.opts));',
          '}',
        ]
      : []),
    '',
    "const glorot = (rows, cols, seed) => tf.variable(tf.randomUniform([rows, cols], -Math.sqrt(3 / rows), Math.sqrt(3 / rows), 'float32', seed));",
    'const cat = (xs) => (xs.length === 1 ? xs[0] : tf.concat(xs, 1));',
  );
  const width = (t: 'user' | 'item' | null) =>
    plan.features.filter((f) => f.tower === t).reduce((a, f) => a + f.width, 0);
  if (plan.model === 'logistic') {
    L.push(
      '',
      "// Logistic regression: p = sigmoid(x . w + b), x = the features' inputs concatenated",
      `const w = glorot(${width(null)}, 1, ${w.training.seed});`,
      'const b = tf.variable(tf.zeros([1]));',
      'const head = [w, b];',
      'const logits = (xs) => tf.add(tf.matMul(cat(xs), w), b);',
    );
  } else {
    L.push(
      '',
      `// Two-tower: u = x_user W_user, i = x_item W_item (${TOWER_UNITS} units + a bias unit each); p = sigmoid(<u, i> + u_bias + i_bias + b)`,
      `const wUser = glorot(${width('user')}, ${TOWER_UNITS + 1}, ${w.training.seed});`,
      `const wItem = glorot(${width('item')}, ${TOWER_UNITS + 1}, ${w.training.seed + 1});`,
      'const b = tf.variable(tf.zeros([1]));',
      'const head = [wUser, wItem, b];',
      'const logits = (xs) => {',
      '  const side = (t) => cat(xs.filter((_, k) => features[k].tower === t));',
      "  const u = tf.matMul(side('user'), wUser);",
      "  const i = tf.matMul(side('item'), wItem);",
      `  const dot = tf.sum(tf.mul(u.slice([0, 0], [-1, ${TOWER_UNITS}]), i.slice([0, 0], [-1, ${TOWER_UNITS}])), 1, true);`,
      `  return tf.add(tf.add(dot, tf.add(u.slice([0, ${TOWER_UNITS}], [-1, 1]), i.slice([0, ${TOWER_UNITS}], [-1, 1]))), b);`,
      '};',
    );
  }
  L.push(
    '',
    '// Binary cross-entropy from logits. Tables outside `trained` are read before the step (not',
    '// taped), so that step leaves them to their own optimizer.',
    ...(pooled
      ? [
          '// With a pooled table the loss runs twice: a dry run learns the ids, their rows are fetched, then the step.',
          'async function trainStep(optimizer, trained, varList) {',
          '  const fixed = await Promise.all(features.map((f) => (trained.includes(f.table) ? null : fixedInput(f))));',
        ]
      : [
          'function trainStep(optimizer, trained, varList) {',
          '  const fixed = features.map((f) => (trained.includes(f.table) ? null : featureInput(f)));',
        ]),
    '  return de.train.step(',
    '    optimizer,',
    '    () => {',
    '      const z = logits(features.map((f, k) => fixed[k] ?? featureInput(f)));',
    '      return tf.mean(tf.sub(tf.softplus(z), tf.mul(labels, z)));',
    '    },',
    pooled ? '    { varList, async: true },' : '    { varList },',
    '  );',
    '}',
  );
  groups.forEach((gr, i) => {
    // The dense head is trained with the first optimizer.
    L.push(
      `const loss${i} = ${aw}trainStep(optimizer${i}, [${gr.map((t) => id(t.name)).join(', ')}], ${i === 0 ? 'head' : '[]'});`,
    );
  });
  for (const t of used) {
    if (t.restrictPolicy !== 'none') {
      L.push(`${aw}${id(t.name)}.restrict(${t.restrictLimit}); // keep ${t.restrictLimit} keys`);
    }
  }
  L.push(`console.log('loss', loss0, ${used.map((t) => `${str(t.name)}, ${aw}${id(t.name)}.size()`).join(', ')});`);
  if (pooled) L.push('await pool.terminate();');
  return `${L.join('\n')}\n`;
}
