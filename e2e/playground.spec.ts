// The playground's main flows that do not need a trained model: presets, editors, batch
// validation, persistence (IndexedDB and the URL), hostile links, and an accessibility scan.
import AxeBuilder from '@axe-core/playwright';
import { expect, openApp, test } from './fixtures.js';

test('a preset loads its tables, features and batch', async ({ page, consoleLog }) => {
  await openApp(page);
  await page.getByRole('button', { name: 'Load preset: One table, two features' }).click();
  const features = page.getByRole('region', { name: 'Features', exact: true });
  await expect(features.getByRole('group', { name: 'Feature clicked_item' })).toBeVisible();
  await expect(features.getByRole('group', { name: 'Feature viewed_item' })).toContainText(
    'shares item_emb with clicked_item',
  );
  await page.getByRole('button', { name: 'Load preset: TFRA Embedding' }).click();
  const batch = page.getByRole('region', { name: 'Batch', exact: true });
  await expect(batch.getByRole('textbox', { name: 'Ids' })).toHaveValue('[[15, 2], [4, 92], [22, 4]]');
  await expect(batch).toContainText('Shape [3, 2], 6 ids');
  const tables = page.getByRole('region', { name: 'Tables', exact: true });
  await expect(tables.getByRole('group', { name: 'Table embedding' }).getByLabel('Dim')).toHaveValue('8');
  expect(consoleLog.errors).toEqual([]);
});

test('breaking the batch text shows an error that points at the character', async ({ page, consoleLog }) => {
  await openApp(page);
  const ids = page.getByRole('textbox', { name: 'Ids' });
  await ids.fill('[[15, 2] [4, 92]]');
  await expect(ids).toHaveAttribute('aria-invalid', 'true');
  const alert = page.getByRole('region', { name: 'Batch', exact: true }).getByRole('alert');
  await expect(alert).toContainText('Line 1, column 10: Expected "," or "]", found \'[\'.');
  await expect(alert.locator('pre')).toHaveText('[[15, 2] [4, 92]]\n         ^');
  await ids.fill('[[15, 2], [4, 92]]');
  await expect(ids).toHaveAttribute('aria-invalid', 'false');
  await expect(page.getByRole('region', { name: 'Batch', exact: true })).toContainText('Shape [2, 2], 4 ids');
  expect(consoleLog.errors).toEqual([]);
});

test('tables can be added, renamed, duplicated and deleted; features follow renames', async ({ page, consoleLog }) => {
  await openApp(page);
  const tables = page.getByRole('region', { name: 'Tables', exact: true });
  await tables.getByRole('button', { name: 'Duplicate user_emb' }).click();
  await expect(tables.getByRole('group', { name: 'Table user_emb_copy' })).toBeVisible();
  const name = tables.getByRole('group', { name: 'Table user_emb', exact: true }).getByLabel('Name');
  await name.fill('9bad');
  await expect(tables.getByText('Letters, digits and _, not starting with a digit')).toBeVisible();
  await name.fill('users');
  await name.press('Enter');
  await expect(tables.getByRole('group', { name: 'Table users' })).toBeVisible();
  const feature = page.getByRole('group', { name: 'Feature user_id' });
  await expect(feature.getByLabel('Table')).toHaveValue('users');
  await tables.getByRole('button', { name: 'Delete users' }).click();
  await expect(tables.getByRole('group')).toHaveCount(1);
  await expect(feature.getByLabel('Table')).toHaveValue('user_emb_copy');
  expect(consoleLog.errors).toEqual([]);
});

