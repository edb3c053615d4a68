// Live training charts (recharts), read from the metrics ring on animation frames. Each chart
// redraws at most once a second and shows at most MAX_POINTS points; past that, each point is a
// bucket of steps (loss and hit rate averaged, the other series the bucket's max, so spikes show),
// and the chart says so.
import type { ReactNode } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { aggregateSteps, metrics, type Row, useMetricsFrame } from './metrics.js';

export const MAX_POINTS = 120;
/** Okabe–Ito, colour-blind safe; one per table (dashes tell a capacity line from a size line). */
export const SERIES = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#000000', '#F0E442'];
const REDRAW_MS = 1000;

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

let cache: { version: number; value: { rows: Row[]; note: string; steps: number } } | null = null;

/** The rows every step chart draws, built once per ring version and shared by the charts. */
function sampled(): { rows: Row[]; note: string; steps: number } {
  if (cache?.version !== metrics.version) cache = { version: metrics.version, value: build() };
  return cache.value;
}

function build(): { rows: Row[]; note: string; steps: number } {
  const all = metrics.steps;
  const { rows, every } = aggregateSteps(all, MAX_POINTS);
  const total = all.length;
  const from = all[0]?.step ?? 0;
  const kept = metrics.dropped > 0 ? ` (the last ${total.toLocaleString('en')}, from step ${from})` : '';
  const note =
    total === 0
      ? 'no steps yet: press Play or Step'
      : every > 1
        ? `${total.toLocaleString('en')} steps${kept} in buckets of ${every}, each drawn at its last step (loss, hit rate: bucket mean; size, capacity, grad norm, evictions: bucket max)`
        : `all ${total.toLocaleString('en')} steps${kept}`;
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
  references = [],
}: {
  testId: string;
  title: string;
  unit: string;
  series: { key: string; colour: string; dashed?: boolean }[];
  rows: Row[];
  note: string;
  /** Horizontal reference lines, labelled. */
  references?: { y: number; label: string; colour: string }[];
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
              connectNulls
            />
          ))}
          {references.map((r) => (
            <ReferenceLine
              key={r.label}
              y={r.y}
              stroke={r.colour}
              strokeDasharray="2 4"
              ifOverflow="extendDomain"
              label={{ value: r.label, position: 'insideTopRight', fontSize: 10, fill: r.colour }}
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
  const ref = metrics.reference;
  // Reference lines: learning means going below the baseline; nothing can go below the ground truth.
  const references = ref
    ? [
        { y: ref.baseline, label: `baseline ${ref.baseline.toFixed(3)} (predict the base rate)`, colour: '#555' },
        { y: ref.ceiling, label: `ground truth ${ref.ceiling.toFixed(3)} (best possible)`, colour: '#009E73' },
      ]
    : [];
  // The first step's loss and the mean of the last ten, for a reader (and the e2e) to compare.
  const steps = metrics.steps;
  const recent = steps.slice(-10);
  const recentMean = recent.reduce((a, m) => a + m.loss, 0) / Math.max(1, recent.length);
  return (
    <div
      data-baseline={ref?.baseline ?? ''}
      data-ceiling={ref?.ceiling ?? ''}
      data-first-loss={metrics.dropped === 0 && steps.length > 0 ? steps[0].loss : ''}
      data-recent-loss={recent.length > 0 ? recentMean : ''}
    >
      <StepChart
        testId="chart-loss"
        title="Loss"
        unit="BCE (nats)"
        series={[
          { key: 'loss', colour: SERIES[0] },
          { key: 'held-out loss', colour: SERIES[5], dashed: true },
        ]}
        rows={rows}
        note={note}
        references={references}
      />
    </div>
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
  // Every table's histogram has the same bins (normHistograms), so bar i is one norm range.
  const edges = hs[0]?.edges ?? [];
  const rows: Row[] = Array.from({ length: Math.max(0, edges.length - 1) }, (_, i) => {
    const r: Row = { bin: i, lo: edges[i], hi: edges[i + 1] };
    hs.forEach((h) => (r[h.table] = h.counts[i] ?? 0));
    return r;
  });
  const keys = hs.map((h) => `${h.table}: ${h.keys.toLocaleString('en')} keys, max ‖v‖ ${h.max.toFixed(3)}`);
  return (
    <ChartFrame
      testId="chart-norms"
      title="Embedding-norm histogram"
      note={
        hs.length === 0
          ? 'no table yet'
          : `now, all keys; ${rows.length} bins of width ${(edges[1] ?? 0).toPrecision(3)}, the same for every table (${keys.join('; ')})`
      }
      points={rows.length}
      last={hs.map((h) => h.keys).join(';')}
    >
      <ResponsiveContainer width="100%" height={180}>
        <BarChart data={rows} margin={margin}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis
            dataKey="bin"
            fontSize={11}
            tickFormatter={(i: number) => (rows[i] ? rows[i].lo.toFixed(2) : '')}
            label={{
              value: '‖v‖ (L2 norm, bin start)',
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
