// WebGL section: the tfjs WebGL gather (de.gpu.GpuGather) against the WASM gather, rows read back
// to the CPU on both paths; where WebGL is missing or a software renderer, WASM rows alone and why.
import type * as tfjs from '@tensorflow/tfjs';
import type * as Engine from '../../engine/index.js';
import { type PerfContext, row, SIZES, type Stepper, values } from '../context.js';
import { uniformRanks } from '../ids.js';
import { machineFacts } from '../machine.js';
import { timeIt, timeItAsync } from '../timing.js';

const GPU_DIMS = [16, 64];
const GPU_BATCHES = [4096, 65_536];

/** Progress steps of the section. */
export function gpuSteps(): number {
  return 1 + GPU_DIMS.length * GPU_BATCHES.length;
}

/** WebGL renderers that are CPU emulations (Chromium's SwiftShader, Mesa's llvmpipe, Windows' WARP). */
const SOFTWARE_RENDERER = /swiftshader|llvmpipe|softpipe|software|microsoft basic render/i;

/** The unguarded WebGL check (Node, or a host without the probe worker). */
async function quickWebglCheck(tf: typeof tfjs): Promise<string | null> {
  try {
    if (!(await tf.setBackend('webgl'))) return 'WebGL missing: the tfjs WebGL backend could not start here';
    await tf.ready();
  } catch (e) {
    return `WebGL missing: the tfjs WebGL backend failed to start (${e instanceof Error ? e.message : String(e)})`;
  } finally {
    if (tf.getBackend() !== 'webgl') await tf.setBackend('cpu');
  }
  return tf.getBackend() === 'webgl' ? null : `WebGL missing: the tfjs backend is '${tf.getBackend()}'`;
}

export async function gpu(ctx: PerfContext, st: Stepper): Promise<void> {
  const { de, tf } = ctx;
  const S = SIZES[ctx.size];
  await st.next('WebGL: starting the tfjs WebGL backend and calibrating');
  const n = S.gpuKeys;
  const renderer = machineFacts(de).webglRenderer;
  let missing: string | null;
  const software = SOFTWARE_RENDERER.test(renderer);
  if (software && !ctx.softwareWebgl) {
    // A CPU emulation of a GPU: its figures would say nothing about WebGL on a GPU, and the
    // mirror's upload shaders take minutes on it while keeping the GPU process (and with it
    // every WebGL call of the page) busy. So it is not used.
    missing = `WebGL unusable: the WebGL renderer is a software one (${renderer}), not a GPU, so the WebGL path is not measured`;
  } else if (ctx.probeWebgl) {
    missing = await ctx.probeWebgl({ keys: n, dim: Math.max(...GPU_DIMS), batch: GPU_BATCHES[0] });
  } else {
    missing = await quickWebglCheck(tf);
  }
  if (missing === null) {
    await tf.setBackend('webgl');
    await tf.ready();
    await de.gpu.chooseGather('auto');
  } else {
    // WebGL cannot be used: lookups gather in WASM, and the engine says why in backendInfo()
    await tf.setBackend('cpu');
    await de.gpu.chooseGather('auto');
    missing = `${missing}. de.backendInfo().gatherReason: ${de.backendInfo().gatherReason}`;
  }
  const info = de.backendInfo();
  ctx.emit({
    kind: 'note',
    section: 'gpu',
    text: missing ?? `de.backendInfo(): gather ${info.gather} — ${info.gatherReason}`,
  });
  const webgl = missing === null;
  try {
    for (const dim of GPU_DIMS) {
      const v = new de.Variable({ name: `perf_gpu_${dim}`, keyDtype: 'int32', dim, initCapacity: n });
      v.upsert(de.ids(Int32Array.from({ length: n }, (_, i) => i)), values(n, dim));
      const table = v.shards[0] as Engine.HashTable;
      const g = webgl ? new de.gpu.GpuGather(v) : null;
      try {
        for (const batch of GPU_BATCHES) {
          await st.next(`WASM vs WebGL gather: batch ${batch}, dim ${dim}`);
          const ranks = uniformRanks(n, batch, 3);
          const ids = de.ids(ranks);
          const minMs = S.minMs;
          // WASM: the rows gathered into a Float32Array (CPU memory, where a read-back of the
          // WebGL result also ends). Not timed through a tfjs tensor: on the WebGL backend a
          // tensor of CPU values would be uploaded and read back, charging WASM for WebGL.
          const out = new Float32Array(batch * dim);
          const wasmSec = timeIt(() => table.gather(ranks, out), { minMs, maxRuns: 200 });
          const label = `${batch / 1024}k × ${dim}`;
          const params = { batch, dim, label };
          if (g) {
            const webglSec = await timeItAsync(
              async () => {
                const t = g.lookup(ids);
                await t.data();
                t.dispose();
              },
              { minMs, maxRuns: 30 },
            );
            ctx.emit({
              kind: 'row',
              row: row(
                'gpu',
                `WebGL gather, batch ${batch}, dim ${dim}, ${n} keys`,
                webglSec * 1000,
                'ms/batch',
                wasmSec * 1000,
                'WASM gather (HashTable.gather into a Float32Array)',
                params,
                {
                  lowerIsBetter: true,
                  note: `rows end in CPU memory both ways (WebGL timed to await data(), read-back included)${software ? '; WebGL on a software renderer, not a GPU' : ''}`,
                },
              ),
            });
          } else {
            ctx.emit({
              kind: 'row',
              row: row(
                'gpu',
                `WASM gather, batch ${batch}, dim ${dim}, ${n} keys`,
                wasmSec * 1000,
                'ms/batch',
                undefined,
                undefined,
                params,
                {
                  note: 'no WebGL figure: WebGL is missing or unusable here (the note above says why)',
                },
              ),
            });
          }
        }
      } finally {
        g?.dispose();
        v.dispose();
      }
    }
  } finally {
    await tf.setBackend('cpu');
  }
}
