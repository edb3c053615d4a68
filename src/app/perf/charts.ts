// The Performance page's charts, as plain data built from the rows (so they can be unit-tested):
// one grouped bar chart per section, with its axis label, unit and legend.
import type { PerfRow, SectionId } from '../../perf/index.js';

export interface ChartSpec {
  section: SectionId;
  title: string;
  yLabel: string;
  /** What the categories on the x axis are. */
  xLabel: string;
  /** One entry per x category: { x, [series]: value }. */
  data: Record<string, string | number>[];
  series: { key: string; name: string }[];
  /** A reference line (e.g. the plain-JS baseline at 1x). */
  reference?: { y: number; label: string };
  /** How to print a value in the tooltip. */
  unit: string;
}

const sizeLabel = (n: number) => (n >= 1e6 ? `${n / 1e6}M keys` : `${n / 1e3}k keys`);

function byX(
  rows: PerfRow[],
  x: (r: PerfRow) => string,
  put: (r: PerfRow, e: Record<string, string | number>) => void,
) {
  const out = new Map<string, Record<string, string | number>>();
  for (const r of rows) {
    const k = x(r);
    const e = out.get(k) ?? { x: k };
    put(r, e);
    out.set(k, e);
  }
  return [...out.values()];
}

/** The chart of one section from its rows, or null when it has none yet. */
export function chartFor(section: SectionId, all: PerfRow[]): ChartSpec | null {
  const rows = all.filter((r) => r.section === section);
  if (rows.length === 0) return null;
  switch (section) {
    case 'hashtable': {
      const data = byX(
        rows,
        (r) => sizeLabel(Number(r.params.keys)),
        (r, e) => {
          e[r.params.op === 'insert' ? 'insert' : `${r.params.op} ${r.params.dist}`] = r.ratio ?? 0;
        },
      );
      return {
        section,
        title: 'Hash table throughput, as a multiple of the plain-JS table (higher is better)',
        yLabel: '× plain-JS keys/s',
        xLabel: 'keys in the table',
        data,
        series: [
          { key: 'insert', name: 'insert new keys' },
          { key: 'find uniform', name: 'find, uniform ids' },
          { key: 'find zipf', name: 'find, Zipf ids' },
          { key: 'upsert uniform', name: 'upsert, uniform ids' },
          { key: 'upsert zipf', name: 'upsert, Zipf ids' },
        ],
        reference: { y: 1, label: 'plain JS' },
        unit: '×',
      };
    }
    case 'gather':
      return {
        section,
        title: 'Gather bandwidth vs memory.copy of the same bytes (higher is better)',
        yLabel: 'GB/s',
        xLabel: 'keys in the table, id distribution',
        data: rows.map((r) => ({ x: String(r.params.label), gather: r.value, copy: r.baseline ?? 0 })),
        series: [
          { key: 'gather', name: 'dynemb lookup + gather' },
          { key: 'copy', name: 'memory.copy (ceiling)' },
        ],
        unit: 'GB/s',
      };
    case 'gpu': {
      const webgl = rows.some((r) => r.baseline !== undefined);
      return {
        section,
        title: 'WASM vs WebGL gather, milliseconds per batch (lower is better)',
        yLabel: 'ms per batch',
        xLabel: 'batch (ids) × dim',
        data: rows.map((r): Record<string, string | number> =>
          webgl
            ? { x: String(r.params.label), wasm: r.baseline ?? 0, webgl: r.value }
            : { x: String(r.params.label), wasm: r.value },
        ),
        series: webgl
          ? [
              { key: 'wasm', name: 'WASM' },
              { key: 'webgl', name: 'WebGL (tfjs)' },
            ]
          : [{ key: 'wasm', name: 'WASM (no WebGL here)' }],
        unit: 'ms',
      };
    }
    case 'workers': {
      const data = byX(
        rows,
        (r) =>
          Number(r.params.workers) === 0
            ? 'in-process'
            : `${r.params.workers} worker${Number(r.params.workers) > 1 ? 's' : ''}`,
        (r, e) => {
          e[String(r.params.mode)] = r.value / 1e6;
        },
      );
      return {
        section,
        title: 'Lookup throughput: worker pool vs in-process (higher is better)',
        yLabel: 'million keys/s',
        xLabel: 'where the lookups run',
        data,
        series: [
          { key: 'in-process', name: 'in-process' },
          { key: 'one at a time, SAB', name: 'pool, one at a time, SharedArrayBuffer' },
          { key: '4 in flight, SAB', name: 'pool, 4 in flight, SharedArrayBuffer' },
          { key: 'one at a time, transferables', name: 'pool, one at a time, transferables' },
          { key: '4 in flight, transferables', name: 'pool, 4 in flight, transferables' },
        ],
        unit: 'M keys/s',
      };
    }
    case 'train':
      return {
        section,
        title: 'Training steps per second: dynemb vs a dense tfjs embedding + Adagrad (higher is better)',
        yLabel: 'steps/s',
        xLabel: 'ids drawn',
        data: rows.map((r) => ({ x: String(r.params.label), dynemb: r.value, tfjs: r.baseline ?? 0 })),
        series: [
          { key: 'dynemb', name: 'dynemb (de.train.step)' },
          { key: 'tfjs', name: 'tfjs dense embedding' },
        ],
        unit: 'steps/s',
      };
  }
}
