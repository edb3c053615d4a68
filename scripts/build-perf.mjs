// Builds the benchmark suite (src/perf, the cases the Performance page runs) into dist/perf/index.js
// for `npm run bench` in Node. src/perf takes the engine through its run context and imports it only
// as types, so the bundle holds the cases alone and the bench passes in dist/lib's engine.
import { rolldown } from 'rolldown';

const bundle = await rolldown({
  input: new URL('../src/perf/index.ts', import.meta.url).pathname,
  platform: 'node',
  // a runtime import of the engine or tfjs would bring a second copy of either: fail instead
  external: (id) => {
    if (/(^|\/)engine\/|@tensorflow\//.test(id)) throw new Error(`src/perf must not import ${id} at run time`);
    return false;
  },
});
await bundle.write({ file: new URL('../dist/perf/index.js', import.meta.url).pathname, format: 'esm' });
await bundle.close();
console.log('build:perf  dist/perf/index.js ready (src/perf, the Performance page cases)');
