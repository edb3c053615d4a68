// A throwaway worker that checks whether the engine's WebGL gather path works here, at the size
// the benchmark will use: it starts tfjs's WebGL backend, mirrors a table of `keys` rows with
// de.gpu.GpuGather and reads one lookup back. It runs apart from the benchmark worker because
// a software renderer (Chromium's SwiftShader) can take minutes or more on the mirror's upload
// shaders, blocking its thread; the caller waits a bounded time and terminates this worker.
import * as tf from '@tensorflow/tfjs';
import * as de from '../src/engine/index.js';

async function probe(keys: number, dim: number, batch: number): Promise<string | null> {
  try {
    if (!(await tf.setBackend('webgl'))) return 'WebGL missing: the tfjs WebGL backend could not start here';
    await tf.ready();
  } catch (e) {
    return `WebGL missing: the tfjs WebGL backend failed to start (${e instanceof Error ? e.message : String(e)})`;
  }
  if (tf.getBackend() !== 'webgl') return `WebGL missing: the tfjs backend is '${tf.getBackend()}'`;
  await de.ready();
  const v = new de.Variable({ name: 'webgl_probe', keyDtype: 'int32', dim, initCapacity: keys });
  v.upsert(
    de.ids(Int32Array.from({ length: keys }, (_, i) => i)),
    Float32Array.from({ length: keys * dim }, (_, i) => i % 7),
  );
  const g = new de.gpu.GpuGather(v);
  const ids = Int32Array.from({ length: batch }, (_, i) => (i * 7919) % keys);
  const t = g.lookup(de.ids(ids));
  const got = await t.data();
  t.dispose();
  g.dispose();
  for (let i = 0; i < batch; i++) {
    for (let j = 0; j < dim; j++) {
      if (got[i * dim + j] !== (ids[i] * dim + j) % 7) {
        return `WebGL unusable: de.gpu.GpuGather returned ${got[i * dim + j]} at id ${ids[i]}, column ${j}, not ${(ids[i] * dim + j) % 7}`;
      }
    }
  }
  v.dispose();
  return null;
}

onmessage = (e: MessageEvent<{ keys: number; dim: number; batch: number }>) => {
  probe(e.data.keys, e.data.dim, e.data.batch).then(
    (problem) => postMessage({ problem }),
    (err: unknown) => postMessage({ problem: `WebGL unusable: ${err instanceof Error ? err.message : String(err)}` }),
  );
};
