// Bytes moved per step per collective (what the engine's CommLog recorded), and what each
// sharding mode would move for the current tables and batch (the engine's cost model).
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { CostRow, ShardingMode, StepSummary } from '../../playground/tpu/index.js';

/** Okabe–Ito colours, one per collective. */
export const KIND_COLOURS = {
  'all-reduce': '#0072B2',
  'all-to-all': '#E69F00',
  'reduce-scatter': '#009E73',
  'all-gather': '#CC79A7',
  broadcast: '#56B4E9',
} as const;

export function formatBytes(b: number): string {
  if (b >= 1024 * 1024) return `${(b / 1024 / 1024).toFixed(2)} MiB`;
  if (b >= 1024) return `${(b / 1024).toFixed(1)} KiB`;
  return `${b} B`;
}

const tooltipBytes = (v: unknown) => formatBytes(Number(v));

/** One unit for a whole axis (the largest value's), so its ticks read as plain numbers in it. */
export function byteUnit(max: number): { name: 'B' | 'KiB' | 'MiB'; size: number } {
  if (max >= 1024 * 1024) return { name: 'MiB', size: 1024 * 1024 };
  if (max >= 1024) return { name: 'KiB', size: 1024 };
  return { name: 'B', size: 1 };
}

/** About five round ticks (1, 2, 2.5 or 5 × 10^k of the unit) from 0 to at least `max` bytes, in bytes. */
export function byteTicks(max: number, size: number): number[] {
  const m = max / size;
  if (!(m > 0)) return [0];
  const raw = m / 4;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((k) => k * p >= raw) ?? 10) * p;
  const n = Math.ceil(m / step - 1e-9);
  return Array.from({ length: n + 1 }, (_, i) => Number((i * step).toPrecision(6)) * size);
}

const tick = (size: number) => (v: number) => (size === 1 ? String(v) : String(Number((v / size).toFixed(2))));

