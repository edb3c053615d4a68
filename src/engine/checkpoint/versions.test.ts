// Checkpoints of an older format version stay loadable (format.ts says what changed).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { embeddingLookup } from '../lookup.js';
import { Momentum } from '../train/optimizers/index.js';
import { step } from '../train/step.js';
import { Variable } from '../variable.js';
import { ready } from '../wasm.js';
import { restore, save } from './checkpoint.js';
import { crc32, MAGIC, VERSION } from './format.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await ready();
});

// The same bytes under another version number (the CRC recomputed).
function asVersion(bytes: Uint8Array, version: number): Uint8Array {
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  view.setUint32(MAGIC.length, version, true);
  view.setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
  return out;
}

describe('checkpoint versions', () => {
  it("version 1 Momentum slots (tfjs's accumulation a) load as Keras's velocity -lr * a", async () => {
    const make = (n: number) => {
      const v = new Variable({ name: `mom_${n}`, keyDtype: 'int32', dim: 2 });
      v.upsert(
        [1, 2],
        [
          [0.5, -0.5],
          [1, 2],
        ],
      );
      return { v, opt: new Momentum({ learningRate: 0.1, momentum: 0.9 }) };
    };
    const a = make(0);
    for (let t = 0; t < 2; t++) step(a.opt, () => tf.sum(tf.square(embeddingLookup(a.v, [1, 2]))), { varList: [] });
    // Keras velocity after 2 steps on row 1, element 0: g1 = 1, a1 = -0.1; w1 = 0.4, g2 = 0.8, a2 = -0.09 - 0.08 = -0.17
    const slot = a.opt.getSlot(a.v, 'momentum');
    expect(slot.lookup([1]).dataSync()[0]).toBeCloseTo(-0.17, 6);
    const bytes = await save([a.v, a.opt]);
    expect(new DataView(bytes.buffer).getUint32(MAGIC.length, true)).toBe(VERSION);
    expect(VERSION).toBe(2);

    const b = make(0);
    await restore(bytes, [b.v, b.opt]);
    expect(b.opt.getSlot(b.v, 'momentum').lookup([1]).dataSync()[0]).toBeCloseTo(-0.17, 6);

    // the same file as version 1: its slot value -0.17 meant a = -0.17, i.e. velocity -0.1 * -0.17 = 0.017
    const c = make(0);
    await restore(asVersion(bytes, 1), [c.v, c.opt]);
    expect(c.opt.getSlot(c.v, 'momentum').lookup([1]).dataSync()[0]).toBeCloseTo(0.017, 6);
    expect(Array.from(c.v.lookup([1]).dataSync())).toEqual(Array.from(a.v.lookup([1]).dataSync()));

    await expect(restore(asVersion(bytes, 3), [c.v, c.opt])).rejects.toThrow(
      /format version 3 is not supported; this engine reads versions 1 to 2/,
    );
  });
});
