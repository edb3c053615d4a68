// "A reload loses nothing": the trained tables, the optimizers, the step and the charts come back
// from IndexedDB after a reload, and training goes on from there.
import type { Page } from '@playwright/test';
import { expect, openApp, test } from './fixtures.js';

const savedStep = (page: Page) =>
  page.evaluate(
    () =>
      new Promise<number | null>((resolve) => {
        const req = indexedDB.open('dynemb-playground', 1);
        req.onsuccess = () => {
          const get = req.result.transaction('workspace').objectStore('workspace').get('trained');
          get.onsuccess = () => {
            req.result.close();
            const v = get.result as { saved?: { step?: number } } | undefined;
            resolve(v?.saved?.step ?? null);
          };
        };
      }),
  );

test('a reload brings back the trained tables, the step and the charts; training goes on from there', async ({
  page,
  consoleLog,
}) => {
  await openApp(page);
  const training = page.getByRole('region', { name: 'Training', exact: true });
  const step = training.getByRole('button', { name: 'Step', exact: true });
  for (let i = 1; i <= 3; i++) {
    await step.click();
    await expect(page.getByTestId('train-step')).toHaveText(String(i));
  }
  const legend = page.getByRole('group', { name: 'Table user_emb', exact: true }).locator('legend');
  await expect(legend).not.toContainText('(0 keys)');
  const keys = await legend.textContent();
  const run = page.getByRole('region', { name: 'Batch', exact: true }).getByRole('button', { name: 'Run lookup' });
  await run.click();
  await expect(page.getByTestId('output-shape')).toHaveText('(3, 2, 8)');
  const vectors = () =>
    page.getByRole('img', { name: /^id / }).evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
  const before = await vectors();
  await expect.poll(() => savedStep(page)).toBe(3);

  await page.reload();
  await expect(page.getByRole('status', { name: 'Engine status' })).toContainText('WASM', { timeout: 60_000 });
  await expect(page.getByTestId('train-step')).toHaveText('3');
  await expect(legend).toHaveText(keys!);
  await expect(page.getByTestId('chart-loss')).toHaveAttribute('data-points', '3');
  await run.click();
  await expect(page.getByTestId('output-shape')).toHaveText('(3, 2, 8)');
  // The same rows: every id reads the vector it read before the reload.
  expect(await vectors()).toEqual(before);
  // Training continues at step 4; Step back returns to 3, and stops there (the earlier steps are not kept).
  await step.click();
  await expect(page.getByTestId('train-step')).toHaveText('4');
  await training.getByRole('button', { name: 'Step back' }).click();
  await expect(page.getByTestId('train-step')).toHaveText('3');
  await training.getByRole('button', { name: 'Step back' }).click();
  await expect(training.getByRole('alert')).toContainText('Step back stops at step 3');
  await expect(page.getByTestId('train-step')).toHaveText('3');
  expect(consoleLog.errors).toEqual([]);
});

test('the same steps give the same state with or without a reload in between', async ({ page, browser }) => {
  // Without a reload: 5 steps.
  await openApp(page);
  const training = page.getByRole('region', { name: 'Training', exact: true });
  for (let i = 1; i <= 5; i++) {
    await training.getByRole('button', { name: 'Step', exact: true }).click();
    await expect(page.getByTestId('train-step')).toHaveText(String(i));
  }
  const straight = await page.getByTestId('train-loss').textContent();
  // With one: 3 steps, reload, 2 steps (a fresh browser context: its own IndexedDB).
  const other = await browser.newContext();
  const p2 = await other.newPage();
  await openApp(p2);
  const t2 = p2.getByRole('region', { name: 'Training', exact: true });
  for (let i = 1; i <= 3; i++) {
    await t2.getByRole('button', { name: 'Step', exact: true }).click();
    await expect(p2.getByTestId('train-step')).toHaveText(String(i));
  }
  await expect.poll(() => savedStep(p2)).toBe(3);
  await p2.reload();
  await expect(p2.getByTestId('train-step')).toHaveText('3', { timeout: 60_000 });
  for (let i = 4; i <= 5; i++) {
    await t2.getByRole('button', { name: 'Step', exact: true }).click();
    await expect(p2.getByTestId('train-step')).toHaveText(String(i));
  }
  expect(await p2.getByTestId('train-loss').textContent()).toBe(straight);
  await other.close();
});
