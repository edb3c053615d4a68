// The hash-table internals view and the Code panel.
import { readFile } from 'node:fs/promises';
import { expect, openApp, test } from './fixtures.js';

test('internals: a trained table shows its control bytes; the tiny table inserts, rehashes and removes', async ({
  page,
  consoleLog,
}) => {
  await openApp(page);
  const training = page.getByRole('region', { name: 'Training', exact: true });
  for (let i = 1; i <= 3; i++) {
    await training.getByRole('button', { name: 'Step', exact: true }).click();
    await expect(page.getByTestId('train-step')).toHaveText(String(i));
  }
  const internals = page.getByRole('region', { name: 'Hash table internals', exact: true });
  await internals.getByRole('button', { name: 'Refresh internals' }).click();
  const summary = internals.getByTestId('internals-summary');
  await expect(summary).toContainText(/Shard 0: [1-9][\d,]* keys in [\d,]+ slots, load factor 0\.\d+/);
  // The grid counts one tag per key (both read from the same reply; polled as one pair, since a
  // refresh after the last step may still be landing).
  const grid = internals.getByRole('img', { name: /^Shard 0 control bytes/ });
  await expect
    .poll(async () => {
      const keys = (await summary.textContent())!.match(/Shard 0: ([\d,]+) keys/)![1].replace(/,/g, '');
      const tags = (await grid.getAttribute('aria-label'))!.match(/; (\d+) tags, 0 tombstones/)?.[1];
      return tags === keys ? 'same' : `summary ${keys} keys, grid ${tags} tags`;
    })
    .toBe('same');
  await expect(internals.getByTestId('probe-histogram')).toBeVisible();

  const tiny = internals.getByRole('region', { name: 'A tiny table, one insert at a time' });
  await expect(tiny.getByTestId('tiny-summary')).toContainText('0 keys, 32 slots');
  const insert = tiny.getByRole('button', { name: 'Insert next key' });
  await insert.click();
  await expect(tiny.getByTestId('tiny-event')).toContainText(/Inserted 17 into slot \d+ \(group [01]\)/);
  await expect(tiny.getByRole('listitem').filter({ hasText: /^\d+17$/ })).toHaveCount(1);
  let rehashed = false;
  for (let i = 2; i <= 40 && !rehashed; i++) {
    await insert.click();
    await expect(tiny.getByTestId('tiny-summary')).toContainText(`${i} keys`);
    rehashed = /rehashed from 32 to 64 slots/.test((await tiny.getByTestId('tiny-event').textContent()) ?? '');
  }
  expect(rehashed).toBe(true);
  await expect(tiny.getByTestId('tiny-summary')).toContainText('64 slots');
  await tiny.getByRole('button', { name: 'Remove oldest key' }).click();
  await expect(tiny.getByTestId('tiny-event')).toContainText('Removed 17');
  await tiny.getByRole('button', { name: 'Reset tiny table' }).click();
  await expect(tiny.getByTestId('tiny-summary')).toContainText('0 keys, 32 slots');
  expect(consoleLog.errors).toEqual([]);
});

