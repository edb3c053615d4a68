// Training in the worker: Play moves the loss chart, Step back undoes exactly one step, and the
// main thread has no long task (> 50 ms) while training runs.
import { expect, openApp, test } from './fixtures.js';

const stepOf = async (page: import('@playwright/test').Page) =>
  Number(await page.getByTestId('train-step').textContent());

test('press Play and see the loss chart move; Pause stops it', async ({ page, consoleLog }) => {
  await openApp(page);
  const training = page.getByRole('region', { name: 'Training', exact: true });
  const loss = page.getByTestId('chart-loss');
  await expect(loss).toHaveAttribute('data-points', '0');
  await training.getByRole('button', { name: 'Play' }).click();
  await expect.poll(async () => Number(await loss.getAttribute('data-points'))).toBeGreaterThan(5);
  const first = await loss.getAttribute('data-last');
  await expect.poll(() => loss.getAttribute('data-last')).not.toBe(first);
  // The chart draws a line through the points.
  await expect(loss.locator('path.recharts-curve').first()).toHaveAttribute('d', /L/);
  await training.getByRole('button', { name: 'Pause' }).click();
  await expect(training.getByRole('button', { name: 'Play' })).toBeEnabled();
  await expect(training.getByRole('button', { name: 'Step', exact: true })).toBeEnabled();
  const paused = await stepOf(page);
  expect(paused).toBeGreaterThan(5);
  // Every other chart got data from the same steps.
  for (const id of ['chart-size', 'chart-hit', 'chart-grad', 'chart-evictions']) {
    await expect(page.getByTestId(id)).not.toHaveAttribute('data-points', '0');
  }
  await expect(page.getByTestId('chart-norms')).not.toHaveAttribute('data-last', '0');
  expect(consoleLog.errors).toEqual([]);
});

test('Step runs one step and Step back restores the state before it', async ({ page, consoleLog }) => {
  await openApp(page);
  const training = page.getByRole('region', { name: 'Training', exact: true });
  const step = training.getByRole('button', { name: 'Step', exact: true });
  for (let i = 1; i <= 12; i++) {
    await step.click();
    await expect(page.getByTestId('train-step')).toHaveText(String(i));
  }
  const lossAt11 = await (async () => {
    await training.getByRole('button', { name: 'Step back' }).click();
    await expect(page.getByTestId('train-step')).toHaveText('11');
    return page.getByTestId('train-loss').textContent();
  })();
  // Step again: step 12 is replayed from the same batch and state, so its loss is the same as before.
  await expect(page.getByTestId('chart-loss')).toHaveAttribute('data-points', '11');
  await step.click();
  await expect(page.getByTestId('train-step')).toHaveText('12');
  const again = await page.getByTestId('train-loss').textContent();
  await training.getByRole('button', { name: 'Step back' }).click();
  await expect(page.getByTestId('train-step')).toHaveText('11');
  await expect(page.getByTestId('train-loss')).toHaveText(lossAt11!);
  await step.click();
  await expect(page.getByTestId('train-loss')).toHaveText(again!);
  await training.getByRole('button', { name: 'Reset' }).click();
  await expect(page.getByTestId('train-step')).toHaveText('0');
  await expect(page.getByTestId('chart-loss')).toHaveAttribute('data-points', '0');
  expect(consoleLog.errors).toEqual([]);
});

test('no main-thread task over 50 ms while training runs in the worker', async ({ page, consoleLog }) => {
  await openApp(page);
  const training = page.getByRole('region', { name: 'Training', exact: true });
  // Settings first (a workspace edit re-renders the editors and saves): then observe training alone.
  await training.getByLabel('Speed (steps/s)').fill('60');
  await expect(page).toHaveURL(/#w=/);
  await page.evaluate(() => {
    const w = window as unknown as { longTasks: number[] };
    w.longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.longTasks.push(e.duration);
    }).observe({ type: 'longtask' });
  });
  await training.getByRole('button', { name: 'Play' }).click();
  await expect.poll(() => stepOf(page), { timeout: 60_000 }).toBeGreaterThan(150);
  await training.getByRole('button', { name: 'Pause' }).click();
  const long = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks);
  expect(long).toEqual([]);
  expect(consoleLog.errors).toEqual([]);
});
