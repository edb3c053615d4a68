// The Performance page's state: its own small zustand store (its settings for the next run are
// mirrored into the workspace, and so the URL, by sync.ts; its results are not). The run happens in workers/perf.worker.ts; Cancel terminates that worker, so the
// page never waits on a case to finish. Exposed as window.perf for the e2e and bench:browser.
import { proxy, type Remote, wrap } from 'comlink';
import { create } from 'zustand';
import type { PerfApi } from '../../perf/session.js';
import { usePlayground } from '../store.js';
import { type Machine, resultsMarkdown } from './report.js';
import { type PerfEvent, type PerfRow, type PerfSize, type SectionId, SECTIONS } from '../../perf/index.js';

export type PerfPhase = 'idle' | 'running' | 'done' | 'cancelled' | 'error';

export interface PerfState {
  phase: PerfPhase;
  size: PerfSize;
  /** Sections chosen for the next run. */
  sections: SectionId[];
  /** Measure WebGL on a software renderer too (off by default). */
  softwareWebgl: boolean;
  progress: { done: number; total: number; label: string };
  rows: PerfRow[];
  notes: { section: SectionId; text: string }[];
  machine: Machine | null;
  error: string | null;
  /** The size and sections of the rows shown, and how long that run took (ms). */
  ran: { size: PerfSize; sections: SectionId[]; ms: number } | null;
  setSize(size: PerfSize): void;
  toggleSection(section: SectionId): void;
  setSoftwareWebgl(on: boolean): void;
  start(): Promise<void>;
  cancel(): void;
  /** The shown results as markdown (what "Copy as markdown" copies). */
  markdown(): string;
}

let worker: Worker | null = null;
let runId = 0;

function stopWorker(): void {
  worker?.terminate();
  worker = null;
  usePlayground.getState().setAppWorkers('benchmarks', 0);
}

export const usePerf = create<PerfState>()((set, get) => ({
  phase: 'idle',
  size: 'quick',
  sections: [...SECTIONS],
  softwareWebgl: false,
  progress: { done: 0, total: 0, label: '' },
  rows: [],
  notes: [],
  machine: null,
  error: null,
  ran: null,
  setSize: (size) => {
    if (size !== 'quick' && size !== 'full') throw new Error(`size must be 'quick' or 'full', got ${String(size)}`);
    set({ size });
  },
  toggleSection: (section) =>
    set((s) => ({
      sections: s.sections.includes(section)
        ? s.sections.filter((x) => x !== section)
        : SECTIONS.filter((x) => x === section || s.sections.includes(x)),
    })),
  setSoftwareWebgl: (on) => set({ softwareWebgl: on === true }),
  start: async () => {
    const { size, sections, phase, softwareWebgl } = get();
    if (phase === 'running') return;
    if (sections.length === 0) {
      set({ phase: 'error', error: 'Choose at least one section to run.' });
      return;
    }
    const id = ++runId;
    stopWorker();
    worker = new Worker(new URL('../../../workers/perf.worker.ts', import.meta.url), { type: 'module' });
    usePlayground.getState().setAppWorkers('benchmarks', 1);
    const remote: Remote<PerfApi> = wrap<PerfApi>(worker);
    const t0 = performance.now();
    set({
      phase: 'running',
      rows: [],
      notes: [],
      error: null,
      ran: null,
      progress: { done: 0, total: 1, label: 'Starting the benchmark worker…' },
    });
    const current = () => id === runId;
    const onEvent = (e: PerfEvent) => {
      if (!current()) return;
      if (e.kind === 'progress') set({ progress: { done: e.done, total: e.total, label: e.label } });
      else if (e.kind === 'row') set((s) => ({ rows: [...s.rows, e.row] }));
      else set((s) => ({ notes: [...s.notes, { section: e.section, text: e.text }] }));
    };
    try {
      const machine = await remote.machine();
      if (!current()) return;
      set({ machine });
      await remote.run(size, [...sections], proxy(onEvent), { softwareWebgl });
      if (!current()) return;
      set({ phase: 'done', ran: { size, sections: [...sections], ms: performance.now() - t0 } });
    } catch (err) {
      if (!current()) return;
      set({ phase: 'error', error: err instanceof Error ? err.message : String(err) });
    } finally {
      if (current()) stopWorker();
    }
  },
  cancel: () => {
    if (get().phase !== 'running') return;
    runId++;
    stopWorker();
    set((s) => ({ phase: 'cancelled', progress: { ...s.progress, label: 'Cancelled' } }));
  },
  markdown: () => resultsMarkdown(get()),
}));

declare global {
  interface Window {
    /** The Performance page's store (for tests and `npm run bench:browser`). */
    perf: typeof usePerf;
  }
}
if (typeof window !== 'undefined') window.perf = usePerf;
