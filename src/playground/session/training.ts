// The session's training: one model (Trainer) over the registry's tables, rebuilt only when its
// configuration changes; steps, step back, reset; and the trained state saved for a reload and
// restored into a model with exactly the same settings (in-process tables through de.checkpoint,
// pooled tables part by part: rows, restrict status, optimizer slots).
import * as de from '../../engine/index.js';
import type {
  ConfigureReply,
  ExportedFiles,
  FreshRequest,
  ModelSettings,
  NormHistogram,
  RestoreReply,
  SavedPooledTable,
  SavedTraining,
  StepsReply,
  TrainFeature,
  WorkerTable,
} from '../protocol.js';
import { restorePooled, restoreProblem, savePooled } from '../training/pooled-state.js';
import { OTHER_SETTINGS } from '../training/saved.js';
import type { ImportedLog } from '../import/build.js';
import { Trainer } from '../training/trainer.js';
import { type AnyVariable, isPooled, type TableRegistry } from './tables.js';

/**
 * The model of a session and what the page asks of it.
 *
 * @example
 * const training = new Training(tables);
 * await training.configure(specs, features, settings);
 * (await training.steps(10)).metrics.length; // 10
 */
export class Training {
  private trainer: Trainer | null = null;
  private trainerKey = '';
  /** The feature log imported in the page, which training may read instead of the generator. */
  private importedLog: { id: number; log: ImportedLog } | null = null;

  constructor(private readonly tables: TableRegistry) {}

  private requireTrainer(): Trainer {
    if (!this.trainer) throw new Error('Training is not configured yet.');
    return this.trainer;
  }

  private histograms(t: Trainer): Promise<NormHistogram[]> {
    // Shared bins: a bar covers the same norm range for every table.
    return t.normHistograms([...new Set(t.features.map((f) => f.table))]);
  }

  /** Empties the tables the page emptied on purpose; a model reading them is rebuilt on its next configure. */
  applyFresh(fresh: FreshRequest[]): void {
    if (this.tables.applyFresh(fresh)) this.trainerKey = '';
  }

  /** Holds an imported log (JSON from the import worker) for a model whose settings name its id. */
  setImportedLog(id: number, json: string): void {
    this.importedLog = { id, log: JSON.parse(json) as ImportedLog };
  }

  async configure(
    specs: WorkerTable[],
    features: TrainFeature[],
    config: ModelSettings,
    fresh: FreshRequest[] = [],
  ): Promise<ConfigureReply> {
    this.applyFresh(fresh);
    // The gather path only changes how the inspector reads: it does not start training over.
    const key = JSON.stringify([specs.map((s) => ({ ...s, gather: undefined })), features, config]);
    if (this.trainer && key === this.trainerKey) {
      return {
        rebuilt: false,
        step: this.trainer.step,
        histograms: await this.histograms(this.trainer),
        summary: this.trainer.summary,
        sizes: await this.tables.sizes(),
        reference: this.trainer.reference(),
      };
    }
    // A model that cannot be built throws before anything changes (the old one keeps training).
    for (const s of specs) await this.tables.variableFor(s);
    let log: ImportedLog | null = null;
    if (config.source?.kind === 'log') {
      if (this.importedLog?.id !== config.source.id) {
        throw new Error('The imported log is not loaded here any more: import it again.');
      }
      log = this.importedLog.log;
    }
    const next = new Trainer(
      { tables: specs, features, ...config },
      (name) => this.tables.current(name),
      (name) => this.tables.get(name)!.options,
      log,
    );
    this.trainer?.dispose();
    this.trainer = next;
    this.trainerKey = key;
    // The tables keep the rows they hold (a table whose creation fields changed was recreated
    // empty above): the new model starts at step 0 from them.
    await next.start();
    return {
      rebuilt: true,
      step: 0,
      histograms: await this.histograms(next),
      summary: next.summary,
      sizes: await this.tables.sizes(),
      reference: next.reference(),
    };
  }

  async steps(n: number): Promise<StepsReply> {
    const t = this.requireTrainer();
    const t0 = performance.now();
    const metrics = [];
    for (let i = 0; i < n; i++) metrics.push(await t.runStep());
    return {
      metrics,
      histograms: await this.histograms(t),
      sizes: await this.tables.sizes(),
      ms: performance.now() - t0,
    };
  }

