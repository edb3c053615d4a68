// The TypeScript (dynemb) that rebuilds the workspace's tables, features and optimizers and runs
// the Training panel's model for one step. Names are identifiers (the schema guarantees it) and
// every other value is a number or a fixed keyword, so nothing user-typed is spliced in as code.
// The code is plain JavaScript-compatible TypeScript: the unit test runs it on the engine.
import type { TableSpec, Workspace } from '../workspace/schema.js';

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

const POLICY = { timestamp: 'de.TimestampRestrictPolicy', frequency: 'de.FrequencyRestrictPolicy' } as const;

/** dynemb TypeScript for the workspace: tables, features, one optimizer per table, one training step. */
export function typescriptFor(w: Workspace): string {
  const used = w.tables.filter((t) => w.features.some((f) => f.table === t.name));
  const g = w.generator;
  const L: string[] = [
    "import * as tf from '@tensorflow/tfjs';",
    "import * as de from 'dynemb';",
    '',
    'await de.ready();',
    '',
    '// Tables',
  ];
  for (const t of used) {
    L.push(`const ${t.name} = new de.Variable({`);
    L.push(`  name: '${t.name}',`);
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
  L.push('', "// Features: which table each reads, and how an example's ids are pooled");
  L.push('const features = [');
  for (const f of w.features) {
    const c = f.combiner === 'none' ? 'mean' : f.combiner;
    L.push(`  { name: '${f.name}', table: ${f.table}, combiner: '${c}' },`);
  }
  L.push('];');
  const width = w.features.reduce((a, f) => a + (w.tables.find((t) => t.name === f.table)?.dim ?? 0), 0);
  L.push(
    '',
    '// Logistic regression over the pooled embeddings: p = sigmoid(sum_f pool_f(e) . w_f + b)',
    `const w = tf.variable(tf.randomUniform([${width}, 1], -0.1, 0.1, 'float32', ${w.training.seed}));`,
    'const b = tf.variable(tf.zeros([1]));',
    '',
    'function pool(e, combiner, n) {',
    '  const s = tf.sum(e, 1);',
    "  return combiner === 'sum' ? s : tf.div(s, combiner === 'mean' ? n : Math.sqrt(n));",
    '}',
    '',
    '// A table outside `trained` is read as a constant (v.read), so this step leaves it alone.',
    'function embed(f, ids, trained) {',
    '  if (trained.includes(f.table)) return de.embeddingLookup(f.table, ids);',
    "  const values = f.table.read(f.table.keysOf(ids, 'ids').keys).values;",
    '  return tf.tensor3d(values, [ids.length, ids[0].length, f.table.dim]);',
    '}',
    '',
    '/** batch: feature name -> ids [batch, idsPerExample]; labels: 0/1 per example. */',
    'function loss(batch, labels, trained) {',
    '  const x = tf.concat(',
    '    features.map((f) => pool(embed(f, batch[f.name], trained), f.combiner, batch[f.name][0].length)),',
    '    1,',
    '  );',
    '  const z = tf.add(tf.matMul(x, w), b);',
    '  const y = tf.tensor2d(labels, [labels.length, 1]);',
    '  return tf.mean(tf.sub(tf.softplus(z), tf.mul(y, z)));',
    '}',
    '',
    `// One step on a batch of ${g.batchSize} examples × ${g.idsPerExample} ids (here: random ids below ${g.vocabulary}).`,
    'const batch = {};',
    'for (const f of features) {',
    `  batch[f.name] = Array.from({ length: ${g.batchSize} }, () =>`,
    `    Array.from({ length: ${g.idsPerExample} }, () => {`,
    `      const id = Math.floor(Math.random() * ${g.vocabulary});`,
    "      return f.table.keyDtype === 'string' ? `id_${id}` : id;",
    '    }),',
    '  );',
    '}',
    `const labels = Array.from({ length: ${g.batchSize} }, () => (Math.random() < 0.5 ? 1 : 0));`,
  );
  groups.forEach((gr, i) => {
    // The head (w, b) is trained with the first optimizer.
    const trained = `[${gr.map((t) => t.name).join(', ')}]`;
    L.push(
      `const loss${i} = de.train.step(optimizer${i}, () => loss(batch, labels, ${trained}), { varList: ${i === 0 ? '[w, b]' : '[]'} });`,
    );
  });
  for (const t of used) {
    if (t.restrictPolicy !== 'none') L.push(`${t.name}.restrict(${t.restrictLimit}); // keep ${t.restrictLimit} keys`);
  }
  L.push(`console.log('loss', loss0, ${used.map((t) => `'${t.name}', ${t.name}.size()`).join(', ')});`);
  return `${L.join('\n')}\n`;
}
