// After tsc: the library has everything it needs in dist/lib (the kernels are embedded in
// dist/lib/generated/kernels.js); this checks that and writes a package.json marking ESM.
import { access, writeFile } from 'node:fs/promises';

await access(new URL('../dist/lib/generated/kernels.js', import.meta.url));
await writeFile(new URL('../dist/lib/package.json', import.meta.url), '{ "type": "module" }\n');
console.log('build:lib   dist/lib/index.js ready');
