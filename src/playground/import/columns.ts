// Column types: how a cell of a log is read. Every column is typed on import from its first
// rows (inferColumn) and the person can retype it:
//   ids     the whole cell is one id (an integer, or any other text as a string id)
//   idList  the cell holds several ids split by a separator (`|`, `;`, `,`, spaces); a JSON array
//           in JSONL; an id may carry its weight inline as `id:weight` (JSONL: [id, weight])
//   number  one number (or, for weights, a list split by the separator)
//   text    free text: shown, never used as ids (retype it as ids to use each value as one id)
import { shown } from './rawTable.js';

export const COLUMN_KINDS = ['ids', 'idList', 'number', 'text'] as const;
export type ColumnKind = (typeof COLUMN_KINDS)[number];

/** Separators of an id list: the characters any of which splits a cell. */
export const SEPARATORS = ['|', ';', ',', ' ', ' |'] as const;
export type Separator = (typeof SEPARATORS)[number];

/** Words for a separator, as the UI shows it. */
export function separatorLabel(s: Separator): string {
  return s === ' ' ? 'space' : s === ' |' ? 'space or |' : s;
}

export interface ColumnType {
  kind: ColumnKind;
  /** For idList (and lists of weights): what splits a cell. */
  separator: Separator;
}

/** What typing found about one column (from the rows sampled). */
export interface ColumnInfo {
  name: string;
  type: ColumnType;
  /** Cells sampled that are not empty. */
  filled: number;
  /** Of those, how many read as the type. */
  fits: number;
  /** Every id seen is an integer (a new feature from this column gets an int64 table, else string keys). */
  integerIds: boolean;
  /** The first non-empty value, quoted for display. */
  example: string;
}

/** Rows sampled to type a column. */
export const TYPE_SAMPLE_ROWS = 2000;

const INT_RE = /^[-+]?\d+$/;
const NUM_RE = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const INLINE_WEIGHT_RE = /^(.+):([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)$/;

/** An id as read: integers within 2^53 as numbers, larger integers as decimal strings marked int. */
export interface ReadId {
  id: number | string;
  /** The id is an integer (a number, or a decimal string beyond 2^53). */
  int: boolean;
  weight: number | null;
}

/** Reads one id token (`15`, `abc`, `15:0.5`); null when empty. */
export function readToken(token: string, inline = true): ReadId | null {
  let t = token.trim();
  if (t === '') return null;
  let weight: number | null = null;
  if (inline) {
    const m = INLINE_WEIGHT_RE.exec(t);
    if (m) {
      t = m[1].trim();
      weight = Number(m[2]);
    }
  }
  if (INT_RE.test(t)) {
    const n = Number(t);
    const canonical = BigInt(t).toString();
    return Number.isSafeInteger(n) ? { id: n, int: true, weight } : { id: canonical, int: true, weight };
  }
  return { id: t, int: false, weight };
}

function fromJson(v: unknown): ReadId | string {
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v)) return { id: v, int: true, weight: null };
    return `${shown(v)} is not an integer id`;
  }
  if (typeof v === 'string') return readToken(v, false) ?? 'an empty id';
  if (
    Array.isArray(v) &&
    v.length === 2 &&
    typeof v[1] === 'number' &&
    (typeof v[0] === 'number' || typeof v[0] === 'string')
  ) {
    const r = fromJson(v[0]);
    return typeof r === 'string' ? r : { ...r, weight: v[1] };
  }
  return `${shown(v)} is not an id`;
}

/** Splits a cell by any of the separator's characters. */
export function splitCell(cell: string, separator: Separator): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i <= cell.length; i++) {
    if (i === cell.length || separator.includes(cell[i])) {
      const tok = cell.slice(start, i).trim();
      if (tok !== '') out.push(tok);
      start = i + 1;
    }
  }
  return out;
}

/** Is this cell empty (missing key, null, blank text, empty list)? */
export function isEmpty(v: unknown): boolean {
  return (
    v === undefined || v === null || (typeof v === 'string' && v.trim() === '') || (Array.isArray(v) && v.length === 0)
  );
}

/**
 * Reads a cell as ids by its column type: one id (`ids`) or a list (`idList`). Returns the ids or
 * the reason it cannot (a string).
 *
 * @example
 * readIds('4|92:0.5', { kind: 'idList', separator: '|' }); // [{ id: 4, ... }, { id: 92, weight: 0.5, ... }]
 */
export function readIds(v: unknown, type: ColumnType): ReadId[] | string {
  if (type.kind === 'ids') {
    if (Array.isArray(v)) return `${shown(v)} is a list; type the column as an id list`;
    if (typeof v === 'string') {
      const r = readToken(v);
      return r ? [r] : 'no id';
    }
    const r = fromJson(v);
    return typeof r === 'string' ? r : [r];
  }
  if (type.kind !== 'idList') return `the column is typed ${type.kind}, not ids`;
  if (Array.isArray(v)) {
    const out: ReadId[] = [];
    for (const item of v) {
      const r = fromJson(item);
      if (typeof r === 'string') return r;
      out.push(r);
    }
    return out;
  }
  if (typeof v === 'number') {
    const r = fromJson(v);
    return typeof r === 'string' ? r : [r];
  }
  if (typeof v !== 'string') return `${shown(v)} is not a list of ids`;
  const out: ReadId[] = [];
  for (const tok of splitCell(v, type.separator)) out.push(readToken(tok)!);
  return out;
}

