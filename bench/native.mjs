// The native reference of the lookup cases (src/perf/cases/lookup.ts): bench/native/lookup.cpp
// compiled with g++ -O3 into a temporary folder when g++ exists, run over the same keys and ids
// as the engine's case (written to files). Without g++ every call says why it was skipped.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Compiles the reference; returns `{ native, dispose }` for the run context, and why it is missing if so. */
export function nativeLookup(log) {
  const dir = mkdtempSync(join(tmpdir(), 'dynemb-native-'));
  const bin = join(dir, 'lookup');
  let skipped;
  try {
    const src = fileURLToPath(new URL('./native/lookup.cpp', import.meta.url));
    execFileSync('g++', ['-O3', '-march=native', '-std=c++17', '-o', bin, src], { stdio: 'pipe' });
  } catch (e) {
    skipped = e.code === 'ENOENT' ? 'g++ not found' : `g++ failed: ${String(e.stderr ?? e.message).slice(0, 200)}`;
    log(`  native C++ reference skipped: ${skipped}`);
  }
  const write = (name, a) => {
    const f = join(dir, name);
    writeFileSync(f, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    return f;
  };
  return {
    native: (keys, ids, dim, minMs) => {
      if (skipped) return { skipped };
      const out = execFileSync(bin, [write('keys.bin', keys), write('ids.bin', ids), String(dim), String(minMs)], {
        encoding: 'utf8',
      });
      return JSON.parse(out);
    },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
