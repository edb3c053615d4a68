// Import a local CSV / JSONL feature log into batches: read in this page, never uploaded.
import { useId, useRef, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { columnBatch, IMPORT_FORMAT_HELP, ImportCancelled, type ImportedLog, readLog } from '../batch/importLog.js';
import { usePlayground } from '../store.js';

export function ImportSection() {
  const { features, batchSize, setBatchText } = usePlayground(
    useShallow((s) => ({
      features: s.workspace.features,
      batchSize: s.workspace.generator.batchSize,
      setBatchText: s.setBatchText,
    })),
  );
  const fileId = useId();
  const [progress, setProgress] = useState<{ done: number; total: number; name: string } | null>(null);
  const [log, setLog] = useState<ImportedLog | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  /** column index -> feature name ('' = not used) */
  const [mapping, setMapping] = useState<string[]>([]);
  const [cursor, setCursor] = useState(0);
  const abort = useRef<AbortController | null>(null);

  const onFile = async (file: File) => {
    const format = /\.jsonl?$/i.test(file.name) ? 'jsonl' : 'csv';
    const c = new AbortController();
    abort.current = c;
    setLog(null);
    setMessage(null);
    setProgress({ done: 0, total: file.size, name: file.name });
    try {
      const result = await readLog(
        file,
        format,
        (done, total) => setProgress({ done, total, name: file.name }),
        c.signal,
      );
      setLog(result);
      setCursor(0);
      setMapping(result.columns.map((col) => (features.some((f) => f.name === col) ? col : '')));
      setMessage(
        `Read ${result.rows.length.toLocaleString('en')} rows of ${file.name}` +
          (result.skippedCount
            ? `; skipped ${result.skippedCount} lines (${result.skipped
                .slice(0, 3)
                .map((s) => `line ${s.line}: ${s.reason}`)
                .join('; ')}).`
            : '.'),
      );
    } catch (e) {
      setMessage(e instanceof ImportCancelled ? 'Import cancelled.' : `Import failed: ${(e as Error).message}`);
    } finally {
      setProgress(null);
      abort.current = null;
    }
  };

  const useRows = () => {
    if (!log) return;
    mapping.forEach((feature, col) => {
      if (feature) setBatchText(feature, columnBatch(log, col, cursor, batchSize));
    });
    setCursor(cursor + batchSize >= log.rows.length ? 0 : cursor + batchSize);
  };

  return (
    <details className="sub">
      <summary>Import a feature log (CSV / JSONL)</summary>
      <p className="note">
        The file is read in this page and never uploaded. Expected format: a header row (CSV) or one JSON object per
        line (JSONL); several ids in a cell separated by spaces or |, weights as id:weight.
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
          accept=".csv,.jsonl,.json,text/csv"
          disabled={progress !== null}
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) void onFile(f);
            e.target.value = '';
          }}
        />
      </div>
      {progress && (
        <div>
          <label>
            Reading {progress.name}{' '}
            <progress value={progress.done} max={progress.total || 1}>
              {Math.round((100 * progress.done) / (progress.total || 1))}%
            </progress>
          </label>{' '}
          <button type="button" onClick={() => abort.current?.abort()}>
            Cancel import
          </button>
        </div>
      )}
      {message && <p role="status">{message}</p>}
      {log && log.rows.length > 0 && (
        <div>
          <table className="mapping">
            <caption>Column to feature</caption>
            <thead>
              <tr>
                <th scope="col">Column</th>
                <th scope="col">Feature</th>
                <th scope="col">First row</th>
              </tr>
            </thead>
            <tbody>
              {log.columns.map((col, c) => (
                <tr key={col}>
                  <th scope="row">{col}</th>
                  <td>
                    <select
                      aria-label={`Feature for column ${col}`}
                      value={mapping[c] ?? ''}
                      onChange={(e) => setMapping(mapping.map((m, k) => (k === c ? e.target.value : m)))}
                    >
                      <option value="">(not used)</option>
                      {features.map((f) => (
                        <option key={f.name} value={f.name}>
                          {f.name}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>
                    <code>{log.rows[0][c]}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <button type="button" disabled={!mapping.some(Boolean)} onClick={useRows}>
            Use rows {cursor + 1}–{Math.min(log.rows.length, cursor + batchSize)} as the batch
          </button>
        </div>
      )}
    </details>
  );
}
