// Each panel's title, kept in one place so the layout, the section links and the wording are
// reviewed together.
import type { PanelId } from '../store.js';

export const PANELS: Record<PanelId, { title: string }> = {
  presets: { title: 'Presets' },
  tables: { title: 'Tables' },
  features: { title: 'Features' },
  batch: { title: 'Batch' },
  lookup: { title: 'Lookup inspector' },
  training: { title: 'Training' },
  charts: { title: 'Charts' },
  internals: { title: 'Hash table internals' },
  code: { title: 'Code' },
  tpu: { title: 'Virtual TPU' },
  performance: { title: 'Performance' },
};

/** The panels in page order (the grid's reading order; the demo follows the grid). */
export const PANEL_ORDER: PanelId[] = [
  'presets',
  'tables',
  'features',
  'batch',
  'lookup',
  'training',
  'charts',
  'internals',
  'code',
  'tpu',
  'performance',
];
