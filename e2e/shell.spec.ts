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
