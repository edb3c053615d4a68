// Choosing the gather path: WASM, or WebGL when it is there and faster on this machine.
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, show } from '../errors.js';
import { setGatherChoice } from '../info.js';
import { HashTable } from '../table.js';
import { Variable } from '../variable.js';
import { GpuGather } from './mirror.js';

/** What {@link chooseGather} decided, with its measurements. */
export interface GatherChoice {
  gather: 'wasm' | 'webgl';
  reason: string;
  /** Milliseconds per batch measured for each path (absent when not measured). */
  wasmMs?: number;
  webglMs?: number;
}

function now(): number {
  return globalThis.performance?.now() ?? Date.now();
}

/**
 * Picks the gather path and records it in `de.backendInfo()`. 'wasm' and 'webgl' force one
 * (webgl only where the tfjs backend is webgl); 'auto' runs a short calibration (batch 4096,
 * dim 16, a 65536-key table) and takes the faster, including the GPU read-back the caller
 * avoids only when its model stays on the GPU.
 *
 * @example
 * const c = await de.gpu.chooseGather('auto');
 * de.backendInfo().gatherReason; // e.g. "WebGL missing: the tfjs backend is 'cpu' ..."
 */
export async function chooseGather(mode: 'wasm' | 'webgl' | 'auto' = 'auto'): Promise<GatherChoice> {
  if (mode !== 'wasm' && mode !== 'webgl' && mode !== 'auto') {
    throw new InvalidArgumentError(`chooseGather: mode must be 'wasm', 'webgl' or 'auto', got ${show(mode)}.`);
  }
  const backend = tf.getBackend();
  let choice: GatherChoice;
  if (mode === 'wasm') choice = { gather: 'wasm', reason: 'WASM gather, as requested' };
  else if (backend !== 'webgl') {
    const why = `WebGL missing: the tfjs backend is '${backend}' (no WebGL context here: Node, no GPU, or a Safari worker), so lookups gather in WASM`;
    if (mode === 'webgl') throw new InvalidArgumentError(`chooseGather('webgl'): ${why}.`);
    choice = { gather: 'wasm', reason: why };
  } else if (mode === 'webgl') choice = { gather: 'webgl', reason: 'WebGL gather, as requested' };
  else choice = await calibrate();
  setGatherChoice(choice.gather, choice.reason);
  return choice;
}

async function calibrate(): Promise<GatherChoice> {
  const dim = 16;
  const keysN = 65536;
  const batch = 4096;
  const v = new Variable({ name: '__calibration', keyDtype: 'int32', dim, placement: 'local' });
  const table = v.shards[0] as HashTable;
  const keys = Int32Array.from({ length: keysN }, (_, i) => i);
  table.upsert(
    keys,
    Float32Array.from({ length: keysN * dim }, (_, i) => (i % 97) / 97),
  );
  const ids = Int32Array.from({ length: batch }, (_, i) => (i * 7919) % keysN);
  const g = new GpuGather(v);
  try {
    const out = new Float32Array(batch * dim);
    const time = async (f: () => Promise<void>) => {
      await f(); // warm-up (shader compile, first allocation)
      const t0 = now();
      for (let r = 0; r < 5; r++) await f();
      return (now() - t0) / 5;
    };
    const wasmMs = await time(async () => {
      table.gather(ids, out);
      tf.tensor2d(out, [batch, dim]).dispose();
    });
    const webglMs = await time(async () => {
      const t = g.lookup(Array.from(ids));
      await t.data(); // wait for the GPU to finish
      t.dispose();
    });
    const gather = webglMs < wasmMs ? 'webgl' : 'wasm';
    return {
      gather,
      wasmMs,
      webglMs,
      reason: `calibrated on this machine (batch ${batch}, dim ${dim}): WASM ${wasmMs.toFixed(2)} ms, WebGL ${webglMs.toFixed(2)} ms per batch; ${gather === 'webgl' ? 'WebGL' : 'WASM'} is faster`,
    };
  } finally {
    g.dispose();
    v.dispose();
  }
}
