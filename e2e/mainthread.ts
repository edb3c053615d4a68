// Main-thread tasks from a Chromium trace, with their CPU time: the long-task checks of the
// training and importer specs.
/** A task the browser ran on a page's main thread (CrRendererMain), from a Chromium trace. */
export interface MainTask {
  /** Wall time, ms. */
  wall: number;
  /** Time the thread was actually running on a core, ms (the wall time when the trace has none). */
  cpu: number;
  measured: boolean;
}

/**
 * Traces the renderer's main thread while `during` runs, and returns every top-level task with its
 * wall time and its thread (CPU) time. On this shared 2-core machine a task's wall time includes
 * the time the thread waited for a core (other processes, and the page's own training worker,
 * were running); its CPU time is the page's own work.
 */
export async function traceMainThread(
  page: import('@playwright/test').Page,
  browser: import('@playwright/test').Browser,
  during: () => Promise<void>,
): Promise<MainTask[]> {
  await browser.startTracing(page, { categories: ['toplevel', '__metadata'] });
  try {
    await during();
  } finally {
    const raw = JSON.parse((await browser.stopTracing()).toString()) as { traceEvents: TraceEvent[] } | TraceEvent[];
    lastTrace = Array.isArray(raw) ? raw : raw.traceEvents;
  }
  const main = new Set(
    lastTrace
      .filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain')
      .map((e) => `${e.pid}:${e.tid}`),
  );
  return lastTrace
    .filter((e) => e.ph === 'X' && e.cat === 'toplevel' && /RunTask$/.test(e.name) && main.has(`${e.pid}:${e.tid}`))
    .map((e) => ({
      wall: e.dur! / 1000,
      // A task without a thread time is counted as working all its wall time (an upper bound).
      cpu: (e.tdur ?? e.dur!) / 1000,
      measured: typeof e.tdur === 'number',
    }));
}

interface TraceEvent {
  ph: string;
  name: string;
  cat?: string;
  pid: number;
  tid: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string };
}
let lastTrace: TraceEvent[] = [];
