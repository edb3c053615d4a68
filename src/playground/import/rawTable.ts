// What reading a log file gives before any column is typed: the column names, every row's cells
// (strings from CSV; JSON values from JSONL, `undefined` where a line lacks a key), the line each
// row starts on, and the lines that could not be read as a row at all (broken JSON, a CSV quote
// left open at the end of the file). Whether a row is usable is decided later, per mapping: a row
// is skipped only for what is wrong with the columns that are used (see build.ts).

/** A line that was skipped, with its 1-based line number in the file and why. */
export interface SkippedLine {
  line: number;
  reason: string;
}

/** How many skipped lines are kept with their reasons (the count is always exact). */
export const SKIPPED_KEPT = 20;

export interface RawTable {
  format: 'csv' | 'jsonl';
  columns: string[];
  /** rows[r][c]: column c of row r; CSV cells are strings, JSONL cells any JSON value or undefined. */
  rows: unknown[][];
  /** lines[r]: the 1-based line of the file where row r starts. */
  lines: number[];
  /** The first {@link SKIPPED_KEPT} lines that are not rows, and how many there were. */
  skipped: SkippedLine[];
  skippedCount: number;
}

/** An empty table to fill. */
export function emptyTable(format: 'csv' | 'jsonl'): RawTable {
  return { format, columns: [], rows: [], lines: [], skipped: [], skippedCount: 0 };
}

/** Records a skipped line, keeping the first {@link SKIPPED_KEPT} reasons. */
export function skipLine(t: { skipped: SkippedLine[]; skippedCount: number }, line: number, reason: string): void {
  t.skippedCount++;
  if (t.skipped.length < SKIPPED_KEPT) t.skipped.push({ line, reason });
}

/** A value as it may be quoted in a message: JSON, cut to `max` characters. */
export function shown(v: unknown, max = 40): string {
  const s = v === undefined ? 'nothing' : typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
