// dist/lib/index.js must load with no bundler on the caller's side, in a page and in a
// module Web Worker. The test serves dist/lib under /__lib/ from the same origin (so the
// page stays cross-origin isolated) and imports it both ways.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from './fixtures.js';

const LIB = join(process.cwd(), 'dist/lib');

test('dist/lib/index.js loads and runs in a page and in a Web Worker', async ({ page, context, consoleLog }) => {
  await context.route('**/__lib/**', async (route) => {
    const rel = new URL(route.request().url()).pathname.replace(/^.*\/__lib\//, '');
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
  await page.goto('./');

  const inPage = await page.evaluate(async () => {
    const de = await import(`${location.origin}/__lib/index.js`);
    await de.ready();
    const shape = new de.layers.Embedding({ embeddingSize: 8 }).call([
      [15, 2],
      [4, 92],
      [22, 4],
    ]).shape;
    return {
      info: de.backendInfo(),
      rows: Array.from(de.gatherRows(new Float32Array([1, 2, 3, 4]), 2, [1]) as Float32Array),
      shape,
    };
  });
  expect(inPage.info.wasm).toBe('simd');
  expect(inPage.rows).toEqual([3, 4]);
  expect(inPage.shape).toEqual([3, 2, 8]); // the TFRA Embedding doc example

  const inWorker = await page.evaluate(async () => {
    const src = `import * as de from '${location.origin}/__lib/index.js';
      await de.ready();
      const shape = new de.layers.SquashedEmbedding({ embeddingSize: 8 }).call([[15, 2], [4, 92], [22, 4]]).shape;
      postMessage({ info: de.backendInfo(), rows: Array.from(de.gatherRows(new Float32Array([1, 2, 3, 4]), 2, [0])), shape });`;
    const url = URL.createObjectURL(new Blob([src], { type: 'text/javascript' }));
    const worker = new Worker(url, { type: 'module' });
    try {
      return await new Promise<{ info: { wasm: string }; rows: number[]; shape: number[] }>((resolve, reject) => {
        worker.onmessage = (e) => resolve(e.data);
        worker.onerror = (e) => reject(new Error(`worker failed: ${e.message}`));
        setTimeout(() => reject(new Error('worker did not answer in 20 s')), 20_000);
      });
    } finally {
      worker.terminate();
    }
  });
  expect(inWorker.info.wasm).toBe('simd');
  expect(inWorker.rows).toEqual([1, 2]);
  expect(inWorker.shape).toEqual([3, 8]); // the TFRA SquashedEmbedding doc example
  expect(consoleLog.errors).toEqual([]);
});
