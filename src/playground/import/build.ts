// From a typed table and the person's mapping of columns to roles to the imported log that
// batches and training read: per feature its ids (row splits) and weights, and the labels.
// A row is skipped only for what is wrong with the columns the mapping uses (an unused column,
// text or not, never drops a row); each skip says its line and why. A mapping that cannot work
// at all (two label columns, weights of a feature with no ids, text used as ids) is refused as a
// whole with a MappingError before any row is read.
import { type ColumnType, isEmpty, readIds, readNumbers } from './columns.js';
import { type RawTable, shown, type SkippedLine, skipLine } from './rawTable.js';

export type ColumnRole =
  { role: 'ignore' } | { role: 'ids'; feature: string } | { role: 'weights'; feature: string } | { role: 'label' };

export type KeyDtype = 'int32' | 'int64' | 'string';

/** The feature a column's ids go to, as training will read it. */
export interface FeatureTarget {
  name: string;
  /** The key dtype of the feature's table: integers for int32 / int64, anything as text for string. */
  keyDtype: KeyDtype;
  /** A dense input needs the same number of ids in every row; sparse / ragged take any number. */
  input: 'dense' | 'sparse' | 'ragged';
}

export interface MappedColumn {
  column: number;
  type: ColumnType;
  role: ColumnRole;
}

export interface LogFeature {
  name: string;
  keyDtype: KeyDtype;
  dense: boolean;
  /** Row-major ids: numbers, or decimal strings for int64 ids beyond 2^53, or strings for string keys. */
  ids: (number | string)[];
  /** Row boundaries into ids (TF row_splits), length rows + 1. */
  rowSplits: number[];
  /** One weight per id, or null when no weights were mapped or given inline. */
  weights: number[] | null;
}

export interface ImportedLog {
  /** Rows kept (read and usable). */
  rows: number;
  /** Rows in the file (every row the reader found, kept or skipped, not counting unreadable lines). */
  rowsRead: number;
  features: LogFeature[];
  /** One label per kept row (0..1), or null when no column is the label. */
  labels: number[] | null;
  /** The file line each kept row starts on. */
  lines: number[];
  /** Unreadable lines and skipped rows, first ones with reasons; skippedCount is exact. */
  skipped: SkippedLine[];
  skippedCount: number;
}

