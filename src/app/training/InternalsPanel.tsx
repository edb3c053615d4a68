// Hash table internals: a table's control bytes as a grid (one row per 16-slot group), its load
// factor and probe-length histogram, and a tiny teaching table that takes one insert at a time.
import { startTransition, useCallback, useEffect, useId, useRef, useState } from 'react';
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { ShardInternals, TinyState } from '../../playground/protocol.js';
import { startWorker } from '../runtime/worker.js';
import { usePlayground } from '../store.js';
import { useMetricsFrame } from './metrics.js';

const EMPTY = 0x80;
const TOMBSTONE = 0xfe;
/** Okabe–Ito blue for a key's tag, orange for a tombstone, light grey for empty (shape marks too). */
const COLOURS = { full: '#0072B2', tombstone: '#E69F00', empty: '#e6e8eb' } as const;

function kind(c: number): 'empty' | 'tombstone' | 'full' {
  return c === EMPTY ? 'empty' : c === TOMBSTONE ? 'tombstone' : 'full';
}

function describe(c: number): string {
  const k = kind(c);
  return k === 'full' ? `tag 0x${c.toString(16).padStart(2, '0')} (a key lives here)` : k;
}

function Legend() {
  return (
    <ul className="ctrl-legend" aria-label="Legend">
      <li>
        <span className="swatch full" /> tag: a key (the 7-bit tag from its hash)
      </li>
      <li>
        <span className="swatch tombstone" /> tombstone (deleted, probes pass it)
      </li>
      <li>
        <span className="swatch empty" /> empty (0x80, ends a probe)
      </li>
    </ul>
  );
}

/** The control bytes on a canvas: cheap to redraw for thousands of slots; hover reads one slot. */
function CtrlGrid({ shard }: { shard: ShardInternals }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const [hover, setHover] = useState<string | null>(null);
  const groups = Math.ceil(shard.ctrl.length / 16);
  // Smaller cells for big tables, so four groups side by side fit a narrow panel (about 400 px).
  const cell = groups > 8 ? 6 : 9;
  // Up to 4 groups side by side, a gap between them, so big tables stay compact.
  const perRow = Math.min(4, groups);
  const rows = Math.ceil(groups / perRow);
  const gap = 4;
  const width = perRow * (16 * cell + gap) - gap;
  const at = (i: number) => {
    const g = Math.floor(i / 16);
    return { x: (g % perRow) * (16 * cell + gap) + (i % 16) * cell, y: Math.floor(g / perRow) * cell };
  };
  useEffect(() => {
    const ctx = ref.current?.getContext('2d');
    if (!ctx) return;
    ctx.clearRect(0, 0, width, rows * cell);
    shard.ctrl.forEach((c, i) => {
      const k = kind(c);
      ctx.fillStyle = COLOURS[k];
      const { x, y } = at(i);
      ctx.fillRect(x, y, cell - 1, cell - 1);
      if (k === 'tombstone') {
        ctx.strokeStyle = '#1c2330';
        ctx.beginPath();
        ctx.moveTo(x + 1, y + 1);
        ctx.lineTo(x + cell - 2, y + cell - 2);
        ctx.stroke();
      }
    });
  }, [shard, width, rows]); // eslint-disable-line react-hooks/exhaustive-deps
  let full = 0;
  let tomb = 0;
  for (const c of shard.ctrl) {
    if (c === TOMBSTONE) tomb++;
    else if (c !== EMPTY) full++;
  }
  return (
    <div>
      <canvas
        ref={ref}
        width={width}
        height={rows * cell}
        role="img"
        aria-label={`Shard ${shard.shard} control bytes: ${shard.ctrl.length} slots in ${groups} groups of 16; ${full} tags, ${tomb} tombstones, ${shard.ctrl.length - full - tomb} empty`}
        onMouseMove={(e) => {
          const r = e.currentTarget.getBoundingClientRect();
          const px = e.clientX - r.left;
          const block = Math.floor(px / (16 * cell + gap));
          const col = Math.floor((px - block * (16 * cell + gap)) / cell);
          const g = Math.floor((e.clientY - r.top) / cell) * perRow + block;
          const i = g * 16 + col;
          setHover(
            col >= 0 && col < 16 && block < perRow && i < shard.ctrl.length
              ? `slot ${i} (group ${g}): ${describe(shard.ctrl[i])}`
              : null,
          );
        }}
        onMouseLeave={() => setHover(null)}
      />
      <p className="muted hover-readout">{hover ?? 'Hover a slot for its control byte.'}</p>
    </div>
  );
}

