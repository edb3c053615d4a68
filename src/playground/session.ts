// The playground session: everything the playground page does with the engine, headless. It holds
// the workspace's tables (in-process or on the worker pool), inspects lookups, shows the hash
// tables' internals and the tiny-table demo, trains the default model, steps back, saves and
// restores the trained state and exports it. workers/playground.worker.ts exposes one over comlink;
// Node tests drive one directly (session.test.ts). Inputs are plain JSON (the page has already
// validated them), outputs plain data and typed arrays (see protocol.ts).
import * as tf from '@tensorflow/tfjs';
import * as de from '../engine/index.js';
import type {
  ConfigureReply,
  ExportedFiles,
  FreshRequest,
  GatherInfo,
  LookupReply,
  ModelSettings,
  NormHistogram,
  PlaygroundApi,
  RestoreReply,
  SavedTraining,
  ShardInternals,
  StepsReply,
  TinyState,
  TrainFeature,
  WorkerBatch,
  WorkerFeature,
  WorkerTable,
} from './protocol.js';
import { GatherChoices } from './session/gather.js';
import { Inspector } from './session/inspect.js';
import { shardInternals, TinyTable } from './session/internals.js';
import { isPooled, type PoolOptions, TableRegistry } from './session/tables.js';
import { Training } from './session/training.js';

/**
 * One playground: its tables, inspector, internals, tiny table and model.
 *
 * @example
 * const s = new PlaygroundSession();
 * await s.init();
 * await s.sync([table]);
 * (await s.lookup(table, feature, batch)).shape; // e.g. [3, 2, 8]
 * await s.trainConfigure([table], [feature], settings);
 * (await s.trainSteps(10)).metrics.map((m) => m.loss);
 */
export class PlaygroundSession implements PlaygroundApi {
  private readonly tables: TableRegistry;
  private readonly gather = new GatherChoices();
  private readonly inspector: Inspector;
  private readonly training: Training;
  private readonly tiny = new TinyTable();

  /** `pool`: how the worker pool starts when a table is placed on it (the browser passes a spawner). */
  constructor(pool: PoolOptions = {}) {
    this.tables = new TableRegistry(pool);
    this.inspector = new Inspector(this.tables, this.gather);
    this.training = new Training(this.tables);
  }

  async init(): Promise<de.BackendInfo> {
    await de.ready();
    await tf.ready();
    return de.backendInfo();
  }

  async sync(specs: WorkerTable[], fresh: FreshRequest[] = []): Promise<Record<string, number>> {
    this.training.applyFresh(fresh);
    return this.tables.sync(specs);
  }

  gatherChoice(asked: WorkerTable['gather']): Promise<GatherInfo> {
    return this.gather.choose(asked);
  }

  lookup(t: WorkerTable, f: WorkerFeature, b: WorkerBatch): Promise<LookupReply> {
    return this.inspector.lookup(t, f, b);
  }

  setImportedLog(id: number, json: string): void {
    this.training.setImportedLog(id, json);
  }

  trainConfigure(
    specs: WorkerTable[],
    features: TrainFeature[],
    config: ModelSettings,
    fresh: FreshRequest[] = [],
  ): Promise<ConfigureReply> {
    return this.training.configure(specs, features, config, fresh);
  }

  trainSteps(n: number): Promise<StepsReply> {
    return this.training.steps(n);
  }

  trainStepBack(): Promise<{ step: number; histograms: NormHistogram[]; sizes: Record<string, number> }> {
    return this.training.stepBack();
  }

  trainReset(): Promise<{ histograms: NormHistogram[]; sizes: Record<string, number> }> {
    return this.training.reset();
  }

  trainSave(): Promise<SavedTraining | null> {
    return this.training.save();
  }

  trainRestore(
    saved: SavedTraining,
    specs: WorkerTable[],
    features: TrainFeature[],
    config: ModelSettings,
    allSpecs: WorkerTable[],
  ): Promise<RestoreReply> {
    return this.training.restore(saved, specs, features, config, allSpecs);
  }

  internals(name: string): ShardInternals[] | null {
    const v = this.tables.get(name)?.value;
    if (!v || isPooled(v)) return null;
    return shardInternals(v);
  }

  tinyReset(seed: number): TinyState {
    return this.tiny.reset(seed);
  }

  tinyInsert(): TinyState {
    return this.tiny.insert();
  }

  tinyRemove(): TinyState {
    return this.tiny.remove();
  }

  exportFiles(): Promise<ExportedFiles> {
    return this.training.exportFiles();
  }

  /** Frees the model, the tables, the tiny table, and stops the worker pool. */
  async dispose(): Promise<void> {
    this.training.dispose();
    this.tiny.dispose();
    await this.tables.dispose();
  }
}