export function BytesPerStepChart({ history }: { history: StepSummary[] }) {
  const data = history.slice(-24).map((h) => ({
    name: h.label === 'resync' ? `resync (after ${h.step})` : `step ${h.step}`,
    ...h.byKind,
  }));
  const kinds = (Object.keys(KIND_COLOURS) as (keyof typeof KIND_COLOURS)[]).filter((k) =>
    history.some((h) => h.byKind[k] > 0),
  );
  if (data.length === 0) return <p className="muted">No step has run yet: run one to see the bytes it moves.</p>;
  const maxBytes = Math.max(...history.slice(-24).map((h) => h.bytes));
  const unit = byteUnit(maxBytes);
  const ticks = byteTicks(maxBytes, unit.size);
  return (
    <figure className="tpu-chart" aria-label="Bytes moved per step, by collective">
      <ResponsiveContainer width="100%" height={220}>
        <BarChart data={data} margin={{ top: 8, right: 12, bottom: 20, left: 16 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis
            dataKey="name"
            fontSize={11}
            label={{
              value: 'step (the last 24; a resync is a broadcast between steps)',
              position: 'insideBottom',
              offset: -12,
              fontSize: 11,
            }}
          />
          <YAxis
            fontSize={11}
            tickFormatter={tick(unit.size)}
            ticks={ticks}
            domain={[0, ticks.at(-1) ?? 0]}
            width={56}
            label={{
              value: `bytes moved (${unit.name})`,
              angle: -90,
              position: 'insideLeft',
              offset: 0,
              dy: 50,
              fontSize: 11,
            }}
          />
          <Tooltip formatter={tooltipBytes} />
          <Legend verticalAlign="top" height={24} wrapperStyle={{ fontSize: 11 }} />
          {kinds.map((k) => (
            <Bar key={k} dataKey={k} stackId="b" fill={KIND_COLOURS[k]} maxBarSize={56} isAnimationActive={false} />
          ))}
        </BarChart>
      </ResponsiveContainer>
      <figcaption className="muted">Last step: {formatBytes(history.at(-1)?.bytes ?? 0)}</figcaption>
    </figure>
  );
}

export const FORMULAS: Record<ShardingMode, string> = {
  replicated: 'backward: ring all-reduce of every dense table gradient, Σₜ 2 (n−1) · V · D · 4 B',
  mod: 'forward: per distinct off-core row (owner = id mod n) 4 B id + D·4 B row; backward: D·4 B per row gradient',
  row: 'ids 12 B per off-owner id; partial outputs reduce-scattered (n−1)·B_r·D·4 B; output gradients all-gathered, the same',
  table: 'ids 12 B per id off the owner + outputs B_r·D·4 B per off-owner core; the output gradients back, B_r·D·4 B',
  column:
    'ids 12 B per id to every other column holder; each returns its slice B_r·d_o·4 B; gradient slices back the same',
};

export function CostModel({
  costs,
  current,
  numCores,
  batchSize,
  tables,
}: {
  costs: CostRow[];
  current: ShardingMode;
  numCores: number;
  batchSize: number;
  tables: { name: string; vocabularySize: number; dim: number }[];
}) {
  const data = costs.map((c) => ({
    mode: c.mode === current ? `${c.mode} (current)` : c.mode,
    'all-reduce': c.cost.backward.allReduce,
    'all-to-all': c.cost.forward.allToAll + c.cost.backward.allToAll,
    'reduce-scatter': c.cost.forward.reduceScatter,
    'all-gather': c.cost.backward.allGather,
  }));
  const maxCost = Math.max(...costs.map((c) => c.cost.total));
  const unit = byteUnit(maxCost);
  const ticks = byteTicks(maxCost, unit.size);
  return (
    <div className="tpu-cost">
      <p className="note">
        Predicted bytes per step for n = {numCores} cores, the batch shown (B = {batchSize}, B_r ={' '}
        {batchSize / numCores} per core) and the tables{' '}
        {tables.map((t) => `${t.name} V=${t.vocabularySize} D=${t.dim}`).join(', ')} (
        <code>de.tpu.predictStepBytes</code>).
      </p>
      <figure className="tpu-chart" aria-label="Predicted bytes per step for each sharding mode">
        <ResponsiveContainer width="100%" height={200}>
          <BarChart data={data} layout="vertical" margin={{ top: 4, right: 16, bottom: 20, left: 16 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis
              type="number"
              fontSize={11}
              tickFormatter={tick(unit.size)}
              ticks={ticks}
              domain={[0, ticks.at(-1) ?? 0]}
              label={{
                value: `bytes per step, predicted (${unit.name})`,
                position: 'insideBottom',
                offset: -12,
                fontSize: 11,
              }}
            />
            <YAxis type="category" dataKey="mode" fontSize={11} width={110} />
            <Tooltip formatter={tooltipBytes} />
            <Legend verticalAlign="top" height={24} wrapperStyle={{ fontSize: 11 }} />
            {(['all-reduce', 'all-to-all', 'reduce-scatter', 'all-gather'] as const).map((k) => (
              <Bar key={k} dataKey={k} stackId="c" fill={KIND_COLOURS[k]} isAnimationActive={false} />
            ))}
          </BarChart>
        </ResponsiveContainer>
      </figure>
      <table className="tpu-table">
        <caption className="muted">Predicted bytes per step by mode, and the formula behind each</caption>
        <thead>
          <tr>
            <th scope="col">mode</th>
            <th scope="col">forward</th>
            <th scope="col">backward</th>
            <th scope="col">total</th>
            <th scope="col">formula</th>
          </tr>
        </thead>
        <tbody>
          {costs.map((c) => (
            <tr key={c.mode} aria-current={c.mode === current ? 'true' : undefined}>
              <th scope="row">{c.mode}</th>
              <td>{formatBytes(c.cost.forward.allToAll + c.cost.forward.reduceScatter)}</td>
              <td>{formatBytes(c.cost.backward.allReduce + c.cost.backward.allToAll + c.cost.backward.allGather)}</td>
              <td>{formatBytes(c.cost.total)}</td>
              <td className="tpu-formula">{FORMULAS[c.mode]}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