test('Code panel: TypeScript and TFRA Python for the workspace, copy and downloads', async ({
  page,
  context,
  consoleLog,
}) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await openApp(page);
  await page.getByRole('button', { name: 'Load preset: One table, two features' }).click();
  const code = page.getByRole('region', { name: 'Code', exact: true });
  const ts = code.getByTestId('code-typescript');
  await expect(ts).toContainText("name: 'item_emb'");
  await expect(ts).toContainText("{ name: 'viewed_item', table: item_emb");
  const py = code.getByTestId('code-python');
  await expect(py).toContainText('tensorflow_recommenders_addons');
  await expect(py).toContainText('"item_emb"');
  await code.getByRole('button', { name: 'Copy TypeScript' }).click();
  await expect(code.getByRole('status').filter({ hasText: 'Copied.' })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(await ts.textContent());

  // Train a step so the table holds rows, then download the checkpoint and the .npy files.
  const training = page.getByRole('region', { name: 'Training', exact: true });
  await training.getByRole('button', { name: 'Step', exact: true }).click();
  await expect(page.getByTestId('train-step')).toHaveText('1');
  const [ckpt] = await Promise.all([
    page.waitForEvent('download'),
    code.getByRole('button', { name: 'Download checkpoint' }).click(),
  ]);
  expect(ckpt.suggestedFilename()).toBe('playground.dynemb');
  const bytes = await readFile((await ckpt.path())!);
  expect(bytes.subarray(0, 8).toString('latin1')).toBe('DYNEMBCK');
  expect(bytes.length).toBeGreaterThan(1000);
  const names: string[] = [];
  page.on('download', (d) => names.push(d.suggestedFilename()));
  await code.getByRole('button', { name: 'Download .npy files' }).click();
  await expect
    .poll(() => names.slice().sort())
    .toEqual([
      'item_emb-keys.npy',
      'item_emb-values.npy',
      'item_emb.m-keys.npy',
      'item_emb.m-values.npy',
      'item_emb.v-keys.npy',
      'item_emb.v-values.npy',
    ]);
  expect(consoleLog.errors).toEqual([]);
});

test('Code panel: downloads with a table on the worker pool hold its rows', async ({ page, consoleLog }) => {
  await openApp(page);
  await page.getByRole('button', { name: 'Load preset: One table, two features' }).click();
  const table = page.getByRole('group', { name: 'Table item_emb', exact: true });
  await table.getByLabel('Placement').selectOption('workers');
  await expect(table.getByTestId('placement-note')).toContainText('Placement: worker pool');
  const code = page.getByRole('region', { name: 'Code', exact: true });
  await expect(code.getByTestId('files-pooled')).toContainText('item_emb is on the worker pool: the downloads copy');
  const training = page.getByRole('region', { name: 'Training', exact: true });
  for (let i = 1; i <= 2; i++) {
    await training.getByRole('button', { name: 'Step', exact: true }).click();
    await expect(page.getByTestId('train-step')).toHaveText(String(i));
  }
  const legend = table.locator('legend');
  await expect(legend).not.toContainText('(0 keys)');
  const count = Number(/\(([\d,]+) keys?\)/.exec((await legend.textContent())!)![1].replace(/,/g, ''));
  expect(count).toBeGreaterThan(0);

  const [ckpt] = await Promise.all([
    page.waitForEvent('download'),
    code.getByRole('button', { name: 'Download checkpoint' }).click(),
  ]);
  const bytes = await readFile((await ckpt.path())!);
  expect(bytes.subarray(0, 8).toString('latin1')).toBe('DYNEMBCK');
  expect(bytes.length).toBeGreaterThan(1000);
  const files = new Map<string, Buffer>();
  const saved: Promise<void>[] = [];
  page.on('download', (d) =>
    saved.push(
      d.path().then(async (p) => {
        files.set(d.suggestedFilename(), await readFile(p));
      }),
    ),
  );
  await code.getByRole('button', { name: 'Download .npy files' }).click();
  // The rows and the default optimizer's (Adam) two slots, m and v.
  await expect.poll(() => saved.length).toBe(6);
  await Promise.all(saved);
  expect([...files.keys()].sort()).toEqual([
    'item_emb-keys.npy',
    'item_emb-values.npy',
    'item_emb.m-keys.npy',
    'item_emb.m-values.npy',
    'item_emb.v-keys.npy',
    'item_emb.v-values.npy',
  ]);
  // NumPy .npy v1.0: int64 keys [count], float32 values [count, dim].
  const header = (b: Buffer) => b.subarray(10, 10 + b.readUInt16LE(8)).toString('latin1');
  expect(header(files.get('item_emb-keys.npy')!)).toContain(
    `'descr': '<i8', 'fortran_order': False, 'shape': (${count},)`,
  );
  expect(header(files.get('item_emb-values.npy')!)).toMatch(
    new RegExp(`'descr': '<f4'.*'shape': \\(${count}, \\d+\\)`),
  );
  await expect(code.getByTestId('code-python')).toContainText('"item_emb"');
  expect(consoleLog.errors).toEqual([]);
});
