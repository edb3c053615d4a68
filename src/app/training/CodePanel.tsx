// Code: the dynemb TypeScript and the TFRA Python (de.interop.toTfraPython, from the worker's
// live tables) for the current workspace, with copy buttons; downloads of the checkpoint and the
// .npy files of the tables as they are now.
import { useEffect, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { usePlayground } from '../store.js';
import { pooledDownloadNote } from '../../playground/workspace/index.js';
import { typescriptFor } from './code.js';
import { exportTrainingFiles } from './controller.js';

function download(name: string, bytes: Uint8Array | string, type: string): void {
  const blob = new Blob([bytes as BlobPart], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function CodeBlock({ title, code, lang }: { title: string; code: string; lang: string }) {
  const [copied, setCopied] = useState<string | null>(null);
  return (
    <div className="code-block">
      <div className="code-head">
        <h3>{title}</h3>
        <button
          type="button"
          onClick={() => {
            navigator.clipboard.writeText(code).then(
              () => setCopied('Copied.'),
              (e: unknown) => setCopied(`Could not copy: ${e instanceof Error ? e.message : String(e)}`),
            );
          }}
        >
          Copy {lang}
        </button>
        <span role="status" className="muted">
          {copied}
        </span>
      </div>
      <pre tabIndex={0} aria-label={`${lang} code`} data-testid={`code-${lang.toLowerCase()}`}>
        <code>{code}</code>
      </pre>
    </div>
  );
}

export function CodePanel() {
  const { workspace, tables, features } = usePlayground(
    useShallow((s) => ({ workspace: s.workspace, tables: s.workspace.tables, features: s.workspace.features })),
  );
  const [python, setPython] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // Tables on the worker pool are copied in-process by the engine worker for the downloads.
  const pooled = tables.filter((t) => t.placement === 'workers').map((t) => t.name);
  useEffect(() => {
    let live = true;
    void exportTrainingFiles().then((f) => {
      if (live && f) setPython(f.python);
    });
    return () => {
      live = false;
    };
  }, [tables, features]);
  const withFiles = async (fn: (f: NonNullable<Awaited<ReturnType<typeof exportTrainingFiles>>>) => void) => {
    setBusy(true);
    setError(null);
    try {
      const f = await exportTrainingFiles();
      if (!f) throw new Error('The engine worker could not export the tables (see the Training panel).');
      setPython(f.python);
      fn(f);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div>
      <p className="note">
        Both rebuild the tables, features and optimizers shown here. The Python loads the rows from the .npy files
        (download them below, next to the script); the TypeScript trains one step of the Training panel&apos;s model.
      </p>
      <div className="train-buttons" role="group" aria-label="Downloads">
        <button
          type="button"
          disabled={busy}
          onClick={() => void withFiles((f) => download('playground.dynemb', f.checkpoint, 'application/octet-stream'))}
        >
          Download checkpoint
        </button>
        <button
          type="button"
          disabled={busy}
          onClick={() =>
            void withFiles((f) => {
              for (const [name, bytes] of Object.entries(f.npy)) download(name, bytes, 'application/octet-stream');
            })
          }
        >
          Download .npy files
        </button>
        <button
          type="button"
          disabled={busy}
          onClick={() => void withFiles((f) => download('rebuild_tfra.py', f.python, 'text/x-python'))}
        >
          Download Python script
        </button>
      </div>
      {pooled.length > 0 && (
        <p className="note" data-testid="files-pooled">
          {pooledDownloadNote(pooled)}
        </p>
      )}
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      <div className="code-grid">
        <CodeBlock title="TypeScript (dynemb)" lang="TypeScript" code={typescriptFor(workspace)} />
        <CodeBlock
          title="Python (TFRA, de.interop.toTfraPython)"
          lang="Python"
          code={python ?? '# Reading the tables from the engine worker…'}
        />
      </div>
    </div>
  );
}
