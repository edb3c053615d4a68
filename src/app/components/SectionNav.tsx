import { PANEL_ORDER, PANELS } from '../panels/descriptions.js';

/** The sections in page order; the demo sits after the panel grid. */
const SECTIONS: { id: string; title: string }[] = [
  ...PANEL_ORDER.map((id) => ({ id: `panel-${id}`, title: PANELS[id].title })),
  { id: 'panel-demo', title: 'Live demo' },
];

/**
 * Jumps to a section. Buttons, not `#anchor` links: the page address's hash holds the workspace
 * (`#w=...`), which an anchor would overwrite. The section's heading takes the focus, so keyboard
 * users continue from there; the scroll is instant when the user prefers reduced motion.
 */
function jumpTo(id: string): void {
  const section = document.getElementById(id);
  if (!section) return;
  const reduce = window.matchMedia?.('(prefers-reduced-motion: reduce)').matches ?? false;
  section.scrollIntoView({ behavior: reduce ? 'auto' : 'smooth', block: 'start' });
  const heading = section.querySelector<HTMLElement>('h2');
  if (heading) {
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  }
}

/** A row of buttons that jump to each section of the long page. */
export function SectionNav() {
  return (
    <nav className="section-nav" aria-label="Sections">
      {SECTIONS.map((s) => (
        <button key={s.id} type="button" onClick={() => jumpTo(s.id)}>
          {s.title}
        </button>
      ))}
    </nav>
  );
}
