// The page's side of training: keeps the worker's model configured from the workspace, and runs
// Play / Pause / Step / Step back / Reset. Worker replies go into the metrics ring (metrics.ts);
// the store only learns about phase changes (playing, paused, busy), never about single steps.
import { freshRequests } from '../runtime/held.js';
import { publishSizes, startWorker } from '../runtime/worker.js';
import { usePlayground } from '../store.js';
import { deleteValue, loadValue, saveValue } from '../workspace/persist.js';
import { toWorkerTable, trainingInputs, type Workspace } from '../../playground/workspace/index.js';
import { importedLogJson } from '../import/slice.js';
import { metrics } from './metrics.js';
import { OTHER_SETTINGS, TRAINED_KEY, validateSaved } from '../../playground/training/saved.js';

let queue: Promise<unknown> = Promise.resolve();
let playing = false;
let subscribed = false;

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Runs worker calls one at a time, in order; an error is shown in the panel and stops play. */
function serial<T>(fn: () => Promise<T>, quiet = false): Promise<T | undefined> {
  const run = queue.then(async () => {
    // While playing, the store is not touched per step (the buttons are disabled anyway).
    if (!quiet) usePlayground.getState().setTrain({ trainBusy: true });
    try {
      return await fn();
    } catch (e) {
      playing = false;
      usePlayground.getState().setTrain({ trainError: message(e), trainPhase: 'paused' });
      return undefined;
    } finally {
      if (!quiet) usePlayground.getState().setTrain({ trainBusy: false });
    }
  });
  queue = run;
  return run;
}

/** The workspace's training inputs; batches from the imported log while the importer says so. */
function inputsOf(w: Workspace): ReturnType<typeof trainingInputs> {
  const inputs = trainingInputs(w);
  const log = usePlayground.getState().importTraining;
  return log ? { ...inputs, config: { ...inputs.config, source: { kind: 'log', id: log.id } } } : inputs;
}

let sentLog = 0;

/** The imported log training reads goes to the engine worker once per log id, before a model names it. */
async function sendImportedLog(r: Awaited<ReturnType<typeof startWorker>>): Promise<void> {
  const log = usePlayground.getState().importTraining;
  if (!log || log.id === sentLog) return;
  await r.setImportedLog(log.id, await importedLogJson());
  sentLog = log.id;
}

/** Sends the model's configuration to the worker; a changed one starts over from step 0. */
export function configureTraining(): Promise<boolean> {
  if (!subscribed) {
    subscribed = true;
    usePlayground.subscribe((s, prev) => {
      const a = s.workspace;
      const b = prev.workspace;
      if (
        a.tables !== b.tables ||
        a.features !== b.features ||
        a.generator !== b.generator ||
        a.training.seed !== b.training.seed ||
        a.training.model !== b.training.model ||
        a.training.itemFeatures !== b.training.itemFeatures ||
        s.importTraining !== prev.importTraining
      ) {
        void configureTraining();
      }
    });
  }
  return serial(async () => {
    const r = await startWorker();
    const { tables, features, config } = inputsOf(usePlayground.getState().workspace);
    await sendImportedLog(r);
    const reply = await r.trainConfigure(tables, features, config, freshRequests());
    publishSizes(reply.sizes, true);
    if (reply.rebuilt) {
      playing = false;
      metrics.clear();
      usePlayground.getState().setTrain({ trainPhase: 'idle', trainError: null });
      scheduleSave();
    }
    metrics.setTables(tables.map((t) => t.name));
    metrics.setHistograms(reply.histograms);
    metrics.setReference(reply.reference);
    usePlayground.getState().setTrain({ trainModel: reply.summary });
    return true;
  }).then((ok) => ok === true);
}

