import { expect, openApp, test } from './fixtures.js';

test('Virtual TPU: a step phase by phase, checksums agree, diverge after a dropped contribution, agree after resync', async ({
  page,
  consoleLog,
}) => {
  await openApp(page);
  const tpu = page.getByRole('region', { name: 'Virtual TPU', exact: true });
  const sync = tpu.getByTestId('tpu-sync');
  const steps = tpu.getByText(/^Steps done: \d+/);
  await expect(tpu.getByRole('button', { name: 'Next phase: local lookup' })).toBeEnabled();
  await expect(tpu.getByRole('listitem', { name: /^Core \d$/ })).toHaveCount(4);

  // One step phase by phase: lookup, backward, the two rings (2 tables x 2 (n-1) = 12 ring steps), apply.
  await tpu.getByRole('button', { name: 'Next phase: local lookup' }).click();
  await expect(tpu.locator('[aria-current="step"]')).toHaveText('1. local lookup');
  await tpu.getByRole('button', { name: 'Next phase: backward' }).click();
  await expect(tpu.locator('[aria-current="step"]')).toHaveText('2. backward');
  await tpu.getByRole('button', { name: 'Next phase: all-reduce' }).click();
  await expect(tpu.locator('[aria-current="step"]')).toHaveText('3. all-reduce (ring)');
  for (let i = 1; i <= 12; i++) {
    await tpu.getByRole('button', { name: 'Next ring step' }).click();
    await expect(tpu.locator('figcaption').first()).toContainText(`ring step ${((i - 1) % 6) + 1} of 6`);
  }
  await expect(tpu.getByText(/ring 2 of 2/).first()).toBeVisible();
  await tpu.getByRole('button', { name: 'Next phase: apply' }).click();
  await expect(tpu.locator('[aria-current="step"]')).toHaveText('4. apply');
  await expect(steps).toHaveText(/^Steps done: 1/);
  await expect(tpu.getByText("every core's update equals the engine's ring result shown above")).toBeVisible();
  await expect(sync).toHaveText('Replicas in sync: all 4 checksums agree.');
  await expect(tpu.locator('[data-diverged="true"]')).toHaveCount(0);

  // Drop core 2's contribution for one step: the replicas diverge, and say so.
  await tpu.getByLabel('Core', { exact: true }).selectOption('2');
  await tpu.getByRole('button', { name: "Drop core 2's all-reduce contribution" }).click();
  await expect(tpu.getByText('Pending for the next step: drop on core 2.')).toBeVisible();
  await tpu.getByRole('button', { name: 'Run a whole step' }).click();
  await expect(steps).toHaveText(/^Steps done: 2/);
  await expect(sync).toContainText('Replicas diverged');
  await expect(tpu.locator('[data-diverged="true"]').first()).toBeVisible();
  await expect(tpu.getByText('differs from core 0').first()).toBeVisible();

  // Resync broadcasts core 0's tables: checksums agree again, and the broadcast shows in the bytes chart.
  await tpu.getByRole('button', { name: 'Resync replicas from core 0' }).click();
  await expect(sync).toHaveText('Replicas in sync: all 4 checksums agree.');
  await expect(tpu.locator('[data-diverged="true"]')).toHaveCount(0);
  const chart = tpu.getByRole('figure', { name: 'Bytes moved per step, by collective' });
  await expect(chart).toContainText('broadcast');
  await expect(chart).toContainText('all-reduce');

  // A sharded mode: whole steps, its collectives listed, the cost model exact for it.
  await tpu.getByLabel('Sharding', { exact: true }).selectOption('row');
  await expect(tpu.getByRole('button', { name: 'Next ring step' })).toHaveCount(0);
  await tpu.getByRole('button', { name: 'Run a whole step' }).click();
  await expect(steps).toHaveText(/^Steps done: 1/);
  await expect(tpu.getByRole('heading', { name: 'Collectives of the last step' })).toBeVisible();
  await expect(tpu.getByText(/the cost model predicted .* \(exact\)\./)).toBeVisible();
  await expect(tpu.getByRole('row', { name: /^row / })).toHaveAttribute('aria-current', 'true');

  expect(consoleLog.errors).toEqual([]);
});
