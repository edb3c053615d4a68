// Asks before a change empties tables that hold keys: a modal <dialog> (focus moves into it,
// Tab stays inside, Escape keeps the data), with what would be emptied and why. Focus lands on the
// heading, not a button: the Enter that committed a field (a rename) must not also press one.
// Tab reaches "Keep data" first.
import { useEffect, useRef } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { usePlayground } from '../store.js';

export function DiscardDialog() {
  const { pending, confirmDiscard, keepData } = usePlayground(
    useShallow((s) => ({ pending: s.pendingDiscard, confirmDiscard: s.confirmDiscard, keepData: s.keepData })),
  );
  const ref = useRef<HTMLDialogElement>(null);
  const title = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (pending && !d.open) {
      d.showModal();
      title.current?.focus();
    } else if (!pending && d.open) d.close();
  }, [pending]);
  const total = pending?.discards.reduce((a, x) => a + x.keys, 0) ?? 0;
  return (
    <dialog
      ref={ref}
      className="confirm discard-dialog"
      aria-labelledby="discard-title"
      aria-describedby="discard-what"
      onCancel={(e) => {
        // Escape: keep the data (the change is not applied).
        e.preventDefault();
        keepData();
      }}
    >
      {pending && (
        <>
          <h2 id="discard-title" tabIndex={-1} ref={title}>
            Discard the trained data?
          </h2>
          <p id="discard-what">
            {pending.what} empties {pending.discards.length === 1 ? 'a table' : `${pending.discards.length} tables`}{' '}
            holding {total.toLocaleString('en')} keys:
          </p>
          <ul>
            {pending.discards.map((d) => (
              <li key={d.table}>
                <strong>{d.table}</strong> ({d.keys.toLocaleString('en')} keys): {d.why}
              </li>
            ))}
          </ul>
          <p className="muted">
            TFRA fixes a table&apos;s dim, key dtype, partitions, initializer, restrict policy and placement when it is
            created, so the table is created anew, empty. Learning rate, optimizer, maxNorm, restrict limit, features
            and generator changes keep the rows.
          </p>
          <div className="actions">
            <button type="button" onClick={keepData}>
              Keep data
            </button>{' '}
            <button type="button" onClick={confirmDiscard}>
              Discard data and apply
            </button>
          </div>
        </>
      )}
    </dialog>
  );
}
