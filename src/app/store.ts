// The app's one zustand store, in slices. Components read with selectors; engine calls go
// through actions beside the state. No class instances or Maps live in state. Fast-changing
// data (per-step metrics) does not live here: see metrics.ts (ring buffers read on frames).
import { create } from 'zustand';
import type { LookupReply } from '../playground/protocol.js';
import { createDemoSlice, type DemoSlice } from './demo/slice.js';
import { createImportSlice, type ImportSlice } from './import/slice.js';
import { createMovieLensSlice, type MovieLensSlice } from './movielens/slice.js';
import { createTpuSlice, type TpuSlice } from './tpu/slice.js';
import { createTrainingSlice, type TrainingSlice } from './training/slice.js';
import { heldKeys, markFresh } from './runtime/held.js';
import { type Discard, discardsOf } from '../playground/workspace/index.js';
import { PRESETS } from '../playground/workspace/index.js';
import {
  defaultFeature,
  defaultTable,
  defaultWorkspace,
  type FeatureSpec,
  type GeneratorSpec,
  LIMITS,
  type TableSpec,
  type TrainingSpec,
  type Workspace,
} from '../playground/workspace/index.js';

export type EngineStatus =
  | { phase: 'loading' }
  | { phase: 'error'; message: string }
  | {
      phase: 'ready';
      wasm: 'simd' | 'scalar';
      crossOriginIsolated: boolean;
      tfjsBackend: string;
      gather: 'wasm' | 'webgl';
      gatherReason: string;
    };

/** The app's own Web Workers, by what they do (the header shows them). */
export type AppWorkerRole =
  | 'playground engine'
  | 'recommender demo'
  | 'MovieLens recommender'
  | 'benchmarks'
  | 'Virtual TPU cores'
  | 'feature log importer';

export interface EngineSlice {
  engine: EngineStatus;
  setEngine(status: EngineStatus): void;
  /** Running Web Workers of the app, per role. */
  appWorkers: Partial<Record<AppWorkerRole, number>>;
  setAppWorkers(role: AppWorkerRole, count: number): void;
}

export type PanelId =
  | 'presets'
  | 'tables'
  | 'features'
  | 'batch'
  | 'lookup'
  | 'training'
  | 'charts'
  | 'internals'
  | 'tpu'
  | 'code'
  | 'performance';

export interface LayoutSlice {
  /** The panel expanded to full width, or null for the grid. */
  focused: PanelId | null;
  focus(panel: PanelId | null): void;
}

export interface Notice {
  kind: 'error' | 'info';
  text: string;
}

export interface WorkspaceSlice {
  workspace: Workspace;
  /** Where the workspace came from at start-up, for the banner and the tests. */
  origin: 'defaults' | 'url' | 'saved' | 'preset';
  /** The preset last loaded, if the workspace still is that preset untouched or edited from it. */
  preset: string | null;
  notice: Notice | null;
  setNotice(notice: Notice | null): void;
  loadWorkspace(w: Workspace, origin: WorkspaceSlice['origin'], preset?: string | null): void;
  loadPreset(id: string): void;
  addTable(): void;
  duplicateTable(index: number): void;
  removeTable(index: number): void;
  /** Patches a table; a new name is carried into the features that use it. */
  updateTable(index: number, patch: Partial<TableSpec>): void;
  addFeature(): void;
  removeFeature(index: number): void;
  /** Patches a feature; a new name carries its batch text along. */
  updateFeature(index: number, patch: Partial<FeatureSpec>): void;
  setBatchText(feature: string, text: string): void;
  setGenerator(patch: Partial<GeneratorSpec>): void;
  setTraining(patch: Partial<TrainingSpec>): void;
}

/** A change that would empty tables holding keys, waiting for the person to decide. */
export interface PendingDiscard {
  /** What was asked for, in words ("Change embedding", "Delete user_emb", "Load preset …"). */
  what: string;
  discards: Discard[];
  /** The state to apply on "Discard data and apply". */
  next: Pick<PlaygroundState, 'workspace'> &
    Partial<Pick<PlaygroundState, 'origin' | 'preset' | 'batchFeature' | 'notice'>>;
  replace: boolean;
}

export interface DiscardSlice {
  pendingDiscard: PendingDiscard | null;
  /** Bumped when a change is not applied (Keep data), so editors show the kept values again. */
  editRevision: number;
  confirmDiscard(): void;
  keepData(): void;
}

export interface BatchUiSlice {
  /** The feature whose batch the Batch panel shows. */
  batchFeature: string | null;
  setBatchFeature(name: string): void;
}

/** What the engine holds, as last reported by the worker (small numbers only, never per step). */
export interface TableDataSlice {
  /** Keys held per table name; a table with keys asks before a change discards them. */
  tableSizes: Record<string, number>;
  setTableSizes(sizes: Record<string, number>): void;
}

