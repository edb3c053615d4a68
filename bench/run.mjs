// `npm run bench`: builds dist/lib, then runs every benchmark section in Node and prints the
// results as JSON and as a markdown table (also written to bench/results/latest.{json,md}).
//
// Flags: --quick (small sizes, short runs), --only=<section>[,<section>].
// To add a section: write bench/<name>.mjs exporting `async function run(ctx)` that returns
// rows { section, name, value, unit, baseline?, ratio?, target?, note? }, and list it below.
import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { markdown } from './lib.mjs';

const SECTIONS = {
  hashtable: () => import('./hashtable.mjs'),
  train: () => import('./train.mjs'),
  pool: () => import('./pool.mjs'),
};

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',');

const de = await import('../dist/lib/index.js');
await de.ready();
const ctx = { de, quick, log: (msg) => process.stderr.write(`${msg}\n`) };

// the machine may be shared: record its load, so figures can be read with it in mind
const loadBefore = loadavg();
const rows = [];
for (const [name, load] of Object.entries(SECTIONS)) {
  if (only && !only.includes(name)) continue;
  ctx.log(`bench: ${name}${quick ? ' (quick)' : ''}`);
  const mod = await load();
  rows.push(...(await mod.run(ctx)));
}

const result = {
  date: new Date().toISOString(),
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
  wasm: de.backendInfo().wasm,
  quick,
  loadavg: { before: loadBefore, after: loadavg() },
  rows,
};
const md = markdown(rows);
function fmtLoad(l) {
  return l.map((x) => x.toFixed(1)).join(', ');
}
console.log(JSON.stringify(result, null, 2));
console.log();
console.log(md);
const loadLine = `load average (1, 5, 15 min) before ${fmtLoad(loadBefore)}, after ${fmtLoad(result.loadavg.after)}`;
ctx.log(loadLine);
await mkdir(new URL('./results/', import.meta.url), { recursive: true });
await writeFile(new URL('./results/latest.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
await writeFile(new URL('./results/latest.md', import.meta.url), `${md}\n\n${loadLine}\n`);
