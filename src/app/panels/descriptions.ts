// What each panel will hold, shown while it is not built. Kept in one place so the layout
// stays readable and the wording is reviewed together.
import type { PanelId } from '../store.js';

export const PANELS: Record<PanelId, { title: string; what: string; items: string[] }> = {
  tables: {
    title: 'Tables',
    what: 'Define dynamic embedding tables (TFRA de.Variable): no fixed vocabulary, keys enter when training writes them.',
    items: [
      'name, dim, key dtype (int32 / int64 / string)',
      'initializer and seed, optimizer and learning rate',
      'restrict policy (timestamp / frequency) and its size limit',
      'partitions, placement (main thread / workers), gather path (WASM / WebGL)',
    ],
  },
  features: {
    title: 'Features',
    what: 'Map input features to tables; several features may share one table.',
    items: [
      'input kind: dense, sparse or ragged',
      'combiner: sum, mean, sqrtn',
      'max sequence length, weights on or off',
    ],
  },
  batch: {
    title: 'Batch',
    what: 'Feed a batch of ids, typed, generated or imported from a local file.',
    items: [
      'typed: nested arrays like [[15, 2], [4, 92], [22, 4]], ragged lists, id:weight pairs, string ids',
      'generated: uniform or Zipf ids, batch size, new-id rate, seed',
      'imported: a CSV / JSONL feature log, processed in this page and never uploaded',
    ],
  },
  lookup: {
    title: 'Lookup inspector',
    what: 'For the last batch, what each id turned into, and why the output has its shape.',
    items: [
      'per id: hit, miss (initializer value) or inserted; its shard, slot and row',
      'each vector as a heatmap strip, exact values on hover',
      'the shape rule, e.g. shape(ids) + [dim] = [3, 2] + [8], and maxNorm clipping marked',
    ],
  },
  charts: {
    title: 'Charts',
    what: 'Live charts while a model trains on the batches.',
    items: [
      'loss',
      'table size and capacity',
      'hit rate and evictions',
      'gradient norm per table, embedding-norm histogram',
    ],
  },
  tpu: {
    title: 'Virtual TPU',
    what: 'Tables replicated or sharded across 1–8 simulated cores, as TPUEmbeddingV0 and beyond.',
    items: [
      'each core with its replica or shard and its slice of the global batch',
      'a step phase by phase: lookup, backward, ring all-reduce link by link, apply',
      'per-core checksums, dropped contributions and stragglers, bytes moved per collective',
    ],
  },
  code: {
    title: 'Code',
    what: 'The code that rebuilds what you see here.',
    items: [
      'TypeScript using dynemb',
      'TFRA Python (tensorflow_recommenders_addons.dynamic_embedding)',
      'checkpoint and .npy downloads',
    ],
  },
  performance: {
    title: 'Performance',
    what: "The engine's benchmarks, run in your own browser, as ratios against a baseline measured in the same run.",
    items: [
      'hash table throughput vs a plain-JS table',
      'gather bandwidth vs the memory-copy ceiling',
      'WASM vs WebGL gather, worker scaling, a training step vs a dense tfjs embedding',
    ],
  },
};