export class MappingError extends Error {
  override name = 'MappingError';
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function checkMapping(table: RawTable, mapping: readonly MappedColumn[], targets: ReadonlyMap<string, FeatureTarget>) {
  const idsOf = new Map<string, MappedColumn>();
  const weightsOf = new Map<string, MappedColumn>();
  let label: MappedColumn | null = null;
  const seen = new Set<number>();
  for (const m of mapping) {
    const name = table.columns[m.column];
    if (name === undefined)
      throw new MappingError(`Column ${m.column + 1} does not exist: the log has ${table.columns.length} columns.`);
    if (seen.has(m.column)) throw new MappingError(`Column ${name} is mapped twice.`);
    seen.add(m.column);
    const r = m.role;
    if (r.role === 'ignore') continue;
    if (r.role === 'label') {
      if (label) throw new MappingError(`Two label columns: ${table.columns[label.column]} and ${name}; choose one.`);
      if (m.type.kind !== 'number' && m.type.kind !== 'ids')
        throw new MappingError(
          `Column ${name} is typed ${m.type.kind}: a label must be a number (0 or 1, or a probability).`,
        );
      label = m;
      continue;
    }
    if (!targets.has(r.feature))
      throw new MappingError(`Column ${name} goes to feature ${r.feature}, which does not exist.`);
    if (r.role === 'ids') {
      const other = idsOf.get(r.feature);
      if (other)
        throw new MappingError(
          `Feature ${r.feature} gets ids from two columns: ${table.columns[other.column]} and ${name}.`,
        );
      if (m.type.kind !== 'ids' && m.type.kind !== 'idList')
        throw new MappingError(
          `Column ${name} is typed ${m.type.kind}: the ids of ${r.feature} need a column typed ids or id list (retype it to use each value as an id).`,
        );
      idsOf.set(r.feature, m);
    } else {
      const other = weightsOf.get(r.feature);
      if (other)
        throw new MappingError(
          `Feature ${r.feature} gets weights from two columns: ${table.columns[other.column]} and ${name}.`,
        );
      if (m.type.kind !== 'number' && m.type.kind !== 'idList')
        throw new MappingError(
          `Column ${name} is typed ${m.type.kind}: weights must be numbers (one per row, or a list).`,
        );
      weightsOf.set(r.feature, m);
    }
  }
  for (const [feature, m] of weightsOf) {
    if (!idsOf.has(feature))
      throw new MappingError(
        `Column ${table.columns[m.column]} holds weights of ${feature}, but no column gives ${feature}'s ids.`,
      );
  }
  if (idsOf.size === 0 && !label)
    throw new MappingError('No column is used: map a column to a feature’s ids or to the label.');
  return { idsOf, weightsOf, label };
}

/** An id as the feature's table takes it, or why not. */
function keyOf(id: number | string, int: boolean, dtype: KeyDtype): number | string | { error: string } {
  if (dtype === 'string') return String(id);
  if (!int) return { error: `${shown(id)} is not an integer (the table has ${dtype} keys)` };
  if (dtype === 'int32') {
    if (typeof id === 'number' && id >= INT32_MIN && id <= INT32_MAX) return id;
    return { error: `${id} is outside int32 (the table has int32 keys)` };
  }
  if (typeof id === 'number') return id;
  const b = BigInt(id);
  return b >= INT64_MIN && b <= INT64_MAX ? id : { error: `${id} is outside int64` };
}

/**
 * Builds the log the mapping describes. Columns not in `mapping` are ignored.
 *
 * @example
 * const log = buildLog(table, [
 *   { column: 1, type: { kind: 'idList', separator: '|' }, role: { role: 'ids', feature: 'items' } },
 *   { column: 3, type: { kind: 'number', separator: '|' }, role: { role: 'label' } },
 * ], new Map([['items', { name: 'items', keyDtype: 'int64', input: 'ragged' }]]));
 * log.features[0].rowSplits; // [0, 2, 3, ...]
 */
export function buildLog(
  table: RawTable,
  mapping: readonly MappedColumn[],
  targets: ReadonlyMap<string, FeatureTarget>,
): ImportedLog {
  const { idsOf, weightsOf, label } = checkMapping(table, mapping, targets);
  const out: ImportedLog = {
    rows: 0,
    rowsRead: table.rows.length,
    features: [],
    labels: label ? [] : null,
    lines: [],
    skipped: [],
    skippedCount: 0,
  };
  const feats = [...idsOf.entries()].map(([name, m]) => {
    const t = targets.get(name)!;
    const f: LogFeature = {
      name,
      keyDtype: t.keyDtype,
      dense: t.input === 'dense',
      ids: [],
      rowSplits: [0],
      weights: null,
    };
    return { f, ids: m, weights: weightsOf.get(name) ?? null, width: -1 };
  });
  // Weights are kept per id for every feature that has any (mapped or inline); a feature whose
  // weights only appear later gets 1 for the ids before.
  const weightsSoFar = feats.map(() => [] as number[]);
  const hasWeights = feats.map((x) => x.weights !== null);
  const badLines: SkippedLine[] = [];
  let badCount = 0;
  const bad = (line: number, reason: string) => {
    badCount++;
    if (badLines.length < 20) badLines.push({ line, reason });
  };
  const col = (m: MappedColumn) => table.columns[m.column];

  rows: for (let r = 0; r < table.rows.length; r++) {
    const row = table.rows[r];
    const line = table.lines[r];
    if (table.format === 'csv' && row.length > table.columns.length) {
      bad(
        line,
        `${row.length} cells, the header has ${table.columns.length} (an unquoted comma? quote fields that hold commas)`,
      );
      continue;
    }
    const staged: { ids: (number | string)[]; weights: number[] | null }[] = [];
    for (const x of feats) {
      const cell = row[x.ids.column];
      if (isEmpty(cell) && x.ids.type.kind === 'ids') {
        bad(line, `column ${col(x.ids)}: no id (${x.f.name} needs one per row)`);
        continue rows;
      }
      const read = isEmpty(cell) ? [] : readIds(cell, x.ids.type);
      if (typeof read === 'string') {
        bad(line, `column ${col(x.ids)}: ${read}`);
        continue rows;
      }
      const ids: (number | string)[] = [];
      for (const id of read) {
        const k = keyOf(id.id, id.int, x.f.keyDtype);
        if (typeof k === 'object') {
          bad(line, `column ${col(x.ids)}: ${k.error}`);
          continue rows;
        }
        ids.push(k);
      }
      if (x.f.dense) {
        const width = x.width >= 0 ? x.width : ids.length;
        if (ids.length !== width || width === 0) {
          bad(
            line,
            `column ${col(x.ids)}: ${ids.length} ids; feature ${x.f.name} is dense with ${width} per row (make its input ragged or sparse for lists of any length)`,
          );
          continue rows;
        }
      }
      let weights: number[] | null = read.some((id) => id.weight !== null) ? read.map((id) => id.weight ?? 1) : null;
      if (x.weights) {
        const wc = row[x.weights.column];
        const w = isEmpty(wc) ? 'no weight' : readNumbers(wc, x.weights.type);
        if (typeof w === 'string') {
          bad(line, `column ${col(x.weights)}: ${w}`);
          continue rows;
        }
        if (w.length !== 1 && w.length !== ids.length) {
          bad(
            line,
            `column ${col(x.weights)}: ${w.length} weights for ${ids.length} ids of ${x.f.name} (give one weight, or one per id)`,
          );
          continue rows;
        }
        weights = w.length === 1 ? ids.map(() => w[0]) : w;
      }
      staged.push({ ids, weights });
    }
    let y = 0;
    if (label) {
      const v = row[label.column];
      const n = isEmpty(v) ? 'no label' : readNumbers(v, { kind: 'number', separator: '|' });
      if (typeof n === 'string' || n.length !== 1 || n[0] < 0 || n[0] > 1) {
        bad(
          line,
          `column ${col(label)}: ${typeof n === 'string' ? n : `${shown(v)} is not a label`} (expected 0, 1 or a probability in [0, 1])`,
        );
        continue;
      }
      y = n[0];
    }
    // The row is good: commit it.
    feats.forEach((x, i) => {
      const s = staged[i];
      if (x.f.dense && x.width < 0) x.width = s.ids.length;
      const start = x.f.ids.length;
      for (const id of s.ids) x.f.ids.push(id);
      x.f.rowSplits.push(x.f.ids.length);
      if (s.weights) {
        if (!hasWeights[i]) {
          hasWeights[i] = true;
          for (let k = 0; k < start; k++) weightsSoFar[i].push(1);
        }
        for (const w of s.weights) weightsSoFar[i].push(w);
      } else if (hasWeights[i]) for (let k = 0; k < s.ids.length; k++) weightsSoFar[i].push(1);
    });
    out.labels?.push(y);
    out.lines.push(line);
    out.rows++;
  }
  feats.forEach((x, i) => {
    if (hasWeights[i]) x.f.weights = weightsSoFar[i];
    out.features.push(x.f);
  });
  // Unreadable lines and skipped rows, in file order.
  const all = [...table.skipped, ...badLines].sort((a, b) => a.line - b.line);
  for (const s of all) skipLine(out, s.line, s.reason);
  out.skippedCount = table.skippedCount + badCount;
  return out;
}
