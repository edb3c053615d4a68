// The Performance page: the engine's benchmarks run in this browser, in a Web Worker (the page
// stays responsive), with a progress bar and Cancel; results as one chart per section and a
// table, every figure a ratio against a baseline measured in the same run; "Copy as markdown".
import { useId, useState } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { useShallow } from 'zustand/react/shallow';
import { formatNumber, formatReadable, type PerfRow, SECTION_TITLES, SECTIONS, SIZES } from '../../perf/index.js';
import { type ChartSpec, chartFor } from './charts.js';
import { machineLines } from './report.js';
import { usePerf } from './store.js';
import './perf.css';

/** Okabe–Ito colours (colour-blind safe), one per series. */
const COLOURS = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#D55E00', '#56B4E9'];

function SectionChart({ spec }: { spec: ChartSpec }) {
  return (
    <figure className="perf-chart" aria-label={spec.title}>
      <figcaption>{spec.title}</figcaption>
      <ResponsiveContainer width="100%" height={250}>
        <BarChart data={spec.data} margin={{ top: 4, right: spec.reference ? 84 : 12, bottom: 20, left: 12 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis
            dataKey="x"
            fontSize={11}
            interval={0}
            label={{ value: spec.xLabel, position: 'insideBottom', offset: -12, fontSize: 11 }}
          />
          <YAxis
            fontSize={11}
            width={56}
            tickFormatter={(v: number) => formatReadable(v, { trim: true })}
            label={{ value: spec.yLabel, angle: -90, position: 'insideLeft', offset: 0, fontSize: 11 }}
          />
          <Tooltip formatter={(v) => `${formatReadable(Number(v))} ${spec.unit}`} />
          <Legend verticalAlign="top" height={36} wrapperStyle={{ fontSize: 11 }} />
          {spec.reference && (
            <ReferenceLine
              y={spec.reference.y}
              stroke="#333"
              strokeDasharray="4 3"
              label={{ value: `${spec.reference.label} (${spec.reference.y}×)`, position: 'right', fontSize: 11 }}
            />
          )}
          {spec.series.map((s, i) => (
            <Bar
              key={s.key}
              dataKey={s.key}
              name={s.name}
              fill={COLOURS[i % COLOURS.length]}
              isAnimationActive={false}
            />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </figure>
  );
}

function ResultsTable({ rows }: { rows: PerfRow[] }) {
  return (
    <div className="perf-table-wrap">
      <table className="perf-table">
        <caption>Benchmark results (ratio: times better than the baseline, measured in the same run)</caption>
        <thead>
          <tr>
            <th scope="col">Case</th>
            <th scope="col">Value</th>
            <th scope="col">Baseline</th>
            <th scope="col">Ratio</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={`${r.section}:${r.name}`}>
              <th scope="row">
                {r.name}
                {r.note && <span className="perf-note">{r.note}</span>}
              </th>
              <td>
                {formatReadable(r.value)} {r.unit}
              </td>
              <td>
                {r.baseline === undefined ? (
                  '—'
                ) : (
                  <>
                    {formatReadable(r.baseline)} {r.unit}
                    <span className="perf-note">{r.baselineName}</span>
                  </>
                )}
              </td>
              <td className={r.ratio === undefined ? '' : r.ratio >= 1 ? 'perf-better' : 'perf-worse'}>
                {r.ratio === undefined ? '—' : `${formatNumber(r.ratio)}×`}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function PerfPanel() {
  const s = usePerf(
    useShallow((st) => ({
      phase: st.phase,
      size: st.size,
      sections: st.sections,
      softwareWebgl: st.softwareWebgl,
      setSoftwareWebgl: st.setSoftwareWebgl,
      progress: st.progress,
      rows: st.rows,
      notes: st.notes,
      machine: st.machine,
      error: st.error,
      ran: st.ran,
      setSize: st.setSize,
      toggleSection: st.toggleSection,
      start: st.start,
      cancel: st.cancel,
    })),
  );
  const [copied, setCopied] = useState<string | null>(null);
  const [fallback, setFallback] = useState<string | null>(null);
  const sizeName = useId();
  const running = s.phase === 'running';
  const pct = s.progress.total > 0 ? Math.round((100 * s.progress.done) / s.progress.total) : 0;
  const charts = SECTIONS.map((sec) => chartFor(sec, s.rows)).filter((c): c is ChartSpec => c !== null);
  const q = SIZES.quick;
  const f = SIZES.full;

  const copy = async () => {
    const md = usePerf.getState().markdown();
    try {
      await navigator.clipboard.writeText(md);
      setCopied(`Copied ${s.rows.length} rows as markdown.`);
      setFallback(null);
    } catch {
      setCopied('The clipboard is not available here: the markdown is below, select it and copy.');
      setFallback(md);
    }
  };

  return (
    <div className="perf">
      <p className="note">
        The engine&apos;s benchmarks, run in this browser in a Web Worker (this page stays responsive). Every figure is
        a ratio against a baseline measured in the same run, timed alternately with it: absolute numbers depend on the
        machine and its load, ratios much less. Quick: hash tables of{' '}
        {q.hashSizes.map((n) => n.toLocaleString('en-US')).join(' and ')} keys, a {q.poolKeys.toLocaleString('en-US')}
        -key table for the workers, vocabulary {q.trainVocab.toLocaleString('en-US')} (under a minute on a 2-core
        machine). Full: up to {f.hashSizes.at(-1)?.toLocaleString('en-US')} keys, a {f.poolKeys.toLocaleString('en-US')}
        -key table for the workers, vocabulary {f.trainVocab.toLocaleString('en-US')} (a few minutes).
      </p>
      <div className="perf-controls">
        <fieldset disabled={running}>
          <legend>Size</legend>
          {(['quick', 'full'] as const).map((z) => (
            <label key={z}>
              <input type="radio" name={sizeName} value={z} checked={s.size === z} onChange={() => s.setSize(z)} /> {z}
            </label>
          ))}
        </fieldset>
        <fieldset disabled={running}>
          <legend>Sections</legend>
          {SECTIONS.map((sec) => (
            <label key={sec}>
              <input type="checkbox" checked={s.sections.includes(sec)} onChange={() => s.toggleSection(sec)} />{' '}
              {SECTION_TITLES[sec]}
            </label>
          ))}
          <label>
            <input type="checkbox" checked={s.softwareWebgl} onChange={(e) => s.setSoftwareWebgl(e.target.checked)} />{' '}
            WebGL on a software renderer too (slow; says nothing about a GPU)
          </label>
        </fieldset>
        <div className="perf-buttons">
          <button type="button" onClick={() => void s.start()} disabled={running || s.sections.length === 0}>
            Run {s.size} benchmarks
          </button>
          <button type="button" onClick={s.cancel} disabled={!running}>
            Cancel
          </button>
          <button type="button" onClick={() => void copy()} disabled={running || s.rows.length === 0}>
            Copy as markdown
          </button>
        </div>
      </div>
      <div className="perf-progress">
        <progress max={100} value={pct} aria-label="Benchmark progress" />
        <span role="status" aria-live="polite" data-testid="perf-status">
          {s.phase === 'idle' && 'Not run yet.'}
          {running && `${pct}% — ${s.progress.label}`}
          {s.phase === 'done' &&
            s.ran &&
            `Done: ${s.rows.length} results in ${(s.ran.ms / 1000).toFixed(1)} s (${s.ran.size} run).`}
          {s.phase === 'cancelled' && `Cancelled after ${s.rows.length} results.`}
          {s.phase === 'error' && 'The run failed.'}
        </span>
      </div>
      {s.error && (
        <p className="notice error" role="alert">
          {s.error}
        </p>
      )}
      {copied && <p className="muted">{copied}</p>}
      {fallback && (
        <textarea className="perf-markdown" readOnly value={fallback} aria-label="Results as markdown" rows={8} />
      )}
      {s.machine && (
        <div className="perf-machine">
          <h3>This machine</h3>
          <ul aria-label="Machine facts">
            {machineLines(s.machine).map((l) => (
              <li key={l}>{l}</li>
            ))}
            {s.notes.map((n) => (
              <li key={n.text}>
                {SECTION_TITLES[n.section]}: {n.text}
              </li>
            ))}
          </ul>
        </div>
      )}
      {charts.length > 0 && (
        <div className="perf-charts">
          {charts.map((c) => (
            <SectionChart key={c.section} spec={c} />
          ))}
        </div>
      )}
      {s.rows.length > 0 && <ResultsTable rows={s.rows} />}
    </div>
  );
}
