// A world with something to learn (#16): with the default workspace, Play for 20 s takes the
// training loss to at most 75 % of its first value and below the baseline line (the labels'
// entropy), and the held-out loss (a fixed evaluation batch never trained on) falls too.
import { expect, openApp, test } from './fixtures.js';

test('Play for 20 s: the loss falls below the baseline and to at most 75 % of its first value', async ({
  page,
  consoleLog,
}) => {
  await openApp(page);
  const training = page.getByRole('region', { name: 'Training', exact: true });
  const lossBox = page.locator('[data-first-loss]');
  await training.getByRole('button', { name: 'Play' }).click();
  await expect.poll(async () => Number(await lossBox.getAttribute('data-first-loss'))).toBeGreaterThan(0);
  await page.waitForTimeout(20_000);
  await training.getByRole('button', { name: 'Pause' }).click();
  await expect(training.getByRole('button', { name: 'Play' })).toBeEnabled();
  const num = async (name: string) => Number(await lossBox.getAttribute(name));
  const first = await num('data-first-loss');
  const recent = await num('data-recent-loss');
  const baseline = await num('data-baseline');
  const ceiling = await num('data-ceiling');
  // The reference lines are the held-out batch's: the labels' entropy (near ln 2 for balanced
  // labels) and the hidden model's own loss, well below it.
  expect(baseline).toBeGreaterThan(0.6);
  expect(baseline).toBeLessThanOrEqual(Math.LN2 + 1e-9);
  expect(ceiling).toBeGreaterThan(0.2);
  expect(ceiling).toBeLessThan(baseline - 0.15);
  expect(recent).toBeLessThanOrEqual(0.75 * first);
  expect(recent).toBeLessThan(baseline);
  // Both reference lines and the held-out series are drawn.
  const chart = page.getByTestId('chart-loss');
  await expect(chart.locator('.recharts-reference-line')).toHaveCount(2);
  await expect(chart).toHaveAttribute('data-last', /held-out loss=/);
  const heldOut = Number(/held-out loss=([0-9.]+)/.exec((await chart.getAttribute('data-last')) ?? '')![1]);
  expect(heldOut).toBeLessThan(baseline);
  expect(consoleLog.errors).toEqual([]);
});
