// Live training charts (recharts), read from the metrics ring on animation frames. Each chart
// redraws at most once a second and shows at most MAX_POINTS points; when it thins the data it
// says so on the chart.
import type { ReactNode } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { downsample, metrics, useMetricsFrame } from './metrics.js';

export const MAX_POINTS = 120;
/** Okabe–Ito, colour-blind safe; one per table (dashes tell a capacity line from a size line). */
export const SERIES = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#000000', '#F0E442'];
const REDRAW_MS = 1000;

type Row = Record<string, number>;

function ChartFrame({
  testId,
  title,
  note,
  points,
  last,
  children,
}: {
  testId: string;
  title: string;
  note: string;
  points: number;
  last: string;
  children: ReactNode;
}) {
  return (
    <figure className="train-chart" data-testid={testId} data-points={points} data-last={last} aria-label={title}>
      <figcaption>
        <strong>{title}</strong> <span className="muted">{note}</span>
      </figcaption>
      {children}
    </figure>
  );
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

let cache: { version: number; value: { rows: Row[]; note: string; steps: number } } | null = null;

/** The rows every step chart draws, built once per ring version and shared by the charts. */
function sampled(): { rows: Row[]; note: string; steps: number } {
  if (cache?.version !== metrics.version) cache = { version: metrics.version, value: build() };
  return cache.value;
}

function build(): { rows: Row[]; note: string; steps: number } {
  const all = metrics.steps;
  const { points, every } = downsample(all, MAX_POINTS);
  const total = all.length;
  const from = all[0]?.step ?? 0;
  const kept = metrics.dropped > 0 ? ` (the last ${total.toLocaleString('en')}, from step ${from})` : '';
  const note =
    total === 0
      ? 'no steps yet: press Play or Step'
      : every > 1
        ? `showing every ${ordinal(every)} of ${total.toLocaleString('en')} steps${kept}`
        : `all ${total.toLocaleString('en')} steps${kept}`;
  const rows = points.map((m) => {
    const r: Row = { step: m.step, loss: m.loss };
    for (const [name, t] of Object.entries(m.tables)) {
      r[`${name} size`] = t.size;
      // A table on the worker pool reports its size, not its capacity: no capacity point.
      if (t.capacity !== null) r[`${name} capacity`] = t.capacity;
      r[`${name} hit rate`] = t.hitRate * 100;
      r[`${name} grad norm`] = t.gradNorm;
      r[`${name} evictions`] = t.evictions;
    }
    return r;
  });
  return { rows, note, steps: total };
}

const stepAxis = (
  <XAxis
    dataKey="step"
    type="number"
    domain={['dataMin', 'dataMax']}
    allowDecimals={false}
    fontSize={11}
    label={{ value: 'step', position: 'insideBottom', offset: -10, fontSize: 11 }}
  />
);

function yAxis(label: string, width = 56) {
  return (
    <YAxis
      fontSize={11}
      width={width}
      label={{ value: label, angle: -90, position: 'insideLeft', offset: 0, fontSize: 11, dy: 40 }}
    />
  );
}

const fmt = (v: unknown) =>
  typeof v === 'number' ? (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(4)) : String(v);
const margin = { top: 4, right: 12, bottom: 18, left: 4 };

function StepChart({
  testId,
  title,
  unit,
  series,
  rows,
  note,
}: {
  testId: string;
  title: string;
  unit: string;
  series: { key: string; colour: string; dashed?: boolean }[];
  rows: Row[];
  note: string;
}) {
  const lastRow = rows.at(-1);
  const last = lastRow ? series.map((s) => `${s.key}=${lastRow[s.key]}`).join(';') : '';
  return (
    <ChartFrame testId={testId} title={title} note={note} points={rows.length} last={last}>
      <ResponsiveContainer width="100%" height={180}>
        <LineChart data={rows} margin={margin}>
          <CartesianGrid strokeDasharray="3 3" />
          {stepAxis}
          {yAxis(unit)}
          <Tooltip formatter={fmt} labelFormatter={(s) => `step ${s}`} />
          <Legend verticalAlign="top" height={22} wrapperStyle={{ fontSize: 11 }} />
          {series.map((s) => (
            <Line
              key={s.key}
              dataKey={s.key}
              stroke={s.colour}
              strokeDasharray={s.dashed ? '5 3' : undefined}
              dot={false}
              strokeWidth={1.5}
              isAnimationActive={false}
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </ChartFrame>
  );
}

function LossChart() {
  useMetricsFrame(REDRAW_MS);
  const { rows, note } = sampled();
  return (
    <StepChart
      testId="chart-loss"
      title="Loss"
      unit="BCE (nats)"
      series={[{ key: 'loss', colour: SERIES[0] }]}
      rows={rows}
      note={note}
    />
  );
}

function PerTableChart({
  testId,
  title,
  unit,
  metric,
  withCapacity,
  note: about,
}: {
  testId: string;
  title: string;
  unit: string;
  metric: string;
  withCapacity?: boolean;
  /** What the numbers are, before the sampling note. */
  note?: string;
}) {
  useMetricsFrame(REDRAW_MS);
  const sample = sampled();
  const rows = sample.rows;
  const note = about ? `${about}; ${sample.note}` : sample.note;
  const series = metrics.tables.flatMap((name, i) => [
    { key: `${name} ${metric}`, colour: SERIES[i % SERIES.length] },
    ...(withCapacity ? [{ key: `${name} capacity`, colour: SERIES[i % SERIES.length], dashed: true }] : []),
  ]);
  return <StepChart testId={testId} title={title} unit={unit} series={series} rows={rows} note={note} />;
}

function NormHistogramChart() {
  useMetricsFrame(REDRAW_MS);
  const hs = metrics.histograms;
  const bins = hs[0]?.counts.length ?? 0;
  const rows: Row[] = Array.from({ length: bins }, (_, i) => {
    const r: Row = { lo: hs[0].edges[i], hi: hs[0].edges[i + 1] };
    hs.forEach((h) => (r[h.table] = h.counts[i] ?? 0));
    return r;
  });
  const keys = hs.map((h) => `${h.table}: ${h.keys.toLocaleString('en')} keys, max ‖v‖ ${h.edges.at(-1)!.toFixed(3)}`);
  return (
    <ChartFrame
      testId="chart-norms"
      title="Embedding-norm histogram"
      note={hs.length === 0 ? 'no table yet' : `now, all keys; 20 bins per table (${keys.join('; ')})`}
      points={rows.length}
      last={hs.map((h) => h.keys).join(';')}
    >
      <ResponsiveContainer width="100%" height={180}>
        <BarChart data={rows.map((r, i) => ({ ...r, bin: i }))} margin={margin}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis
            dataKey="bin"
            fontSize={11}
            tickFormatter={(i: number) => (rows[i] ? rows[i].lo.toFixed(2) : '')}
            label={{
              value: '‖v‖ (L2 norm, bin start; per-table bins)',
              position: 'insideBottom',
              offset: -10,
              fontSize: 11,
            }}
          />
          {yAxis('keys')}
          <Tooltip
            labelFormatter={(i) =>
              rows[Number(i)] ? `‖v‖ in [${rows[Number(i)].lo.toFixed(4)}, ${rows[Number(i)].hi.toFixed(4)})` : ''
            }
          />
          <Legend verticalAlign="top" height={22} wrapperStyle={{ fontSize: 11 }} />
          {hs.map((h, i) => (
            <Bar key={h.table} dataKey={h.table} fill={SERIES[i % SERIES.length]} isAnimationActive={false} />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </ChartFrame>
  );
}

export function ChartsPanel() {
  return (
    <div className="train-charts">
      <LossChart />
      <PerTableChart
        testId="chart-size"
        title="Table size and capacity"
        unit="keys / slots"
        metric="size"
        withCapacity
      />
      <PerTableChart testId="chart-hit" title="Hit rate (ids already held)" unit="% of batch ids" metric="hit rate" />
      <PerTableChart
        testId="chart-grad"
        title="Gradient norm per table"
        unit="‖∂loss/∂rows‖₂"
        metric="grad norm"
        note="of the unique rows each de.train.step updated (its own gradients, via onGradients)"
      />
      <NormHistogramChart />
      <PerTableChart
        testId="chart-evictions"
        title="Evictions (restrict policy)"
        unit="keys per step"
        metric="evictions"
      />
    </div>
  );
}