export type WorkerStatus = { phase: 'starting' } | { phase: 'ready' } | { phase: 'error'; message: string };

/** The inspector's last lookup: the engine's reply (plain data) and the rule that predicted its shape. */
export type LookupState =
  | { phase: 'idle' }
  | { phase: 'running' }
  | { phase: 'error'; message: string }
  | {
      phase: 'done';
      rule: string;
      ruleShape: number[];
      maxNorm: number;
      batchShape: number[] | null;
      /** Per output vector, the ids (and weights) that made it and how (lookup/provenance.ts). */
      outputLabels: string[];
      reply: LookupReply;
    };

export interface LookupSlice {
  worker: WorkerStatus;
  setWorker(status: WorkerStatus): void;
  lookup: LookupState;
  setLookup(state: LookupState): void;
}

export type PlaygroundState = EngineSlice &
  LayoutSlice &
  WorkspaceSlice &
  BatchUiSlice &
  TableDataSlice &
  LookupSlice &
  DiscardSlice;

function freeName(taken: Iterable<string>, stem: string): string {
  const set = new Set(taken);
  if (!set.has(stem)) return stem;
  for (let i = 2; ; i++) if (!set.has(`${stem}_${i}`)) return `${stem}_${i}`;
}

type SetState = (fn: (s: PlaygroundState) => Partial<PlaygroundState>) => void;

function editWorkspace(set: SetState, fn: (w: Workspace) => Workspace | null): void {
  set((s) => {
    const next = fn(s.workspace);
    return next ? { workspace: next } : {};
  });
}

function gatedEdit(set: SetState, what: (w: Workspace) => string, fn: (w: Workspace) => Workspace | null): void {
  gated(set, what, (s) => {
    const w = fn(s.workspace);
    return w ? { workspace: w } : null;
  });
}

/** The state after applying a change that empties `discards`: the worker is asked to recreate them. */
function applied(s: PlaygroundState, p: PendingDiscard): Partial<PlaygroundState> {
  const names = p.replace ? s.workspace.tables.map((t) => t.name) : p.discards.map((d) => d.table);
  markFresh(names);
  const tableSizes = { ...s.tableSizes };
  for (const n of names) tableSizes[n] = 0;
  return { ...p.next, tableSizes, pendingDiscard: null };
}

/**
 * Applies a change to the tables, or, when it would empty tables that hold keys, holds it for the
 * person to confirm (the dialog offers "Discard data and apply" and "Keep data").
 */
function gated(
  set: SetState,
  what: string | ((w: Workspace) => string),
  fn: (s: PlaygroundState) => PendingDiscard['next'] | null,
  replace = false,
): void {
  set((s) => {
    const next = fn(s);
    if (!next) return {};
    const sizes = { ...s.tableSizes, ...heldKeys };
    const p: PendingDiscard = {
      what: typeof what === 'string' ? what : what(s.workspace),
      discards: discardsOf(s.workspace, next.workspace, sizes, replace),
      next,
      replace,
    };
    if (p.discards.length > 0) return { pendingDiscard: p };
    return replace ? applied(s, p) : p.next;
  });
}
/** The slices over real data (#17): the feature-log importer and MovieLens. */
type DataSlices = ImportSlice & MovieLensSlice;