function ProbeHistogram({ hist }: { hist: number[] }) {
  const data = hist.map((n, i) => ({ groups: i === hist.length - 1 ? `${i + 1}+` : String(i + 1), keys: n }));
  return (
    <figure className="train-chart" aria-label="Probe-length histogram" data-testid="probe-histogram">
      <figcaption>
        <strong>Probe length</strong> <span className="muted">groups of 16 slots read to find each key</span>
      </figcaption>
      <ResponsiveContainer width="100%" height={150}>
        <BarChart data={data} margin={{ top: 4, right: 8, bottom: 18, left: 4 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis
            dataKey="groups"
            fontSize={11}
            label={{ value: 'groups probed', position: 'insideBottom', offset: -10, fontSize: 11 }}
          />
          <YAxis fontSize={11} width={48} label={{ value: 'keys', angle: -90, position: 'insideLeft', fontSize: 11 }} />
          <Tooltip />
          <Bar dataKey="keys" fill={COLOURS.full} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </figure>
  );
}

function TableInternals() {
  const tables = usePlayground((s) => s.workspace.tables);
  const [name, setName] = useState(tables[0].name);
  const [shards, setShards] = useState<ShardInternals[] | null | undefined>(undefined);
  const version = useMetricsFrame(1000);
  const selectId = useId();
  const table = tables.some((t) => t.name === name) ? name : tables[0].name;
  const pooled = tables.find((t) => t.name === table)?.placement === 'workers';
  const refresh = useCallback(async () => {
    const r = await startWorker();
    const next = await r.internals(table);
    // A transition: while training, this redraw yields to the page instead of being one long task.
    startTransition(() => setShards(next));
  }, [table]);
  useEffect(() => {
    void refresh();
  }, [refresh, version]);
  const s = shards?.[0];
  return (
    <div>
      <div className="field">
        <label htmlFor={selectId}>Table</label>
        <select id={selectId} value={table} onChange={(e) => setName(e.target.value)}>
          {tables.map((t) => (
            <option key={t.name}>{t.name}</option>
          ))}
        </select>
      </div>
      <button type="button" onClick={() => void refresh()}>
        Refresh internals
      </button>
      {pooled ? (
        <p className="note" data-testid="internals-pooled">
          {table} is placed on the worker pool: its hash tables live in the pool&apos;s engine workers, and the pool
          answers lookups, training and sizes, not slot-level reads, so its control bytes cannot be shown here. To see
          them, set its Placement to In-process in the Tables panel (the tiny table below works either way).
        </p>
      ) : shards === undefined ? (
        <p className="muted">Reading the table…</p>
      ) : shards === null ? (
        <p className="muted">The engine holds no table named {table} yet.</p>
      ) : (
        <>
          <p data-testid="internals-summary">
            {shards.map((x) => (
              <span key={x.shard}>
                Shard {x.shard}: {x.size.toLocaleString('en')} keys in {x.capacity.toLocaleString('en')} slots, load
                factor {x.loadFactor.toFixed(3)}, {x.tombstones} tombstones.{' '}
              </span>
            ))}
          </p>
          {s && (
            <>
              {s.ctrl.length < s.capacity && (
                <p className="muted">
                  Showing the first {s.ctrl.length.toLocaleString('en')} of {s.capacity.toLocaleString('en')} slots.
                </p>
              )}
              <p className="muted">
                Shard 0, 16-slot groups (SIMD compares a whole group at once), four groups per row, slot 0 at the top
                left:
              </p>
              <CtrlGrid shard={s} />
              <ProbeHistogram hist={s.probeLengthHistogram} />
            </>
          )}
        </>
      )}
    </div>
  );
}

function TinyTable() {
  const [state, setState] = useState<TinyState | null>(null);
  const run = async (fn: 'tinyInsert' | 'tinyRemove' | 'tinyReset') => {
    const r = await startWorker();
    setState(fn === 'tinyReset' ? await r.tinyReset(1) : await r[fn]());
  };
  useEffect(() => {
    void run('tinyReset');
  }, []);
  return (
    <section className="tiny" aria-labelledby="tiny-title">
      <h3 id="tiny-title">A tiny table, one insert at a time</h3>
      <p className="muted">
        A real engine table (int32 keys) starting at 32 slots; it rehashes to double when full and deleted slots pass
        7/8.
      </p>
      <div className="train-buttons">
        <button type="button" onClick={() => void run('tinyInsert')}>
          Insert next key
        </button>
        <button type="button" onClick={() => void run('tinyRemove')}>
          Remove oldest key
        </button>
        <button type="button" onClick={() => void run('tinyReset')}>
          Reset tiny table
        </button>
      </div>
      {state && (
        <>
          <p role="status" data-testid="tiny-event">
            {state.event}
          </p>
          <p data-testid="tiny-summary">
            {state.size} keys, {state.capacity} slots, load factor {state.loadFactor.toFixed(3)}, {state.tombstones}{' '}
            tombstones. Next key: {state.nextKey}.
          </p>
          <ol className="tiny-grid" aria-label="Tiny table slots">
            {Array.from(state.ctrl, (c, i) => (
              <li
                key={i}
                className={`tiny-slot ${kind(c)}${i === state.lastSlot ? ' last' : ''}`}
                title={`slot ${i} (group ${Math.floor(i / 16)}): ${describe(c)}`}
              >
                <span className="slot-no">{i}</span>
                <span className="slot-key">
                  {kind(c) === 'full' ? state.keys[i] : kind(c) === 'tombstone' ? '✕' : ''}
                </span>
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}

export function InternalsPanel() {
  return (
    <div>
      <Legend />
      <TableInternals />
      <TinyTable />
    </div>
  );
}
