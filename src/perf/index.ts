// The benchmark suite: one set of cases, run by the Performance page (in its worker) and by
// `npm run bench` in Node (bench/run.mjs, which builds this folder into dist/perf). No DOM and no
// runtime engine import: the engine, tfjs and the pool's spawner come in through the context.
export { type PerfContext, SIZES } from './context.js';
export { formatNumber, formatReadable, toMarkdown } from './format.js';
export { keyOfRank, keysOfRanks, uniformRanks, zipfRanks } from './ids.js';
export { JsTable } from './js-table.js';
export { machineFacts, type MachineFacts } from './machine.js';
export { caseCount, runPerf } from './run.js';
export { type PerfEvent, type PerfRow, type PerfSize, SECTION_TITLES, type SectionId, SECTIONS } from './sections.js';
