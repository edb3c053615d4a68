// The importer's headless session: reads a log, types its columns, pages through them, builds the
// log a mapping describes, and hands out batch texts and the log for training. The import worker
// exposes one of these; Node tests drive it directly. The file's rows stay here (in the worker):
// the page only ever receives a page of columns, summaries and batch texts.
import { buildLog, type ColumnRole, type FeatureTarget, type ImportedLog, type MappedColumn } from './build.js';
import { batchTexts } from './batches.js';
import { type ColumnInfo, type ColumnType, countFits, inferColumn, TYPE_SAMPLE_ROWS } from './columns.js';
import type { RawTable, SkippedLine } from './rawTable.js';
import { formatOf, type LogFormat, readLog, type ReadOptions } from './read.js';

const LABEL_NAMES = new Set(['label', 'click', 'clicked', 'clicks', 'y', 'target']);

/** Cells looked at to type the columns: fewer rows are sampled when a log is very wide. */
export const TYPE_SAMPLE_CELLS = 2_000_000;

export interface ReadSummary {
  name: string;
  format: LogFormat;
  bytes: number;
  /** Rows read (every row after the header, usable or not; not counting unreadable lines). */
  rowsRead: number;
  columns: number;
  /** Lines that are not rows at all (broken JSON, an unclosed quote), first ones with reasons. */
  skipped: SkippedLine[];
  skippedCount: number;
  /** Rows sampled to type each column. */
  sampledRows: number;
}

export interface ColumnPage {
  /** Columns in the log. */
  total: number;
  /** Columns whose name matches the filter. */
  matching: number;
  columns: (ColumnInfo & { index: number })[];
}

export interface BuildSummary {
  rows: number;
  rowsRead: number;
  skipped: SkippedLine[];
  skippedCount: number;
  features: { name: string; ids: number; weighted: boolean }[];
  hasLabels: boolean;
  /** The mean label of the kept rows (null without a label column). */
  labelMean: number | null;
}

/** What the import worker serves (workers/import.worker.ts), as the page calls it over comlink. */
export interface ImportApi {
  open(file: Blob, name: string, onProgress: (done: number, total: number) => void): Promise<ReadSummary>;
  columns(offset: number, count: number, filter: string): ColumnPage;
  retype(index: number, type: ColumnType): ColumnInfo;
  suggestRoles(features: string[]): { index: number; role: ColumnRole }[];
  build(mapping: MappedColumn[], targets: FeatureTarget[]): BuildSummary;
  batchTexts(
    from: number,
    n: number,
    maxChars: number,
  ): { texts: [string, string][]; rows: number; note: string | null };
  logJson(): string;
}

/**
 * One importer: `open` a file, look at `columns`, `build` a mapping, then `batchTexts` / `logJson`.
 *
 * @example
 * const s = new ImportSession();
 * await s.open(new Blob(['user,items,label\n1,2|3,1\n']), 'log.csv');
 * s.columns(0, 10).columns.map((c) => c.type.kind); // ['ids', 'idList', 'ids']
 */
export class ImportSession {
  private table: RawTable | null = null;
  private infos: ColumnInfo[] = [];
  private sampled = 0;
  private log: ImportedLog | null = null;

  /** Reads a log file (replacing the one held) and types its columns. */
  async open(blob: Blob, name: string, options: ReadOptions = {}): Promise<ReadSummary> {
    const head = await blob.slice(0, 64).text();
    const format = formatOf(name, head);
    const table = await readLog(blob, format, options);
    const sampled = Math.min(
      table.rows.length,
      TYPE_SAMPLE_ROWS,
      Math.max(20, Math.floor(TYPE_SAMPLE_CELLS / Math.max(1, table.columns.length))),
    );
    const values: unknown[] = new Array(sampled);
    const infos = table.columns.map((col, c) => {
      for (let r = 0; r < sampled; r++) values[r] = table.rows[r][c];
      return inferColumn(col, values);
    });
    this.table = table;
    this.infos = infos;
    this.sampled = sampled;
    this.log = null;
    return {
      name,
      format,
      bytes: blob.size,
      rowsRead: table.rows.length,
      columns: table.columns.length,
      skipped: table.skipped,
      skippedCount: table.skippedCount,
      sampledRows: sampled,
    };
  }

