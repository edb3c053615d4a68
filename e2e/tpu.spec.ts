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

test('Virtual TPU: every core shows its heatmaps and batch slice; a straggler diverges the replicas, resync repairs; the cost model shows its formulas; the bytes chart has units and a legend', async ({
  page,
  consoleLog,
}) => {
  await openApp(page);
  const tpu = page.getByRole('region', { name: 'Virtual TPU', exact: true });
  const sync = tpu.getByTestId('tpu-sync');
  const cores = tpu.getByRole('listitem', { name: /^Core \d$/ });
  await expect(cores).toHaveCount(4);
  // The replicated mode names the engine class it runs on.
  const sharding = tpu.getByRole('combobox', { name: 'Sharding', exact: true });
  await expect(sharding.locator('option:checked')).toHaveText('replicated (TPUEmbeddingV0)');
  await expect(sharding).toHaveValue('replicated');

  // Each core: a minimap per table (a full replica: 24 user rows, 32 video rows of 4 columns) and its slice of the batch.
  for (let c = 0; c < 4; c++) {
    const card = tpu.getByRole('listitem', { name: `Core ${c}`, exact: true });
    await expect(
      card.getByRole('img', { name: /^video: 32 rows × 4 columns; [1-4] rows read this step$/ }),
    ).toBeVisible();
    await expect(
      card.getByRole('img', { name: /^user: 24 rows × 4 columns; [1-4] rows read this step$/ }),
    ).toBeVisible();
    await expect(card).toContainText(`examples ${4 * c}–${4 * c + 3}`);
    await expect(card.getByText(/^user( \d+){4}$/)).toBeVisible();
    await expect(card.getByText(/^video( \d+){4}$/)).toBeVisible();
  }

  // A straggler's messages arrive a ring step late and the ring does not wait: the replicas diverge.
  await tpu.getByRole('button', { name: 'Run a whole step' }).click();
  await expect(tpu.getByText(/^Steps done: 1/)).toBeVisible();
  await expect(sync).toHaveText('Replicas in sync: all 4 checksums agree.');
  await tpu.getByLabel('Core', { exact: true }).selectOption('1');
  await tpu.getByRole('button', { name: 'Make core 1 a straggler' }).click();
  await expect(tpu.getByText('Pending for the next step: straggler on core 1.')).toBeVisible();
  await tpu.getByRole('button', { name: 'Next phase: local lookup' }).click();
  await expect(tpu.getByText("Pending for this step's all-reduce: straggler on core 1.")).toBeVisible();
  await tpu.getByRole('button', { name: 'Next phase: backward' }).click();
  await tpu.getByRole('button', { name: 'Next phase: all-reduce' }).click();
  await tpu.getByRole('button', { name: 'Next ring step' }).click();
  await expect(tpu.getByText("Acting on this step's all-reduce: straggler on core 1.")).toBeVisible();
  // core 1's first message is late, the others delivered
  await expect(tpu.getByRole('img', { name: /^Ring of 4 cores/ })).toContainText('chunk 0: 96 B late');
  await tpu.getByRole('button', { name: 'Finish this step' }).click();
  await expect(tpu.getByText(/^Steps done: 2/)).toBeVisible();
  await expect(sync).toContainText('Replicas diverged');
  await expect(tpu.locator('[data-diverged="true"]').first()).toBeVisible();
  await expect(tpu.getByTestId('checksum-0')).toContainText('reference');
  await tpu.getByRole('button', { name: 'Resync replicas from core 0' }).click();
  await expect(sync).toHaveText('Replicas in sync: all 4 checksums agree.');
  await expect(tpu.locator('[data-diverged="true"]')).toHaveCount(0);

  // The bytes chart: an axis with its unit, the steps on the other axis, a legend of the collectives.
  const chart = tpu.getByRole('figure', { name: 'Bytes moved per step, by collective' });
  await expect(chart.locator('.recharts-label', { hasText: /^bytes moved \((B|KiB|MiB)\)$/ })).toHaveCount(1);
  await expect(chart.locator('.recharts-label', { hasText: /^step / })).toHaveCount(1);
  await expect(chart.locator('.recharts-legend-item')).toHaveText(['all-reduce', 'broadcast']);
  const ticks = chart.locator('.recharts-cartesian-axis-tick-value');
  await expect(ticks).toContainText(['step 1', 'step 2', 'resync (after 2)']);
  // the bytes axis: round numbers of its unit (the last step moved 5.25 KiB: ticks 0, 2, 4, 6)
  await expect(ticks).toContainText(['0', '2', '4', '6']);

  // The cost model: a row per mode, each with its formula.
  const formulas: Record<string, RegExp> = {
    replicated: /Σₜ 2 \(n−1\) · V · D · 4 B/,
    mod: /owner = id mod n/,
    row: /reduce-scattered \(n−1\)·B_r·D·4 B/,
    table: /B_r·D·4 B per off-owner core/,
    column: /B_r·d_o·4 B/,
  };
  const costTable = tpu.getByRole('table', { name: /^Predicted bytes per step by mode/ });
  for (const [mode, formula] of Object.entries(formulas)) {
    const row = costTable.getByRole('row', { name: new RegExp(`^${mode} `) });
    await expect(row.locator('td.tpu-formula')).toHaveText(formula);
  }
  const costChart = tpu.getByRole('figure', { name: 'Predicted bytes per step for each sharding mode' });
  await expect(
    costChart.locator('.recharts-label', { hasText: /^bytes per step, predicted \((B|KiB|MiB)\)$/ }),
  ).toHaveCount(1);

  // 8 cores: 8 cards, each with its 2 examples.
  await tpu.getByRole('combobox', { name: 'Cores', exact: true }).selectOption('8');
  await expect(cores).toHaveCount(8);
  await expect(tpu.getByRole('listitem', { name: 'Core 7', exact: true })).toContainText('examples 28–31');
  await expect(tpu.getByRole('listitem', { name: 'Core 7', exact: true }).getByRole('img')).toHaveCount(2);

  // 1 core: no all-reduce, so no fault to inject and no replica to resync.
  await tpu.getByRole('combobox', { name: 'Cores', exact: true }).selectOption('1');
  await expect(cores).toHaveCount(1);
  await expect(tpu.getByRole('button', { name: /straggler|contribution|Resync/ })).toHaveCount(0);
  await expect(tpu.getByTestId('tpu-no-faults')).toContainText('with one core there is no all-reduce');
  await tpu.getByRole('button', { name: 'Run a whole step' }).click();
  await expect(tpu.getByText(/^Steps done: 1/)).toBeVisible();
  await expect(sync).toHaveText('One core holds the only replica: there is nothing for it to diverge from.');

  expect(consoleLog.errors).toEqual([]);
});
