// The house rules (shared/DESIGN.md "The house"), checked by `npm run lint` (scripts/check-deps.mjs):
// arrows point down only (app -> playground -> engine; workers -> playground, engine), each floor
// reaches the engine through its public face (src/engine/index.ts), and no import cycles.
// Type-only imports count for the floors (a type from the wrong floor is still a wrong arrow), not for cycles.

/** Files that are not product code: tests and tools may reach where they need to. */
const TESTS = '\\.(test|spec)\\.tsx?$';
const FACE = '^src/engine/index\\.ts$';

/**
 * Time-boxed exceptions (7 December 2026, issue #14): wrong arrows on main when the rules landed,
 * each being removed by the engineer named. `npm run lint` says when one is no longer needed; the
 * list only shrinks, and any new wrong arrow fails at once.
 */
export const EXCEPTIONS = [
  // h14-app: the store's slices importing the store (being given get instead)
  { rule: 'no-cycles', from: 'src/app/demo/slice.ts', to: 'src/app/store.ts' },
  { rule: 'no-cycles', from: 'src/app/demo/slice.ts', to: 'src/app/workspace/views.ts' },
  { rule: 'no-cycles', from: 'src/app/perf/store.ts', to: 'src/app/store.ts' },
  { rule: 'no-cycles', from: 'src/app/store.ts', to: 'src/app/tpu/slice.ts' },
  { rule: 'no-cycles', from: 'src/app/workspace/views.ts', to: 'src/app/store.ts' },
];

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-cycles',
      comment:
        'No import cycles anywhere: a cycle makes the order modules start in matter, and hides a wrong arrow. ' +
        'Type-only imports (`import type`) are erased before anything runs, so they do not close a cycle: that is ' +
        "how a zustand slice names the whole store's type (StateCreator<Full, [], [], Slice>).",
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'engine-is-floor-0',
      comment: 'The engine (src/engine) imports nothing outside itself (callers pass worker URLs to the pool).',
      severity: 'error',
      from: { path: '^src/engine/', pathNot: TESTS },
      to: { path: '^(src/(?!engine/)|workers/|e2e/|bench/|scripts/|examples/)' },
    },
    {
      name: 'playground-uses-engine-face',
      comment: 'The headless floor (src/playground) reaches the engine only through its public face.',
      severity: 'error',
      from: { path: '^src/playground/', pathNot: TESTS },
      to: { path: '^src/engine/', pathNot: FACE },
    },
    {
      name: 'playground-is-headless',
      comment: 'The headless floor imports neither the app nor the workers (nor React or comlink).',
      severity: 'error',
      from: { path: '^src/playground/', pathNot: TESTS },
      to: { path: '^(src/app/|workers/)|(^|/)node_modules/(react|react-dom|comlink|zustand)/' },
    },
    {
      name: 'perf-uses-engine-face',
      comment: 'The benchmark suite (src/perf) is headless too: the engine through its face, nothing above it.',
      severity: 'error',
      from: { path: '^src/perf/', pathNot: TESTS },
      to: { path: '^(src/engine/(?!index\\.ts$)|src/app/|src/playground/|workers/)' },
    },
    {
      name: 'workers-use-playground-and-engine-face',
      comment:
        'Workers expose a session of the headless floor: they import src/playground, src/perf and the engine face, never the app or engine internals.',
      severity: 'error',
      from: { path: '^workers/', pathNot: TESTS },
      to: { path: '^(src/app/|src/engine/(?!index\\.ts$))' },
    },
    {
      name: 'app-uses-engine-face',
      comment: 'The app reaches the engine only through its public face.',
      severity: 'error',
      from: { path: '^src/app/', pathNot: TESTS },
      to: { path: '^src/engine/', pathNot: FACE },
    },
    {
      name: 'app-not-worker-internals',
      comment:
        "The app talks to workers through the headless floor's protocol types; it imports no worker module (it starts them by URL).",
      severity: 'error',
      from: { path: '^src/app/', pathNot: TESTS },
      to: { path: '^workers/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules|src/wasm/build)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
    moduleSystems: ['es6', 'cjs'],
  },
};
