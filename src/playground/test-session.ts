// A playground session driven the way the page drives it, for Node tests (as tldraw's TestEditor
// drives its editor headless): load a preset or a workspace, inspect a feature's typed batch,
// train, step back, save and restore, export. Every request is built by the same functions the
// page uses (workspace/requests.ts), so a test exercises the page's path without a browser.
import { parseBatch } from './batch/parse.js';
import type { ConfigureReply, LookupReply, RestoreReply, SavedTraining, StepsReply } from './protocol.js';
import { PlaygroundSession } from './session.js';
import type { PoolOptions } from './session/tables.js';
import { PRESETS } from './workspace/presets.js';
import { toWorkerBatch, toWorkerFeature, toWorkerTable, trainingInputs } from './workspace/requests.js';
import type { Workspace } from './workspace/schema.js';
import { validateWorkspace } from './workspace/validate.js';

/**
 * A session and the workspace it serves.
 *
 * @example
 * const t = await TestSession.create();
 * await t.loadPreset('tfra-embedding');
 * (await t.inspect()).shape; // [3, 2, 8]
 * await t.train(10);
 */
export class TestSession {
  private constructor(
    readonly session: PlaygroundSession,
    public workspace: Workspace,
  ) {}

  /** A started session serving `workspace` (the default one unless given). */
  static async create(workspace?: Workspace, pool: PoolOptions = {}): Promise<TestSession> {
    const session = new PlaygroundSession(pool);
    await session.init();
    const t = new TestSession(session, validateWorkspace(workspace ?? PRESETS[0].build()));
    await t.load(t.workspace);
    return t;
  }

  /** Loads a workspace (validated, as one from a link); returns each table's size. */
  async load(workspace: Workspace): Promise<Record<string, number>> {
    this.workspace = validateWorkspace(workspace);
    return this.session.sync(this.workspace.tables.map(toWorkerTable));
  }

  /** Loads a preset by id (PRESETS); throws naming the ids there are. */
  loadPreset(id: string): Promise<Record<string, number>> {
    const preset = PRESETS.find((p) => p.id === id);
    if (!preset) throw new Error(`No preset ${id}: the presets are ${PRESETS.map((p) => p.id).join(', ')}.`);
    return this.load(preset.build());
  }

  /** Looks up a feature's typed batch (the first feature unless named), as the Lookup panel does. */
  async inspect(featureName?: string): Promise<LookupReply> {
    const w = this.workspace;
    const feature = featureName === undefined ? w.features[0] : w.features.find((f) => f.name === featureName);
    if (!feature) throw new Error(`No feature ${featureName} in the workspace.`);
    const table = w.tables.find((t) => t.name === feature.table)!;
    const parsed = parseBatch(w.batches[feature.name] ?? '', { keyDtype: table.keyDtype, table: table.name });
    if (!parsed.ok) throw new Error(`The batch of ${feature.name} has an error: ${parsed.error.message}`);
    return this.session.lookup(toWorkerTable(table), toWorkerFeature(feature), toWorkerBatch(parsed.batch));
  }

  /** Builds (or keeps) the workspace's model, as the Training panel does before a step. */
  configure(): Promise<ConfigureReply> {
    const { tables, features, config } = trainingInputs(this.workspace);
    return this.session.trainConfigure(tables, features, config);
  }

  /** Configures, then trains `n` steps. */
  async train(n: number): Promise<StepsReply> {
    await this.configure();
    return this.session.trainSteps(n);
  }

  /** Builds the workspace's model and restores a saved state into it, as the page does after a reload. */
  restore(saved: SavedTraining): Promise<RestoreReply> {
    const { tables, features, config } = trainingInputs(this.workspace);
    return this.session.trainRestore(saved, tables, features, config, this.workspace.tables.map(toWorkerTable));
  }

  /** Frees the session's tables and model. */
  dispose(): Promise<void> {
    return this.session.dispose();
  }
}