async function runSteps(n: number): Promise<void> {
  const r = await startWorker();
  const reply = await r.trainSteps(n);
  metrics.push(reply.metrics);
  metrics.setHistograms(reply.histograms);
  // The key counts follow training (the Tables panel asks before a change empties a table).
  publishSizes(reply.sizes, !playing);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Trains continuously at the workspace's speed (steps per second) until paused. */
export async function play(): Promise<void> {
  if (playing) return;
  // A model the workspace cannot build is refused (the reason is shown), never trained stale.
  if (!(await configureTraining())) return;
  playing = true;
  usePlayground.getState().setTrain({ trainPhase: 'playing', trainError: null });
  while (playing) {
    const speed = usePlayground.getState().workspace.training.speed;
    const n = Math.max(1, Math.round(speed / 10));
    const t0 = performance.now();
    await serial(() => runSteps(n), true);
    if (performance.now() - lastSave > SAVE_WHILE_PLAYING_MS) void persistTraining();
    const wait = (n / speed) * 1000 - (performance.now() - t0);
    if (wait > 0 && playing) await sleep(wait);
  }
}

export function pause(): void {
  playing = false;
  if (usePlayground.getState().trainPhase === 'playing') {
    // A step already sent still lands: the buttons wait (busy) until the worker is done with it,
    // so the step shown when they are ready is the step the model is at.
    usePlayground.getState().setTrain({ trainPhase: 'paused', trainBusy: true });
    void queue.then(() => usePlayground.getState().setTrain({ trainBusy: false }));
    scheduleSave();
  }
}

export async function stepOnce(): Promise<void> {
  pause();
  if (!(await configureTraining())) return;
  await serial(() => runSteps(1));
  usePlayground.getState().setTrain({ trainPhase: 'paused' });
  scheduleSave();
}

export async function stepBack(): Promise<void> {
  pause();
  await serial(async () => {
    const r = await startWorker();
    const reply = await r.trainStepBack();
    publishSizes(reply.sizes, true);
    metrics.truncate(reply.step);
    metrics.setHistograms(reply.histograms);
  });
  scheduleSave();
}

export async function reset(): Promise<void> {
  pause();
  await serial(async () => {
    const r = await startWorker();
    const reply = await r.trainReset();
    publishSizes(reply.sizes, true);
    const tables = metrics.tables;
    metrics.clear();
    metrics.setTables(tables);
    metrics.setHistograms(reply.histograms);
    usePlayground.getState().setTrain({ trainPhase: 'idle', trainError: null });
  });
  scheduleSave();
}

// --- Keeping the trained state across a reload (IndexedDB, see saved.ts) ---

const SAVE_AFTER_MS = 1000;
const SAVE_WHILE_PLAYING_MS = 5000;
let lastSave = 0;
let saveTimer: ReturnType<typeof setTimeout> | undefined;

/** Saves the trained state a moment after the last change (debounced). */
function scheduleSave(): void {
  clearTimeout(saveTimer);
  saveTimer = setTimeout(() => void persistTraining(), SAVE_AFTER_MS);
}

/** Saves the worker's trained state now (no model: forgets the old one). */
export function persistTraining(): Promise<void> {
  lastSave = performance.now();
  return serial(async () => {
    const saved = await (await startWorker()).trainSave();
    try {
      if (saved) await saveValue(TRAINED_KEY, { saved, metrics: metrics.steps.slice() });
      else await deleteValue(TRAINED_KEY);
    } catch (e) {
      usePlayground.getState().setNotice({
        kind: 'error',
        text: `The trained tables could not be saved in this browser: ${message(e)}. The settings are saved.`,
      });
    }
  }, true).then(() => undefined);
}

let restoring: Promise<void> | null = null;

/**
 * Start-up: restores the trained state saved before the page was (re)loaded when it belongs to
 * exactly this workspace's model, then keeps training configured from the workspace. Once.
 */
export function restoreTraining(): Promise<void> {
  restoring ??= (async () => {
    const raw: unknown = await loadValue(TRAINED_KEY).catch(() => null);
    const checked = raw === undefined || raw === null ? null : validateSaved(raw);
    if (checked && !checked.ok) {
      usePlayground.getState().setNotice({
        kind: 'error',
        text: `The saved trained tables could not be used (${checked.reason}), so training starts over.`,
      });
    }
    if (checked?.ok) {
      const { saved, metrics: history } = checked.state;
      await serial(async () => {
        const r = await startWorker();
        const w = usePlayground.getState().workspace;
        const { tables, features, config } = inputsOf(w);
        const reply = await r.trainRestore(saved, tables, features, config, w.tables.map(toWorkerTable));
        publishSizes(reply.sizes, true);
        if (!reply.restored) {
          // Another model's state (e.g. a shared link opened other settings) is simply not used;
          // a state that fits the model but cannot be written back says why.
          if (reply.reason !== OTHER_SETTINGS) {
            usePlayground.getState().setNotice({
              kind: 'error',
              text: `The saved trained tables could not be used (${reply.reason}), so training starts over.`,
            });
          }
          return;
        }
        metrics.clear();
        metrics.setTables(tables.map((t) => t.name));
        metrics.push(history.filter((m) => m.step <= reply.step));
        metrics.truncate(reply.step);
        metrics.setHistograms(reply.histograms);
        usePlayground.getState().setTrain({ trainPhase: reply.step > 0 ? 'paused' : 'idle', trainError: null });
      });
    }
    await configureTraining();
  })();
  return restoring;
}

/** The checkpoint, .npy files and TFRA script of the model's tables, as they are now. */
export async function exportTrainingFiles(): Promise<{
  checkpoint: Uint8Array;
  npy: Record<string, Uint8Array>;
  python: string;
} | null> {
  if (!(await configureTraining())) return null;
  const files = await serial(async () => (await startWorker()).exportFiles());
  return files ?? null;
}
