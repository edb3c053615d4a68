import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, openApp, test } from './fixtures.js';

async function seriousViolations(page: Page, selector: string): Promise<string[]> {
  const results = await new AxeBuilder({ page }).include(selector).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

test("a shared link restores the TPU panel's, the demo's and the Performance page's settings", async ({
  page,
  browser,
  consoleLog,
}) => {
  await openApp(page);
  const tpu = page.getByRole('region', { name: 'Virtual TPU', exact: true });
  await expect(tpu.getByRole('listitem', { name: /^Core \d$/ })).toHaveCount(4);
  await tpu.getByRole('combobox', { name: 'Cores', exact: true }).selectOption('2');
  await tpu.getByRole('combobox', { name: 'Sharding', exact: true }).selectOption('row');
  await tpu.getByRole('combobox', { name: 'Examples per core', exact: true }).selectOption('8');
  await expect(tpu.getByRole('listitem', { name: /^Core \d$/ })).toHaveCount(2);

  const demo = page.getByRole('region', { name: 'Live recommender demo' });
  await demo.getByLabel('Train until step').selectOption('500');
  await demo.getByText('World and model settings').click();
  await demo.getByLabel('World seed').fill('7');
  await demo.getByLabel('Item table limit (restrict)').fill('120');
  await demo.getByRole('button', { name: 'Apply and restart the demo' }).click();
  await expect(demo.getByText(/A world generated in this page from seed 7:/)).toBeVisible();
  await expect(demo.getByText(/keep at most 120 keys/)).toBeVisible();

  const perf = page.getByRole('region', { name: 'Performance', exact: true });
  await perf.getByRole('radio', { name: 'full' }).check();
  await perf.getByRole('checkbox', { name: 'Worker scaling' }).uncheck();
  await perf.getByRole('checkbox', { name: /^WebGL on a software renderer too/ }).check();

  await expect.poll(() => page.evaluate(() => window.playground.getState().workspace.demo.seed)).toBe(7);
  await expect
    .poll(() => page.evaluate(() => window.playground.getState().workspace.perf))
    .toEqual({ size: 'full', sections: ['hashtable', 'gather', 'train', 'gpu'], softwareWebgl: true });
  await expect.poll(() => page.url()).toContain('#w=');
  // the URL is written 250 ms after the last change
  await page.waitForTimeout(600);
  const url = page.url();

  const other = await browser.newContext();
  const fresh = await other.newPage();
  await openApp(fresh, url);
  const tpu2 = fresh.getByRole('region', { name: 'Virtual TPU', exact: true });
  await expect(tpu2.getByRole('combobox', { name: 'Cores', exact: true })).toHaveValue('2');
  await expect(tpu2.getByRole('combobox', { name: 'Sharding', exact: true })).toHaveValue('row');
  await expect(tpu2.getByRole('combobox', { name: 'Examples per core', exact: true })).toHaveValue('8');
  await expect(tpu2.getByRole('listitem', { name: /^Core \d$/ })).toHaveCount(2);
  const demo2 = fresh.getByRole('region', { name: 'Live recommender demo' });
  await expect(demo2.getByLabel('Train until step')).toHaveValue('500');
  await expect(demo2.getByText(/A world generated in this page from seed 7:/)).toBeVisible();
  await expect(demo2.getByText(/keep at most 120 keys/)).toBeVisible();
  const perf2 = fresh.getByRole('region', { name: 'Performance', exact: true });
  await expect(perf2.getByRole('radio', { name: 'full' })).toBeChecked();
  await expect(perf2.getByRole('button', { name: 'Run full benchmarks' })).toBeVisible();
  await expect(perf2.getByRole('checkbox', { name: 'Worker scaling' })).not.toBeChecked();
  await expect(perf2.getByRole('checkbox', { name: 'Hash table vs a plain-JS table' })).toBeChecked();
  await expect(perf2.getByRole('checkbox', { name: /^WebGL on a software renderer too/ })).toBeChecked();
  expect(await fresh.evaluate(() => window.playground.getState().origin)).toBe('url');
  await other.close();
  expect(consoleLog.errors).toEqual([]);
});

test('a hostile link with bad TPU, demo and Performance settings shows a message and falls back to the defaults', async ({
  page,
  consoleLog,
}) => {
  // a valid workspace, then poisoned TPU and demo settings
  await openApp(page);
  const good = await page.evaluate(() => window.playground.getState().workspace);
  const evil = {
    ...good,
    tpu: { numCores: 64, sharding: '<img src=x onerror=alert(1)>', perCore: 4 },
    demo: { ...good.demo, users: 1e9, learningRate: 'NaN' },
    perf: { size: 'huge', sections: ['gather', '<b>x</b>'], softwareWebgl: 'yes' },
  };
  const hash = btoa(JSON.stringify(evil)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  let dialogs = 0;
  page.on('dialog', (d) => {
    dialogs++;
    void d.dismiss();
  });
  await page.goto('about:blank');
  await openApp(page, `./#w=${hash}`);
  const alert = page.getByRole('alert').filter({ hasText: "This link's settings could not be used" });
  await expect(alert).toContainText('tpu.numCores must be an integer in [1, 8]');
  await expect(alert).toContainText('(and 5 more)');
  expect(
    await page.evaluate(() => {
      const { size, sections, softwareWebgl } = window.perf.getState();
      return { size, sections, softwareWebgl };
    }),
  ).toEqual({ size: 'quick', sections: ['hashtable', 'gather', 'workers', 'train', 'gpu'], softwareWebgl: false });
  await expect(
    page.getByRole('region', { name: 'Performance', exact: true }).getByRole('radio', { name: 'quick' }),
  ).toBeChecked();
  const tpu = page.getByRole('region', { name: 'Virtual TPU', exact: true });
  await expect(tpu.getByRole('combobox', { name: 'Cores', exact: true })).toHaveValue('4');
  await expect(tpu.getByRole('combobox', { name: 'Sharding', exact: true })).toHaveValue('replicated');
  await expect(page.getByText(/A world generated in this page from seed 42:/)).toBeVisible();
  expect(await page.locator('img[src="x"]').count()).toBe(0);
  expect(dialogs).toBe(0);

  // the demo's own form refuses bad settings the same way, and changes nothing
  const demo = page.getByRole('region', { name: 'Live recommender demo' });
  await demo.getByText('World and model settings').click();
  await demo.getByLabel('Items at step 0').fill('400');
  await demo.getByLabel('Items at most').fill('200');
  await demo.getByRole('button', { name: 'Apply and restart the demo' }).click();
  await expect(demo.getByRole('alert')).toContainText('demo.maxItems must be at least demo.initialItems');
  expect(await page.evaluate(() => window.playground.getState().demoConfig.world.initialItems)).toBe(150);
  expect(consoleLog.errors).toEqual([]);
});

test('the TPU view and the demo view have no serious or critical axe violations', async ({ page, consoleLog }) => {
  await openApp(page);
  const tpu = page.getByRole('region', { name: 'Virtual TPU', exact: true });
  await tpu.getByRole('button', { name: 'Next phase: local lookup' }).click();
  await tpu.getByRole('button', { name: 'Finish this step' }).click();
  await expect(tpu.getByText(/^Steps done: 1/)).toBeVisible();
  expect(await seriousViolations(page, '[data-panel="tpu"]')).toEqual([]);

  const demo = page.getByRole('region', { name: 'Live recommender demo' });
  await demo.getByLabel('Train until step').selectOption('100');
  await demo.getByRole('button', { name: 'Play: train the recommender' }).click();
  await expect(demo.getByTestId('demo-step')).toHaveText('Step 100 of 100', { timeout: 100_000 });
  await demo.getByRole('button', { name: 'Recommend for user 3' }).click();
  await expect(demo.getByRole('table', { name: "Model's top 10 for user 3" })).toBeVisible();
  await demo.getByText('World and model settings').click();
  expect(await seriousViolations(page, '[data-panel="demo"]')).toEqual([]);
  expect(consoleLog.errors).toEqual([]);
});
