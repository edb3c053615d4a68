// Lookup inspector: what each id of the last batch turned into, and why the output has its shape.
import { useShallow } from 'zustand/react/shallow';
import { runLookup } from '../runtime/worker.js';
import { type LookupState, usePlayground } from '../store.js';

/** Diverging, colour-blind-safe (ColorBrewer PuOr): orange below zero, purple above, white at zero. */
function cellColour(x: number, scale: number): string {
  const t = scale > 0 ? Math.max(-1, Math.min(1, x / scale)) : 0;
  const [r, g, b] = t >= 0 ? [94, 60, 153] : [230, 97, 1];
  const a = Math.abs(t);
  const mix = (c: number) => Math.round(255 + (c - 255) * a);
  return `rgb(${mix(r)}, ${mix(g)}, ${mix(b)})`;
}

function Strip({ values, scale, label }: { values: ArrayLike<number>; scale: number; label: string }) {
  const cells = Array.from(values);
  return (
    <span className="strip" role="img" aria-label={`${label}: ${cells.map((x) => x.toFixed(4)).join(', ')}`}>
      {cells.map((x, i) => (
        <span key={i} className="cell" style={{ background: cellColour(x, scale) }} title={`[${i}] = ${x}`} />
      ))}
    </span>
  );
}

export function RunLookupButton() {
  const { worker, running } = usePlayground(
    useShallow((s) => ({ worker: s.worker.phase, running: s.lookup.phase === 'running' })),
  );
  return (
    // While a lookup runs the button waits (aria-disabled) but keeps keyboard focus.
    <button
      type="button"
      disabled={worker === 'error'}
      aria-disabled={running}
      onClick={() => {
        if (!running) void runLookup();
      }}
    >
      Run lookup
    </button>
  );
}

const STATUS_LABEL = { hit: 'hit', miss: 'miss (initializer value)', inserted: 'inserted' } as const;

const tuple = (s: number[]) => `(${s.join(', ')}${s.length === 1 ? ',' : ''})`;

export function LookupPanel() {
  const { lookup, worker } = usePlayground(useShallow((s) => ({ lookup: s.lookup, worker: s.worker })));
  if (worker.phase === 'error') {
    return <p className="field-error">The engine worker failed to start: {worker.message}</p>;
  }
  // The button stays in one place in the tree whatever the phase, so keyboard focus stays on it.
  return (
    <div>
      {lookup.phase === 'idle' && (
        <p className="note">Type or generate a batch, then run the lookup: every id is traced to where it lives.</p>
      )}
      {lookup.phase === 'running' && <p role="status">Looking up…</p>}
      {lookup.phase === 'error' && (
        <p className="field-error" role="alert">
          {lookup.message}
        </p>
      )}
      {lookup.phase === 'done' && <LookupResult lookup={lookup} />}
      <RunLookupButton />
    </div>
  );
}

function LookupResult({ lookup }: { lookup: Extract<LookupState, { phase: 'done' }> }) {
  const { reply, rule } = lookup;
  let scale = 0;
  for (const id of reply.ids) for (const x of id.vector) scale = Math.max(scale, Math.abs(x));
  let outScale = 0;
  for (const x of reply.output) outScale = Math.max(outScale, Math.abs(x));
  const dim = reply.shape[reply.shape.length - 1];
  const outRows = reply.output.length / dim;
  const count = (st: string) => reply.ids.filter((i) => i.status === st).length;
  const hits = count('hit');
  const pooled = reply.poolWorkers !== null;
  const inserted = new Set(reply.ids.filter((i) => i.status === 'inserted').map((i) => i.id)).size;
  return (
    <div>
      <p className="shape-line">
        Output shape <strong data-testid="output-shape">{tuple(reply.shape)}</strong>
      </p>
      <p className="note">
        Rule: <code>{rule}</code>
        <br />
        Engine call (in the worker, {reply.ms.toFixed(1)} ms): <code>{reply.engineCall}</code>
        <br />
        <span data-testid="lookup-gather">
          Gather path: {reply.gather.used === 'webgl' ? 'WebGL' : 'WASM'}
          {reply.gather.fellBack
            ? ` (the table asks for ${reply.gather.asked}; ${reply.gather.reason})`
            : ` (${reply.gather.reason})`}
          .
        </span>
        <br />
        Feature {reply.feature} → table {reply.table} ({reply.tableSize.toLocaleString('en')} keys held). {hits} of{' '}
        {reply.ids.length} ids hit
        {reply.insertOnLookup ? (
          <>
            ;{' '}
            {inserted === 0
              ? 'none was missing, so none was inserted'
              : `${inserted} missing ${inserted === 1 ? 'key was' : 'keys were'} inserted with the initializer's value`}{' '}
            (this table has insertOnLookup: a lookup is find-or-insert, as HKV; TFRA&apos;s lookup never inserts).
          </>
        ) : (
          <>
            ; misses read the initializer&apos;s value and are not stored (a lookup never inserts, as TFRA; training
            inserts the keys it updates, and a table with insertOnLookup inserts on lookup).
          </>
        )}
        {lookup.maxNorm > 0 && <> maxNorm {lookup.maxNorm}: clipped vectors are marked ✂.</>}
        {pooled && (
          <>
            <br />
            <span data-testid="lookup-pool">
              Placement: worker pool — {reply.table}&apos;s shards live on {reply.poolWorkers} engine workers (shard i
              on worker i mod {reply.poolWorkers}); the rows were fetched from them. Slots and rows inside a
              worker&apos;s hash table are not read across workers (–).
            </span>
          </>
        )}
      </p>
      <div className="table-scroll" tabIndex={0} role="group" aria-label="Per-id lookups">
        <table className="ids-table">
          <caption>Per id (hover a cell for its exact value)</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Id</th>
              <th scope="col">Status</th>
              <th scope="col">Shard</th>
              {pooled && <th scope="col">Worker</th>}
              <th scope="col">Slot</th>
              <th scope="col">Row</th>
              <th scope="col">‖v‖</th>
              <th scope="col">Vector</th>
            </tr>
          </thead>
          <tbody>
            {reply.ids.map((r, i) => (
              <tr key={i}>
                <td>{i}</td>
                <td>
                  <code>{r.id}</code>
                </td>
                <td className={`status ${r.status}`}>{STATUS_LABEL[r.status]}</td>
                <td>{r.shard}</td>
                {pooled && <td>{r.worker}</td>}
                <td>{r.slot >= 0 ? r.slot : '–'}</td>
                <td>{r.row >= 0 ? r.row : '–'}</td>
                <td>
                  {r.norm.toFixed(3)}
                  {r.clipped && <span title={`clipped to maxNorm ${lookup.maxNorm}`}> ✂</span>}
                </td>
                <td>
                  <Strip values={r.vector} scale={scale} label={`id ${r.id}`} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {outRows <= 64 && (
        <details className="sub" open={reply.shape.length <= 2}>
          <summary>
            Output tensor, {outRows} vectors of {dim}
          </summary>
          <ol className="out-rows" start={0} data-testid="output-rows">
            {Array.from({ length: outRows }, (_, k) => {
              // What made this vector: its ids, weights and combiner (one label per output vector).
              const why = lookup.outputLabels.length === outRows ? lookup.outputLabels[k] : null;
              return (
                <li key={k}>
                  <Strip
                    values={reply.output.subarray(k * dim, (k + 1) * dim)}
                    scale={outScale}
                    label={`output vector ${k}${why ? ` (${why})` : ''}`}
                  />{' '}
                  {why && <span className="out-why">{why}</span>}
                </li>
              );
            })}
          </ol>
        </details>
      )}
    </div>
  );
}
