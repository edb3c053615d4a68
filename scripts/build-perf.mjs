// Builds the benchmark suite (src/perf, the cases the Performance page runs) into dist/perf/index.js
// for `npm run bench` in Node. src/perf imports the engine only through its public face, which the
// bundle leaves as an import of dist/lib/index.js: the bench and the cases share one engine (one
// WASM instance), and the run context passes the same module in.
import { rolldown } from 'rolldown';

const FACE = /(^|\/)engine\/index(\.js|\.ts)?$/;
const bundle = await rolldown({
  input: new URL('../src/perf/index.ts', import.meta.url).pathname,
  platform: 'node',
  external: (id) => {
    if (FACE.test(id)) return true;
    // another engine module or tfjs would be a second copy of it in the bundle
    if (/(^|\/)engine\/|@tensorflow\//.test(id))
      throw new Error(`src/perf may import only the engine's face, not ${id}`);
    return false;
  },
});
await bundle.write({
  file: new URL('../dist/perf/index.js', import.meta.url).pathname,
  format: 'esm',
  paths: (id) => (FACE.test(id) ? '../lib/index.js' : id),
});
await bundle.close();
console.log('build:perf  dist/perf/index.js ready (src/perf, the Performance page cases)');
