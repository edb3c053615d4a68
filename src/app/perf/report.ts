// The Performance page's results as text: the machine facts and the markdown that "Copy as
// markdown" and `npm run bench:browser` give.
import { type MachineFacts, type PerfRow, type PerfSize, type SectionId, toMarkdown } from '../../perf/index.js';

export type Machine = MachineFacts & { tfjsBackends: string };

export function machineLines(m: Machine | null): string[] {
  if (!m) return [];
  return [
    `cores (navigator.hardwareConcurrency): ${m.cores ?? 'unknown'}`,
    `WebAssembly SIMD: ${m.simd ? 'yes' : 'no (scalar kernels)'}`,
    `crossOriginIsolated: ${m.crossOriginIsolated ? 'yes (SharedArrayBuffer)' : 'no (transferables)'}`,
    `WebGL renderer: ${m.webglRenderer}`,
    `tfjs backends: ${m.tfjsBackends}`,
    `browser: ${m.userAgent}`,
  ];
}

/** The results as markdown: a heading, the machine facts and notes as a list, then the table. */
export function resultsMarkdown(s: {
  machine: Machine | null;
  rows: PerfRow[];
  notes: { section: SectionId; text: string }[];
  ran: { size: PerfSize } | null;
}): string {
  const head = [
    `## dynemb in-browser benchmarks${s.ran ? ` (${s.ran.size})` : ''}`,
    '',
    ...machineLines(s.machine).map((l) => `- ${l}`),
    ...s.notes.map((n) => `- ${n.section}: ${n.text}`),
    '',
  ];
  return `${head.join('\n')}\n${toMarkdown(s.rows)}\n`;
}
