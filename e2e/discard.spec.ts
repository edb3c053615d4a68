// Asking before a change empties a table: the key counts follow training, a change that TFRA
// fixes at creation (dim, …), a delete and a preset ask first; Keep data keeps the rows; settings
// that need not empty a table (learning rate) keep them without asking.
import type { Page } from '@playwright/test';
import { expect, openApp, test } from './fixtures.js';

async function train(page: Page, steps: number): Promise<void> {
  const training = page.getByRole('region', { name: 'Training', exact: true });
  for (let i = 1; i <= steps; i++) {
    await training.getByRole('button', { name: 'Step', exact: true }).click();
    await expect(page.getByTestId('train-step')).toHaveText(String(i));
  }
}

const keysOf = async (page: Page, table: string) => {
  const text = await page
    .getByRole('group', { name: `Table ${table}`, exact: true })
    .locator('legend')
    .textContent();
  return Number(/\(([\d,]+) keys\)/.exec(text ?? '')![1].replace(/,/g, ''));
};

test('after training, changing Dim asks: Keep data keeps the rows, Discard empties the table', async ({
  page,
  consoleLog,
}) => {
  await openApp(page);
  const table = page.getByRole('group', { name: 'Table user_emb', exact: true });
  await expect(table.locator('legend')).toContainText('(0 keys)');
  await train(page, 3);
  // The key count follows training (it is not only updated by lookups).
  await expect.poll(() => keysOf(page, 'user_emb')).toBeGreaterThan(0);
  const held = await keysOf(page, 'user_emb');

  const dialog = page.getByRole('dialog', { name: 'Discard the trained data?' });
  await table.getByLabel('Dim').fill('16');
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText(`user_emb (${held} keys): Dim 8 → 16`);
  // Keyboard: focus is in the dialog, Tab reaches Keep data first, Enter presses it.
  await expect(dialog.getByRole('heading', { name: 'Discard the trained data?' })).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(dialog.getByRole('button', { name: 'Keep data' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(dialog).toBeHidden();
  await expect(table.getByLabel('Dim')).toHaveValue('8');
  expect(await page.evaluate(() => window.playground.getState().workspace.tables[0].dim)).toBe(8);
  await expect(page.getByTestId('train-step')).toHaveText('3');
  expect(await keysOf(page, 'user_emb')).toBe(held);
  // The rows really are still in the table: a lookup of the TFRA batch finds trained ids.
  await page.getByRole('region', { name: 'Batch', exact: true }).getByRole('button', { name: 'Run lookup' }).click();
  await expect(page.getByTestId('output-shape')).toHaveText('(3, 2, 8)');
  await expect(page.locator('tbody td.status').filter({ hasText: 'hit' }).first()).toBeVisible();

  // Escape keeps the data too (keyboard).
  await table.getByLabel('Dim').fill('4');
  await expect(dialog).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(table.getByLabel('Dim')).toHaveValue('8');

  // Discard data and apply: the table is recreated empty with the new dim.
  await table.getByLabel('Dim').fill('16');
  await dialog.getByRole('button', { name: 'Discard data and apply' }).click();
  await expect(dialog).toBeHidden();
  await expect(table.getByLabel('Dim')).toHaveValue('16');
  await expect(table.locator('legend')).toContainText('(0 keys)');
  await page.getByRole('region', { name: 'Batch', exact: true }).getByRole('button', { name: 'Run lookup' }).click();
  await expect(page.getByTestId('output-shape')).toHaveText('(3, 2, 16)');
  expect(await page.locator('tbody td.status').allTextContents()).toEqual(
    new Array(6).fill('miss (initializer value)'),
  );
  expect(consoleLog.errors).toEqual([]);
});

test('a learning-rate change keeps the rows without asking; delete, rename and a preset ask first', async ({
  page,
  consoleLog,
}) => {
  await openApp(page);
  const tables = page.getByRole('region', { name: 'Tables', exact: true });
  await train(page, 3);
  await expect.poll(() => keysOf(page, 'user_emb')).toBeGreaterThan(0);
  const held = await keysOf(page, 'user_emb');
  const dialog = page.getByRole('dialog', { name: 'Discard the trained data?' });

  // Learning rate: the model starts over at step 0 from the kept rows, no question asked.
  await tables.getByRole('group', { name: 'Table user_emb' }).getByLabel('Learning rate').fill('0.3');
  await expect(page.getByTestId('train-step')).toHaveText('0');
  await expect(dialog).toBeHidden();
  expect(await keysOf(page, 'user_emb')).toBe(held);
  await train(page, 1);
  await expect.poll(() => keysOf(page, 'user_emb')).toBeGreaterThanOrEqual(held);
  const now = await keysOf(page, 'user_emb');

  // Rename asks (a table is created under its name).
  const name = tables.getByRole('group', { name: 'Table user_emb' }).getByLabel('Name');
  await name.fill('users');
  await name.press('Enter');
  await expect(dialog).toContainText('renamed to users');
  await dialog.getByRole('button', { name: 'Keep data' }).click();
  await expect(tables.getByRole('group', { name: 'Table user_emb' }).getByLabel('Name')).toHaveValue('user_emb');

  // Delete asks.
  await tables.getByRole('button', { name: 'Duplicate user_emb' }).click();
  await tables.getByRole('button', { name: 'Delete user_emb', exact: true }).click();
  await expect(dialog).toContainText(`user_emb (${now} keys): deleted`);
  await dialog.getByRole('button', { name: 'Keep data' }).click();
  await expect(tables.getByRole('group', { name: 'Table user_emb', exact: true })).toBeVisible();
  expect(await keysOf(page, 'user_emb')).toBe(now);

  // A preset replaces every table: asks; Keep data leaves the workspace as it was.
  await page.getByRole('button', { name: 'Load preset: TFRA Embedding' }).click();
  await expect(dialog).toContainText('the preset replaces every table');
  await dialog.getByRole('button', { name: 'Keep data' }).click();
  await expect(tables.getByRole('group', { name: 'Table user_emb', exact: true })).toBeVisible();
  await page.getByRole('button', { name: 'Load preset: TFRA Embedding' }).click();
  await dialog.getByRole('button', { name: 'Discard data and apply' }).click();
  await expect(tables.getByRole('group', { name: 'Table embedding' })).toBeVisible();
  await expect(tables.getByRole('group', { name: 'Table embedding' }).locator('legend')).toContainText('(0 keys)');
  expect(consoleLog.errors).toEqual([]);
});
