// Main flows of the Features, Batch (CSV import) and Charts panels, and an accessibility scan of
// the page after training (charts drawn, inspector filled).
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, openApp, test } from './fixtures.js';

const runLookup = (page: Page) =>
  page.getByRole('region', { name: 'Batch', exact: true }).getByRole('button', { name: 'Run lookup' }).click();

test('no serious or critical accessibility violations after training (charts, inspector, tables)', async ({
  page,
  consoleLog,
}) => {
  await openApp(page);
  const training = page.getByRole('region', { name: 'Training', exact: true });
  await training.getByRole('button', { name: 'Play' }).click();
  await expect.poll(async () => Number(await page.getByTestId('train-step').textContent())).toBeGreaterThan(5);
  await training.getByRole('button', { name: 'Pause' }).click();
  await expect(training.getByRole('button', { name: 'Play' })).toBeEnabled();
  await expect(page.getByTestId('chart-loss')).not.toHaveAttribute('data-points', '0');
  await runLookup(page);
  await expect(page.getByTestId('output-shape')).toHaveText('(3, 2, 8)');
  // The trained table now holds rows: some ids hit.
  await expect(page.locator('tbody td.status').filter({ hasText: 'hit' }).first()).toBeVisible();
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
  expect(consoleLog.errors).toEqual([]);
});

test('Features: input kind, combiner, weights and max sequence length change the engine output shape', async ({
  page,
  consoleLog,
}) => {
  await openApp(page);
  const feature = page.getByRole('group', { name: 'Feature user_id' });
  const ids = page.getByRole('textbox', { name: 'Ids' });
  const shape = page.getByTestId('output-shape');
  const inspector = page.getByRole('region', { name: 'Lookup inspector', exact: true });
  // Default: dense, no combiner: (3, 2, 8).
  await runLookup(page);
  await expect(shape).toHaveText('(3, 2, 8)');
  // Combiner sum on dense ids: SquashedEmbedding, one vector per example.
  await feature.getByLabel('Combiner').selectOption('sum');
  await expect(feature).toContainText('de.layers.SquashedEmbedding');
  await runLookup(page);
  await expect(shape).toHaveText('(3, 8)');
  // Ragged input, weights on, mean: safeEmbeddingLookupSparse, one vector per row.
  await feature.getByLabel('Input kind').selectOption('ragged');
  await feature.getByLabel('Combiner').selectOption('mean');
  await feature.getByLabel('Weights (id:weight)').check();
  await expect(feature).toContainText('de.safeEmbeddingLookupSparse');
  await ids.fill('[[1:0.5, 2:1], [3:2], [4:1, 5:1, 6:1]]');
  await runLookup(page);
  await expect(shape).toHaveText('(3, 8)');
  await expect(inspector).toContainText("combiner: 'mean'");
  // Max sequence length 4 (TensorX Lookup): each row padded to 4 steps.
  await feature.getByLabel('Weights (id:weight)').uncheck();
  await feature.getByLabel('Combiner').selectOption('none');
  await feature.getByLabel('Max sequence length (0 = off)').fill('4');
  await expect(feature).toContainText('de.layers.Lookup (TensorX)');
  await ids.fill('[[1, 2], [3], [4, 5, 6, 7]]');
  await runLookup(page);
  await expect(shape).toHaveText('(3, 4, 8)');
  await expect(inspector).toContainText('padded with zero vectors to [3, 4, 8]');
  expect(consoleLog.errors).toEqual([]);
});

test('Batch: import a CSV feature log, map a column to a feature, use its rows as the batch', async ({
  page,
  consoleLog,
}) => {
  await openApp(page);
  // Rows of any length: the feature reads ragged rows, combined per row (a dense feature takes
  // rows of one length only, and the import would skip the others, saying so).
  const feature = page.getByRole('group', { name: 'Feature user_id' });
  await feature.getByLabel('Input kind').selectOption('ragged');
  await feature.getByLabel('Combiner').selectOption('mean');
  const batch = page.getByRole('region', { name: 'Batch', exact: true });
  await batch.getByText('Import a feature log (CSV / JSONL)').click();
  await batch.getByLabel('Feature log file').setInputFiles({
    name: 'clicks.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from('user_id,items,label\n42,15 2 9,1\n7,4|92,0\n5,31,1\n'),
  });
  await expect(batch.getByRole('status').filter({ hasText: 'Read 3 rows of clicks.csv' })).toBeVisible();
  // items is typed an id list split by spaces or |. The user_id column maps to the feature of
  // that name by default; map items to it instead.
  await expect(batch.getByLabel('Separator of column items')).toHaveValue(' |');
  await batch.getByLabel('Role of column user_id').selectOption('ignore');
  await batch.getByLabel('Role of column items').selectOption('ids:user_id');
  await batch.getByRole('button', { name: 'Apply mapping' }).click();
  await expect(batch.getByRole('status', { name: 'Mapping result' })).toContainText('3 rows read, 3 used, 0 skipped.');
  await batch.getByRole('button', { name: 'Use rows 1–3 as the batch' }).click();
  await expect(batch.getByRole('textbox', { name: 'Ids' })).toHaveValue('[[15, 2, 9], [4, 92], [31]]');
  await expect(batch).toContainText('Ragged: 3 rows, 6 ids');
  // The imported batch is what the lookup reads: ragged rows, combined per row.
  await runLookup(page);
  await expect(page.getByTestId('output-shape')).toHaveText('(3, 8)');
  const inspector = page.getByRole('region', { name: 'Lookup inspector', exact: true });
  await expect(inspector.locator('tbody tr')).toHaveCount(6);
  await expect(inspector.locator('tbody tr').nth(4)).toContainText('92');
  expect(consoleLog.errors).toEqual([]);
});

