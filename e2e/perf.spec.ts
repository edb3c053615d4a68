import AxeBuilder from '@axe-core/playwright';
import { expect, openApp, test } from './fixtures.js';

test.use({ permissions: ['clipboard-read', 'clipboard-write'] });

const SECTION_LABELS = [
  'Hash table vs a plain-JS table',
  'Gather bandwidth vs memory.copy',
  'Worker scaling',
  'Training step vs dense tfjs',
  'WASM vs WebGL gather',
];

test('Performance: a quick run in a worker finishes with charts, a table and machine facts; Copy as markdown gives a markdown table; no serious axe violations', async ({
  page,
  consoleLog,
}) => {
  test.setTimeout(600_000);
  await openApp(page);
  const perf = page.getByRole('region', { name: 'Performance', exact: true });
  const status = perf.getByTestId('perf-status');
  await expect(status).toHaveText('Not run yet.');
  await expect(perf.getByRole('radio', { name: 'quick' })).toBeChecked();
  for (const name of SECTION_LABELS) await expect(perf.getByRole('checkbox', { name })).toBeChecked();
  await perf.getByRole('button', { name: 'Run quick benchmarks' }).click();
  await expect(perf.getByRole('button', { name: 'Cancel' })).toBeEnabled();
  await expect(perf.getByRole('checkbox', { name: 'Worker scaling' })).toBeDisabled();
  await expect(status).toHaveText(/^Done: \d+ results in [\d.]+ s \(quick run\)\.$/, { timeout: 540_000 });

  // Machine facts, one chart per section (with axes and legends), and the table.
  const facts = perf.getByRole('list', { name: 'Machine facts' });
  await expect(facts).toContainText('cores (navigator.hardwareConcurrency): ');
  await expect(facts).toContainText('WebAssembly SIMD: yes');
  await expect(facts).toContainText('crossOriginIsolated: yes');
  await expect(facts).toContainText('WebGL renderer: ');
  // WebGL either ran, or the fallback says why (with the engine's own reason).
  await expect(facts).toContainText(/WASM vs WebGL gather: (de\.backendInfo\(\): gather|WebGL (missing|unusable))/);
  for (const [name, unit] of [
    ['Hash table throughput, as a multiple of the plain-JS table (higher is better)', '× plain-JS keys/s'],
    ['Gather bandwidth vs memory.copy of the same bytes (higher is better)', 'GB/s'],
    ['WASM vs WebGL gather, milliseconds per batch (lower is better)', 'ms per batch'],
    ['Lookup throughput: worker pool vs in-process (higher is better)', 'million keys/s'],
    ['Training steps per second: dynemb vs a dense tfjs embedding + Adagrad (higher is better)', 'steps/s'],
  ]) {
    const fig = perf.getByRole('figure', { name });
    await expect(fig).toBeVisible();
    await expect(fig.locator('.recharts-bar-rectangle').first()).toBeVisible();
    await expect(fig.locator('.recharts-legend-item').first()).toBeVisible();
    await expect(fig.locator('.recharts-label', { hasText: unit })).toHaveCount(1);
    expect(await fig.locator('.recharts-cartesian-axis-tick-value').count()).toBeGreaterThan(2);
  }
  const table = perf.getByRole('table', { name: /^Benchmark results/ });
  const rows = table.locator('tbody tr');
  const n = await rows.count();
  // quick: 2 sizes x 5 rows, 3 gather rows, 1 + 3 x 2 x 2 worker rows (SharedArrayBuffer and
  // transferables: the preview server is cross-origin isolated), 2 training rows, 4 gather-path rows
  expect(n).toBe(10 + 3 + 13 + 2 + 4);
  await expect(table.getByRole('rowheader', { name: /^find uniform, 100000 keys/ })).toBeVisible();
  for (const how of ['SharedArrayBuffer', 'transferables']) {
    await expect(table.getByRole('rowheader', { name: `pool, 4 workers, 4 lookups in flight, ${how}` })).toBeVisible();
  }
  // every row with a baseline shows a ratio
  const ratios = await rows.locator('td:nth-child(4)').allTextContents();
  expect(ratios.filter((r) => /^[\d.e+]+×$/.test(r)).length).toBeGreaterThanOrEqual(20);

  await perf.getByRole('button', { name: 'Copy as markdown' }).click();
  await expect(perf.getByText(`Copied ${n} rows as markdown.`)).toBeVisible();
  const md = await page.evaluate(() => navigator.clipboard.readText());
  const lines = md.split('\n');
  expect(lines[0]).toBe('## dynemb in-browser benchmarks (quick)');
  const head = lines.findIndex((l) => l.startsWith('| section | case |'));
  expect(head).toBeGreaterThan(0);
  expect(lines[head + 1]).toMatch(/^\|(---\|){8}$/);
  const body = lines.slice(head + 2).filter((l) => l.startsWith('|'));
  expect(body).toHaveLength(n);
  for (const l of body) expect(l.split(' | ')).toHaveLength(8);
  expect(md).toContain('| hashtable | find uniform, 100000 keys |');

  const results = await new AxeBuilder({ page }).include('[data-panel="performance"]').analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${v.id}: ${v.nodes.map((x) => x.target.join(' ')).join(', ')}`)).toEqual([]);
  expect(consoleLog.errors).toEqual([]);
});

test('Performance: Cancel stops a run at once and keeps what was measured', async ({ page, consoleLog }) => {
  await openApp(page);
  const perf = page.getByRole('region', { name: 'Performance', exact: true });
  const status = perf.getByTestId('perf-status');
  await perf.getByRole('radio', { name: 'full' }).check();
  await perf.getByRole('button', { name: 'Run full benchmarks' }).click();
  // wait for the first measured row, then cancel mid-run
  await expect(
    perf
      .getByRole('table', { name: /^Benchmark results/ })
      .locator('tbody tr')
      .first(),
  ).toBeVisible({
    timeout: 60_000,
  });
  await perf.getByRole('button', { name: 'Cancel' }).click();
  await expect(status).toHaveText(/^Cancelled after \d+ results\.$/);
  const kept = await page.evaluate(() => window.perf.getState().rows.length);
  expect(kept).toBeGreaterThan(0);
  await expect(perf.getByRole('button', { name: 'Run full benchmarks' })).toBeEnabled();
  await expect(perf.getByRole('button', { name: 'Cancel' })).toBeDisabled();
  // the worker is gone: nothing more arrives
  await page.waitForTimeout(3000);
  expect(await page.evaluate(() => window.perf.getState().rows.length)).toBe(kept);
  expect(await page.evaluate(() => window.perf.getState().phase)).toBe('cancelled');
  expect(consoleLog.errors).toEqual([]);
});

test("Performance: WASM vs WebGL gather through the engine's GpuGather (on this machine's software renderer, when asked)", async ({
  page,
  consoleLog,
}) => {
  test.setTimeout(300_000);
  await openApp(page);
  const perf = page.getByRole('region', { name: 'Performance', exact: true });
  for (const name of SECTION_LABELS.slice(0, 4)) await perf.getByRole('checkbox', { name }).uncheck();
  await perf.getByRole('checkbox', { name: /^WebGL on a software renderer too/ }).check();
  await perf.getByRole('button', { name: 'Run quick benchmarks' }).click();
  await expect(perf.getByTestId('perf-status')).toHaveText(/^Done: 4 results/, { timeout: 240_000 });
  const facts = perf.getByRole('list', { name: 'Machine facts' });
  const rows = await page.evaluate(() => window.perf.getState().rows);
  expect(rows.map((r) => `${r.params.batch}x${r.params.dim}`)).toEqual(['4096x16', '65536x16', '4096x64', '65536x64']);
  if (rows[0].baseline !== undefined) {
    // WebGL ran: every row is WebGL against WASM, with the engine's calibration in the notes
    await expect(facts).toContainText('WASM vs WebGL gather: de.backendInfo(): gather');
    for (const r of rows) {
      expect(r.name).toMatch(/^WebGL gather, batch/);
      expect(r.ratio).toBeGreaterThan(0);
    }
    const fig = perf.getByRole('figure', { name: 'WASM vs WebGL gather, milliseconds per batch (lower is better)' });
    await expect(fig.locator('.recharts-legend-item')).toHaveText(['WASM', 'WebGL (tfjs)']);
  } else {
    // no usable WebGL here: the fallback says why
    await expect(facts).toContainText(/WASM vs WebGL gather: WebGL (missing|unusable)/);
  }
  expect(consoleLog.errors).toEqual([]);
});
