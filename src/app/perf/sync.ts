// Keeps the Performance page's settings (size, sections, software WebGL) and the workspace in
// step, both ways, so the URL and the autosave carry them like every other setting: a workspace
// that arrives (a link, the autosave, a preset) sets the page's controls, and a change made on the
// page is written into the workspace.
import { usePlayground } from '../store.js';
import type { PerfSpec } from '../../playground/workspace/index.js';
import { type PerfState, usePerf } from './store.js';

export function perfSpecOf(s: Pick<PerfState, 'size' | 'sections' | 'softwareWebgl'>): PerfSpec {
  return { size: s.size, sections: [...s.sections], softwareWebgl: s.softwareWebgl };
}

const same = (a: PerfSpec, b: PerfSpec) => JSON.stringify(a) === JSON.stringify(b);

/** Starts the two-way sync; call once, before the workspace is restored. Returns a stop function. */
export function syncPerfSettings(): () => void {
  const stopWorkspace = usePlayground.subscribe((s, prev) => {
    if (s.workspace.perf === prev.workspace.perf) return;
    const spec = s.workspace.perf;
    if (!same(spec, perfSpecOf(usePerf.getState()))) {
      usePerf.setState({ size: spec.size, sections: [...spec.sections], softwareWebgl: spec.softwareWebgl });
    }
  });
  const stopPerf = usePerf.subscribe((p, prev) => {
    if (p.size === prev.size && p.sections === prev.sections && p.softwareWebgl === prev.softwareWebgl) return;
    const spec = perfSpecOf(p);
    const w = usePlayground.getState().workspace;
    if (!same(spec, w.perf)) usePlayground.setState({ workspace: { ...w, perf: spec } });
  });
  return () => {
    stopWorkspace();
    stopPerf();
  };
}
