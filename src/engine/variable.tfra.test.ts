// TFRA's Variable conventions, translated: get_variable's default dim (tensorflow_recommenders_addons/
// dynamic_embedding/python/ops/dynamic_embedding_variable.py get_variable(dim=1)) and the default
// partitioner on negative keys (default_partition_fn: tf.math.mod, a floor-mod over int64, as
// kernel_tests/dynamic_embedding_ops_test.py test_safe_embedding_lookup_sparse_partitioned shards
// the keys [0, 1, 2, -100] over 3 devices).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultShardOf } from './partition.js';
import { Variable } from './variable.js';
import { ready } from './wasm.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await ready();
});

describe('get_variable defaults', () => {
  it('dim defaults to 1', () => {
    const v = new Variable({ name: 'dim_default' });
    expect(v.dim).toBe(1);
    v.upsert([7], [[0.5]]);
    expect(v.lookup([7, 8]).shape).toEqual([2, 1]);
    expect(() => new Variable({ name: 'dim_bad', dim: 0 })).toThrow(/dim must be an integer >= 1, got 0/);
  });
});

describe('the default partitioner is key mod N as a floor-mod over the full int64 range', () => {
  it('test_safe_embedding_lookup_sparse_partitioned keys on 3 shards: -100 mod 3 = 2', () => {
    for (const keyDtype of ['int32', 'int64'] as const) {
      const v = new Variable({ name: `part_${keyDtype}`, keyDtype, dim: 4, partitions: 3 });
      v.upsert(
        [0, 1, 2, -100],
        new Float32Array(16).map((_, i) => i),
      );
      // floor-mod: 0 -> 0, 1 -> 1, 2 -> 2, -100 -> 2 (the old (key & 0x7fffffff) % 3 put -100 on shard 1)
      expect([v.size(0), v.size(1), v.size(2)]).toEqual([1, 1, 2]);
      expect(Array.from(v.shardOf(v.keysOf([-1, -2, -3, -4, 5], 'test').keys))).toEqual([2, 1, 0, 2, 2]);
      // every read path routes -100 to shard 2 and finds its row (the fused lookup and the tape's read)
      expect(Array.from(v.lookup([-100, 2]).dataSync())).toEqual([12, 13, 14, 15, 8, 9, 10, 11]);
      expect(v.read(v.keysOf([-100], 'test').keys).exists[0]).toBe(1);
      v.dispose();
    }
  });

  it('matches BigInt floor-mod at the int64 extremes and for random keys, for N = 2..7 and 1000', () => {
    const keys = [
      -(2n ** 63n),
      2n ** 63n - 1n,
      -1n,
      -(2n ** 32n),
      2n ** 32n + 5n,
      -(2n ** 31n) - 1n,
      -123456789012345n,
    ];
    let x = 0x9e3779b97f4a7c15n;
    for (let i = 0; i < 200; i++) {
      x = (x * 6364136223846793005n + 1442695040888963407n) & (2n ** 64n - 1n);
      keys.push(BigInt.asIntN(64, x));
    }
    const arr = BigInt64Array.from(keys);
    for (const n of [2, 3, 4, 5, 7, 1000]) {
      const bn = BigInt(n);
      const want = keys.map((k) => Number(((k % bn) + bn) % bn));
      expect(Array.from(defaultShardOf(arr, n)), `N = ${n}`).toEqual(want);
    }
    // -2^63 mod 3 = 1, 2^63 - 1 mod 3 = 1, -1 mod 4 = 3
    expect(Array.from(defaultShardOf(BigInt64Array.from([-(2n ** 63n), 2n ** 63n - 1n]), 3))).toEqual([1, 1]);
    expect(Array.from(defaultShardOf(BigInt64Array.from([-1n]), 4))).toEqual([3]);
    expect(Array.from(defaultShardOf(Int32Array.from([-1, -(2 ** 31), 2 ** 31 - 1]), 4))).toEqual([3, 0, 3]);
  });
});
