// The main flow with the keyboard alone: Tab to a control, Enter / Space to press it, arrows to
// change a value. No mouse, no element.focus(), no clicks.
import type { Locator, Page } from '@playwright/test';
import { expect, openApp, test } from './fixtures.js';

const isFocused = (l: Locator) => l.evaluate((el) => el === document.activeElement);

/** Presses Tab until `target` has focus; fails if it never does (unreachable, or focus trapped). */
async function tabTo(page: Page, target: Locator, max = 400): Promise<number> {
  for (let i = 1; i <= max; i++) {
    await page.keyboard.press('Tab');
    if (await isFocused(target)) return i;
  }
  throw new Error(`${target} was not reached in ${max} presses of Tab`);
}

test('the main flow by keyboard only: load a preset, run the lookup, play and pause training', async ({
  page,
  consoleLog,
}) => {
  await openApp(page);
  // Load the TFRA preset with Enter.
  const preset = page.getByRole('button', { name: 'Load preset: TFRA Embedding' });
  await tabTo(page, preset);
  await page.keyboard.press('Enter');
  await expect(preset).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByRole('textbox', { name: 'Ids' })).toHaveValue('[[15, 2], [4, 92], [22, 4]]');
  // Run the lookup with Space; the button keeps focus while the worker answers.
  const run = page.getByRole('region', { name: 'Batch', exact: true }).getByRole('button', { name: 'Run lookup' });
  await tabTo(page, run);
  await page.keyboard.press('Space');
  await expect(page.getByTestId('output-shape')).toHaveText('(3, 2, 8)');
  expect(await isFocused(run)).toBe(true);
  // Arrows change a number: the training speed, 10 -> 12 steps/s.
  const training = page.getByRole('region', { name: 'Training', exact: true });
  const speed = training.getByLabel('Speed (steps/s)');
  await tabTo(page, speed);
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('ArrowUp');
  await expect(speed).toHaveValue('12');
  await expect
    .poll(() =>
      page.evaluate(
        () =>
          (
            window as unknown as { playground: { getState(): { workspace: { training: { speed: number } } } } }
          ).playground.getState().workspace.training.speed,
      ),
    )
    .toBe(12);
  // Play with Enter (Shift+Tab: Play is before the speed field); focus moves to Pause, Space pauses.
  const play = training.getByRole('button', { name: 'Play' });
  const pause = training.getByRole('button', { name: 'Pause' });
  for (let i = 0; i < 20 && !(await isFocused(play)); i++) await page.keyboard.press('Shift+Tab');
  expect(await isFocused(play)).toBe(true);
  await page.keyboard.press('Enter');
  await expect.poll(async () => Number(await page.getByTestId('train-step').textContent())).toBeGreaterThan(3);
  await expect.poll(() => isFocused(pause)).toBe(true);
  await page.keyboard.press('Space');
  await expect(play).toBeEnabled();
  await expect.poll(() => isFocused(play)).toBe(true);
  const stopped = await page.getByTestId('train-step').textContent();
  // Step from the keyboard: Tab to Step, Enter twice; focus stays on Step between presses.
  const step = training.getByRole('button', { name: 'Step', exact: true });
  await tabTo(page, step);
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('train-step')).toHaveText(String(Number(stopped) + 1));
  expect(await isFocused(step)).toBe(true);
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('train-step')).toHaveText(String(Number(stopped) + 2));
  expect(consoleLog.errors).toEqual([]);
});

test('Tab reaches every focusable control and leaves the page: no focus trap', async ({ page }) => {
  await openApp(page);
  await page.getByText('Generate batches').click();
  await page.getByText('Import a feature log (CSV / JSONL)').click();
  await page.locator('body').click({ position: { x: 1, y: 1 } });
  // Everything a keyboard user should reach: enabled, rendered, in the tab order.
  const tabbable = await page.evaluate(() => {
    const sel = 'a[href], button, input, select, textarea, summary, [tabindex]';
    const all = [...document.querySelectorAll<HTMLElement>(sel)].filter(
      (el) =>
        el.tabIndex >= 0 &&
        !(el as HTMLButtonElement).disabled &&
        el.getClientRects().length > 0 &&
        getComputedStyle(el).visibility !== 'hidden' &&
        !(el instanceof HTMLInputElement && el.type === 'radio' && !el.checked && el.name),
    );
    all.forEach((el, i) => (el.dataset.kbd = String(i)));
    return all.length;
  });
  expect(tabbable).toBeGreaterThan(40);
  const seen = new Set<string>();
  let left = false;
  for (let i = 0; i < tabbable + 20; i++) {
    await page.keyboard.press('Tab');
    const k = await page.evaluate(() => {
      const a = document.activeElement as HTMLElement | null;
      return !a || a === document.body ? null : (a.dataset.kbd ?? `untracked:${a.tagName}`);
    });
    if (k === null) {
      left = true; // focus went past the last control, out of the page: nothing held it
      break;
    }
    seen.add(k);
  }
  expect(left).toBe(true);
  const missed = await page.evaluate(
    (s) =>
      [...document.querySelectorAll<HTMLElement>('[data-kbd]')]
        .filter((el) => !s.includes(el.dataset.kbd!))
        .map((el) => el.outerHTML.slice(0, 120)),
    [...seen],
  );
  expect(missed).toEqual([]);
});
