// JSONL read in chunks: one JSON object per line. Keys become columns in the order first seen.
// Keys are read with Object.keys / a Map, never as properties of a plain object, so keys such as
// `constructor` or `__proto__` are ordinary columns (a missing key reads as undefined, not as
// Object.prototype's member of that name).
import { MAX_COLUMNS, ImportFormatError } from './csv.js';
import { emptyTable, type RawTable, skipLine } from './rawTable.js';

/**
 * A streaming JSONL reader: `push` text as it arrives, `end` for the table. Blank lines are
 * passed over; a line that is not a JSON object is skipped with its line number.
 *
 * @example
 * const p = new JsonlChunkParser();
 * p.push('{"user": 1, "items": [2, 3]}\n{"user": 4}\n');
 * p.end().columns; // ['user', 'items']
 */
export class JsonlChunkParser {
  private readonly table: RawTable = emptyTable('jsonl');
  private readonly index = new Map<string, number>();
  private pending = '';
  private line = 0;
  private started = false;

  /** Adds the next piece of the file's text. */
  push(text: string): void {
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    // A chunk without a newline finishes no line: append only (a 50 MB line is split once).
    if (text.indexOf('\n') === -1) {
      this.pending += text;
      return;
    }
    const all = this.pending + text;
    const last = all.lastIndexOf('\n');
    this.pending = all.slice(last + 1);
    for (const l of all.slice(0, last).split('\n')) this.lineOf(l);
  }

  /** Reads what is left and returns the table. */
  end(): RawTable {
    if (this.pending.length > 0) this.lineOf(this.pending);
    this.pending = '';
    if (this.table.rows.length === 0 && this.table.skippedCount === 0) {
      throw new ImportFormatError('The file is empty: expected one JSON object per line.');
    }
    return this.table;
  }

  private lineOf(raw: string): void {
    const line = ++this.line;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.trim() === '') return;
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch (e) {
      return skipLine(this.table, line, `not valid JSON (${(e as Error).message.slice(0, 80)})`);
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
      return skipLine(
        this.table,
        line,
        `expected a JSON object such as {"user_id": 42}, got ${Array.isArray(obj) ? 'an array' : typeof obj === 'object' ? 'null' : `a ${typeof obj}`}`,
      );
    }
    const row: unknown[] = [];
    for (const [key, value] of Object.entries(obj)) {
      let c = this.index.get(key);
      if (c === undefined) {
        if (this.index.size >= MAX_COLUMNS) {
          throw new ImportFormatError(`Line ${line} brings the keys past ${MAX_COLUMNS.toLocaleString('en')} columns.`);
        }
        c = this.index.size;
        this.index.set(key, c);
        this.table.columns.push(key);
      }
      row[c] = value;
    }
    this.table.rows.push(row);
    this.table.lines.push(line);
  }
}
