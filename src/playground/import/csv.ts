// CSV read in chunks with papaparse's own parser (RFC 4180: quoted fields holding commas, quotes
// and newlines; CRLF or LF), fed as the file arrives. The chunk logic is papaparse's streamer's
// (parse what is complete, keep the unfinished last row for the next chunk), with one change: a
// chunk without a newline cannot finish a row, so it is only appended, never re-parsed. A 50 MB
// line is parsed once at its end instead of once per chunk (quadratic in its length).
import Papa from 'papaparse';
import { emptyTable, type RawTable, shown, skipLine } from './rawTable.js';

/** The most columns a log may have; a wider header is refused (each column is typed and listed). */
export const MAX_COLUMNS = 1_000_000;

/** Thrown when a file cannot be read as a log at all (nothing is kept). */
export class ImportFormatError extends Error {
  override name = 'ImportFormatError';
}

type Newline = '\n' | '\r\n' | '\r';

/** The first line break outside quotes, or null when none has arrived yet. */
function detectNewline(text: string, quote: string): Newline | null {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === quote) quoted = !quoted;
    else if (!quoted && c === '\n') return '\n';
    else if (!quoted && c === '\r') return i + 1 < text.length ? (text[i + 1] === '\n' ? '\r\n' : '\r') : null;
  }
  return null;
}

function countBreaks(cell: string, nl: Newline): number {
  const ch = nl === '\r' ? '\r' : '\n';
  let n = 0;
  for (let i = cell.indexOf(ch); i !== -1; i = cell.indexOf(ch, i + 1)) n++;
  return n;
}

/** Column names from a header row: trimmed; empty ones named column_<n>; repeats suffixed _2, _3. */
export function headerNames(cells: readonly string[]): string[] {
  const seen = new Set<string>();
  return cells.map((c, i) => {
    const base = c.trim() || `column_${i + 1}`;
    let name = base;
    for (let k = 2; seen.has(name); k++) name = `${base}_${k}`;
    seen.add(name);
    return name;
  });
}

/**
 * A streaming CSV reader: `push` text as it arrives, `end` for the table. The first row is the
 * header. A leading byte-order mark is dropped; empty lines are passed over.
 *
 * @example
 * const p = new CsvChunkParser();
 * p.push('id,"name, full"\r\n1,"a, b"\r\n');
 * p.end().rows; // [['1', 'a, b']]
 */
export class CsvChunkParser {
  private readonly table: RawTable = emptyTable('csv');
  private pending = '';
  private newline: Newline | null = null;
  /** The line the next row starts on. */
  private line = 1;
  private started = false;
  private headerRead = false;
  /** Delimiters seen since the last line break: a line past MAX_COLUMNS fields is refused early. */
  private fields = 0;

  constructor(
    private readonly delimiter = ',',
    private readonly quote = '"',
  ) {}

  /** Adds the next piece of the file's text. */
  push(text: string): void {
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    this.pending += text;
    if (text.indexOf('\n') === -1 && text.indexOf('\r') === -1) {
      for (let i = text.indexOf(this.delimiter); i !== -1; i = text.indexOf(this.delimiter, i + 1)) this.fields++;
      if (this.fields >= MAX_COLUMNS) {
        throw new ImportFormatError(
          `Line ${this.line} holds more than ${MAX_COLUMNS.toLocaleString('en')} fields; at most ${MAX_COLUMNS.toLocaleString('en')} columns are read.`,
        );
      }
      return;
    }
    this.fields = 0;
    this.parse(false);
  }

  /** Parses what is left and returns the table. */
  end(): RawTable {
    this.parse(true);
    if (!this.headerRead) throw new ImportFormatError('The file is empty: expected a header row of column names.');
    return this.table;
  }

  private parse(final: boolean): void {
    if (this.pending.length === 0) return;
    this.newline ??= detectNewline(this.pending, this.quote);
    if (!this.newline && !final) return;
    const nl = this.newline ?? '\n';
    const parser = new Papa.Parser({ delimiter: this.delimiter, newline: nl, quoteChar: this.quote });
    const res = parser.parse(this.pending, 0, !final) as {
      data: string[][];
      errors: { code: string; row: number }[];
      meta: { cursor: number };
    };
    const bad = new Map<number, string>();
    for (const e of res.errors) {
      if (e.row >= res.data.length || bad.has(e.row)) continue;
      bad.set(
        e.row,
        e.code === 'MissingQuotes'
          ? 'a quoted field opened on this line is never closed'
          : `malformed quotes (${e.code}): a quote inside a field must be doubled ("")`,
      );
    }
    res.data.forEach((cells, i) => this.row(cells, bad.get(i), nl));
    this.pending = final ? '' : this.pending.substring(res.meta.cursor);
  }

  private row(cells: string[], problem: string | undefined, nl: Newline): void {
    const line = this.line;
    let breaks = 0;
    for (const c of cells) if (c.length > 0) breaks += countBreaks(c, nl);
    this.line += 1 + breaks;
    if (cells.length === 1 && cells[0] === '') return;
    if (!this.headerRead) {
      if (cells.length > MAX_COLUMNS) {
        throw new ImportFormatError(
          `The header has ${cells.length.toLocaleString('en')} columns; at most ${MAX_COLUMNS.toLocaleString('en')} are read.`,
        );
      }
      this.table.columns = headerNames(cells);
      this.headerRead = true;
      return;
    }
    if (problem) return skipLine(this.table, line, `${problem}: ${shown(cells.join(this.delimiter))}`);
    this.table.rows.push(cells);
    this.table.lines.push(line);
  }
}
