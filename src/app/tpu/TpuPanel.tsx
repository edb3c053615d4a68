// The Virtual TPU panel over de.tpu: cores and their replicas or shards, the global batch split
// across them, a replicated step phase by phase (ring all-reduce link by link), per-core
// checksums, faults and resync, bytes per collective and the cost model of every sharding mode.
import { useEffect, useId, useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { usePlayground } from '../store.js';
import { BytesPerStepChart, CostModel, formatBytes } from './CommCharts.js';
import { Heatmap } from './Heatmap.js';
import { RingDiagram } from './RingView.js';
import { PHASES, SHARDING_MODES, type ShardingMode, type TpuView } from '../../playground/tpu/index.js';
import { currentTpuSim } from './slice.js';
import './tpu.css';

const PHASE_TEXT: Record<(typeof PHASES)[number], string> = {
  lookup: 'local lookup',
  backward: 'backward',
  'all-reduce': 'all-reduce (ring)',
  apply: 'apply',
};

const listFaults = (fs: TpuView['faults']) => fs.map((f) => `${f.kind} on core ${f.core}`).join(', ');

/** What the faults set will do: those the running all-reduce took act now, the rest on the next step. */
function faultText(faults: TpuView['faults'], phase: TpuView['phase']): string {
  if (faults.length === 0) {
    return 'No fault pending. A fault acts on the all-reduce of the next step: a dropped contribution is lost; a straggler’s messages arrive one ring step late and the ring does not wait.';
  }
  const now = faults.filter((f) => f.now);
  const next = faults.filter((f) => !f.now);
  return [
    now.length > 0 && `Acting on this step's all-reduce: ${listFaults(now)}.`,
    next.length > 0 &&
      `Pending for ${phase === 'lookup' || phase === 'backward' ? "this step's all-reduce" : 'the next step'}: ${listFaults(next)}.`,
  ]
    .filter(Boolean)
    .join(' ');
}

const hex = (c: number) => c.toString(16).padStart(8, '0');

/** What the sharding select shows for each mode (its value stays the engine's mode name). */
export const SHARDING_TEXT: Record<ShardingMode, string> = {
  replicated: 'replicated (TPUEmbeddingV0)',
  mod: 'mod',
  row: 'row',
  table: 'table',
  column: 'column',
};

function Select<T extends string | number>({
  label,
  value,
  options,
  onChange,
  disabled,
  text = String,
}: {
  label: string;
  value: T;
  options: readonly T[];
  onChange(v: T): void;
  disabled?: boolean;
  /** The option's visible text (default: its value). */
  text?: (v: T) => string;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        value={String(value)}
        disabled={disabled}
        onChange={(e) => {
          const v = options.find((o) => String(o) === e.target.value);
          if (v !== undefined) onChange(v);
        }}
      >
        {options.map((o) => (
          <option key={String(o)} value={String(o)}>
            {text(o)}
          </option>
        ))}
      </select>
    </div>
  );
}

function CoreCard({ view, core, version }: { view: TpuView; core: number; version: number }) {
  // The view is replaced a moment after a reconfigured simulation starts: until then the running
  // simulation may have other cores or shards than the view, so its heatmaps wait for the view.
  const running = currentTpuSim();
  const sim =
    running && running.config.numCores === view.config.numCores && running.config.sharding === view.config.sharding
      ? running
      : null;
  const c = view.cores[core];
  const cs = view.checksums[core];
  const replicated = view.config.sharding === 'replicated';
  const diverged = replicated && cs !== view.checksums[0];
  // Core 0 is what the others are compared with (and what Resync copies): it never "differs".
  const reference = replicated && core === 0 && !view.inSync;
  const [s, e] = c.range;
  return (
    <li className={`tpu-core${diverged ? ' diverged' : ''}`} aria-label={`Core ${core}`}>
      <div className="tpu-core-head">
        <strong>core {core}</strong>
        <span className="muted">
          examples {s}–{e - 1}
          {c.worker >= 0 && `, on worker ${c.worker}`}
        </span>
      </div>
      <div className="tpu-slice">
        <span>user {view.batch.user.slice(s, e).join(' ')}</span>
        <span>video {view.batch.video.slice(s, e).join(' ')}</span>
        {c.loss !== null && <span>loss {c.loss.toFixed(4)}</span>}
        {view.phase === 'backward' && (
          <span>
            gradient rows:{' '}
            {c.gradRows.map((rows, ti) => `${view.tables[ti].name} ${rows.length ? rows.join(' ') : '—'}`).join('; ')}
          </span>
        )}
      </div>
      <div className="tpu-heats">
        {sim &&
          view.tables.map((t, ti) => {
            const sh = sim.shardOf(core, ti);
            return (
              <Heatmap
                key={t.name}
                label={t.name}
                data={sh.data}
                rows={sh.rows}
                cols={sh.cols}
                globalRows={sh.globalRows}
                marked={new Set(c.rowsRead[ti])}
                scale={0.6}
                version={version}
              />
            );
          })}
      </div>
      <div className="tpu-checksum" data-testid={`checksum-${core}`} data-diverged={diverged ? 'true' : 'false'}>
        checksum <code>{hex(cs)}</code>{' '}
        {replicated ? (
          diverged ? (
            <strong className="bad">✕ differs from core 0</strong>
          ) : reference ? (
            <span className="muted" title="The others are compared with core 0, and Resync copies it to them.">
              reference
            </span>
          ) : (
            <span className="good">✓ in sync</span>
          )
        ) : (
          <span className="muted">(its own shards)</span>
        )}
      </div>
    </li>
  );
}

export function TpuPanel() {
  const s = usePlayground(
    useShallow((st) => ({
      config: st.tpuConfig,
      view: st.tpuView,
      busy: st.tpuBusy,
      error: st.tpuError,
      configure: st.tpuConfigure,
      advance: st.tpuAdvance,
      runStep: st.tpuRunStep,
      inject: st.tpuInjectFault,
      resync: st.tpuResync,
    })),
  );
  const [faultCore, setFaultCore] = useState(1);
  const [playing, setPlaying] = useState(false);
  const { view, configure, advance, runStep, busy } = s;
  const replicated = s.config.sharding === 'replicated';

  useEffect(() => {
    if (!view) configure();
  }, [view, configure]);

  // Play: one phase (or ring step) every 0.7 s in replicated mode, one whole step otherwise.
  useEffect(() => {
    if (!playing) return;
    const t = window.setInterval(() => {
      if (usePlayground.getState().tpuBusy) return;
      void (replicated ? advance() : runStep());
    }, 700);
    return () => window.clearInterval(t);
  }, [playing, replicated, advance, runStep]);

  const version = useMemo(() => (view ? view.step * 1000 + view.history.length : 0), [view]);
  const fc = Math.min(faultCore, s.config.numCores - 1);

  if (!view) return <p className="muted">Starting the virtual TPU…</p>;
  const phaseIndex = view.phase === 'idle' ? -1 : PHASES.indexOf(view.phase);
  return (
    <div className="tpu">
      <p className="note">
        A two-table model (user · video dot product, squared error, SGD lr {view.config.learningRate}) on{' '}
        <code>de.tpu.VirtualTPUStrategy</code>. Changing cores, sharding, batch or where the cores run restarts it.
        {view.config.execution === 'workers' &&
          ' Each core’s tables, lookups, gradients and updates run on a Web Worker (core c on worker c mod 2); the loss and the collectives run on the page, with the same results bit for bit.'}
      </p>
      <div className="tpu-controls">
        <Select
          label="Cores"
          value={s.config.numCores}
          options={[1, 2, 3, 4, 5, 6, 7, 8]}
          onChange={(numCores) => configure({ numCores })}
          disabled={busy}
        />
        <Select
          label="Sharding"
          value={s.config.sharding}
          options={SHARDING_MODES as readonly ShardingMode[]}
          text={(m) => SHARDING_TEXT[m]}
          onChange={(sharding) => {
            setPlaying(false);
            configure({ sharding });
          }}
          disabled={busy}
        />
        <Select
          label="Examples per core"
          value={s.config.perCore}
          options={[1, 2, 4, 8]}
          onChange={(perCore) => configure({ perCore })}
          disabled={busy}
        />
        <Select
          label="Run cores on"
          value={s.config.execution === 'workers' ? 'Web Workers' : 'main thread'}
          options={['main thread', 'Web Workers'] as const}
          onChange={(v) => configure({ execution: v === 'Web Workers' ? 'workers' : 'in-process' })}
          disabled={busy}
        />
      </div>

      <div className="tpu-step" role="group" aria-label="Step controls">
        {replicated && (
          <button type="button" onClick={() => void advance()} disabled={busy || playing}>
            {view.nextAction}
          </button>
        )}
        <button type="button" onClick={() => void runStep()} disabled={busy || playing}>
          {replicated && view.phase !== 'idle' && view.phase !== 'apply' ? 'Finish this step' : 'Run a whole step'}
        </button>
        <button type="button" onClick={() => setPlaying((p) => !p)} aria-pressed={playing}>
          {playing ? 'Pause' : 'Play'}
        </button>
        <span className="muted" aria-live="polite">
          Steps done: {view.step}
          {view.meanLoss.length > 0 && `, last mean loss ${view.meanLoss.at(-1)?.toFixed(4)}`}
        </span>
      </div>

      {replicated ? (
        <ol className="tpu-phases" aria-label="Phases of the step">
          {PHASES.map((p, i) => (
            <li
              key={p}
              aria-current={i === phaseIndex ? 'step' : undefined}
              className={i === phaseIndex ? 'current' : i < phaseIndex ? 'done' : ''}
            >
              {i + 1}. {PHASE_TEXT[p]}
            </li>
          ))}
        </ol>
      ) : (
        <p className="note">
          In <strong>{s.config.sharding}</strong> sharding each core holds different rows or columns, so there is no
          gradient all-reduce: ids and activations move by all-to-all (and reduce-scatter / all-gather for row
          sharding). A step runs whole; its collectives are listed below. Phase stepping, the ring and the faults are
          for replicated mode.
        </p>
      )}
      {view.replayMatches !== null && (
        <p className={view.replayMatches ? 'note' : 'note bad'} role="status">
          {view.replayMatches
            ? "Applied by strategy.run: every core's update equals the engine's ring result shown above (w − lr·g, exactly)."
            : 'Applied by strategy.run, but the update differs from the ring result shown: the animation is wrong.'}
        </p>
      )}
      {s.error && (
        <p className="notice error" role="alert">
          {s.error}
        </p>
      )}

      <div className="tpu-main">
        <div>
          <h3>Cores</h3>
          <p className="note">
            Global batch of {view.batch.user.length} examples, split contiguously: core r runs examples [r·B/n,
            (r+1)·B/n). Heatmaps: each core&apos;s {replicated ? 'replica' : 'shard'} (rows × columns; orange negative,
            purple positive; a dark tick marks a row read this step; hover for values).
          </p>
          <ul className="tpu-cores" aria-label="Cores">
            {view.cores.map((c) => (
              <CoreCard key={c.core} view={view} core={c.core} version={version} />
            ))}
          </ul>
          <p className="tpu-sync" role="status" data-testid="tpu-sync">
            {replicated
              ? view.checksums.length === 1
                ? 'One core holds the only replica: there is nothing for it to diverge from.'
                : view.inSync
                  ? `Replicas in sync: all ${view.checksums.length} checksums agree.`
                  : `Replicas diverged: ${new Set(view.checksums).size} different checksums.`
              : 'Sharded: each core holds different shards, so their checksums differ by design.'}
          </p>
        </div>
        <div>
          {replicated && (
            <>
              <h3>Ring all-reduce</h3>
              <RingDiagram ring={view.ring} numCores={view.config.numCores} />
              {s.config.numCores < 2 ? (
                <p className="note" data-testid="tpu-no-faults">
                  Faults: with one core there is no all-reduce, so no contribution to drop or delay and no replica to
                  resync. Choose 2 or more cores to try them.
                </p>
              ) : (
                <fieldset className="card tpu-faults">
                  <legend>Faults</legend>
                  <Select<number>
                    label="Core"
                    value={fc}
                    options={Array.from({ length: s.config.numCores }, (_, i) => i)}
                    onChange={setFaultCore}
                  />
                  <button type="button" disabled={busy} onClick={() => s.inject('drop', fc)}>
                    {`Drop core ${fc}'s all-reduce contribution`}
                  </button>
                  <button type="button" disabled={busy} onClick={() => s.inject('straggler', fc)}>
                    {`Make core ${fc} a straggler`}
                  </button>
                  <button type="button" disabled={busy} onClick={() => s.resync()}>
                    Resync replicas from core 0
                  </button>
                  <p className="note" aria-live="polite">
                    {faultText(view.faults, view.phase)}
                  </p>
                </fieldset>
              )}
            </>
          )}
          {!replicated && view.lastCollectives.length > 0 && (
            <>
              <h3>Collectives of the last step</h3>
              <ul className="tpu-colls">
                {view.lastCollectives.map((c, i) => (
                  <li key={i}>
                    {c.pass} {c.kind} <code>{c.name}</code>: {formatBytes(c.bytes)}
                  </li>
                ))}
              </ul>
            </>
          )}
          {view.lastMeasured && (
            <p className="note">
              Last step moved {formatBytes(view.lastMeasured.measured)}; the cost model predicted{' '}
              {formatBytes(view.lastMeasured.predicted)}
              {view.lastMeasured.measured === view.lastMeasured.predicted ? ' (exact).' : '.'}
            </p>
          )}
        </div>
      </div>

      <h3>Bytes moved per step, per collective</h3>
      <BytesPerStepChart history={view.history} />
      <h3>What each sharding mode would move</h3>
      <CostModel
        costs={view.costs}
        current={view.config.sharding}
        numCores={view.config.numCores}
        batchSize={view.batch.user.length}
        tables={view.tables}
      />
    </div>
  );
}