test('a reload finds the workspace intact (IndexedDB), and so does a fresh visit', async ({ page, consoleLog }) => {
  await openApp(page);
  await page.getByRole('button', { name: 'Load preset: Weighted sparse feature' }).click();
  await page.getByRole('textbox', { name: 'Ids' }).fill('[[1:0.5, 2:1], [3:2]]');
  const dim = page.getByRole('group', { name: 'Table tag_emb' }).getByLabel('Dim');
  await dim.fill('12');
  await expect(page).toHaveURL(/#w=/);
  await page.waitForFunction(
    () => location.hash.length > 10 && window.playground.getState().workspace.tables[0].dim === 12,
  );
  // Let the debounced autosave land, observed through IndexedDB itself rather than a timer.
  await expect
    .poll(() =>
      page.evaluate(
        () =>
          new Promise<boolean>((resolve) => {
            const req = indexedDB.open('dynemb-playground', 1);
            req.onsuccess = () => {
              const get = req.result.transaction('workspace').objectStore('workspace').get('current');
              get.onsuccess = () => {
                req.result.close();
                resolve(typeof get.result === 'string' && get.result.includes('"dim":12'));
              };
            };
          }),
      ),
    )
    .toBe(true);
  // The URL is written in the same autosave, before IndexedDB.
  expect(await page.evaluate(() => location.hash.length)).toBeGreaterThan(10);
  await page.reload();
  await expect(page.getByRole('textbox', { name: 'Ids' })).toHaveValue('[[1:0.5, 2:1], [3:2]]');
  await expect(page.getByRole('group', { name: 'Table tag_emb' }).getByLabel('Dim')).toHaveValue('12');
  // Without the URL: the autosaved workspace comes back from IndexedDB.
  await openApp(page, './');
  await expect(page.getByRole('group', { name: 'Table tag_emb' }).getByLabel('Dim')).toHaveValue('12');
  expect(await page.evaluate(() => window.playground.getState().origin)).toBe('saved');
  expect(consoleLog.errors).toEqual([]);
});

test('a shared URL opens the same state in a fresh browser', async ({ page, browser, consoleLog }) => {
  await openApp(page);
  await page.getByRole('button', { name: 'Load preset: TensorX Lookup, padded' }).click();
  await page.getByRole('textbox', { name: 'Ids' }).fill('[[7, 8], [9]]');
  // The hash is written after a short debounce; wait until it holds the edited batch.
  await page.waitForFunction(() =>
    atob(location.hash.slice(3).replace(/-/g, '+').replace(/_/g, '/')).includes('[[7, 8], [9]]'),
  );
  const url = page.url();
  const other = await browser.newContext();
  const fresh = await other.newPage();
  await openApp(fresh, url);
  await expect(fresh.getByRole('textbox', { name: 'Ids' })).toHaveValue('[[7, 8], [9]]');
  await expect(
    fresh.getByRole('group', { name: 'Feature tokens' }).getByLabel('Max sequence length (0 = off)'),
  ).toHaveValue('4');
  expect(await fresh.evaluate(() => window.playground.getState().origin)).toBe('url');
  // The whole workspace (tables, features, batches, generator, training, TPU and demo settings) is the same.
  const original = await page.evaluate(() => window.playground.getState().workspace);
  const opened = await fresh.evaluate(() => window.playground.getState().workspace);
  expect(opened).toEqual(original);
  expect(opened.tables[0].name).toBe('words');
  await other.close();
  expect(consoleLog.errors).toEqual([]);
});

test('a hostile or broken link shows a message and falls back to the defaults', async ({ page, consoleLog }) => {
  const evil = {
    v: 1,
    tables: [{ name: '<img src=x onerror=alert(1)>', dim: 8 }],
    features: [],
    batches: {},
    generator: {},
    training: {},
  };
  const hash = btoa(JSON.stringify(evil)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  let dialogs = 0;
  page.on('dialog', (d) => {
    dialogs++;
    void d.dismiss();
  });
  await openApp(page, `./#w=${hash}`);
  const alert = page.getByRole('alert').filter({ hasText: "This link's settings could not be used" });
  await expect(alert).toContainText('tables[0].name must be a name');
  await expect(page.getByRole('group', { name: 'Table user_emb', exact: true })).toBeVisible();
  expect(await page.locator('img[src="x"]').count()).toBe(0);
  await page.goto('about:blank');
  await openApp(page, './#w=@@not-base64');
  await expect(page.getByRole('alert').filter({ hasText: 'not base64url' })).toBeVisible();
  expect(dialogs).toBe(0);
  expect(consoleLog.errors).toEqual([]);
});

test('no serious or critical accessibility violations (axe-core)', async ({ page }) => {
  await openApp(page);
  await page.getByText('Generate batches').click();
  await page.getByText('Import a feature log (CSV / JSONL)').click();
  await page.getByRole('region', { name: 'Batch', exact: true }).getByRole('button', { name: 'Run lookup' }).click();
  await expect(page.getByTestId('output-shape')).toHaveText('(3, 2, 8)');
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
});

test('TFRA preset: run the lookup in the worker and read (3, 2, 8), every id traced', async ({ page, consoleLog }) => {
  await openApp(page);
  await page.getByRole('button', { name: 'Load preset: TFRA Embedding' }).click();
  await page.getByRole('region', { name: 'Batch', exact: true }).getByRole('button', { name: 'Run lookup' }).click();
  const inspector = page.getByRole('region', { name: 'Lookup inspector', exact: true });
  await expect(inspector.getByTestId('output-shape')).toHaveText('(3, 2, 8)');
  await expect(inspector).toContainText('shape(ids) + [dim] = [3, 2] + [8] = [3, 2, 8]');
  await expect(inspector).toContainText('de.embeddingLookup(embedding, ids)');
  const rows = inspector.getByRole('table').locator('tbody tr');
  await expect(rows).toHaveCount(6);
  // A fresh table holds nothing: every id misses and reads the initializer's (keyed) value.
  await expect(rows.first()).toContainText('15');
  await expect(rows.first()).toContainText('miss (initializer value)');
  // Ids 4 appears twice and, being keyed, reads the same vector both times.
  const strips = await inspector
    .getByRole('img', { name: /^id 4:/ })
    .evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
  expect(strips).toHaveLength(2);
  expect(strips[0]).toBe(strips[1]);
  expect(consoleLog.errors).toEqual([]);
});

test('SquashedEmbedding preset: the engine returns (3, 8)', async ({ page, consoleLog }) => {
  await openApp(page);
  await page.getByRole('button', { name: 'Load preset: TFRA SquashedEmbedding' }).click();
  await page.getByRole('region', { name: 'Batch', exact: true }).getByRole('button', { name: 'Run lookup' }).click();
  await expect(page.getByTestId('output-shape')).toHaveText('(3, 8)');
  await page.getByRole('button', { name: 'Load preset: Weighted sparse feature' }).click();
  await page.getByRole('region', { name: 'Batch', exact: true }).getByRole('button', { name: 'Run lookup' }).click();
  await expect(page.getByTestId('output-shape')).toHaveText('(3, 4)');
  await page.getByRole('button', { name: 'Load preset: TensorX Lookup, padded' }).click();
  await page.getByRole('region', { name: 'Batch', exact: true }).getByRole('button', { name: 'Run lookup' }).click();
  await expect(page.getByTestId('output-shape')).toHaveText('(2, 4, 6)');
  expect(consoleLog.errors).toEqual([]);
});

test('Lookup inspector: a plain lookup misses without inserting; with insert on lookup it inserts, then hits', async ({
  page,
  consoleLog,
}) => {
  await openApp(page);
  await page.getByRole('button', { name: 'Load preset: TFRA Embedding' }).click();
  const run = page.getByRole('region', { name: 'Batch', exact: true }).getByRole('button', { name: 'Run lookup' });
  const inspector = page.getByRole('region', { name: 'Lookup inspector', exact: true });
  const table = page.getByRole('group', { name: 'Table embedding' });
  const statuses = () => inspector.locator('tbody td.status').allTextContents();
  // TFRA semantics: a lookup never inserts, so a second lookup misses again and the table stays empty.
  for (let i = 0; i < 2; i++) {
    await run.click();
    await expect(inspector.getByTestId('output-shape')).toHaveText('(3, 2, 8)');
    expect(await statuses()).toEqual(new Array(6).fill('miss (initializer value)'));
    await expect(table.locator('legend')).toContainText('(0 keys)');
  }
  await expect(inspector).toContainText('not stored (a lookup never inserts, as TFRA');
  // insertOnLookup (find-or-insert): the first lookup inserts the 5 distinct ids, the next one hits them.
  await table.getByLabel('Insert on lookup').check();
  await run.click();
  await expect.poll(statuses).toEqual(new Array(6).fill('inserted'));
  await expect(table.locator('legend')).toContainText('(5 keys)');
  await expect(inspector).toContainText('5 missing keys were inserted');
  // Inserted ids have a slot and a row now.
  await expect(inspector.locator('tbody tr').first().locator('td').nth(4)).not.toHaveText('–');
  await run.click();
  await expect.poll(statuses).toEqual(new Array(6).fill('hit'));
  expect(consoleLog.errors).toEqual([]);
});

test('Tables: the gather path per table is wired to the engine; WebGL and WASM lookups read the same rows', async ({
  page,
  consoleLog,
}) => {
  await openApp(page);
  await page.getByRole('button', { name: 'Load preset: TFRA Embedding' }).click();
  // Train a few steps so the table holds rows (the generator's Zipf ids include 2 and 4).
  const training = page.getByRole('region', { name: 'Training', exact: true });
  for (let i = 1; i <= 3; i++) {
    await training.getByRole('button', { name: 'Step', exact: true }).click();
    await expect(page.getByTestId('train-step')).toHaveText(String(i));
  }
  const table = page.getByRole('group', { name: 'Table embedding' });
  const run = page.getByRole('region', { name: 'Batch', exact: true }).getByRole('button', { name: 'Run lookup' });
  const inspector = page.getByRole('region', { name: 'Lookup inspector', exact: true });
  const read = async () => ({
    statuses: await inspector.locator('tbody td.status').allTextContents(),
    vectors: await inspector
      .getByRole('img', { name: /^id / })
      .evaluateAll((els) => els.map((e) => e.getAttribute('aria-label'))),
  });
  await expect(table.getByTestId('gather-note')).toContainText('Lookups gather in WASM');
  await run.click();
  await expect(page.getByTestId('lookup-gather')).toContainText('Gather path: WASM');
  const wasm = await read();
  expect(wasm.statuses).toContain('hit');
  await table.getByLabel('Gather path').selectOption('webgl');
  // What the engine decided, with de.backendInfo()'s reason: WebGL where the worker has it, else a fallback that says why.
  await expect(table.getByTestId('gather-note')).toContainText(/Lookups gather in WebGL|Falls back to WASM: .*WebGL/);
  const note = await table.getByTestId('gather-note').textContent();
  await run.click();
  await expect(page.getByTestId('lookup-gather')).toContainText(
    note!.startsWith('Lookups gather in WebGL') ? 'Gather path: WebGL' : 'the table asks for webgl',
  );
  if (note!.startsWith('Lookups gather in WebGL')) {
    await expect(inspector).toContainText('new de.gpu.GpuGather(embedding).lookup(ids)');
  }
  // Same statuses and, to the printed precision, the same vectors on either path.
  expect(await read()).toEqual(wasm);
  // Changing the gather path did not start training over.
  await expect(page.getByTestId('train-step')).toHaveText('3');
  // A weighted sparse feature: the combined output is the same on either path too. The preset
  // replaces the trained table, so it asks first.
  await page.getByRole('button', { name: 'Load preset: Weighted sparse feature' }).click();
  await page
    .getByRole('dialog', { name: 'Discard the trained data?' })
    .getByRole('button', { name: 'Discard data and apply' })
    .click();
  const tags = page.getByRole('group', { name: 'Table tag_emb' });
  const output = () =>
    inspector
      .getByRole('img', { name: /^output vector / })
      .evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
  await run.click();
  await expect(inspector.getByTestId('output-shape')).toHaveText('(3, 4)');
  const sparseWasm = await output();
  await tags.getByLabel('Gather path').selectOption('webgl');
  await expect(tags.getByTestId('gather-note')).toContainText(/Lookups gather in WebGL|Falls back to WASM/);
  await run.click();
  await expect(page.getByTestId('lookup-gather')).toContainText('webgl', { ignoreCase: true });
  if (note!.startsWith('Lookups gather in WebGL')) {
    await expect(inspector).toContainText('new de.gpu.GpuGather(tag_emb).lookupSparse(spIds, spWeights');
  }
  expect(await output()).toEqual(sparseWasm);
  expect(consoleLog.errors).toEqual([]);
});

test('Tables: placement on the worker pool: the same lookup as in-process, training through the pool moves the loss', async ({
  page,
  consoleLog,
}) => {
  await openApp(page);
  await page.getByRole('button', { name: 'Load preset: TFRA Embedding' }).click();
  const table = page.getByRole('group', { name: 'Table embedding' });
  const run = page.getByRole('region', { name: 'Batch', exact: true }).getByRole('button', { name: 'Run lookup' });
  const inspector = page.getByRole('region', { name: 'Lookup inspector', exact: true });
  const read = async () => ({
    statuses: await inspector.locator('tbody td.status').allTextContents(),
    vectors: await inspector
      .getByRole('img', { name: /^id / })
      .evaluateAll((els) => els.map((e) => e.getAttribute('aria-label'))),
    output: await inspector
      .getByRole('img', { name: /^output vector / })
      .evaluateAll((els) => els.map((e) => e.getAttribute('aria-label'))),
  });
  await expect(table.getByTestId('placement-note')).toContainText('Placement: in-process');
  await run.click();
  await expect(inspector.getByTestId('output-shape')).toHaveText('(3, 2, 8)');
  const local = await read();

  await table.getByLabel('Placement').selectOption('workers');
  await expect(table.getByTestId('placement-note')).toContainText('Placement: worker pool');
  await expect(table.getByTestId('placement-note')).toContainText(/Shard → worker: 0 → 0/);
  await run.click();
  await expect(inspector.getByTestId('lookup-pool')).toContainText('Placement: worker pool');
  await expect(inspector).toContainText('await embedding.lookup(ids) (pooled)');
  await expect(inspector.getByTestId('output-shape')).toHaveText('(3, 2, 8)');
  await expect(inspector.getByRole('columnheader', { name: 'Worker' })).toBeVisible();
  // Same seed, same ids: the same vectors and output as in-process.
  expect(await read()).toEqual(local);

  // A combination the pool refuses changes nothing and says why.
  await table.getByLabel('Insert on lookup').click();
  await expect(table.getByRole('alert')).toContainText('Not applied: insert on lookup cannot be used with placement');
  await expect(table.getByLabel('Insert on lookup')).not.toBeChecked();

  // Training through the pool: the loss moves; Step back replays from step 0 (no checkpoints there).
  const training = page.getByRole('region', { name: 'Training', exact: true });
  await expect(page.getByTestId('stepback-pooled')).toContainText('Step back resets and replays');
  const loss = page.getByTestId('chart-loss');
  await training.getByRole('button', { name: 'Play' }).click();
  await expect.poll(async () => Number(await loss.getAttribute('data-points'))).toBeGreaterThan(3);
  const first = await loss.getAttribute('data-last');
  await expect.poll(() => loss.getAttribute('data-last')).not.toBe(first);
  await training.getByRole('button', { name: 'Pause' }).click();
  await expect(training.getByRole('button', { name: 'Play' })).toBeEnabled();
  // The step in flight when Pause was pressed has landed once the buttons are no longer busy.
  await expect(training.getByRole('button', { name: 'Step back' })).toHaveAttribute('aria-disabled', 'false');
  const paused = Number(await page.getByTestId('train-step').textContent());
  await training.getByRole('button', { name: 'Step back' }).click();
  await expect(page.getByTestId('train-step')).toHaveText(String(paused - 1));
  await expect(page.getByTestId('chart-size')).not.toHaveAttribute('data-points', '0');
  await expect(page.getByTestId('chart-hit')).not.toHaveAttribute('data-points', '0');
  // The trained keys live on the pool: a lookup now hits some ids, each with its shard's worker.
  await run.click();
  await expect.poll(async () => (await read()).statuses).toContain('hit');
  await expect(table.locator('legend')).not.toContainText('(0 keys)');
  await expect(page.getByTestId('internals-pooled')).toContainText('placed on the worker pool');

  // The placement is part of the saved workspace.
  await page.reload();
  await expect(page.getByRole('group', { name: 'Table embedding' }).getByLabel('Placement')).toHaveValue('workers');
  expect(consoleLog.errors).toEqual([]);
});