  private need(): RawTable {
    if (!this.table) throw new Error('No log is open: choose a file first.');
    return this.table;
  }

  /** `count` columns from `offset` among those whose name contains `filter` (any case). */
  columns(offset: number, count: number, filter = ''): ColumnPage {
    this.need();
    const f = filter.trim().toLowerCase();
    const out: ColumnPage['columns'] = [];
    let matching = 0;
    for (let i = 0; i < this.infos.length; i++) {
      if (f && !this.infos[i].name.toLowerCase().includes(f)) continue;
      if (matching >= offset && out.length < count) out.push({ ...this.infos[i], index: i });
      matching++;
    }
    return { total: this.infos.length, matching, columns: out };
  }

  /** Retypes a column; returns what typing now says about it. */
  retype(index: number, type: ColumnType): ColumnInfo {
    const t = this.need();
    const info = this.infos[index];
    if (!info) throw new Error(`Column ${index + 1} does not exist: the log has ${t.columns.length} columns.`);
    const values = t.rows.slice(0, this.sampled).map((r) => r[index]);
    this.infos[index] = { ...info, type: { ...type }, fits: countFits(values, type) };
    return this.infos[index];
  }

  /**
   * Roles to start from: a column named like an existing feature gives its ids (when typed ids or
   * an id list), the first column named like a label (label, click, clicked, y, target) is the
   * label; everything else is ignored.
   */
  suggestRoles(features: readonly string[]): { index: number; role: ColumnRole }[] {
    this.need();
    const names = new Set(features);
    const out: { index: number; role: ColumnRole }[] = [];
    let label = false;
    this.infos.forEach((c, index) => {
      const k = c.type.kind;
      if (names.has(c.name) && (k === 'ids' || k === 'idList'))
        out.push({ index, role: { role: 'ids', feature: c.name } });
      else if (!label && LABEL_NAMES.has(c.name.toLowerCase()) && (k === 'number' || k === 'ids')) {
        label = true;
        out.push({ index, role: { role: 'label' } });
      }
    });
    return out;
  }

  /** Builds the log a mapping describes (a refused mapping keeps the previous log). */
  build(mapping: readonly MappedColumn[], targets: readonly FeatureTarget[]): BuildSummary {
    const log = buildLog(this.need(), mapping, new Map(targets.map((t) => [t.name, t])));
    this.log = log;
    let sum = 0;
    for (const y of log.labels ?? []) sum += y;
    return {
      rows: log.rows,
      rowsRead: log.rowsRead,
      skipped: log.skipped,
      skippedCount: log.skippedCount,
      features: log.features.map((f) => ({ name: f.name, ids: f.ids.length, weighted: f.weights !== null })),
      hasLabels: log.labels !== null,
      labelMean: log.labels && log.rows > 0 ? sum / log.rows : null,
    };
  }

  private built(): ImportedLog {
    if (!this.log) throw new Error('No mapping is applied yet: map the columns first.');
    return this.log;
  }

  /** Batch texts of rows [from, from + n), cut between rows to stay within maxChars per feature. */
  batchTexts(
    from: number,
    n: number,
    maxChars: number,
  ): { texts: [string, string][]; rows: number; note: string | null } {
    const b = batchTexts(this.built(), from, n, maxChars);
    return { texts: [...b.texts], rows: b.rows, note: b.note };
  }

  /** The built log as JSON text: one string crosses threads as one copy (the page only forwards it). */
  logJson(): string {
    return JSON.stringify(this.built());
  }
}
