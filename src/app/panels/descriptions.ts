// Each panel's title, and for a panel not built yet what it will hold (shown with "Not available
// yet"). Kept in one place so the layout stays readable and the wording is reviewed together.
// Built panels keep an empty list: their content is the real thing.
import type { PanelId } from '../store.js';

export const PANELS: Record<PanelId, { title: string; what: string; items: string[] }> = {
  presets: { title: 'Presets', what: '', items: [] },
  training: { title: 'Training', what: '', items: [] },
  internals: { title: 'Hash table internals', what: '', items: [] },
  tables: { title: 'Tables', what: '', items: [] },
  features: { title: 'Features', what: '', items: [] },
  batch: { title: 'Batch', what: '', items: [] },
  lookup: { title: 'Lookup inspector', what: '', items: [] },
  charts: { title: 'Charts', what: '', items: [] },
  tpu: {
    title: 'Virtual TPU',
    what: 'Tables replicated or sharded across 1–8 simulated cores, as TPUEmbeddingV0 and beyond.',
    items: [
      'each core with its replica or shard and its slice of the global batch',
      'a step phase by phase: lookup, backward, ring all-reduce link by link, apply',
      'per-core checksums, dropped contributions and stragglers, bytes moved per collective',
    ],
  },
  code: { title: 'Code', what: '', items: [] },
  performance: { title: 'Performance', what: '', items: [] },
};
