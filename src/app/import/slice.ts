// The feature-log importer's slice of the app store: plain data (progress, the read summary, a
// page of columns, the roles chosen, the built log's summary). The import worker lives in this
// module, outside the store: it reads, types and holds the file's rows; Cancel terminates it.
import { proxy, type Remote, wrap } from 'comlink';
import type { FeatureTarget, MappedColumn } from '../../playground/import/build.js';
import type { ColumnType } from '../../playground/import/columns.js';
import type { BuildSummary, ColumnPage, ImportApi, ReadSummary } from '../../playground/import/session.js';
import { LIMITS, type Workspace } from '../../playground/workspace/index.js';
import { type NewFeature, planImport, type RoleChoice, withImportedFeatures } from './plan.js';

export type { RoleChoice } from './plan.js';

/** Columns listed per page of the mapping table (a log may have 300,000). */
export const PAGE_COLUMNS = 12;

export interface ImportSlice {
  importProgress: { done: number; total: number; name: string } | null;
  importRead: ReadSummary | null;
  /** The last failure or cancellation, in words. */
  importMessage: string | null;
  importPage: ColumnPage | null;
  importFilter: string;
  importOffset: number;
  /** Role per column index (columns not listed are ignored). */
  importRoles: Record<number, RoleChoice>;
  /** Types changed by the person, per column index. */
  importTypes: Record<number, ColumnType>;
  importBusy: boolean;
  importBuilt: (BuildSummary & { newFeatures: string[] }) | null;
  /** The next row "Use rows" takes. */
  importCursor: number;
  /** Training reads this log (its rows and label) instead of the generator. */
  importTraining: { id: number; name: string; rows: number } | null;
  importOpen(file: File): Promise<void>;
  importCancel(): void;
  importShowColumns(offset: number, filter: string): Promise<void>;
  importRetype(index: number, type: ColumnType): Promise<void>;
  importSetRole(index: number, role: RoleChoice): void;
  importApply(): Promise<void>;
  importUseRows(): Promise<void>;
  importTrainOnLog(on: boolean): Promise<void>;
}

/** What the slice reads and calls in the rest of the store (given by the store: no import of it). */
export interface ImportHost {
  workspace: Workspace;
  setBatchText(feature: string, text: string): void;
  setAppWorkers(role: 'feature log importer', count: number): void;
}

type Full = ImportSlice & ImportHost;
type Set = (partial: Partial<Full> | ((s: Full) => Partial<Full>)) => void;
type Get = () => Full;

let worker: Worker | null = null;
let remote: Remote<ImportApi> | null = null;
/** Rejects the call in flight when Cancel ends the worker (comlink never settles it then). */
let cancelInFlight: ((e: Error) => void) | null = null;
/** Which import the progress callbacks belong to: Cancel moves it on. */
let importSerial = 0;
let logSerial = 0;
let host: Get | null = null;

function ensureWorker(): Remote<ImportApi> {
  if (!remote) {
    worker = new Worker(new URL('../../../workers/import.worker.ts', import.meta.url), { type: 'module' });
    host?.().setAppWorkers('feature log importer', 1);
    remote = wrap<ImportApi>(worker);
  }
  return remote;
}

/**
 * The built log as JSON, for the engine worker when training reads it (the training controller
 * sends it with setImportedLog before configuring a model whose source is the log).
 */
export function importedLogJson(): Promise<string> {
  if (!remote)
    return Promise.reject(new Error('The imported log is gone (the import was cancelled): import it again.'));
  return remote.logJson();
}

