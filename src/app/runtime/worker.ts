// The page's side of the playground worker: starts it, keeps its tables in step with the
// workspace, and runs the inspector's lookups there, so the main thread never does engine work.
import { type Remote, wrap } from 'comlink';
import type { LookupReply, PlaygroundApi } from '../../playground/protocol.js';
import { parseBatch } from '../../playground/batch/parse.js';
import { outputLabels } from '../lookup/provenance.js';
import { outputShape } from '../../playground/lookup/shape.js';
import { usePlayground } from '../store.js';
import { toWorkerBatch, toWorkerFeature, toWorkerTable } from '../../playground/workspace/index.js';
import { freshRequests, heldKeys, noteSizes } from './held.js';

let remote: Remote<PlaygroundApi> | null = null;
let starting: Promise<Remote<PlaygroundApi>> | null = null;

/** Starts the worker once; resolves when its engine is ready. */
export function startWorker(): Promise<Remote<PlaygroundApi>> {
  if (remote) return Promise.resolve(remote);
  if (!starting) {
    starting = (async () => {
      const worker = new Worker(new URL('../../../workers/playground.worker.ts', import.meta.url), { type: 'module' });
      usePlayground.getState().setAppWorkers('playground engine', 1);
      const r = wrap<PlaygroundApi>(worker);
      await r.init();
      remote = r;
      usePlayground.getState().setWorker({ phase: 'ready' });
      await syncTables();
      // Tables follow the workspace: a removed table is dropped, a changed one recreated.
      usePlayground.subscribe((s, prev) => {
        if (s.workspace.tables !== prev.workspace.tables) void syncTables();
      });
      return r;
    })().catch((e: unknown) => {
      usePlayground.getState().setWorker({ phase: 'error', message: e instanceof Error ? e.message : String(e) });
      throw e;
    });
  }
  return starting;
}

async function syncTables(): Promise<void> {
  if (!remote) return;
  const sizes = await remote.sync(usePlayground.getState().workspace.tables.map(toWorkerTable), freshRequests());
  publishSizes(sizes, true);
}

/** At most this often, the store's key counts (display) follow the worker's replies while training plays. */
const SIZES_EVERY_MS = 400;
let sizesShown = 0;
let sizesTimer: ReturnType<typeof setTimeout> | undefined;

/**
 * Records the keys the worker reported per table: at once in heldKeys (what a change that would
 * empty a table is checked against), and in the store for display, throttled unless `now`.
 */
export function publishSizes(sizes: Readonly<Record<string, number>>, now = false): void {
  noteSizes(sizes);
  const show = () => {
    sizesTimer = undefined;
    sizesShown = performance.now();
    const names = usePlayground.getState().workspace.tables.map((t) => t.name);
    const next = Object.fromEntries(names.map((n) => [n, heldKeys[n] ?? 0]));
    const cur = usePlayground.getState().tableSizes;
    if (names.length !== Object.keys(cur).length || names.some((n) => cur[n] !== next[n])) {
      usePlayground.getState().setTableSizes(next);
    }
  };
  clearTimeout(sizesTimer);
  const wait = SIZES_EVERY_MS - (performance.now() - sizesShown);
  if (now || wait <= 0) show();
  else sizesTimer = setTimeout(show, wait);
}

/**
 * Looks up the Batch panel's feature's ids in the worker and puts the result in the store.
 * Returns the reply, or null when the batch or the feature is not valid (the reason is stored).
 */
export async function runLookup(): Promise<LookupReply | null> {
  const s = usePlayground.getState();
  const w = s.workspace;
  const feature = w.features.find((f) => f.name === s.batchFeature) ?? w.features[0];
  const table = w.tables.find((t) => t.name === feature.table)!;
  const parsed = parseBatch(w.batches[feature.name] ?? '', { keyDtype: table.keyDtype, table: table.name });
  if (!parsed.ok) {
    s.setLookup({ phase: 'error', message: `The batch has an error: ${parsed.error.message}` });
    return null;
  }
  const rule = outputShape(feature, parsed.batch, table.dim);
  if (!rule.ok) {
    s.setLookup({ phase: 'error', message: rule.message });
    return null;
  }
  s.setLookup({ phase: 'running' });
  try {
    const r = await startWorker();
    const reply = await r.lookup(toWorkerTable(table), toWorkerFeature(feature), toWorkerBatch(parsed.batch));
    usePlayground.getState().setLookup({
      phase: 'done',
      rule: rule.rule,
      ruleShape: rule.shape,
      maxNorm: table.maxNorm,
      batchShape: parsed.batch.kind === 'ragged' ? null : parsed.batch.shape,
      outputLabels: outputLabels(feature, parsed.batch),
      reply,
    });
    publishSizes({ [table.name]: reply.tableSize }, true);
    return reply;
  } catch (e) {
    usePlayground.getState().setLookup({ phase: 'error', message: e instanceof Error ? e.message : String(e) });
    return null;
  }
}
