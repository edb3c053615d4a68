// Reading a local feature log (CSV or JSONL) in the page, in chunks, with progress and cancel.
// Nothing is uploaded: the File is read with Blob.slice in this tab.
//
// CSV: a header row of column names; each cell holds one or more ids separated by spaces or
// '|', each optionally `id:weight`. JSONL: one object per line; a value is an id, or a list of
// ids (numbers or strings), or a list of [id, weight] pairs.

export interface ImportedLog {
  format: 'csv' | 'jsonl';
  columns: string[];
  /** rows[r][c]: the ids of column c in row r, as batch-text entries (`15`, `"a"`, `7:0.5`). */
  rows: string[][];
  /** Lines that could not be read, with their line number (1-based) and why. Capped at 20. */
  skipped: { line: number; reason: string }[];
  skippedCount: number;
}

export const IMPORT_FORMAT_HELP = {
  csv: 'user_id,items,label\n42,15 2 9,1\n7,4|92,0\n',
  jsonl: '{"user_id": 42, "items": [15, 2, 9], "label": 1}\n{"user_id": 7, "items": [[4, 0.5], [92, 1]], "label": 0}\n',
};

export class ImportCancelled extends Error {
  constructor() {
    super('The import was cancelled.');
  }
}

function entry(v: unknown, weight?: unknown): string | null {
  let id: string;
  if (typeof v === 'number' && Number.isInteger(v)) id = String(v);
  else if (typeof v === 'string' && v.length > 0) id = /^-?[0-9]+$/.test(v) ? v : JSON.stringify(v);
  else return null;
  if (weight === undefined) return id;
  if (typeof weight !== 'number' || !Number.isFinite(weight)) return null;
  return `${id}:${weight}`;
}

function csvCell(cell: string): string[] | null {
  const out: string[] = [];
  for (const tok of cell.trim().split(/[\s|]+/)) {
    if (tok === '') continue;
    const m = /^(-?[0-9]+|[A-Za-z_][A-Za-z0-9_.-]*)(?::(-?[0-9.]+(?:[eE][-+]?[0-9]+)?))?$/.exec(tok);
    if (!m) return null;
    const id = /^-?[0-9]+$/.test(m[1]) ? m[1] : JSON.stringify(m[1]);
    out.push(m[2] === undefined ? id : `${id}:${Number(m[2])}`);
  }
  return out;
}

/** Splits one CSV line, honouring double quotes ("a,b" stays one cell). */
export function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      cells.push(cur);
      cur = '';
    } else cur += c;
  }
  cells.push(cur);
  return cells;
}

/** A line-by-line reader that builds an {@link ImportedLog}; feed it whole lines. */
export class LogReader {
  readonly log: ImportedLog;
  private lineNo = 0;
  constructor(format: 'csv' | 'jsonl') {
    this.log = { format, columns: [], rows: [], skipped: [], skippedCount: 0 };
  }
  private skip(reason: string): void {
    this.log.skippedCount++;
    if (this.log.skipped.length < 20) this.log.skipped.push({ line: this.lineNo, reason });
  }
  line(raw: string): void {
    this.lineNo++;
    const text = raw.replace(/\r$/, '');
    if (text.trim() === '') return;
    if (this.log.format === 'csv') {
      const cells = splitCsvLine(text);
      if (this.log.columns.length === 0) {
        this.log.columns = cells.map((c) => c.trim());
        return;
      }
      if (cells.length !== this.log.columns.length) {
        return this.skip(`${cells.length} cells, the header has ${this.log.columns.length}`);
      }
      const row: string[] = [];
      for (let c = 0; c < cells.length; c++) {
        const ids = csvCell(cells[c]);
        if (!ids) return this.skip(`column ${this.log.columns[c]}: "${cells[c].slice(0, 40)}" is not ids`);
        row.push(ids.join(', '));
      }
      this.log.rows.push(row);
      return;
    }
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch {
      return this.skip('not valid JSON');
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return this.skip('not a JSON object');
    const rec = obj as Record<string, unknown>;
    for (const k of Object.keys(rec)) if (!this.log.columns.includes(k)) this.log.columns.push(k);
    const row: string[] = [];
    for (const col of this.log.columns) {
      const v = rec[col];
      if (v === undefined) {
        row.push('');
        continue;
      }
      const items = Array.isArray(v) ? v : [v];
      const ids: string[] = [];
      for (const it of items) {
        const e = Array.isArray(it) && it.length === 2 ? entry(it[0], it[1]) : entry(it);
        if (e === null) return this.skip(`${col}: ${JSON.stringify(it).slice(0, 40)} is not an id`);
        ids.push(e);
      }
      row.push(ids.join(', '));
    }
    this.log.rows.push(row);
  }
}

/**
 * Reads a File (or any Blob) in 1 MiB chunks, yielding to the page between chunks.
 *
 * @example
 * const log = await readLog(file, 'csv', (done, total) => bar.value = done / total, controller.signal);
 */
export async function readLog(
  file: Blob,
  format: 'csv' | 'jsonl',
  onProgress: (bytesDone: number, bytesTotal: number) => void,
  signal: AbortSignal,
  chunkBytes = 1 << 20,
): Promise<ImportedLog> {
  const reader = new LogReader(format);
  const decoder = new TextDecoder();
  let carry = '';
  for (let pos = 0; pos < file.size; pos += chunkBytes) {
    if (signal.aborted) throw new ImportCancelled();
    const buf = await file.slice(pos, pos + chunkBytes).arrayBuffer();
    const text = carry + decoder.decode(buf, { stream: pos + chunkBytes < file.size });
    const lines = text.split('\n');
    carry = lines.pop() ?? '';
    for (const l of lines) reader.line(l);
    onProgress(Math.min(file.size, pos + chunkBytes), file.size);
    await new Promise((r) => setTimeout(r, 0));
  }
  if (signal.aborted) throw new ImportCancelled();
  if (carry) reader.line(carry);
  return reader.log;
}

/** Batch text for column `col` over rows [from, from + n): one list of ids per row. */
export function columnBatch(log: ImportedLog, col: number, from: number, n: number): string {
  const rows = log.rows.slice(from, from + n).map((r) => `[${r[col]}]`);
  return `[${rows.join(', ')}]`;
}
