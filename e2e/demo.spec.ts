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
  // The headline names the baseline, with the model above it.
  const headline = demo.getByTestId('demo-recall');
  await expect(headline).toContainText('recall@10');
  const m = /recall@10 (\d+)% · popularity baseline (\d+)% · /.exec((await headline.textContent()) ?? '');
  expect(m).not.toBeNull();
  expect(Number(m![1])).toBeGreaterThan(Number(m![2]));
  for (const name of ['Loss (mean per 10 steps)', 'recall@10 on held-out clicks', 'Table sizes and evictions']) {
    await expect(demo.getByRole('figure', { name })).toBeVisible();
  }

  await demo.getByLabel('User (0–299)').fill('7');
  await demo.getByRole('button', { name: 'Recommend for user 7' }).click();
  const table = demo.getByRole('table', { name: "Model's top 10 for user 7" });
  await expect(table.locator('tbody tr')).toHaveCount(10);
  const taste = demo.getByRole('list', { name: "User 7's true taste" });
  await expect(taste.locator('li')).toHaveCount(6);
  // Each recommended item with the model's score and the world's true click probability...
  await expect(table.getByRole('columnheader')).toHaveText(['#', 'item', 'genre', 'model score', 'true p(click)']);
  for (const row of await table.locator('tbody tr').all()) {
    await expect(row.locator('td').nth(3)).toHaveText(/^-?\d+\.\d\d$/);
    await expect(row.locator('td').nth(4)).toHaveText(/^\d+%$/);
  }
  // ...beside the user's true tastes (six genres, weights summing to about 100%), to the right of the table.
  const weights = (await taste.locator('li').allTextContents()).map((t) => Number(/(\d+)%$/.exec(t)?.[1]));
  expect(weights.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(97);
  expect(weights.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(103);
  const tb = (await table.boundingBox())!;
  const lb = (await taste.boundingBox())!;
  expect(lb.x).toBeGreaterThan(tb.x + tb.width - 1);
  expect(lb.y).toBeLessThan(tb.y + tb.height);
  await expect(demo.getByText(/★: also one of the user's 10 truly likeliest items/)).toBeVisible();

  expect(consoleLog.errors).toEqual([]);
});

test('the "Live recommender demo" preset opens the demo at step 0 with its default seed, Play focused', async ({
  page,
  consoleLog,
}) => {
  await openApp(page);
  const demo = page.getByRole('region', { name: 'Live recommender demo' });
  // Move away from the defaults first: another seed (which restarts the demo).
  await demo.getByText('World and model settings').click();
  await demo.getByLabel('World seed').fill('7');
  await demo.getByRole('button', { name: 'Apply and restart the demo' }).click();
  await expect(demo.getByText(/A world generated in this page from seed 7:/)).toBeVisible();
  await page.evaluate(() => window.scrollTo(0, 0));
  await expect(demo.getByRole('heading', { name: 'Live recommender demo' })).not.toBeInViewport();

  const preset = page.getByRole('button', { name: 'Load preset: Live recommender demo' });
  await preset.click();
  await expect(preset).toHaveAttribute('aria-pressed', 'true');
  await expect(demo.getByText(/A world generated in this page from seed 42:/)).toBeVisible();
  const play = demo.getByRole('button', { name: 'Play: train the recommender' });
  await expect(play).toBeFocused();
  await expect(play).toBeEnabled();
  await expect(demo.getByRole('heading', { name: 'Live recommender demo' })).toBeInViewport();
  await expect(demo.getByTestId('demo-step')).toHaveText('Step 0 of 300');
  expect(await page.evaluate(() => window.playground.getState().workspace.demo.seed)).toBe(42);

  // One key press starts training; loading the preset again, mid-run, brings it back to step 0.
  await page.keyboard.press('Enter');
  await expect(demo.getByRole('button', { name: 'Pause training' })).toBeVisible();
  await expect(demo.getByTestId('demo-step')).toHaveText(/^Step [1-9]\d* of 300$/, { timeout: 60_000 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await preset.click();
  await expect(play).toBeFocused();
  await expect(demo.getByTestId('demo-step')).toHaveText('Step 0 of 300');
  expect(await page.evaluate(() => window.playground.getState().demoMetrics.map((x) => x.step))).toEqual([0]);
  expect(consoleLog.errors).toEqual([]);
});
