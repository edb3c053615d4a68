// Import a local CSV / JSONL feature log: read and typed in a worker (never uploaded), each column
// mapped to a role, then its rows used as the batch or as training's batches.
import { useId } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { usePlayground } from '../store.js';
import { ColumnTable } from './ColumnTable.js';

/** The formats, as shown beside the file picker. */
export const IMPORT_FORMAT_HELP = {
  csv: 'user_id,item_ids,weight,title,label\n42,15|2|9,0.5,"Heat (1995), remastered",1\n7,4|92,1.25,plain,0\n',
  jsonl: '{"user_id": 42, "items": [15, 2, 9], "label": 1}\n{"user_id": 7, "items": [[4, 0.5], [92, 1]], "label": 0}\n',
};

const mb = (n: number) => (n < 100_000 ? `${(n / 1e3).toFixed(1)} kB` : `${(n / 1e6).toFixed(1)} MB`);

function Skipped({ list, count, what }: { list: { line: number; reason: string }[]; count: number; what: string }) {
  if (count === 0) return null;
  return (
    <details className="skipped" open={count <= 5}>
      <summary>
        {count.toLocaleString('en')} {what}
        {count > list.length ? ` (the first ${list.length} listed)` : ''}
      </summary>
      <ul>
        {list.map((s) => (
          <li key={`${s.line}:${s.reason}`}>
            line {s.line}: {s.reason}
          </li>
        ))}
      </ul>
    </details>
  );
}

export function ImportSection() {
  const s = usePlayground(
    useShallow((st) => ({
      progress: st.importProgress,
      read: st.importRead,
      message: st.importMessage,
      built: st.importBuilt,
      busy: st.importBusy,
      cursor: st.importCursor,
      training: st.importTraining,
      batchSize: st.workspace.generator.batchSize,
      open: st.importOpen,
      cancel: st.importCancel,
      apply: st.importApply,
      useRows: st.importUseRows,
      trainOn: st.importTrainOnLog,
    })),
  );
  const fileId = useId();
  const trainId = useId();
  const readSummary = s.read
    ? `Read ${s.read.rowsRead.toLocaleString('en')} rows of ${s.read.name} (${s.read.columns.toLocaleString('en')} columns, ${
        s.read.format === 'jsonl' ? 'JSONL' : s.read.format.toUpperCase()
      }, ${mb(s.read.bytes)}); columns typed from the first ${s.read.sampledRows.toLocaleString('en')} rows.`
    : null;
  return (
    <details className="sub">
      <summary>Import a feature log (CSV / JSONL)</summary>
      <p className="note">
        The file is read in a worker in this page and never uploaded. CSV: a header row; a field in double quotes may
        hold commas, quotes ("") and line breaks. JSONL: one object per line. Each column is typed (ids, an id list
        split by | or another separator, a number, text) and given a role: the ids of a feature (an existing one or a
        new one), the weights of a feature, the label, or ignored.
      </p>
      <div className="formats">
        <pre aria-label="CSV example" tabIndex={0}>
          {IMPORT_FORMAT_HELP.csv}
        </pre>
        <pre aria-label="JSONL example" tabIndex={0}>
          {IMPORT_FORMAT_HELP.jsonl}
        </pre>
      </div>
      <div className="field">
        <label htmlFor={fileId}>Feature log file</label>
        <input
          id={fileId}
          type="file"
          accept=".csv,.tsv,.jsonl,.ndjson,.json,text/csv"
          disabled={s.progress !== null}
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) void s.open(f);
            e.target.value = '';
          }}
        />
      </div>
      {s.progress && (
        <div className="import-progress">
          <label>
            Reading {s.progress.name}: {mb(s.progress.done)} of {mb(s.progress.total)}{' '}
            <progress value={s.progress.done} max={s.progress.total || 1}>
              {Math.round((100 * s.progress.done) / (s.progress.total || 1))}%
            </progress>
          </label>{' '}
          <button type="button" onClick={s.cancel}>
            Cancel import
          </button>
        </div>
      )}
      {(readSummary || s.message) && (
        <p role="status">
          {readSummary} {s.message}
        </p>
      )}
      {s.read && <Skipped list={s.read.skipped} count={s.read.skippedCount} what="lines could not be read as rows" />}
      {s.read && s.read.rowsRead > 0 && (
        <>
          <ColumnTable key={`${s.read.name}:${s.read.bytes}:${s.read.rowsRead}`} />
          <button type="button" disabled={s.busy} onClick={() => void s.apply()}>
            Apply mapping
          </button>
        </>
      )}
      {s.built && (
        <div className="import-built">
          <p role="status" aria-label="Mapping result">
            {s.built.rowsRead.toLocaleString('en')} rows read, {s.built.rows.toLocaleString('en')} used,{' '}
            {(s.built.rowsRead - s.built.rows).toLocaleString('en')} skipped.{' '}
            {s.built.features
              .map((f) => `${f.name}: ${f.ids.toLocaleString('en')} ids${f.weighted ? ', weighted' : ''}`)
              .join('; ')}
            {s.built.features.length > 0 ? '. ' : ''}
            {s.built.hasLabels ? `Label mean ${s.built.labelMean?.toFixed(3)}.` : 'No label column.'}
            {s.built.newFeatures.length > 0
              ? ` New features (each with its own table): ${s.built.newFeatures.join(', ')}.`
              : ''}
          </p>
          <Skipped list={s.built.skipped} count={s.built.skippedCount} what="rows or lines skipped" />
          {s.built.rows > 0 && s.built.features.length > 0 && (
            <button type="button" onClick={() => void s.useRows()}>
              Use rows {s.cursor + 1}–{Math.min(s.built.rows, s.cursor + s.batchSize)} as the batch
            </button>
          )}
          <div className="field field-check import-train">
            <input
              id={trainId}
              type="checkbox"
              checked={s.training !== null}
              disabled={!s.built.hasLabels || s.built.rows === 0}
              onChange={(e) => void s.trainOn(e.target.checked)}
            />
            <label htmlFor={trainId}>
              Train on this log instead of the generator (batch n = rows n·{s.batchSize} … of the log, its label column
              the target)
            </label>
          </div>
          {!s.built.hasLabels && <p className="note">Map a column to the label to train on this log.</p>}
        </div>
      )}
    </details>
  );
}
