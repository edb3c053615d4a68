import { expect, openApp, test } from './fixtures.js';

test('recommender demo: trained live in a worker, recall@10 rises well above the popularity baseline by step 200 (seed 42)', async ({
  page,
  consoleLog,
}) => {
  await openApp(page);
  const demo = page.getByRole('region', { name: 'Live recommender demo' });
  await demo.getByLabel('Train until step').selectOption('200');
  await demo.getByRole('button', { name: 'Play: train the recommender' }).click();
  await expect(demo.getByRole('button', { name: 'Pause training' })).toBeVisible();
  await expect(demo.getByTestId('demo-step')).toHaveText('Step 200 of 200', { timeout: 100_000 });
  await expect(demo.getByRole('button', { name: 'Resume training' })).toBeDisabled();

  const metrics = await page.evaluate(() =>
    window.playground.getState().demoMetrics.map((m) => ({
      step: m.step,
      recall: m.recall,
      pop: m.popularityRecall,
      items: m.itemTableSize,
    })),
  );
  expect(metrics[0]).toMatchObject({ step: 0, items: 0 });
  expect(metrics[0].recall).toBeLessThan(0.15);
  const last = metrics.at(-1)!;
  expect(last.step).toBe(200);
  expect(last.recall).toBeGreaterThan(last.pop + 0.08);
  // The item table is held at its limit by restrict.
  expect(Math.max(...metrics.map((m) => m.items))).toBeLessThanOrEqual(250);
  await expect(demo.getByTestId('demo-recall')).toContainText('recall@10');
  for (const name of ['Loss (mean per 10 steps)', 'recall@10 on held-out clicks', 'Table sizes and evictions']) {
    await expect(demo.getByRole('figure', { name })).toBeVisible();
  }

  await demo.getByLabel('User (0–299)').fill('7');
  await demo.getByRole('button', { name: 'Recommend for user 7' }).click();
  const table = demo.getByRole('table', { name: "Model's top 10 for user 7" });
  await expect(table.locator('tbody tr')).toHaveCount(10);
  await expect(demo.getByRole('list', { name: "User 7's true taste" }).locator('li')).toHaveCount(6);

  expect(consoleLog.errors).toEqual([]);
});
