// #20 item 8: each bad input is a clear InvalidArgumentError at the call, and nothing changes.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from './errors.js';
import * as initializers from './initializers.js';
import { embeddingLookup, embeddingLookupSparse, safeEmbeddingLookupSparse } from './lookup.js';
import { SparseTensor } from './tensor.js';
import { Adam, SGD } from './train/optimizers/index.js';
import './train/restrict.js';
import { step } from './train/step.js';
import { Variable } from './variable.js';
import { ready } from './wasm.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await ready();
});

const bad = (f: () => unknown, message: RegExp) => {
  expect(f).toThrow(InvalidArgumentError);
  expect(f).toThrow(message);
};

describe('validation gaps', () => {
  it('refuses bad constructor settings', () => {
    bad(
      () => new Variable({ name: 'v', dim: 2, restrictPolicy: Map as never }),
      /restrictPolicy must be a restrict policy class/,
    );
    bad(
      () => new Variable({ name: 'v', dim: 2, keyDtype: null as never }),
      /keyDtype must be 'int32', 'int64' or 'string', got null/,
    );
    bad(() => initializers.randomNormal({ stddev: -1 }), /stddev must be a finite number >= 0, got -1/);
    bad(() => initializers.randomNormal(null as never), /options must be an object/);
    bad(() => new Adam(null as never), /Adam: options must be an object \(or omitted\), got null/);
  });

  it('refuses null / non-object options, defaultId lists and non-boolean exists', () => {
    const v = new Variable({ name: 'val', dim: 2 });
    v.upsert(
      [1, 2],
      [
        [1, 1],
        [2, 2],
      ],
    );
    const sp = new SparseTensor({ indices: [[0, 0]], values: [1], denseShape: [1, 1] });
    bad(() => embeddingLookup(v, [1], null as never), /embeddingLookup: options must be an object/);
    bad(() => embeddingLookupSparse(v, sp, null, null as never), /options must be an object/);
    bad(() => safeEmbeddingLookupSparse(v, sp, null, null as never), /options must be an object/);
    bad(() => safeEmbeddingLookupSparse(v, sp, null, { defaultId: [5, 2] as never }), /defaultId must be one id/);
    bad(() => v.lookup([1], null as never), /options must be an object/);
    bad(() => v.restrict(1, 'x' as never), /restrict: options must be an object \(or omitted\), got "x"/);
    bad(() => v.restrict(1, null as never), /options must be an object/);
    bad(
      () => v.accum([1], [[0, 0]], [[1, 1]], ['false'] as never),
      /exists\[0\] must be true \/ false \(or 1 \/ 0\), got "false"/,
    );
    bad(() => v.accum([1], [[0, 0]], [[1, 1]], [2]), /exists\[0\] must be true/);
    expect(Array.from(embeddingLookup(v, [1, 2]).dataSync())).toEqual([1, 1, 2, 2]);
  });

  it('refuses NaN / Infinity in upsert and accum unless allowNonFinite, and NaN gradients in train.step', () => {
    const v = new Variable({ name: 'val_nan', dim: 2 });
    v.upsert([1], [[1, 1]]);
    bad(
      () =>
        v.upsert(
          [1, 2],
          [
            [3, 3],
            [NaN, 0],
          ],
        ),
      /values\[2\] is NaN; expected finite numbers/,
    );
    bad(() => v.accum([1], [[0, 0]], [[Infinity, 0]], [true]), /newValues\[0\] is Infinity/);
    expect(Array.from(embeddingLookup(v, [1]).dataSync())).toEqual([1, 1]);
    v.upsert([2], [[NaN, 1]], { allowNonFinite: true });
    expect(Number.isNaN(embeddingLookup(v, [2]).dataSync()[0])).toBe(true);
    const opt = new SGD({ learningRate: 0.1 });
    bad(
      () => step(opt, () => tf.sum(tf.mul(embeddingLookup(v, [1]), NaN)) as tf.Scalar),
      /the gradient of "val_nan"\[0\] is NaN/,
    );
    bad(
      () => step(opt, () => tf.sum(embeddingLookup(v, [1])) as tf.Scalar, { bpV2: 'yes' as never }),
      /options.bpV2 must be true or false, got "yes"/,
    );
    bad(
      () => step(opt, () => tf.sum(embeddingLookup(v, [1])) as tf.Scalar, null as never),
      /train.step: options must be an object/,
    );
    expect(Array.from(embeddingLookup(v, [1]).dataSync())).toEqual([1, 1]);
    expect(opt.iterations).toBe(0);
  });
});
