// Takes screenshots of the built app (vite preview must be running) for the README and for
// looking at what was built: node scripts/screenshot.mjs [url] [out.png] [--full]
import { chromium } from '@playwright/test';

const url = process.argv[2] ?? 'http://127.0.0.1:4173/';
const out = process.argv[3] ?? 'docs/screenshot.png';
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-background-networking',
    '--disable-component-update',
    '--enable-unsafe-swiftshader',
  ],
});
const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
const errors = [];
page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
page.on('pageerror', (e) => errors.push(e.message));
await page.goto(url);
await page.getByRole('status', { name: 'Engine status' }).getByText('WASM').waitFor({ timeout: 60_000 });
await page.waitForTimeout(500);
await page.screenshot({ path: out, fullPage: process.argv.includes('--full') });
console.log(`screenshot: ${out}${errors.length ? `; console errors: ${errors.join(' | ')}` : '; no console errors'}`);
await browser.close();
