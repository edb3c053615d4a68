// Presets: documented examples, one click each.
import { openDemo } from '../demo/open.js';
import { usePlayground } from '../store.js';
import { PRESETS } from '../../playground/workspace/index.js';

export function PresetsPanel() {
  const loadPreset = usePlayground((s) => s.loadPreset);
  const current = usePlayground((s) => s.preset);
  return (
    <ul className="presets">
      {PRESETS.map((p) => (
        <li key={p.id}>
          <button
            type="button"
            aria-pressed={current === p.id}
            onClick={() => {
              loadPreset(p.id);
              // Not while the preset waits on "Discard the trained data?" (Keep data leaves all as it was).
              if (p.opens === 'demo' && !usePlayground.getState().pendingDiscard) void openDemo();
            }}
          >
            Load preset: {p.title}
          </button>
          <span className="muted">
            {' '}
            {p.about}
            {p.expected && <> Expected output: {p.expected}.</>}
          </span>
        </li>
      ))}
    </ul>
  );
}
