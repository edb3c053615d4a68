// What the benchmark suite measures and reports: its sections, sizes, rows and events. Shared by
// the Performance page (src/app/perf), its worker and `npm run bench` (bench/run.mjs).

/** The benchmark sections, in the order they run. */
// (WebGL last: a software renderer may leave the GPU process busy after its time limit.)
export const SECTIONS = ['hashtable', 'gather', 'workers', 'train', 'gpu'] as const;
export type SectionId = (typeof SECTIONS)[number];

export const SECTION_TITLES: Record<SectionId, string> = {
  hashtable: 'Hash table vs a plain-JS table',
  gather: 'Gather bandwidth vs memory.copy',
  gpu: 'WASM vs WebGL gather',
  workers: 'Worker scaling',
  train: 'Training step vs dense tfjs',
};

export type PerfSize = 'quick' | 'full';

/** One measured figure: `value` of the engine against `baseline` measured in the same run. */
export interface PerfRow {
  section: SectionId;
  name: string;
  value: number;
  unit: string;
  /** What the baseline is (e.g. 'plain JS Map + Float32Array'). */
  baselineName?: string;
  baseline?: number;
  /** How many times better than the baseline (higher is better, whatever the unit). */
  ratio?: number;
  /** The ratio the project aims for (e.g. '>= 10x plain JS'); `npm run bench` prints it. */
  target?: string;
  note?: string;
  /** Plain parameters for the charts (size, distribution, operation, ...). */
  params: Record<string, string | number>;
}

/** What the run reports as it goes. */
export type PerfEvent =
  | { kind: 'progress'; done: number; total: number; label: string }
  | { kind: 'row'; row: PerfRow }
  | { kind: 'note'; section: SectionId; text: string };
