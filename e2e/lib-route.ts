// Serves dist/lib (the engine as built for callers with no bundler) under /__lib/ from the
// preview server's origin, and an empty page at /__lib/blank.html, so a page stays
// cross-origin isolated while it imports the engine, its tfjs (dist/lib/vendor/tf.js) and
// worker entry points from there.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrowserContext } from '@playwright/test';

const LIB = join(process.cwd(), 'dist/lib');

export async function serveLib(context: BrowserContext): Promise<void> {
  await context.route('**/__lib/**', async (route) => {
    const rel = new URL(route.request().url()).pathname.replace(/^.*\/__lib\//, '');
    if (rel === 'blank.html') {
      // an empty cross-origin-isolated page (the app would load its own tfjs beside dist/lib's)
      await route.fulfill({
        body: '<!doctype html><meta charset="utf-8"><title>dynemb dist/lib</title>',
        contentType: 'text/html',
        headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
      });
      return;
    }
    try {
      const body = await readFile(join(LIB, rel));
      await route.fulfill({
        body,
        contentType: 'text/javascript',
        headers: { 'Cross-Origin-Resource-Policy': 'same-origin' },
      });
    } catch {
      await route.fulfill({ status: 404, body: `missing ${rel}` });
    }
  });
}
