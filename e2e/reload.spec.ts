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

/** The saved state's pooled tables (name and key count), or null when none is saved. */
const savedPooled = (page: Page) =>
  page.evaluate(
    () =>
      new Promise<{ step: number; pooled: [string, number][] } | null>((resolve) => {
        const req = indexedDB.open('dynemb-playground', 1);
        req.onsuccess = () => {
          const get = req.result.transaction('workspace').objectStore('workspace').get('trained');
          get.onsuccess = () => {
            req.result.close();
            const v = get.result as
              { saved?: { step: number; pooled?: { name: string; rows: { keys: ArrayLike<unknown> } }[] } } | undefined;
            resolve(
              v?.saved?.pooled
                ? { step: v.saved.step, pooled: v.saved.pooled.map((p) => [p.name, p.rows.keys.length]) }
                : null,
            );
          };
        };
      }),
  );

test('a table on the worker pool comes back after a reload: step, keys and looked-up vectors', async ({
  page,
  consoleLog,
}) => {
  await openApp(page);
  const table = page.getByRole('group', { name: 'Table user_emb', exact: true });
  await table.getByLabel('Placement').selectOption('workers');
  await expect(table.getByTestId('placement-note')).toContainText('Placement: worker pool');
  const training = page.getByRole('region', { name: 'Training', exact: true });
  await expect(page.getByTestId('stepback-pooled')).toContainText('A reload keeps the pooled rows');
  const step = training.getByRole('button', { name: 'Step', exact: true });
  for (let i = 1; i <= 3; i++) {
    await step.click();
    await expect(page.getByTestId('train-step')).toHaveText(String(i));
  }
  const legend = table.locator('legend');
  await expect(legend).not.toContainText('(0 keys)');
  const keys = await legend.textContent();
  const count = Number(/\(([\d,]+) keys?\)/.exec(keys!)![1].replace(/,/g, ''));
  expect(count).toBeGreaterThan(0);
  const run = page.getByRole('region', { name: 'Batch', exact: true }).getByRole('button', { name: 'Run lookup' });
  const inspector = page.getByRole('region', { name: 'Lookup inspector', exact: true });
  await run.click();
  await expect(inspector.getByTestId('lookup-pool')).toContainText('Placement: worker pool');
  await expect(inspector.getByTestId('output-shape')).toHaveText('(3, 2, 8)');
  const read = async () => ({
    statuses: await inspector.locator('tbody td.status').allTextContents(),
    vectors: await inspector
      .getByRole('img', { name: /^id / })
      .evaluateAll((els) => els.map((e) => e.getAttribute('aria-label'))),
  });
  const before = await read();
  expect(before.statuses.length).toBeGreaterThan(0);
  await expect.poll(() => savedPooled(page)).toEqual({ step: 3, pooled: [['user_emb', count]] });

  await page.reload();
  await expect(page.getByRole('status', { name: 'Engine status' })).toContainText('WASM', { timeout: 60_000 });
  await expect(page.getByTestId('train-step')).toHaveText('3');
  await expect(table.getByTestId('placement-note')).toContainText('Placement: worker pool');
  await expect(legend).toHaveText(keys!);
  await expect(page.getByTestId('chart-loss')).toHaveAttribute('data-points', '3');
  await run.click();
  await expect(inspector.getByTestId('lookup-pool')).toContainText('Placement: worker pool');
  await expect(inspector.getByTestId('output-shape')).toHaveText('(3, 2, 8)');
  // The same rows on the pool: every id reads the vector (and held/missing status) it read before.
  expect(await read()).toEqual(before);
  // Training goes on at step 4; Step back cannot reach before the reload (no keyframes on the pool).
  await step.click();
  await expect(page.getByTestId('train-step')).toHaveText('4');
  await training.getByRole('button', { name: 'Step back' }).click();
  await expect(training.getByRole('alert')).toContainText(
    'Step back is not available since the page reloaded at step 3',
  );
  await expect(page.getByTestId('train-step')).toHaveText('4');
  expect(consoleLog.errors).toEqual([]);
});

test('a pooled table and a reload give the same loss as the same steps without one', async ({ page, browser }) => {
  const steps = async (p: Page, from: number, to: number) => {
    const t = p.getByRole('region', { name: 'Training', exact: true });
    for (let i = from; i <= to; i++) {
      await t.getByRole('button', { name: 'Step', exact: true }).click();
      await expect(p.getByTestId('train-step')).toHaveText(String(i));
    }
  };
  const toPool = async (p: Page) => {
    const table = p.getByRole('group', { name: 'Table user_emb', exact: true });
    await table.getByLabel('Placement').selectOption('workers');
    await expect(table.getByTestId('placement-note')).toContainText('Placement: worker pool');
  };
  await openApp(page);
  await toPool(page);
  await steps(page, 1, 5);
  const straight = await page.getByTestId('train-loss').textContent();
  const other = await browser.newContext();
  const p2 = await other.newPage();
  await openApp(p2);
  await toPool(p2);
  await steps(p2, 1, 3);
  await expect.poll(async () => (await savedPooled(p2))?.step).toBe(3);
  await p2.reload();
  await expect(p2.getByTestId('train-step')).toHaveText('3', { timeout: 60_000 });
  await steps(p2, 4, 5);
  expect(await p2.getByTestId('train-loss').textContent()).toBe(straight);
  await other.close();
});

test('a corrupted saved pooled table is refused with the reason, and training starts over', async ({ page }) => {
  await openApp(page);
  const table = page.getByRole('group', { name: 'Table user_emb', exact: true });
  await table.getByLabel('Placement').selectOption('workers');
  await expect(table.getByTestId('placement-note')).toContainText('Placement: worker pool');
  const training = page.getByRole('region', { name: 'Training', exact: true });
  for (let i = 1; i <= 2; i++) {
    await training.getByRole('button', { name: 'Step', exact: true }).click();
    await expect(page.getByTestId('train-step')).toHaveText(String(i));
  }
  await expect.poll(async () => (await savedPooled(page))?.step).toBe(2);
  // Cut the saved rows short (as a damaged store would).
  await page.evaluate(
    () =>
      new Promise<void>((resolve) => {
        const req = indexedDB.open('dynemb-playground', 1);
        req.onsuccess = () => {
          const store = req.result.transaction('workspace', 'readwrite').objectStore('workspace');
          const get = store.get('trained');
          get.onsuccess = () => {
            const v = get.result as { saved: { pooled: { rows: { values: Float32Array } }[] } };
            v.saved.pooled[0].rows.values = v.saved.pooled[0].rows.values.slice(1);
            store.put(v, 'trained').onsuccess = () => {
              req.result.close();
              resolve();
            };
          };
        };
      }),
  );
  await page.reload();
  await expect(page.getByRole('status', { name: 'Engine status' })).toContainText('WASM', { timeout: 60_000 });
  await expect(page.getByRole('alert').filter({ hasText: 'The saved trained tables could not be used' })).toContainText(
    'saved.pooled[0] user_emb: rows.values must be a Float32Array of',
  );
  await expect(page.getByTestId('train-step')).toHaveText('0');
  await expect(table.locator('legend')).toContainText('(0 keys)');
  // Training works from there.
  await training.getByRole('button', { name: 'Step', exact: true }).click();
  await expect(page.getByTestId('train-step')).toHaveText('1');
});