/** Runs a worker call that Cancel can end. */
function cancellable<T>(call: (r: Remote<ImportApi>) => Promise<T>): Promise<T> {
  const r = ensureWorker();
  return new Promise<T>((resolve, reject) => {
    cancelInFlight = reject;
    call(r).then(resolve, reject);
  }).finally(() => {
    cancelInFlight = null;
  });
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function createImportSlice(set: Set, get: Get): ImportSlice {
  host = get;
  const state = get;

  const showColumns = async (offset: number, filter: string) => {
    const page = await ensureWorker().columns(offset, PAGE_COLUMNS, filter);
    set({ importPage: page, importOffset: offset, importFilter: filter });
  };

  /** Training reads the built log (a new id: the controller sends it, and the model starts over). */
  const feedTraining = (name: string, rows: number) => set({ importTraining: { id: ++logSerial, name, rows } });

  return {
    importProgress: null,
    importRead: null,
    importMessage: null,
    importPage: null,
    importFilter: '',
    importOffset: 0,
    importRoles: {},
    importTypes: {},
    importBusy: false,
    importBuilt: null,
    importCursor: 0,
    importTraining: null,

    importOpen: async (file) => {
      set({
        importProgress: { done: 0, total: file.size, name: file.name },
        importMessage: null,
        importRead: null,
        importPage: null,
        importBuilt: null,
        importRoles: {},
        importTypes: {},
        importCursor: 0,
        importTraining: null,
      });
      try {
        // A progress message already on its way when Cancel ended the worker must not bring the bar back.
        const mine = ++importSerial;
        const onProgress = proxy((done: number, total: number) => {
          if (mine === importSerial) set({ importProgress: { done, total, name: file.name } });
        });
        // Reading, typing and the first page of columns: Cancel ends any of them.
        const { read, suggested, page } = await cancellable(async (r) => {
          const read = await r.open(file, file.name, onProgress);
          const suggested = await r.suggestRoles(state().workspace.features.map((f) => f.name));
          const page = await r.columns(0, PAGE_COLUMNS, '');
          return { read, suggested, page };
        });
        const roles: Record<number, RoleChoice> = {};
        for (const s of suggested) roles[s.index] = s.role;
        set({ importRead: read, importRoles: roles, importPage: page, importOffset: 0, importFilter: '' });
      } catch (e) {
        set({
          importMessage:
            e instanceof Error && e.name === 'ImportCancelled' ? 'Import cancelled.' : `Import failed: ${message(e)}`,
        });
      } finally {
        set({ importProgress: null });
      }
    },

    importCancel: () => {
      worker?.terminate();
      worker = null;
      remote = null;
      state().setAppWorkers('feature log importer', 0);
      const e = new Error('The import was cancelled.');
      e.name = 'ImportCancelled';
      importSerial++;
      cancelInFlight?.(e);
      set({ importRead: null, importPage: null, importBuilt: null, importBusy: false, importProgress: null });
    },

    importShowColumns: (offset, filter) => showColumns(Math.max(0, offset), filter),

    importRetype: async (index, type) => {
      await ensureWorker().retype(index, type);
      set((s) => ({ importTypes: { ...s.importTypes, [index]: type } }));
      await showColumns(state().importOffset, state().importFilter);
    },

    importSetRole: (index, role) => set((s) => ({ importRoles: { ...s.importRoles, [index]: role } })),

    importApply: async () => {
      const s = state();
      set({ importBusy: true, importMessage: null });
      try {
        const r = ensureWorker();
        // Typing of the mapped columns (only those; a log may have 300,000 columns).
        const used = Object.entries(s.importRoles)
          .map(([k, role]) => [Number(k), role] as const)
          .filter(([, role]) => role.role !== 'ignore');
        const infos = await Promise.all(
          used.map(async ([index]) => (await r.columns(index, 1, '')).columns[0] ?? null),
        );
        const plan = planImport(
          s.workspace,
          used.map(([index, role], k) => ({ index, role, info: infos[k] })),
        );
        if (!plan.ok) throw new Error(plan.message);
        const mapping: MappedColumn[] = plan.mapping;
        const targets: FeatureTarget[] = plan.targets;
        const built = await r.build(mapping, targets);
        // The mapping worked: now the workspace gets the new features (and weights switched on).
        const next = withImportedFeatures(state().workspace, plan.newFeatures as NewFeature[], plan.weighted);
        if (next !== state().workspace) set({ workspace: next });
        set({ importBuilt: { ...built, newFeatures: plan.newFeatures.map((f) => f.name) }, importCursor: 0 });
        const training = state().importTraining;
        if (training) {
          if (built.hasLabels && built.rows > 0) feedTraining(training.name, built.rows);
          else set({ importTraining: null });
        }
      } catch (e) {
        set({ importMessage: `The mapping was not applied: ${message(e)}` });
      } finally {
        set({ importBusy: false });
      }
    },

    importUseRows: async () => {
      const s = state();
      const built = s.importBuilt;
      if (!built || built.rows === 0) return;
      const from = s.importCursor;
      const b = await ensureWorker().batchTexts(from, s.workspace.generator.batchSize, LIMITS.batchText);
      for (const [feature, text] of b.texts) state().setBatchText(feature, text);
      const next = from + b.rows >= built.rows ? 0 : from + b.rows;
      set({
        importCursor: next,
        importMessage: `The batch is rows ${from + 1}–${from + b.rows} of the log.${b.note ? ` ${b.note}` : ''}`,
      });
    },

    importTrainOnLog: async (on) => {
      if (!on) {
        set({ importTraining: null });
        return;
      }
      const s = state();
      if (!s.importBuilt?.hasLabels || !s.importRead) return;
      feedTraining(s.importRead.name, s.importBuilt.rows);
    },
  };
}