test('the eviction preset evicts while training: the evictions chart and the size stay at the limit', async ({
  page,
  consoleLog,
}) => {
  await openApp(page);
  await page.getByRole('button', { name: 'Load preset: Eviction with a restrict policy' }).click();
  const training = page.getByRole('region', { name: 'Training', exact: true });
  const step = training.getByRole('button', { name: 'Step', exact: true });
  for (let i = 1; i <= 4; i++) {
    await step.click();
    await expect(page.getByTestId('train-step')).toHaveText(String(i));
  }
  const lastOf = async (id: string, key: string) => {
    const last = (await page.getByTestId(id).getAttribute('data-last')) ?? '';
    const m = new RegExp(`${key}=([\\d.]+)`).exec(last);
    return m ? Number(m[1]) : NaN;
  };
  await expect.poll(() => lastOf('chart-evictions', 'user_emb evictions')).toBeGreaterThan(0);
  // The frequency policy keeps 200 keys after every step.
  await expect.poll(() => lastOf('chart-size', 'user_emb size')).toBe(200);
  await expect(page.getByRole('group', { name: 'Table user_emb' }).locator('legend')).toContainText('(200 keys)');
  expect(consoleLog.errors).toEqual([]);
});

test('Batch: a string id typed for an integer table is refused while typing, pointing at it', async ({
  page,
  consoleLog,
}) => {
  await openApp(page);
  const batch = page.getByRole('region', { name: 'Batch', exact: true });
  const ids = batch.getByRole('textbox', { name: 'Ids' });
  await ids.fill('[[15, 2], [4, abc]]');
  await expect(ids).toHaveAttribute('aria-invalid', 'true');
  const alert = batch.getByRole('alert');
  await expect(alert).toContainText(
    'Line 1, column 15: Expected an integer id (table user_emb has int64 keys), got the string "abc": \'a\' cannot start an int64 id.',
  );
  await expect(alert.locator('pre')).toHaveText('[[15, 2], [4, abc]]\n              ^');
  // Run lookup does not reach the engine: the same message, no engine error.
  await batch.getByRole('button', { name: 'Run lookup' }).click();
  await expect(page.getByRole('region', { name: 'Lookup inspector', exact: true }).getByRole('alert')).toContainText(
    'Expected an integer id (table user_emb has int64 keys)',
  );
  // A string table takes it, and then refuses integers instead.
  await page.getByRole('group', { name: 'Table user_emb' }).getByLabel('Key dtype').selectOption('string');
  await expect(ids).toHaveAttribute('aria-invalid', 'true');
  await expect(alert).toContainText(
    'Line 1, column 3: Expected a string id (table user_emb has string keys), got the integer 15',
  );
  await ids.fill('[["a", b], [c, "d"]]');
  await expect(ids).toHaveAttribute('aria-invalid', 'false');
  await expect(batch).toContainText('Shape [2, 2], 4 ids (string ids).');
  expect(consoleLog.errors).toEqual([]);
});

test('Lookup inspector: every output vector is labelled with the ids, weights and combiner that made it', async ({
  page,
  consoleLog,
}) => {
  await openApp(page);
  await page.getByRole('button', { name: 'Load preset: Weighted sparse feature' }).click();
  const ids = page.getByRole('textbox', { name: 'Ids' });
  await ids.fill('[[1:0.5, 2:1], [3:2]]');
  await runLookup(page);
  await expect(page.getByTestId('output-shape')).toHaveText('(2, 4)');
  const rows = page.getByTestId('output-rows').getByRole('listitem');
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0)).toContainText('row 0: combined with mean over ids 1, 2, weights 0.5, 1 = Σ wᵢvᵢ / Σ wᵢ');
  await expect(rows.nth(1)).toContainText('row 1: combined with mean over ids 3, weights 2 = Σ wᵢvᵢ / Σ wᵢ');
  // The label is part of the vector's accessible name too.
  await expect(
    page.getByRole('img', { name: /^output vector 1 \(row 1: combined with mean over ids 3/ }),
  ).toBeVisible();
  // Row 1 has one id: its output equals that id's vector (mean of one, whatever its weight).
  const idStrip = await page.getByRole('img', { name: /^id 3:/ }).getAttribute('aria-label');
  const outStrip = await page.getByRole('img', { name: /^output vector 1 / }).getAttribute('aria-label');
  expect(outStrip!.split('): ')[1]).toBe(idStrip!.split(': ')[1]);
  expect(consoleLog.errors).toEqual([]);
});
