import type { ReactNode } from 'react';
import type { PanelId } from '../store.js';

/** A titled region of the playground. `id` doubles as the landmark's accessible name target. */
export function Panel({
  id,
  title,
  area,
  children,
}: {
  id: PanelId;
  title: string;
  area: string;
  children: ReactNode;
}) {
  return (
    <section className="panel" aria-labelledby={`panel-${id}-title`} style={{ gridArea: area }} data-panel={id}>
      <h2 id={`panel-${id}-title`}>{title}</h2>
      <div className="panel-body">{children}</div>
    </section>
  );
}

/**
 * What an unbuilt panel shows: what will appear there, in the user's terms, and plainly
 * that it is not available yet — never a control that does nothing.
 */
export function Upcoming({ what, items }: { what: string; items: string[] }) {
  return (
    <div className="upcoming">
      <p>{what}</p>
      <ul>
        {items.map((item) => (
          <li key={item}>{item}</li>
        ))}
      </ul>
      <p className="upcoming-note">Not available yet in this build.</p>
    </div>
  );
}
