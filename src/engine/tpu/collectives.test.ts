import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { RingCollective, ringAllReduce } from './collectives.js';
import { FeatureConfig, TableConfig } from './config.js';
import { TPUEmbeddingV0 } from './embedding.js';
import { SGD } from './optimizers.js';
import { VirtualTPUStrategy } from './strategy.js';

const bufs = (n: number, len: number) =>
  Array.from({ length: n }, (_, c) => Float32Array.from({ length: len }, (_, i) => (c + 1) * 10 + i));

describe('RingCollective', () => {
  it('all-reduce of 3 cores, stepped phase by phase', () => {
    // core c holds [(c+1)*10 + i]; the sum is [60, 63, 66, 69, 72, 75].
    const ring = new RingCollective(bufs(3, 6), { op: 'all-reduce' });
    expect(ring.phase).toBe('reduce-scatter');
    const first = ring.step();
    expect(first.messages.map((m) => [m.from, m.to, m.chunk, m.bytes])).toEqual([
      [0, 1, 2, 8],
      [1, 2, 0, 8],
      [2, 0, 1, 8],
    ]);
    ring.step();
    expect(ring.phase).toBe('all-gather');
    // After the reduce-scatter core i holds the full sum of chunk i (2 floats each).
    expect(Array.from(ring.result(0).subarray(0, 2))).toEqual([60, 63]);
    expect(Array.from(ring.result(1).subarray(2, 4))).toEqual([66, 69]);
    expect(Array.from(ring.result(2).subarray(4, 6))).toEqual([72, 75]);
    ring.run();
    expect(ring.phase).toBe('done');
    for (const r of ring.results()) expect(Array.from(r)).toEqual([60, 63, 66, 69, 72, 75]);
    // 2 (n-1) steps, one 2-float chunk per link per step: 4 * 8 = 32 bytes per link.
    expect(ring.bytesPerLink).toEqual([32, 32, 32]);
    expect(ring.totalBytes).toBe(2 * 2 * 6 * 4);
    expect(() => ring.step()).toThrow(InvalidArgumentError);
  });

  it('uneven chunks still move 2 (n-1) E * 4 bytes in total', () => {
    const { results, ring } = ringAllReduce(bufs(4, 7));
    expect(Array.from(results[3])).toEqual([100, 104, 108, 112, 116, 120, 124]);
    expect(ring.chunkSizes).toEqual([2, 2, 2, 1]);
    expect(ring.totalBytes).toBe(2 * 3 * 7 * 4);
  });

  it('a dropped core makes the cores disagree; the drop is visible in the messages', () => {
    const ring = new RingCollective(bufs(2, 2), { op: 'all-reduce', faults: [{ kind: 'drop', core: 1 }] }).run();
    // core 1 never delivers: core 0 keeps only its own [10, 11]; core 1 adds core 0's chunk 1 -> [?, 32], then copies chunk 0 from core 0.
    expect(Array.from(ring.result(0))).toEqual([10, 11]);
    expect(Array.from(ring.result(1))).toEqual([10, 32]);
    expect(ring.log.flatMap((s) => s.messages.filter((m) => m.fate === 'dropped').map((m) => m.from))).toEqual([1, 1]);
    expect(ring.bytesPerLink).toEqual([8, 8]); // sent, then lost
  });

  it('a straggler delivers late and its last message is lost when the schedule ends', () => {
    const ring = new RingCollective(bufs(2, 2), {
      op: 'all-reduce',
      faults: [{ kind: 'straggler', core: 1, delay: 1 }],
    }).run();
    // step 0: core 0 -> 1 adds chunk 1 (core 1 = [20, 32]); core 1's chunk 0 arrives at step 1.
    // step 1: core 0 sends its incomplete chunk 0 = [10] to core 1; the late add makes core 0 = [30, 11].
    expect(Array.from(ring.result(0))).toEqual([30, 11]);
    expect(Array.from(ring.result(1))).toEqual([10, 32]);
    expect(ring.log[1].lateArrivals).toBe(1);
  });
});

describe('faults and resync on a strategy', () => {
  function setup() {
    const strategy = new VirtualTPUStrategy({ numCores: 4 });
    const t = new TableConfig({
      vocabularySize: 8,
      dim: 2,
      combiner: 'sum',
      initializer: () => new Float32Array(16).fill(1),
      name: 't',
    });
    const emb = strategy.scope(
      () =>
        new TPUEmbeddingV0({
          featureConfig: { f: new FeatureConfig({ table: t }) },
          optimizer: new SGD({ learningRate: 0.1 }),
        }),
    );
    const features = { f: [[0], [1], [2], [3]] };
    const step = ({ features: f }: { features: unknown }) =>
      tf.sum((emb.embeddingLookup(f) as Record<string, tf.Tensor>).f);
    return { strategy, emb, t, features, step };
  }

  it('a dropped core makes checksums differ; resync makes them equal again, as a broadcast', async () => {
    const { strategy, emb, t, features, step } = setup();
    await strategy.run(step, { features });
    expect(new Set(strategy.replicaChecksums()).size).toBe(1);
    strategy.injectFault({ kind: 'drop', core: 2 });
    await strategy.run(step, { features });
    expect(new Set(strategy.replicaChecksums()).size).toBeGreaterThan(1);
    expect(strategy.activeFaults()).toEqual([]); // lasted one step
    const core0 = emb.embeddingTables.get(t)!.dataSync().slice();
    strategy.resync();
    expect(new Set(strategy.replicaChecksums()).size).toBe(1);
    expect(Array.from(emb.embeddingTables.get(t)!.dataSync())).toEqual(Array.from(core0));
    const resync = strategy.commStats().steps.at(-1)!;
    expect(resync.label).toBe('resync');
    expect(resync.bytes).toBe(3 * 16 * 4); // core 0 -> 3 cores, 16 floats, SGD has no slots
    // Next clean step: in sync and stays so.
    await strategy.run(step, { features });
    expect(new Set(strategy.replicaChecksums()).size).toBe(1);
  });

  it('a straggler also makes replicas diverge', async () => {
    const { strategy, features, step } = setup();
    strategy.injectFault({ kind: 'straggler', core: 1, delay: 2 });
    await strategy.run(step, { features });
    expect(new Set(strategy.replicaChecksums()).size).toBeGreaterThan(1);
  });

  it('rejects bad faults, and faults in sharded modes', () => {
    const { strategy } = setup();
    expect(() => strategy.injectFault({ kind: 'drop', core: 4 })).toThrow(/core must be an int in \[0, 4\), got 4/);
    expect(() => strategy.injectFault({ kind: 'straggler', core: 0, delay: 0 })).toThrow(/delay must be an int >= 1/);
    const sharded = new VirtualTPUStrategy({ numCores: 2, sharding: 'row' });
    expect(() => sharded.injectFault({ kind: 'drop', core: 0 })).toThrow(/sharding 'row' has none/);
  });
});
