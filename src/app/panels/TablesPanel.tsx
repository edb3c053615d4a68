// Tables: create, edit, duplicate and delete dynamic embedding tables (TFRA de.Variable).
import { useEffect, useState } from 'react';
import type { GatherInfo } from '../../playground/protocol.js';
import { startWorker } from '../runtime/worker.js';
import { useShallow } from 'zustand/react/shallow';
import { CheckField, NumberField, SelectField, TextNameField } from '../components/fields.js';
import { usePlayground } from '../store.js';
import {
  GATHER_PATHS,
  INITIALIZERS,
  KEY_DTYPES,
  LIMITS,
  OPTIMIZERS,
  PLACEMENTS,
  placementProblem,
  poolSize,
  RESTRICT_POLICIES,
  shardWorkers,
  type TableSpec,
} from '../../playground/workspace/index.js';

const INIT_SCALE_LABEL: Record<TableSpec['initializer'], string | null> = {
  zeros: null,
  constant: 'Constant value',
  randomNormal: 'Stddev',
  truncatedNormal: 'Stddev',
  randomUniform: 'Range ± (uniform)',
  glorotUniform: null,
};

/** What the engine decided for a gather path setting, and why (de.backendInfo().gatherReason). */
function GatherNote({ asked }: { asked: TableSpec['gather'] }) {
  const [info, setInfo] = useState<GatherInfo | null>(null);
  useEffect(() => {
    let live = true;
    void startWorker()
      .then((r) => r.gatherChoice(asked))
      .then((g) => live && setInfo(g))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [asked]);
  if (!info || info.asked !== asked) return <p className="note">Gather path: asking the engine…</p>;
  const used = info.used === 'webgl' ? 'WebGL' : 'WASM';
  return (
    <p className={info.fellBack ? 'note warn' : 'note'} data-testid="gather-note">
      {info.fellBack ? `Falls back to ${used}: ` : `Lookups gather in ${used}: `}
      {info.reason}. The inspector&apos;s lookups use this path; training reads rows through the{' '}
      <code>de.train.step</code> tape in WASM whatever it is.
    </p>
  );
}

/** What runs where for a table's placement, and (on the pool) which worker holds each shard. */
function PlacementNote({ table }: { table: TableSpec }) {
  if (table.placement === 'in-process') {
    return (
      <p className="note" data-testid="placement-note">
        Placement: in-process — the table (<code>new de.Variable</code>), its lookups and training all run in the
        playground&apos;s engine worker, off the page&apos;s main thread.
      </p>
    );
  }
  const workers = poolSize(typeof navigator === 'undefined' ? undefined : navigator.hardwareConcurrency);
  const map = shardWorkers(table.partitions, workers);
  return (
    <p className="note" data-testid="placement-note">
      Placement: worker pool — the shards live on {workers} engine workers started by the playground&apos;s worker (
      <code>de.pool.placeVariable</code>); lookups and training steps fetch rows from them (
      <code>
        de.train.step(…, {'{'} async: true {'}'})
      </code>
      ). Shard → worker: {map.map((w, s) => `${s} → ${w}`).join(', ')}. The hash-table internals grid and the checkpoint
      downloads need an in-process table; Step back replays from step 0.
    </p>
  );
}

function TableCard({ index, table, names }: { index: number; table: TableSpec; names: string[] }) {
  const { updateTable, duplicateTable, removeTable, count, size } = usePlayground(
    useShallow((s) => ({
      updateTable: s.updateTable,
      duplicateTable: s.duplicateTable,
      removeTable: s.removeTable,
      count: s.workspace.tables.length,
      size: s.tableSizes[table.name] ?? 0,
    })),
  );
  const [refused, setRefused] = useState<string | null>(null);
  const change = (patch: Partial<TableSpec>) => {
    // A combination the engine refuses (insert on lookup on the pool) changes nothing.
    const problem = placementProblem({ ...table, ...patch });
    setRefused(problem && `Not applied: ${problem}.`);
    if (problem) return;
    // A change that empties the table while it holds keys is asked about first (DiscardDialog).
    updateTable(index, patch);
  };
  const scaleLabel = INIT_SCALE_LABEL[table.initializer];
  return (
    <fieldset className="card" aria-label={`Table ${table.name}`}>
      <legend>
        {table.name} <span className="muted">({size.toLocaleString('en')} keys)</span>
      </legend>
      <div className="form-grid">
        <TextNameField
          label="Name"
          value={table.name}
          taken={names}
          onCommit={(name) => updateTable(index, { name })}
        />
        <NumberField
          label="Dim"
          value={table.dim}
          min={1}
          max={LIMITS.dim}
          integer
          onCommit={(dim) => change({ dim })}
        />
        <SelectField
          label="Key dtype"
          value={table.keyDtype}
          options={KEY_DTYPES}
          onCommit={(keyDtype) => change({ keyDtype })}
        />
        <SelectField
          label="Initializer"
          value={table.initializer}
          options={INITIALIZERS}
          onCommit={(initializer) => change({ initializer })}
        />
        {scaleLabel && (
          <NumberField
            label={scaleLabel}
            value={table.initScale}
            min={-100}
            max={100}
            onCommit={(initScale) => change({ initScale })}
          />
        )}
        <NumberField
          label="Initializer seed"
          value={table.initSeed}
          min={0}
          max={2 ** 31 - 1}
          integer
          onCommit={(initSeed) => change({ initSeed })}
        />
        <SelectField
          label="Optimizer"
          value={table.optimizer}
          options={OPTIMIZERS}
          onCommit={(optimizer) => change({ optimizer })}
        />
        <NumberField
          label="Learning rate"
          value={table.learningRate}
          min={1e-6}
          max={10}
          onCommit={(learningRate) => change({ learningRate })}
        />
        <SelectField
          label="Restrict policy"
          value={table.restrictPolicy}
          options={RESTRICT_POLICIES}
          onCommit={(restrictPolicy) => change({ restrictPolicy })}
        />
        {table.restrictPolicy !== 'none' && (
          <NumberField
            label="Keys kept"
            value={table.restrictLimit}
            min={1}
            max={LIMITS.restrictLimit}
            integer
            onCommit={(restrictLimit) => change({ restrictLimit })}
          />
        )}
        <NumberField
          label="Partitions"
          value={table.partitions}
          min={1}
          max={LIMITS.partitions}
          integer
          onCommit={(partitions) => change({ partitions })}
        />
        <SelectField
          label="Placement"
          value={table.placement}
          options={PLACEMENTS}
          labels={{ 'in-process': 'In-process', workers: 'Worker pool' }}
          onCommit={(placement) => change({ placement })}
        />
        <CheckField
          label="Insert on lookup"
          value={table.insertOnLookup}
          onCommit={(insertOnLookup) => change({ insertOnLookup })}
        />
        <SelectField
          label="Gather path"
          value={table.gather}
          options={GATHER_PATHS}
          labels={{ wasm: 'WASM', webgl: 'WebGL', auto: 'auto (calibrate)' }}
          onCommit={(gather) => updateTable(index, { gather })}
        />
        <NumberField
          label="maxNorm (0 = off)"
          value={table.maxNorm}
          min={0}
          max={1000}
          onCommit={(maxNorm) => change({ maxNorm })}
        />
      </div>
      {table.placement === 'workers' ? (
        <p className="note" data-testid="gather-note">
          Gather path: not used on the worker pool — the pool&apos;s workers gather the rows in WASM and send them back.
        </p>
      ) : (
        <GatherNote asked={table.gather} />
      )}
      {refused && (
        <p role="alert" className="note warn">
          {refused}
        </p>
      )}
      <PlacementNote table={table} />
      <div className="actions">
        <button type="button" disabled={count >= LIMITS.tables} onClick={() => duplicateTable(index)}>
          Duplicate {table.name}
        </button>
        <button type="button" disabled={count <= 1} onClick={() => removeTable(index)}>
          Delete {table.name}
        </button>
      </div>
    </fieldset>
  );
}

export function TablesPanel() {
  const { tables, addTable, revision } = usePlayground(
    useShallow((s) => ({ tables: s.workspace.tables, addTable: s.addTable, revision: s.editRevision })),
  );
  const names = tables.map((t) => t.name);
  return (
    <div>
      {tables.map((t, i) => (
        <TableCard key={`${i}-${t.name}-${revision}`} index={i} table={t} names={names} />
      ))}
      <button type="button" onClick={addTable} disabled={tables.length >= LIMITS.tables}>
        Add table
      </button>
    </div>
  );
}
