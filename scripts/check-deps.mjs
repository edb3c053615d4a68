// `npm run lint`'s dependency check: the house rules in .dependency-cruiser.mjs (floors, arrows,
// the engine's face, no cycles), run through dependency-cruiser's API (its CLI refuses Node 20,
// which this project supports; the API runs on it). Prints each violation with its rule and
// exits 1 when there is one; --list-cycles prints every cycle found.
import { cruise } from 'dependency-cruiser';
import config, { EXCEPTIONS } from '../.dependency-cruiser.mjs';

const ROOTS = ['src', 'workers'];
const result = await cruise(ROOTS, { validate: true, ruleSet: { forbidden: config.forbidden }, ...config.options });
const out = typeof result.output === 'string' ? JSON.parse(result.output) : result.output;
const excepted = (v) =>
  EXCEPTIONS.some((e) => e.rule === v.rule.name && e.from === v.from && (e.to === undefined || e.to === v.to));
const violations = out.summary.violations.filter((v) => v.rule.severity === 'error');
const bad = violations.filter((v) => !excepted(v));
const cycles = violations.filter((v) => v.rule.name === 'no-cycles');
for (const v of bad) {
  const via = v.cycle ? ` (cycle: ${v.cycle.map((c) => (typeof c === 'string' ? c : c.name)).join(' -> ')})` : '';
  console.error(`  ${v.rule.name}: ${v.from} -> ${v.to}${via}`);
}
// an exception whose import is gone is done: say so, so the list only shrinks
const stale = EXCEPTIONS.filter(
  (e) => !violations.some((v) => e.rule === v.rule.name && e.from === v.from && (e.to === undefined || e.to === v.to)),
);
for (const e of stale) console.log(`  exception no longer needed (remove it): ${e.rule}: ${e.from} -> ${e.to ?? '*'}`);
if (process.argv.includes('--print-exceptions')) {
  for (const v of violations) console.log(`  { rule: '${v.rule.name}', from: '${v.from}', to: '${v.to}' },`);
}
const modules = out.summary.totalCruised;
const msg = `deps: ${modules} modules, ${bad.length} wrong-way imports or cycles${EXCEPTIONS.length ? ` (${violations.length - bad.length} under the ${EXCEPTIONS.length} time-boxed exceptions in .dependency-cruiser.mjs)` : ''}; ${cycles.length} cycle edges`;
if (bad.length > 0) {
  console.error(`${msg}. The rules: .dependency-cruiser.mjs; the floors: README "Architecture".`);
  process.exit(1);
}
console.log(msg);