/**
 * Reads a cell as numbers: one number, a JSON list of numbers, or numbers split by the column's
 * separator (a weight per id: `0.5|2`).
 */
export function readNumbers(v: unknown, type: ColumnType): number[] | string {
  const one = (x: unknown): number | string => {
    if (typeof x === 'number') return Number.isFinite(x) ? x : `${shown(x)} is not a finite number`;
    if (typeof x === 'boolean') return x ? 1 : 0;
    if (typeof x === 'string' && NUM_RE.test(x.trim())) return Number(x.trim());
    return `${shown(x)} is not a number`;
  };
  if (Array.isArray(v)) {
    const out: number[] = [];
    for (const x of v) {
      const n = one(x);
      if (typeof n === 'string') return n;
      out.push(n);
    }
    return out;
  }
  if (typeof v === 'string' && splitCell(v, type.separator).length > 1) {
    const out: number[] = [];
    for (const tok of splitCell(v, type.separator)) {
      const n = one(tok);
      if (typeof n === 'string') return n;
      out.push(n);
    }
    return out;
  }
  const n = one(v);
  return typeof n === 'string' ? n : [n];
}

/** One separator for cells split by either: space and | together give 'space or |'. */
function mergeSeparators(a: Separator | null, b: Separator): Separator {
  if (a === null || a === b) return b;
  const both = a + b;
  if (both.includes('|')) return both.includes(' ') ? ' |' : '|';
  return a === ';' || b === ';' ? ';' : a;
}

type Guess = 'int' | 'number' | 'list' | 'id' | 'text';

function guessCell(v: unknown): { guess: Guess; sep?: Separator; ints: boolean } {
  if (typeof v === 'number') return { guess: Number.isInteger(v) ? 'int' : 'number', ints: Number.isInteger(v) };
  if (typeof v === 'boolean') return { guess: 'number', ints: true };
  if (Array.isArray(v)) {
    const ids = readIds(v, { kind: 'idList', separator: '|' });
    return typeof ids === 'string' ? { guess: 'text', ints: false } : { guess: 'list', ints: ids.every((r) => r.int) };
  }
  if (typeof v !== 'string') return { guess: 'text', ints: false };
  const s = v.trim();
  if (INT_RE.test(s)) return { guess: 'int', ints: true };
  if (NUM_RE.test(s)) return { guess: 'number', ints: false };
  const pipe = s.includes('|');
  const semi = s.includes(';');
  const space = /\s/.test(s);
  if (pipe || semi || space) {
    const sep: Separator = pipe ? (space ? ' |' : '|') : semi ? ';' : ' ';
    const toks = splitCell(s, sep);
    const idLike = toks.every((t) => /^[A-Za-z0-9_.:-]+$/.test(t) && t.length <= 64);
    const ints = toks.every((t) => readToken(t)?.int === true);
    // Space-separated words read as text ("New York"); space-separated integers as a list.
    if (idLike && (sep !== ' ' || ints)) return { guess: 'list', sep, ints };
    return { guess: 'text', ints: false };
  }
  if (s.length <= 64 && !/["'<>{}[\]]/.test(s)) {
    const r = readToken(s);
    return { guess: 'id', ints: r?.int === true };
  }
  return { guess: 'text', ints: false };
}

/**
 * Types a column from its values (the first {@link TYPE_SAMPLE_ROWS} rows): integers are ids, other
 * numbers numbers, cells split by `|` / `;` (or integers by spaces) id lists, single tokens
 * string ids, anything else text. The kind most cells read as wins; a list beats single ids.
 *
 * @example
 * inferColumn('items', ['4|92', '15']).type; // { kind: 'idList', separator: '|' }
 */
export function inferColumn(name: string, values: readonly unknown[]): ColumnInfo {
  const counts: Record<Guess, number> = { int: 0, number: 0, list: 0, id: 0, text: 0 };
  let sep: Separator | null = null;
  let ints = true;
  let filled = 0;
  let example = '';
  for (const v of values) {
    if (isEmpty(v)) continue;
    if (filled === 0) example = shown(v, 60);
    filled++;
    const g = guessCell(v);
    counts[g.guess]++;
    if (g.sep) sep = mergeSeparators(sep, g.sep);
    if (!g.ints) ints = false;
  }
  let kind: ColumnKind;
  if (filled === 0) kind = 'text';
  else if (counts.text > filled / 2) kind = 'text';
  else if (counts.list > 0 && counts.list + counts.int + counts.id >= counts.number) kind = 'idList';
  else if (counts.number > 0 && counts.number + counts.int >= filled / 2) kind = 'number';
  else if (counts.int + counts.id > 0) kind = 'ids';
  else kind = 'text';
  const type: ColumnType = { kind, separator: sep ?? '|' };
  return { name, type, filled, fits: countFits(values, type), integerIds: ints && filled > 0, example };
}

/** How many non-empty values read as the type. */
export function countFits(values: readonly unknown[], type: ColumnType): number {
  let fits = 0;
  for (const v of values) {
    if (isEmpty(v)) continue;
    if (type.kind === 'text') fits++;
    else if (type.kind === 'number') fits += typeof readNumbers(v, type) === 'string' ? 0 : 1;
    else fits += typeof readIds(v, type) === 'string' ? 0 : 1;
  }
  return fits;
}
