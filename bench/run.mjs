// `npm run bench`: builds dist/lib and dist/perf (src/perf, the same benchmark cases the
// Performance page runs), then runs them in Node with the deeper cases a page would not wait for
// (ctx.deep) and CPU-time timing of single-thread cases (ctx.cpuSeconds). Prints the results as
// JSON and as a markdown table (also written to bench/results/latest.{json,md}).
//
// Flags: --quick (the page's quick sizes), --only=<section>[,<section>] (hashtable, gather,
// workers (alias pool), train, gpu; default all but gpu, which in Node has no WebGL), --all.
// To add a case: add it to a section in src/perf/cases/ (the page then runs it too), or behind
// ctx.deep when it is too slow or Node-specific for the page.
import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { nativeLookup } from './native.mjs';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',')
  .map((s) => (s === 'pool' ? 'workers' : s));
const log = (msg) => process.stderr.write(`${msg}\n`);

const de = await import('../dist/lib/index.js');
const perf = await import('../dist/perf/index.js');
await de.ready();
// tfjs greets Node users on the console; keep stdout clean for the JSON
const saved = [console.log, console.warn, console.info];
console.log = console.warn = console.info = () => {};
const tf = await import('@tensorflow/tfjs');
// registered so the training cases can time the wasm backend beside cpu (dynemb works on both)
await import('@tensorflow/tfjs-backend-wasm');
await tf.setBackend('cpu');
await tf.ready();
[console.log, console.warn, console.info] = saved;

const sections = args.includes('--all') ? perf.SECTIONS : (only ?? perf.SECTIONS.filter((s) => s !== 'gpu'));
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

// the machine may be shared: record its load, so figures can be read with it in mind
const loadBefore = loadavg();
const notes = [];
// the lookup cases' native C++ reference (compiled here when g++ exists)
const native = nativeLookup(log);
log(`bench: ${sections.join(', ')}${quick ? ' (quick)' : ''}`);
const rows = await perf.runPerf(
  {
    de,
    tf,
    size: quick ? 'quick' : 'full',
    deep: true,
    cpuSeconds,
    spawn: await de.pool.nodeSpawner(),
    native: native.native,
    emit: (e) => {
      if (e.kind === 'progress') log(`  ${e.done}/${e.total} ${e.label}`);
      else if (e.kind === 'note') {
        notes.push(e);
        log(`  note (${e.section}): ${e.text}`);
      }
    },
  },
  sections,
);
native.dispose();

const result = {
  date: new Date().toISOString(),
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
  wasm: de.backendInfo().wasm,
  quick,
  sections,
  machine: perf.machineFacts(de),
  loadavg: { before: loadBefore, after: loadavg() },
  notes,
  rows,
};
const md = perf.toMarkdown(rows, { target: true });
const fmtLoad = (l) => l.map((x) => x.toFixed(1)).join(', ');
console.log(JSON.stringify(result, null, 2));
console.log();
console.log(md);
const loadLine = `load average (1, 5, 15 min) before ${fmtLoad(loadBefore)}, after ${fmtLoad(result.loadavg.after)}`;
log(loadLine);
await mkdir(new URL('./results/', import.meta.url), { recursive: true });
await writeFile(new URL('./results/latest.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
await writeFile(new URL('./results/latest.md', import.meta.url), `${md}\n\n${loadLine}\n`);
