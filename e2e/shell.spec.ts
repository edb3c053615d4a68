import { expect, openApp, test } from './fixtures.js';

test('the app opens with a working engine, cross-origin isolated, and no console errors', async ({
  page,
  consoleLog,
}) => {
  await openApp(page);
  const status = page.getByRole('status', { name: 'Engine status' });
  await expect(status).toContainText('WASM SIMD');
  await expect(status).toContainText('cross-origin isolated');
  await expect(status).not.toContainText('not isolated');
  expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);

  // Every panel of the layout is there, by its accessible name.
  for (const name of [
    'Tables',
    'Features',
    'Batch',
    'Lookup inspector',
    'Charts',
    'Virtual TPU',
    'Code',
    'Performance',
  ]) {
    await expect(page.getByRole('region', { name, exact: true })).toBeVisible();
  }

  // window.dynemb is the engine module, and its WASM kernels really run in the page.
  const gathered = await page.evaluate(() => {
    const de = window.dynemb;
    return Array.from(de.gatherRows(new Float32Array([1, 2, 3, 4, 5, 6]), 2, [2, 0]));
  });
  expect(gathered).toEqual([5, 6, 1, 2]);
  expect(await page.evaluate(() => window.dynemb.backendInfo().wasm)).toBe('simd');

  expect(consoleLog.errors).toEqual([]);
});

test('the section links jump to each section and leave the workspace in the address alone', async ({
  page,
  consoleLog,
}) => {
  await openApp(page);
  await expect(page).toHaveURL(/#w=/);
  const before = page.url();
  const nav = page.getByRole('navigation', { name: 'Sections' });
  for (const [link, heading] of [
    ['Virtual TPU', 'Virtual TPU'],
    ['Live demo', 'Live recommender demo'],
    ['Tables', 'Tables'],
  ] as const) {
    await nav.getByRole('button', { name: link, exact: true }).click();
    const h = page.getByRole('heading', { name: heading, exact: true, level: 2 });
    await expect(h).toBeFocused();
    await expect(h).toBeInViewport();
    // once the (smooth) scroll settles, the heading is not hidden under the sticky section bar
    const navBox = (await nav.boundingBox())!;
    await expect
      .poll(async () => (await h.boundingBox())!.y, { message: `${heading} clear of the section bar` })
      .toBeGreaterThanOrEqual(navBox.y + navBox.height - 1);
  }
  expect(page.url()).toBe(before);
  expect(consoleLog.errors).toEqual([]);
});

test("the Workers badge counts the app's running Web Workers and says what each does", async ({ page, consoleLog }) => {
  await openApp(page);
  await page.getByRole('button', { name: 'Run lookup' }).first().click();
  await expect(page.getByTestId('output-shape')).toHaveText('(3, 2, 8)');
  const badge = page.getByRole('status', { name: 'Engine status' }).locator('.badge', { hasText: 'Workers' });
  await expect(badge).toHaveText(/Workers\s+[1-9]/);
  await expect(badge).toHaveAttribute('title', /playground engine/);
  expect(consoleLog.errors).toEqual([]);
});
