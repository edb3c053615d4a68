// Shared e2e fixture: every page records console errors and uncaught exceptions, and each
// test can assert there were none.
import { test as base, expect, type Page } from '@playwright/test';

export interface ConsoleLog {
  errors: string[];
}

export const test = base.extend<{ consoleLog: ConsoleLog }>({
  consoleLog: async ({ page }, use) => {
    const log: ConsoleLog = { errors: [] };
    page.on('console', (msg) => {
      if (msg.type() === 'error') log.errors.push(msg.text());
    });
    page.on('pageerror', (err) => log.errors.push(`uncaught: ${err.message}`));
    await use(log);
  },
});

/** Opens the app and waits until the engine reports it is ready. */
export async function openApp(page: Page, path = './'): Promise<void> {
  await page.goto(path);
  await expect(page.getByRole('status', { name: 'Engine status' })).toContainText('WASM', { timeout: 60_000 });
}

export { expect };