export const usePlayground = create<PlaygroundState & TpuSlice & TrainingSlice & DemoSlice & DataSlices>()(
  (set, get) => ({
    engine: { phase: 'loading' },
    setEngine: (engine) => set({ engine }),
    appWorkers: {},
    setAppWorkers: (role, count) => set((s) => ({ appWorkers: { ...s.appWorkers, [role]: count } })),
    focused: null,
    focus: (focused) => set({ focused }),

    workspace: defaultWorkspace(),
    origin: 'defaults',
    preset: null,
    notice: null,
    setNotice: (notice) => set({ notice }),
    loadWorkspace: (workspace, origin, preset = null) =>
      set((s) => ({
        workspace,
        origin,
        preset,
        batchFeature: workspace.features.some((f) => f.name === s.batchFeature)
          ? s.batchFeature
          : workspace.features[0].name,
      })),
    loadPreset: (id) => {
      const p = PRESETS.find((x) => x.id === id);
      if (!p) throw new Error(`No preset named ${id}; presets: ${PRESETS.map((x) => x.id).join(', ')}.`);
      const w = p.build();
      gated(
        set,
        `Load preset: ${p.title}`,
        () => ({ workspace: w, origin: 'preset', preset: id, batchFeature: w.features[0].name, notice: null }),
        true,
      );
    },
    addTable: () =>
      editWorkspace(set, (w) =>
        w.tables.length >= LIMITS.tables
          ? null
          : {
              ...w,
              tables: [
                ...w.tables,
                defaultTable(
                  freeName(
                    w.tables.map((t) => t.name),
                    'table',
                  ),
                ),
              ],
            },
      ),
    duplicateTable: (i) =>
      editWorkspace(set, (w) => {
        if (w.tables.length >= LIMITS.tables || !w.tables[i]) return null;
        const copy = {
          ...w.tables[i],
          name: freeName(
            w.tables.map((t) => t.name),
            `${w.tables[i].name}_copy`,
          ),
        };
        return { ...w, tables: [...w.tables.slice(0, i + 1), copy, ...w.tables.slice(i + 1)] };
      }),
    removeTable: (i) =>
      gatedEdit(
        set,
        (w) => `Delete ${w.tables[i]?.name ?? 'table'}`,
        (w) => {
          const t = w.tables[i];
          if (!t || w.tables.length <= 1) return null;
          const tables = w.tables.filter((_, k) => k !== i);
          // Features of the removed table move to the first remaining table rather than dangle.
          const features = w.features.map((f) => (f.table === t.name ? { ...f, table: tables[0].name } : f));
          return { ...w, tables, features };
        },
      ),
    updateTable: (i, patch) =>
      gatedEdit(
        set,
        (w) => `Change ${w.tables[i]?.name ?? 'table'}`,
        (w) => {
          const old = w.tables[i];
          if (!old) return null;
          const t = { ...old, ...patch };
          const tables = w.tables.map((x, k) => (k === i ? t : x));
          const features =
            t.name === old.name
              ? w.features
              : w.features.map((f) => (f.table === old.name ? { ...f, table: t.name } : f));
          return { ...w, tables, features };
        },
      ),
    addFeature: () =>
      editWorkspace(set, (w) => {
        if (w.features.length >= LIMITS.features) return null;
        const name = freeName(
          w.features.map((f) => f.name),
          'feature',
        );
        return {
          ...w,
          features: [...w.features, defaultFeature(name, w.tables[0].name)],
          batches: { ...w.batches, [name]: '[[1, 2], [3, 4]]' },
        };
      }),
    removeFeature: (i) =>
      set((s) => {
        const w = s.workspace;
        const f = w.features[i];
        if (!f || w.features.length <= 1) return {};
        const features = w.features.filter((_, k) => k !== i);
        const batches = { ...w.batches };
        delete batches[f.name];
        const training = { ...w.training, itemFeatures: w.training.itemFeatures.filter((n) => n !== f.name) };
        return {
          workspace: { ...w, features, batches, training },
          batchFeature: s.batchFeature === f.name ? features[0].name : s.batchFeature,
        };
      }),
    updateFeature: (i, patch) =>
      set((s) => {
        const w = s.workspace;
        const old = w.features[i];
        if (!old) return {};
        const f = { ...old, ...patch };
        const features = w.features.map((x, k) => (k === i ? f : x));
        let batches = w.batches;
        let training = w.training;
        if (f.name !== old.name) {
          batches = { ...w.batches, [f.name]: w.batches[old.name] ?? '' };
          delete batches[old.name];
          training = { ...training, itemFeatures: training.itemFeatures.map((n) => (n === old.name ? f.name : n)) };
        }
        return {
          workspace: { ...w, features, batches, training },
          batchFeature: s.batchFeature === old.name ? f.name : s.batchFeature,
        };
      }),
    setBatchText: (feature, text) =>
      editWorkspace(set, (w) => ({ ...w, batches: { ...w.batches, [feature]: text.slice(0, LIMITS.batchText) } })),
    setGenerator: (patch) => editWorkspace(set, (w) => ({ ...w, generator: { ...w.generator, ...patch } })),
    setTraining: (patch) => editWorkspace(set, (w) => ({ ...w, training: { ...w.training, ...patch } })),

    batchFeature: 'user_id',
    setBatchFeature: (batchFeature) => set({ batchFeature }),

    tableSizes: {},
    setTableSizes: (tableSizes) => set({ tableSizes }),

    pendingDiscard: null,
    editRevision: 0,
    confirmDiscard: () => set((s) => (s.pendingDiscard ? applied(s, s.pendingDiscard) : {})),
    keepData: () => set((s) => ({ pendingDiscard: null, editRevision: s.editRevision + 1 })),

    worker: { phase: 'starting' },
    setWorker: (worker) => set({ worker }),
    lookup: { phase: 'idle' },
    setLookup: (lookup) => set({ lookup }),

    ...createTpuSlice(set),
    ...createDemoSlice(set),
    ...createMovieLensSlice(set, get),
    ...createTrainingSlice(set),
    ...createImportSlice(set, get),
  }),
);
