// The feature-log importer: a real CSV (quoted commas and line breaks, a |-separated id column, a
// numeric weight column, a text column, a label) read in a worker, mapped, used as the batch and
// trained on; a 300,000-column file and a 50 MB line without a long main-thread task.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, openApp, test } from './fixtures.js';
import { traceMainThread } from './mainthread.js';

const ROWS = 40;
const users = (i: number) => 1000 + (i % 10);
const items = (i: number) => [i % 13, 20 + ((i * 7) % 17), 50 + (i % 5)].slice(0, 1 + (i % 3));
const csv = [
  'user_id,item_ids,weight,title,label',
  ...Array.from({ length: ROWS }, (_, i) => {
    // Every fifth title holds a line break inside its quotes; all hold a comma.
    const title = i % 5 === 0 ? `"Movie ${i},\nthe sequel"` : `"Movie ${i}, part ${i % 3}"`;
    return `${users(i)},${items(i).join('|')},${(0.5 + (i % 4) * 0.25).toFixed(2)},${title},${i % 3 === 0 ? 1 : 0}`;
  }),
].join('\r\n');
const distinctItems = new Set(Array.from({ length: ROWS }, (_, i) => items(i)).flat()).size;

test('import a CSV with quoted commas, a |-list, weights, text and a label: every row read, mapped, trained on', async ({
  page,
  consoleLog,
}) => {
  await openApp(page);
  const batch = page.getByRole('region', { name: 'Batch', exact: true });
  await batch.getByText('Import a feature log (CSV / JSONL)').click();
  await batch
    .getByLabel('Feature log file')
    .setInputFiles({ name: 'clicks.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await expect(
    batch.getByRole('status').filter({ hasText: 'Read 40 rows of clicks.csv (5 columns, CSV' }),
  ).toBeVisible();
  // Typed on import; user_id maps to the feature of that name, label to the label.
  await expect(batch.getByLabel('Type of column item_ids')).toHaveValue('idList');
  await expect(batch.getByLabel('Separator of column item_ids')).toHaveValue('|');
  await expect(batch.getByLabel('Type of column weight')).toHaveValue('number');
  await expect(batch.getByLabel('Type of column title')).toHaveValue('text');
  await expect(batch.getByLabel('Role of column user_id')).toHaveValue('ids:user_id');
  await expect(batch.getByLabel('Role of column label')).toHaveValue('label');
  await expect(batch.getByLabel('Role of column title')).toHaveValue('ignore');
  await batch.getByLabel('Role of column item_ids').selectOption('new');
  await batch.getByLabel('Role of column weight').selectOption('weights:item_ids');
  await batch.getByRole('button', { name: 'Apply mapping' }).click();
  const result = batch.getByRole('status', { name: 'Mapping result' });
  await expect(result).toContainText('40 rows read, 40 used, 0 skipped.');
  await expect(result).toContainText('New features (each with its own table): item_ids.');
  await expect(page.getByRole('group', { name: 'Feature item_ids' })).toBeVisible();
  await expect(page.getByRole('group', { name: 'Table item_ids_emb' })).toBeVisible();

  // The first rows become the batch, whole rows with their weights.
  await batch.getByRole('button', { name: 'Use rows 1–40 as the batch' }).click();
  await expect(batch.getByRole('status').filter({ hasText: 'The batch is rows 1–40 of the log.' })).toBeVisible();
  await expect(batch.getByRole('textbox', { name: 'Ids' })).toHaveValue(/^\[\[1000], \[1001], \[1002]/);

  // Training reads the log: batches of 64 rows (the default batch size) wrap around its 40 rows.
  // (The box is checked once the engine worker holds the log.)
  const trainOnLog = batch.getByLabel(/Train on this log instead of the generator/);
  await trainOnLog.click();
  await expect(trainOnLog).toBeChecked();
  const training = page.getByRole('region', { name: 'Training', exact: true });
  await expect(training).toContainText('the label column of the imported log clicks.csv (40 rows;');
  const step = training.getByRole('button', { name: 'Step', exact: true });
  await step.click();
  await expect(page.getByTestId('train-step')).toHaveText('1');
  await step.click();
  await expect(page.getByTestId('train-step')).toHaveText('2');
  expect(Number(await page.getByTestId('train-loss').textContent())).toBeGreaterThan(0);
  // Every imported id is in its table, and nothing else (the generator's ids would be 0..999).
  await expect(page.getByRole('group', { name: 'Table user_emb' })).toContainText('(10 keys)');
  await expect(page.getByRole('group', { name: 'Table item_ids_emb' })).toContainText(`(${distinctItems} keys)`);
  expect(consoleLog.errors).toEqual([]);
});

test('a 300,000-column CSV and a 50 MB line: progress, Cancel, and no main-thread task over 50 ms', async ({
  page,
  browser,
  consoleLog,
}) => {
  await openApp(page);
  const batch = page.getByRole('region', { name: 'Batch', exact: true });
  await batch.getByText('Import a feature log (CSV / JSONL)').click();
  const n = 300_000;
  const wide = `${Array.from({ length: n }, (_, i) => `c${i}`).join(',')}\n${Array.from({ length: n }, (_, i) => i % 7).join(',')}\n`;
  expect(wide.length).toBeGreaterThan(2_800_000);
  const dir = mkdtempSync(join(tmpdir(), 'import-'));
  writeFileSync(join(dir, 'wide.csv'), wide);
  // Inside the traced windows only cheap waits run: Playwright's role and label queries walk the
  // whole page's accessibility tree on the main thread, and would be measured as the page's work.
  const textShown = (text: string) =>
    page.waitForFunction((t) => document.body.textContent?.includes(t), text, { polling: 200, timeout: 60_000 });
  const input = await batch.getByLabel('Feature log file').elementHandle();
  const reading = await traceMainThread(page, browser, async () => {
    await input!.setInputFiles(join(dir, 'wide.csv'));
    await textShown('Columns 1–12 of 300,000, 12 at a time');
  });
  await expect(batch.getByRole('status').filter({ hasText: 'Read 1 rows of wide.csv (300,000 columns' })).toBeVisible();
  await expect(batch.locator('table.mapping tbody tr')).toHaveCount(12);
  const find = await batch.getByLabel('Find a column by name').elementHandle();
  const finding = await traceMainThread(page, browser, async () => {
    await find!.fill('c299999');
    await textShown('Columns 1–1 of 1 matching (300,000 in all)');
  });
  await expect(batch.getByLabel('Role of column c299999')).toBeVisible();
  const heavy = [...reading, ...finding].filter((t) => t.cpu > 50);
  expect(heavy, 'main-thread tasks over 50 ms of CPU while importing 300,000 columns').toEqual([]);

  // A 50 MB file of one line: a progress bar while it is read, and Cancel ends it at once. The
  // read may be faster than a person, so the page itself presses Cancel as soon as the bar shows.
  writeFileSync(join(dir, 'long.csv'), `a,b\n1,${'x'.repeat(50_000_000)}\n`);
  await page.evaluate(() => {
    const w = window as unknown as { seen: number[] };
    w.seen = [];
    new MutationObserver(() => {
      const m = /Reading long\.csv: ([0-9.]+) MB of 50\.0 MB/.exec(
        document.querySelector('.import-progress')?.textContent ?? '',
      );
      if (!m) return;
      w.seen.push(Number(m[1]));
      document.querySelector<HTMLButtonElement>('.import-progress button')?.click();
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  const long = await batch.getByLabel('Feature log file').elementHandle();
  const cancelling = await traceMainThread(page, browser, async () => {
    await long!.setInputFiles(join(dir, 'long.csv'));
    await textShown('Import cancelled.');
  });
  const seen = await page.evaluate(() => (window as unknown as { seen: number[] }).seen);
  expect(seen.length).toBeGreaterThan(0);
  expect(Math.max(...seen)).toBeLessThan(50);
  expect(
    cancelling.filter((t) => t.cpu > 50),
    'main-thread tasks over 50 ms of CPU while reading 50 MB',
  ).toEqual([]);
  await expect(batch.getByRole('button', { name: 'Cancel import' })).toHaveCount(0);
  await expect(batch.getByText('Read 1 rows of long.csv')).toHaveCount(0);
  // The importer works again afterwards (a new worker).
  await batch
    .getByLabel('Feature log file')
    .setInputFiles({ name: 'small.csv', mimeType: 'text/csv', buffer: Buffer.from('a,label\n1,1\n') });
  await expect(batch.getByRole('status').filter({ hasText: 'Read 1 rows of small.csv' })).toBeVisible();
  expect(consoleLog.errors).toEqual([]);
});
