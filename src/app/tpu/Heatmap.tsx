// A core's replica or shard of one table as a heatmap minimap: one row per table row, one cell
// per column, a diverging colour-blind-safe scale (orange negative, purple positive), the rows the
// core reads this step marked in the left margin, and the exact value under the pointer.
import { useEffect, useRef, useState } from 'react';

const MARK = 5;

/** PuOr-style diverging colour for x in [-1, 1]. */
export function divergingColour(x: number): string {
  const t = Math.max(-1, Math.min(1, x));
  const neg = [179, 88, 6];
  const mid = [247, 247, 247];
  const pos = [84, 39, 136];
  const end = t < 0 ? neg : pos;
  const a = Math.abs(t);
  const c = mid.map((m, i) => Math.round(m + (end[i] - m) * a));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

export function Heatmap({
  label,
  data,
  rows,
  cols,
  globalRows,
  marked,
  scale,
  version,
}: {
  label: string;
  data: Float32Array;
  rows: number;
  cols: number;
  globalRows: number[];
  /** Global rows to mark (read this step). */
  marked: ReadonlySet<number>;
  /** |value| that maps to full colour. */
  scale: number;
  version: number;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  const [hover, setHover] = useState<string | null>(null);
  const cellW = cols > 0 ? Math.max(4, Math.floor(48 / cols)) : 0;
  const cellH = rows > 40 ? 2 : rows > 20 ? 3 : 4;
  const width = MARK + cols * cellW;
  const height = Math.max(1, rows * cellH);
  useEffect(() => {
    const ctx = ref.current?.getContext('2d');
    if (!ctx) return;
    ctx.clearRect(0, 0, width, height);
    for (let r = 0; r < rows; r++) {
      if (marked.has(globalRows[r])) {
        ctx.fillStyle = '#1c2330';
        ctx.fillRect(0, r * cellH, MARK - 1, cellH);
      }
      for (let c = 0; c < cols; c++) {
        ctx.fillStyle = divergingColour(data[r * cols + c] / scale);
        ctx.fillRect(MARK + c * cellW, r * cellH, cellW, cellH);
      }
    }
  }, [data, rows, cols, globalRows, marked, scale, width, height, cellW, cellH, version]);
  if (rows === 0 || cols === 0) {
    return (
      <div className="tpu-heat empty">
        <span className="muted">{label}: no rows on this core</span>
      </div>
    );
  }
  return (
    <div className="tpu-heat">
      <span className="tpu-heat-label">
        {label} <span className="muted">{`${rows}×${cols}`}</span>
      </span>
      <canvas
        ref={ref}
        width={width}
        height={height}
        role="img"
        aria-label={`${label}: ${rows} rows × ${cols} columns; ${[...marked].filter((g) => globalRows.includes(g)).length} rows read this step`}
        onMouseMove={(e) => {
          const rect = e.currentTarget.getBoundingClientRect();
          const x = e.clientX - rect.left - MARK;
          const r = Math.floor((e.clientY - rect.top) / cellH);
          const c = Math.floor(x / cellW);
          if (r >= 0 && r < rows && c >= 0 && c < cols) {
            setHover(`row ${globalRows[r]}, col ${c}: ${data[r * cols + c].toFixed(4)}`);
          } else setHover(null);
        }}
        onMouseLeave={() => setHover(null)}
      />
      <span className="tpu-heat-readout" aria-live="off">
        {hover ?? '\u00a0'}
      </span>
    </div>
  );
}
