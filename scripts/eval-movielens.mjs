// npm run eval:movielens — trains the MovieLens model headless (the same modules the app's worker
// runs: src/playground/movielens) and prints one JSON line: seed, split, seconds, and
// precision/recall/NDCG@10 for the model and the popularity baseline on the same split.
// Options: --seconds=60 (training time), --seed=42 (split seed), --loss=softmax|bpr, --dim=32,
// --lr=0.02, --batch=512, --negatives=512, --l2=1e-4, --curve (one JSON line per evaluation on stderr),
// --every=5 (seconds between curve points), --clock=wall|cpu (cpu: count the process's CPU time, for
// measuring on a shared machine where other processes steal the cores).
// The modules are transpiled with the TypeScript compiler (types erased only) into dist/movielens,
// their engine import pointed at the built library (dist/lib; `npm run build:lib` first).
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(root, 'src/playground/movielens');
const outDir = join(root, 'dist/movielens');
await mkdir(outDir, { recursive: true });
for (const f of await readdir(srcDir)) {
  if (!f.endsWith('.ts') || f.endsWith('.test.ts')) continue;
  const { outputText } = ts.transpileModule(await readFile(join(srcDir, f), 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  await writeFile(
    join(outDir, f.replace(/\.ts$/, '.js')),
    outputText.replaceAll("'../../engine/index.js'", "'../lib/index.js'"),
  );
}

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const m = /^--([a-z0-9]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`eval:movielens: unknown argument ${JSON.stringify(a)}; expected --name=value`);
    return [m[1], m[2] ?? 'true'];
  }),
);
const num = (name, fallback) => {
  if (args[name] === undefined) return fallback;
  const v = Number(args[name]);
  if (!Number.isFinite(v))
    throw new Error(`eval:movielens: --${name} must be a number, got ${JSON.stringify(args[name])}`);
  return v;
};

const tf = await import('@tensorflow/tfjs');
const de = await import(pathToFileURL(join(root, 'dist/lib/index.js')).href);
const { parseMovieLens, MOVIELENS_ASSET_PATH } = await import(pathToFileURL(join(outDir, 'asset.js')).href);
const { MovieLensRun } = await import(pathToFileURL(join(outDir, 'run.js')).href);
await de.ready();
await tf.setBackend('cpu');

const bytes = await readFile(join(root, 'public', MOVIELENS_ASSET_PATH));
const data = parseMovieLens(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
const seconds = num('seconds', 60);
const seed = num('seed', 42);
const model = {};
for (const [arg, key] of [
  ['dim', 'dim'],
  ['lr', 'learningRate'],
  ['batch', 'batchSize'],
  ['negatives', 'negatives'],
  ['l2', 'l2'],
]) {
  if (args[arg] !== undefined) model[key] = num(arg);
}
if (args.loss !== undefined) model.loss = args.loss;
if (args.opt !== undefined) model.optimizer = args.opt;
if (args.inbatch !== undefined) model.inBatch = args.inbatch === 'true';
if (args.clock !== undefined && !['wall', 'cpu'].includes(args.clock)) {
  throw new Error(`eval:movielens: --clock must be wall or cpu, got ${JSON.stringify(args.clock)}`);
}
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const run = new MovieLensRun(data, { seed, model, clock: args.clock === 'cpu' ? cpuMs : undefined });
const every = num('every', 5) * 1000;
const wall = performance.now();
while (run.trainMs < seconds * 1000) {
  run.trainFor(Math.min(every, seconds * 1000 - run.trainMs));
  if (args.curve) console.error(JSON.stringify({ curve: true, ...round(run.point()) }));
}
const final = run.evaluate();
function round(o) {
  return Object.fromEntries(
    Object.entries(o).map(([k, v]) => [k, typeof v === 'number' ? Number(v.toPrecision(4)) : v]),
  );
}
console.log(
  JSON.stringify({
    seed,
    clock: args.clock ?? 'wall',
    split: {
      kind: 'per-user random',
      testFraction: run.split.testFraction,
      users: run.split.users,
      trainRatings: run.split.train.items.length,
      testRatings: run.split.test.items.length,
    },
    seconds: Number((run.trainMs / 1000).toFixed(1)),
    wallSeconds: Number(((performance.now() - wall) / 1000).toFixed(1)),
    steps: run.model.steps,
    epochs: run.model.epochs,
    loss: run.model.config.loss,
    model: round({ precision: final.precision, recall: final.recall, ndcg: final.ndcg }),
    popularity: round({
      precision: run.popularity.precision,
      recall: run.popularity.recall,
      ndcg: run.popularity.ndcg,
    }),
    config: run.model.config,
  }),
);