  async stepBack(): Promise<{ step: number; histograms: NormHistogram[]; sizes: Record<string, number> }> {
    const t = this.requireTrainer();
    const step = await t.stepBack();
    return { step, histograms: await this.histograms(t), sizes: await this.tables.sizes() };
  }

  async reset(): Promise<{ histograms: NormHistogram[]; sizes: Record<string, number> }> {
    const t = this.requireTrainer();
    await t.reset();
    return { histograms: await this.histograms(t), sizes: await this.tables.sizes() };
  }

  /**
   * The trained state to keep across a reload: every in-process table (de.checkpoint.save, with
   * the model's optimizers), every table on the worker pool (its rows, restrict status and the
   * optimizer slots kept on the workers), the head and the step. Null when there is no model.
   */
  async save(): Promise<SavedTraining | null> {
    const trainer = this.trainer;
    if (!trainer) return null;
    const held = [...this.tables.entries()]
      .filter(([, h]) => h.value)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, h]) => [name, h.value as AnyVariable] as const);
    const local = held.filter(([, v]) => !isPooled(v));
    const pooled: SavedPooledTable[] = [];
    for (const [, v] of held) if (isPooled(v)) pooled.push(await savePooled(v, trainer.optimizers));
    const head = trainer.headState();
    return {
      v: 2,
      key: this.trainerKey,
      step: trainer.step,
      globalStep: de.train.globalStep(),
      tables: local.map(([name]) => name),
      checkpoint: await de.checkpoint.save([...local.map(([, v]) => v as de.Variable), ...trainer.optimizers]),
      pooled,
      dense: head.dense,
      denseSlots: head.denseSlots,
    };
  }

  /**
   * Builds the model for these settings and, when a saved state belongs to exactly this model and
   * these tables, restores it (in-process tables and optimizers, pooled tables with their status
   * and slots, head, step). A state that does not fit changes nothing and says why.
   */
  async restore(
    saved: SavedTraining,
    specs: WorkerTable[],
    features: TrainFeature[],
    config: ModelSettings,
    allSpecs: WorkerTable[],
  ): Promise<RestoreReply> {
    await this.tables.sync(allSpecs);
    const built = await this.configure(specs, features, config);
    const t = this.requireTrainer();
    const no = async (reason: string): Promise<RestoreReply> => ({
      restored: false,
      reason,
      step: t.step,
      histograms: await this.histograms(t),
      sizes: await this.tables.sizes(),
    });
    if (saved.key !== this.trainerKey) return no(OTHER_SETTINGS);
    if (built.step !== 0) return no('the model is not at a fresh start');
    const vars: de.Variable[] = [];
    for (const name of saved.tables) {
      const v = this.tables.get(name)?.value;
      if (!v || isPooled(v)) return no(`table ${name} is not an in-process table here`);
      vars.push(v);
    }
    const pooled: [SavedPooledTable, de.pool.PooledVariable][] = [];
    for (const p of saved.pooled) {
      const v = this.tables.get(p.name)?.value;
      if (!v || !isPooled(v)) return no(`table ${p.name} is not on the worker pool here`);
      const problem = restoreProblem(p, v, t.optimizers);
      if (problem) return no(problem);
      pooled.push([p, v]);
    }
    for (const name of t.pooledTables) {
      if (!saved.pooled.some((p) => p.name === name)) return no(`table ${name} on the worker pool was not saved`);
    }
    // de.checkpoint.restore checks the whole checkpoint before it changes anything.
    await de.checkpoint.restore(saved.checkpoint, [...vars, ...t.optimizers]);
    try {
      for (const [p, v] of pooled) await restorePooled(p, v, t.optimizers);
      await t.resume(saved.step, saved.globalStep, saved.dense, saved.denseSlots);
    } catch (e) {
      // Part of it was written: start the model over from empty tables rather than a mix.
      await t.reset();
      return no(e instanceof Error ? e.message : String(e));
    }
    return {
      restored: true,
      reason: '',
      step: t.step,
      histograms: await this.histograms(t),
      sizes: await this.tables.sizes(),
    };
  }

  /** The checkpoint, the .npy files and the TFRA script for the trained tables. */
  exportFiles(): Promise<ExportedFiles> {
    return this.requireTrainer().exportFiles();
  }

  dispose(): void {
    this.trainer?.dispose();
    this.trainer = null;
    this.trainerKey = '';
  }
}
