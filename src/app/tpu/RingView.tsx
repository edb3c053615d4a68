// The ring all-reduce, one ring step at a time: the cores on a circle, the link from each core
// to its right neighbour, and for the step just run which chunk crossed each link and what
// happened to it (delivered, late = straggler, dropped). The moving dot is left out when the
// user prefers reduced motion; the labels carry the same information.
import { useSyncExternalStore } from 'react';
import type { RingView as Ring } from '../../playground/tpu/index.js';

const FATE_STYLE = {
  delivered: { stroke: '#0072B2', dash: undefined, text: 'delivered' },
  late: { stroke: '#E69F00', dash: '6 4', text: 'late (straggler)' },
  dropped: { stroke: '#D55E00', dash: '2 4', text: 'dropped' },
} as const;

function subscribeMotion(cb: () => void): () => void {
  const m = window.matchMedia('(prefers-reduced-motion: reduce)');
  m.addEventListener('change', cb);
  return () => m.removeEventListener('change', cb);
}

export function usePrefersReducedMotion(): boolean {
  return useSyncExternalStore(
    subscribeMotion,
    () => window.matchMedia('(prefers-reduced-motion: reduce)').matches,
    () => false,
  );
}

export function RingDiagram({ ring, numCores }: { ring: Ring | null; numCores: number }) {
  const reduced = usePrefersReducedMotion();
  const size = 280;
  // wider than tall: room for the link labels beside the ring
  const width = 360;
  const R = 100;
  const cx = width / 2;
  const cy = size / 2;
  const pos = (i: number) => {
    const a = (2 * Math.PI * i) / numCores - Math.PI / 2;
    return { x: cx + R * Math.cos(a), y: cy + R * Math.sin(a) };
  };
  const msgs = ring?.last?.messages ?? [];
  const caption = !ring
    ? 'The ring all-reduce runs in the all-reduce phase.'
    : ring.last
      ? `${ring.phase === 'done' && ring.ringIndex === ring.rings - 1 ? 'The step’s last ring step. ' : ''}Table ${ring.table} (ring ${ring.ringIndex + 1} of ${ring.rings}): ${ring.last.phase} step ${ring.last.step + 1} of ${numCores - 1} — ring step ${ring.done} of ${ring.total}${ring.last.lateArrivals ? `, ${ring.last.lateArrivals} late message(s) arrived` : ''}`
      : `Table ${ring.table} (ring ${ring.ringIndex + 1} of ${ring.rings}): ready, ${ring.total} ring steps (reduce-scatter then all-gather).`;
  return (
    <figure className="tpu-ring">
      <svg
        width={width}
        height={size}
        viewBox={`0 0 ${width} ${size}`}
        role="img"
        aria-label={`Ring of ${numCores} cores. ${caption}`}
      >
        <defs>
          <marker id="tpu-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto">
            <path d="M0,0 L10,5 L0,10 z" fill="#4a5568" />
          </marker>
        </defs>
        {numCores > 1 &&
          Array.from({ length: numCores }, (_, i) => {
            const a = pos(i);
            const b = pos((i + 1) % numCores);
            const m = msgs.find((x) => x.from === i);
            const style = m ? FATE_STYLE[m.fate] : null;
            const mx = (a.x + b.x) / 2;
            const my = (a.y + b.y) / 2;
            // From the edge of one core's circle to the edge of the next (the arrowhead shows).
            const len = Math.hypot(b.x - a.x, b.y - a.y);
            const k = Math.min(0.45, 25 / len);
            // Two cores: the two links run between the same circles, side by side (right of travel).
            const side = numCores === 2 ? 7 : 0;
            const px = (-(b.y - a.y) / len) * side;
            const py = ((b.x - a.x) / len) * side;
            // The label sits outside the ring, beside its link: left of it on the left, right on the right.
            const out = Math.hypot(mx - cx, my - cy) || 1;
            const ux = (mx - cx) / out;
            const uy = (my - cy) / out;
            const ox = numCores === 2 ? px * 1.5 : ux * 8;
            const oy = numCores === 2 ? py * 1.5 : uy * 8 + (Math.abs(ux) < 0.3 ? uy * 6 : 3);
            const anchor =
              numCores === 2 ? (px > 0 ? 'start' : 'end') : Math.abs(ux) < 0.3 ? 'middle' : ux > 0 ? 'start' : 'end';
            const path = `M${a.x + (b.x - a.x) * k + px},${a.y + (b.y - a.y) * k + py} L${b.x - (b.x - a.x) * k + px},${b.y - (b.y - a.y) * k + py}`;
            return (
              <g key={i}>
                <path
                  d={path}
                  stroke={style?.stroke ?? '#c5ccd6'}
                  strokeWidth={style ? 3 : 1.5}
                  strokeDasharray={style?.dash}
                  fill="none"
                  markerEnd="url(#tpu-arrow)"
                />
                {m && (
                  <text x={mx + ox} y={my + oy} fontSize="10" textAnchor={anchor} fill="#1c2330">
                    {`chunk ${m.chunk}: ${m.bytes} B${m.fate === 'delivered' ? '' : m.fate === 'late' ? ' late' : ' ✕'}`}
                  </text>
                )}
                {m && m.fate !== 'dropped' && !reduced && (
                  <circle r="4" fill={style?.stroke} key={`${ring?.ringIndex}-${ring?.done}`}>
                    <animateMotion dur="0.8s" repeatCount="1" fill="freeze" path={path} />
                  </circle>
                )}
              </g>
            );
          })}
        {Array.from({ length: numCores }, (_, i) => {
          const p = pos(i);
          return (
            <g key={`core-${i}`}>
              <circle cx={p.x} cy={p.y} r="22" fill="#fff" stroke="#0b3d91" strokeWidth="1.5" />
              <text x={p.x} y={p.y + 4} fontSize="10" textAnchor="middle" fill="#0b3d91">
                {`core ${i}`}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption>
        {caption}
        <span className="tpu-ring-legend">
          {Object.entries(FATE_STYLE).map(([k, s]) => (
            <span key={k}>
              <svg width="22" height="8" aria-hidden="true">
                <line x1="0" y1="4" x2="22" y2="4" stroke={s.stroke} strokeWidth="3" strokeDasharray={s.dash} />
              </svg>{' '}
              {s.text}
            </span>
          ))}
        </span>
        {ring && ring.bytesPerLink.some((b) => b > 0) && (
          <span className="muted">
            {' '}
            Bytes per link so far: {ring.bytesPerLink.map((b, i) => `${i}→${(i + 1) % numCores}: ${b}`).join(', ')}.
          </span>
        )}
      </figcaption>
    </figure>
  );
}
