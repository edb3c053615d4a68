// Runs a TypeScript example on plain Node 20: transpiles it with the TypeScript compiler (types
// are only erased), points its engine import at the built library (dist/lib), and imports it.
// Usage: npm run build:lib && node examples/run.mjs examples/train-node.ts
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const file = process.argv[2];
if (!file) {
  console.error('usage: node examples/run.mjs examples/<example>.ts');
  process.exit(2);
}
const source = await readFile(resolve(file), 'utf8');
const { outputText } = ts.transpileModule(source, {
  compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
});
const outDir = join(root, 'dist/examples');
await mkdir(outDir, { recursive: true });
const out = join(outDir, basename(file).replace(/\.ts$/, '.mjs'));
await writeFile(out, outputText.replaceAll("'../src/engine/index.js'", "'../lib/index.js'"));
await import(pathToFileURL(out).href);
