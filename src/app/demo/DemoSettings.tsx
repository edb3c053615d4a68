// The demo's settings: the world's seed and sizes, the model's dimension and learning rate, and
// the restrict limit of the item table. Applied as a whole (validated like a URL's workspace):
// they go into the workspace, so the URL carries them, and the demo restarts with them.
import { useId, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { usePlayground } from '../store.js';
import { type DemoSpec, validateDemoSpec, WorkspaceError } from '../../playground/workspace/index.js';
import { demoSpecOf } from '../workspace/views.js';

const FIELDS: { key: keyof DemoSpec; label: string; step?: string }[] = [
  { key: 'seed', label: 'World seed' },
  { key: 'users', label: 'Users' },
  { key: 'initialItems', label: 'Items at step 0' },
  { key: 'newItemsPerStep', label: 'New items per step' },
  { key: 'maxItems', label: 'Items at most' },
  { key: 'itemTableLimit', label: 'Item table limit (restrict)' },
  { key: 'dim', label: 'Embedding dim' },
  { key: 'learningRate', label: 'Learning rate', step: 'any' },
];

export function DemoSettings({ disabled }: { disabled: boolean }) {
  const spec = usePlayground(useShallow((s) => demoSpecOf(s.demoConfig, s.demoTarget, s.demoUser)));
  const [draft, setDraft] = useState<Record<string, string> | null>(null);
  const [problems, setProblems] = useState<string[]>([]);
  // The form is rendered only while open: closed, its fields are neither shown nor in the tab order.
  const [open, setOpen] = useState(false);
  const base = useId();
  const values = draft ?? Object.fromEntries(FIELDS.map((f) => [f.key, String(spec[f.key])]));

  const apply = () => {
    const next: Record<string, unknown> = { ...spec };
    for (const f of FIELDS) next[f.key] = values[f.key].trim() === '' ? Number.NaN : Number(values[f.key]);
    next.user = Math.min(spec.user, Math.max(0, Number(next.users) - 1));
    try {
      const valid = validateDemoSpec(next);
      setProblems([]);
      setDraft(null);
      usePlayground.setState((s) => ({ workspace: { ...s.workspace, demo: valid } }));
    } catch (e) {
      setProblems(e instanceof WorkspaceError ? e.problems : [String(e)]);
    }
  };

  return (
    <details className="demo-settings" open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>World and model settings</summary>
      {open && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            apply();
          }}
        >
          <div className="demo-settings-grid">
            {FIELDS.map((f) => (
              <div className="field" key={f.key}>
                <label htmlFor={`${base}-${f.key}`}>{f.label}</label>
                <input
                  id={`${base}-${f.key}`}
                  type="number"
                  step={f.step ?? '1'}
                  value={values[f.key]}
                  disabled={disabled}
                  onChange={(e) => setDraft({ ...values, [f.key]: e.target.value })}
                />
              </div>
            ))}
          </div>
          <button type="submit" disabled={disabled}>
            Apply and restart the demo
          </button>{' '}
          {draft && (
            <button
              type="button"
              onClick={() => {
                setDraft(null);
                setProblems([]);
              }}
            >
              Discard changes
            </button>
          )}
          {problems.length > 0 && (
            <div className="notice error" role="alert">
              These settings were not applied:
              <ul>
                {problems.map((p) => (
                  <li key={p}>{p}</li>
                ))}
              </ul>
            </div>
          )}
        </form>
      )}
    </details>
  );
}
