// How figures and rows are written: numbers for tables and axes, rows as a markdown table.
import type { PerfRow } from './sections.js';

function fmt(x: unknown): string {
  if (typeof x !== 'number') return x === undefined || x === null ? '' : String(x);
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1e6) return x.toExponential(3);
  if (a >= 100) return x.toFixed(0);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(3);
}

/** Formats a figure for tables: 3 significant-ish digits, exponents for millions and up. */
export function formatNumber(x: number | undefined): string {
  return fmt(x);
}

/**
 * A figure for people (the Performance page's table and axes): 3 significant digits, with k, M
 * or G from ten thousand up, so 2.501e7 reads "25.0 M". `trim` drops trailing zeros (axis ticks).
 *
 * @example
 * formatReadable(25_010_000); // '25.0 M'
 * formatReadable(12, { trim: true }); // '12'
 */
export function formatReadable(x: number | undefined, opts: { trim?: boolean } = {}): string {
  if (x === undefined) return '';
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  const [d, suffix] = a >= 1e9 ? [x / 1e9, ' G'] : a >= 1e6 ? [x / 1e6, ' M'] : a >= 1e4 ? [x / 1e3, ' k'] : [x, ''];
  // 1000..9999 and 100..999.x: whole numbers (toPrecision would write 1.23e+3)
  const body = Math.abs(d) >= 100 ? d.toFixed(0) : opts.trim ? String(Number(d.toPrecision(3))) : d.toPrecision(3);
  return `${body}${suffix}`;
}

/**
 * Rows as a GitHub markdown table: section, case, value, unit, baseline, baseline value, ratio,
 * note; with `{ target: true }` also the target ratio of each row (as `npm run bench` prints).
 *
 * @example
 * toMarkdown(rows); // '| section | case | value | ...'
 */
export function toMarkdown(rows: PerfRow[], opts: { target?: boolean } = {}): string {
  const head = ['section', 'case', 'value', 'unit', 'baseline', 'baseline value', 'ratio'];
  if (opts.target) head.push('target');
  head.push('note');
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    const cells = [
      r.section,
      r.name,
      fmt(r.value),
      r.unit,
      r.baselineName ?? '',
      fmt(r.baseline),
      r.ratio === undefined ? '' : `${fmt(r.ratio)}x`,
    ];
    if (opts.target) cells.push(r.target ?? '');
    cells.push(r.note ?? '');
    lines.push(`| ${cells.map(cell).join(' | ')} |`);
  }
  return lines.join('\n');
}
