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
    <section
      className="panel"
      id={`panel-${id}`}
      aria-labelledby={`panel-${id}-title`}
      style={{ gridArea: area }}
      data-panel={id}
    >
      <h2 id={`panel-${id}-title`}>{title}</h2>
      <div className="panel-body">{children}</div>
    </section>
  );
}
