// Ready-made workspaces, each reproducing a documented example so a person can check the
// playground against the docs they are reading.
import { defaultDemo, defaultFeature, defaultTable, defaultWorkspace, type Workspace } from './schema.js';

export interface Preset {
  id: string;
  title: string;
  /** What the preset shows and where it comes from. */
  about: string;
  /** The output shape the docs promise for the batch, when they state one. */
  expected?: string;
  /** A view the preset opens (scrolled to and focused) once loaded. */
  opens?: 'demo';
  build(): Workspace;
}

function base(): Workspace {
  return defaultWorkspace();
}

export const PRESETS: Preset[] = [
  {
    id: 'tfra-embedding',
    title: 'TFRA Embedding',
    about:
      'tfra.dynamic_embedding.keras.layers.Embedding(8): ids of shape (3, 2) give (3, 2, 8); the combiner is not applied.',
    expected: '(3, 2, 8)',
    build() {
      const w = base();
      w.tables = [{ ...defaultTable('embedding'), dim: 8 }];
      w.features = [{ ...defaultFeature('ids', 'embedding') }];
      w.batches = { ids: '[[15, 2], [4, 92], [22, 4]]' };
      return w;
    },
  },
  {
    id: 'tfra-squashed',
    title: 'TFRA SquashedEmbedding',
    about:
      'SquashedEmbedding(8) reduces every example with its combiner (sum): ids (3, 2) give (3, 8); ids (5,) give (8,).',
    expected: '(3, 8)',
    build() {
      const w = base();
      w.tables = [{ ...defaultTable('embedding'), dim: 8 }];
      w.features = [{ ...defaultFeature('ids', 'embedding'), combiner: 'sum' }];
      w.batches = { ids: '[[15, 2], [4, 92], [22, 4]]' };
      return w;
    },
  },
  {
    id: 'weighted-sparse',
    title: 'Weighted sparse feature',
    about:
      'embedding_lookup_sparse with weights and the mean combiner: each row becomes Σwᵢvᵢ / Σwᵢ, one vector per row.',
    expected: '(3, 4)',
    build() {
      const w = base();
      w.tables = [{ ...defaultTable('tag_emb'), dim: 4 }];
      w.features = [{ ...defaultFeature('tags', 'tag_emb'), input: 'sparse', combiner: 'mean', weights: true }];
      w.batches = { tags: '[[7:1.0, 8:0.5], [9:2.0], [7:0.25, 10:1, 11:1]]' };
      return w;
    },
  },
  {
    id: 'tensorx-lookup',
    title: 'TensorX Lookup, padded',
    about:
      'TensorX Lookup(seq_size=4): each example is padded with zero vectors to 4 steps: ids (2, 3) give (2, 4, 6).',
    expected: '(2, 4, 6)',
    build() {
      const w = base();
      w.tables = [{ ...defaultTable('words'), dim: 6, initializer: 'glorotUniform' }];
      w.features = [{ ...defaultFeature('tokens', 'words'), maxSequenceLength: 4 }];
      w.batches = { tokens: '[[1, 2, 3], [4, 5, 6]]' };
      return w;
    },
  },
  {
    id: 'eviction',
    title: 'Eviction with a restrict policy',
    about:
      'A frequency restrict policy keeps the 200 most-updated keys; many new ids arrive, so training evicts the rare ones.',
    build() {
      const w = base();
      w.tables = [{ ...defaultTable('user_emb'), restrictPolicy: 'frequency', restrictLimit: 200 }];
      w.features = [{ ...defaultFeature('user_id', 'user_emb') }];
      w.batches = { user_id: '[[15, 2], [4, 92], [22, 4]]' };
      w.generator = { ...w.generator, vocabulary: 5000, newIdRate: 0.3, zipfExponent: 1.05 };
      return w;
    },
  },
  {
    id: 'shared-table',
    title: 'One table, two features',
    about:
      'clicked_item and viewed_item both read item_emb: an id has one vector whichever feature it comes from, and gradients from both add up.',
    build() {
      const w = base();
      w.tables = [{ ...defaultTable('item_emb'), dim: 8 }];
      w.features = [
        { ...defaultFeature('clicked_item', 'item_emb'), combiner: 'mean' },
        { ...defaultFeature('viewed_item', 'item_emb'), combiner: 'mean' },
      ];
      w.batches = { clicked_item: '[[15, 2], [4, 92]]', viewed_item: '[[2, 4], [15, 7]]' };
      return w;
    },
  },
  {
    id: 'live-demo',
    title: 'Live recommender demo',
    about:
      'Opens the live recommender demo at step 0 with its default world (seed 42), ready to press Play: a matrix-factorisation model with dynamic user and item tables learns from a synthetic click log in a Web Worker, recall@10 rising above the popularity baseline.',
    opens: 'demo',
    build() {
      const w = base();
      w.demo = defaultDemo();
      return w;
    },
  },
];
