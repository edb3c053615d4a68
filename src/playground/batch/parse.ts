// The batch text parser: what a person types in the "Ids" box becomes ids, a shape (or row
// lengths, for ragged lists) and optional weights. Pure, no engine: every error carries the
// offset of the character that is wrong so the UI can point at it.
//
// Grammar (whitespace anywhere between tokens):
//   batch  := value
//   value  := list | entry
//   list   := '[' ( value ( ',' value )* ','? )? ']'
//   entry  := id ( ':' weight )?
//   id     := integer | "string" | 'string' | word        (word: letters, digits, _ . - starting with a letter or _)
//   weight := decimal number (1, 0.5, -2e-3)

/** One id as typed: integers within 2^53 are numbers, larger ones bigints, the rest strings. */
export type BatchId = number | bigint | string;

/** A parse error that points at the character that caused it. */
export interface BatchError {
  message: string;
  /** Offset of the offending character in the text (0-based, UTF-16 units). */
  offset: number;
  /** Line (1-based) and column (1-based) of `offset`. */
  line: number;
  column: number;
}

/** What a batch text holds. */
export interface ParsedBatch {
  /** 'dense': rectangular nested lists, any rank; 'ragged': rank 2 with rows of different lengths. */
  kind: 'dense' | 'ragged';
  /** Dense: the full shape (`[3, 2]`). Ragged: `[rows, null]` is shown as `[rows, None]`; here `[rows]`. */
  shape: number[];
  /** Ragged only: row boundaries into `ids` (TF's `row_splits`), length rows + 1. */
  rowSplits: number[] | null;
  /** Ids, row-major. */
  ids: BatchId[];
  /** One weight per id when the batch was typed as `id:weight` pairs, else null. */
  weights: number[] | null;
  /** 'number' (all ids integers), 'bigint' (at least one beyond 2^53) or 'string'. */
  idType: 'number' | 'bigint' | 'string';
}

export type ParseResult = { ok: true; batch: ParsedBatch } | { ok: false; error: BatchError };

type Node =
  | { t: 'list'; items: Node[]; start: number }
  | { t: 'entry'; id: BatchId; idKind: 'int' | 'string'; weight: number | null; start: number };

class Fail extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const MAX_IDS = 1_000_000;
const MAX_DEPTH = 8;

function position(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let col = 1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      col = 1;
    } else col++;
  }
  return { line, column: col };
}

function showChar(ch: string | undefined): string {
  if (ch === undefined) return 'the end of the text';
  if (ch === '\n') return 'a line break';
  return `'${ch}'`;
}

/** The table the ids are for: its key dtype decides which ids are valid (checked while parsing). */
export interface ParseTarget {
  keyDtype: 'int32' | 'int64' | 'string';
  /** The table's name, for the message. */
  table: string;
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

class Parser {
  i = 0;
  count = 0;
  constructor(
    readonly s: string,
    readonly target: ParseTarget | null = null,
  ) {}

  /** An id the target table cannot hold fails here, pointing at its first character. */
  checkId(id: BatchId, idKind: 'int' | 'string', start: number): void {
    const t = this.target;
    if (!t) return;
    if (idKind === 'string' && t.keyDtype !== 'string') {
      throw new Fail(
        `Expected an integer id (table ${t.table} has ${t.keyDtype} keys), got the string ${JSON.stringify(id)}: ${showChar(this.s[start])} cannot start an ${t.keyDtype} id.`,
        start,
      );
    }
    if (idKind === 'int' && t.keyDtype === 'string') {
      throw new Fail(
        `Expected a string id (table ${t.table} has string keys), got the integer ${String(id)}: quote it ("${String(id)}") or set the table's key dtype to int64.`,
        start,
      );
    }
    if (idKind === 'int' && t.keyDtype === 'int32' && (typeof id !== 'number' || id < INT32_MIN || id > INT32_MAX)) {
      throw new Fail(
        `The id ${String(id)} does not fit in table ${t.table}'s int32 keys (${INT32_MIN} to ${INT32_MAX}); use key dtype int64.`,
        start,
      );
    }
  }

  ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }

  value(depth: number): Node {
    this.ws();
    const c = this.s[this.i];
    if (c === '[') return this.list(depth);
    if (c === undefined) throw new Fail('Expected an id or "[", found the end of the text.', this.i);
    if (c === ']' || c === ',' || c === ':') throw new Fail(`Expected an id or "[", found ${showChar(c)}.`, this.i);
    return this.entry();
  }

  list(depth: number): Node {
    const start = this.i;
    if (depth >= MAX_DEPTH) throw new Fail(`Lists nest deeper than ${MAX_DEPTH} levels.`, start);
    this.i++; // '['
    const items: Node[] = [];
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return { t: 'list', items, start };
    }
    for (;;) {
      items.push(this.value(depth + 1));
      this.ws();
      const c = this.s[this.i];
      if (c === ',') {
        this.i++;
        this.ws();
        if (this.s[this.i] === ']') {
          this.i++;
          return { t: 'list', items, start };
        }
        continue;
      }
      if (c === ']') {
        this.i++;
        return { t: 'list', items, start };
      }
      if (c === undefined) throw new Fail(`Unclosed "[": expected "," or "]" before the end of the text.`, start);
      throw new Fail(`Expected "," or "]", found ${showChar(c)}.`, this.i);
    }
  }

  entry(): Node {
    const start = this.i;
    const c = this.s[this.i];
    let id: BatchId;
    let idKind: 'int' | 'string';
    if (c === '"' || c === "'") {
      const close = this.s.indexOf(c, this.i + 1);
      const nl = this.s.indexOf('\n', this.i + 1);
      if (close < 0 || (nl >= 0 && nl < close)) throw new Fail(`Unclosed string: add the closing ${c}.`, start);
      id = this.s.slice(this.i + 1, close);
      if (id.length === 0) throw new Fail('An empty string is not an id.', start);
      this.i = close + 1;
      idKind = 'string';
    } else if (/[-+0-9]/.test(c)) {
      const m = /^[-+]?[0-9]+/.exec(this.s.slice(this.i, this.i + 64));
      if (!m) throw new Fail(`Expected digits after ${showChar(c)}.`, this.i + 1);
      const end = this.i + m[0].length;
      const next = this.s[end];
      if (next === '.' || next === 'e' || next === 'E') {
        throw new Fail('Ids must be integers; use "id:weight" to give a weight.', end);
      }
      if (next !== undefined && /[A-Za-z_]/.test(next)) {
        throw new Fail(`Unexpected ${showChar(next)} after a number; quote string ids ("${m[0]}${next}…").`, end);
      }
      const big = BigInt(m[0]);
      if (big > 9223372036854775807n || big < -9223372036854775808n) {
        throw new Fail('This id does not fit in a signed 64-bit integer.', start);
      }
      id = big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
      this.i = end;
      idKind = 'int';
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_.-]*/.exec(this.s.slice(this.i, this.i + 256));
      id = m![0];
      this.i += id.length;
      idKind = 'string';
    } else {
      throw new Fail(`Unexpected ${showChar(c)}: expected an id (integer or string) or "[".`, this.i);
    }
    this.checkId(id, idKind, start);
    if (++this.count > MAX_IDS) throw new Fail(`More than ${MAX_IDS.toLocaleString('en')} ids in one batch.`, start);
    this.ws();
    let weight: number | null = null;
    if (this.s[this.i] === ':') {
      this.i++;
      this.ws();
      const m = /^[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?/.exec(this.s.slice(this.i, this.i + 64));
      if (!m) throw new Fail(`Expected a weight (a number) after ":", found ${showChar(this.s[this.i])}.`, this.i);
      weight = Number(m[0]);
      if (!Number.isFinite(weight)) throw new Fail('The weight is not a finite number.', this.i);
      this.i += m[0].length;
    }
    return { t: 'entry', id, idKind, weight, start };
  }
}

/**
 * Parses a typed batch.
 *
 * @example
 * parseBatch('[[15, 2], [4, 92], [22, 4]]') // ok, shape [3, 2], ids [15, 2, 4, 92, 22, 4]
 * parseBatch('[[1, 2], [3]]')                // ok, ragged, rowSplits [0, 2, 3]
 * parseBatch('[[7:0.5, 8:2]]')               // ok, weights [0.5, 2]
 * parseBatch('[[1, 2], [3, x')               // error at offset 13 (unclosed list)
 * parseBatch('[[1, a]]', { keyDtype: 'int64', table: 't' }) // error at offset 5: expected an integer id
 */
export function parseBatch(text: string, target: ParseTarget | null = null): ParseResult {
  const p = new Parser(text, target);
  try {
    p.ws();
    if (p.i >= text.length) throw new Fail('The batch is empty: type ids such as [[15, 2], [4, 92]].', 0);
    const root = p.value(0);
    p.ws();
    if (p.i < text.length) throw new Fail(`Unexpected ${showChar(text[p.i])} after the end of the batch.`, p.i);
    return { ok: true, batch: toBatch(root) };
  } catch (e) {
    if (e instanceof Fail) {
      const offset = Math.min(e.offset, text.length);
      return { ok: false, error: { message: e.message, offset, ...position(text, offset) } };
    }
    throw e;
  }
}

function toBatch(root: Node): ParsedBatch {
  const ids: BatchId[] = [];
  const weights: (number | null)[] = [];
  let firstEntry: Extract<Node, { t: 'entry' }> | null = null;
  const visit = (n: Node): void => {
    if (n.t === 'entry') {
      if (firstEntry === null) firstEntry = n;
      else {
        if ((n.idKind === 'string') !== (firstEntry.idKind === 'string')) {
          throw new Fail(
            `All ids must be of one kind: this is ${n.idKind === 'string' ? 'a string' : 'an integer'}, the first id is ${firstEntry.idKind === 'string' ? 'a string' : 'an integer'}.`,
            n.start,
          );
        }
        if ((n.weight === null) !== (firstEntry.weight === null)) {
          throw new Fail(
            n.weight === null
              ? 'This id has no weight, but the first id has one: give every id a weight or none.'
              : 'This id has a weight, but the first id has none: give every id a weight or none.',
            n.start,
          );
        }
      }
      ids.push(n.id);
      weights.push(n.weight);
      return;
    }
    for (const c of n.items) visit(c);
  };
  visit(root);
  if (ids.length === 0) throw new Fail('The batch holds no ids.', root.start);

  // Shape: every list at one depth must agree, except rank-2 rows, which may be ragged.
  const depthOf = (n: Node): number => (n.t === 'entry' ? 0 : 1 + depthOf(n.items[0] ?? ({ t: 'entry' } as Node)));
  const rank = root.t === 'entry' ? 0 : depthOf(root);
  const shape: number[] = [];
  let ragged = false;
  const check = (n: Node, d: number): void => {
    if (d === rank) {
      if (n.t !== 'entry')
        throw new Fail(`Expected an id here (depth ${d}), found a list; lists must nest evenly.`, n.start);
      return;
    }
    if (n.t !== 'list')
      throw new Fail(`Expected a list here (depth ${d}), found an id; lists must nest evenly.`, n.start);
    if (shape[d] === undefined) shape[d] = n.items.length;
    else if (shape[d] !== n.items.length) {
      if (rank === 2 && d === 1) ragged = true;
      else {
        throw new Fail(
          `This list has ${n.items.length} items, the first one at this depth has ${shape[d]}. Only rank-2 batches may be ragged.`,
          n.start,
        );
      }
    }
    for (const c of n.items) check(c, d + 1);
  };
  check(root, 0);
  if (rank === 2 && root.t === 'list') {
    for (const row of root.items) if (row.t === 'list' && row.items.length === 0) ragged = true;
  }
  let rowSplits: number[] | null = null;
  if (ragged && root.t === 'list') {
    rowSplits = [0];
    for (const row of root.items)
      rowSplits.push(rowSplits[rowSplits.length - 1] + (row.t === 'list' ? row.items.length : 0));
  }
  const idType =
    firstEntry!.idKind === 'string' ? 'string' : ids.some((x) => typeof x === 'bigint') ? 'bigint' : 'number';
  return {
    kind: ragged ? 'ragged' : 'dense',
    shape: ragged ? [shape[0]] : shape,
    rowSplits,
    ids,
    weights: weights[0] === null ? null : (weights as number[]),
    idType,
  };
}

/** Formats ids as batch text, the inverse of {@link parseBatch} for dense and ragged batches. */
export function formatBatch(b: Pick<ParsedBatch, 'shape' | 'rowSplits' | 'ids' | 'weights'>): string {
  const one = (k: number): string => {
    const id = b.ids[k];
    const s = typeof id === 'string' ? JSON.stringify(id) : String(id);
    return b.weights ? `${s}:${b.weights[k]}` : s;
  };
  if (b.rowSplits) {
    const rows: string[] = [];
    for (let r = 0; r + 1 < b.rowSplits.length; r++) {
      const items: string[] = [];
      for (let k = b.rowSplits[r]; k < b.rowSplits[r + 1]; k++) items.push(one(k));
      rows.push(`[${items.join(', ')}]`);
    }
    return `[${rows.join(', ')}]`;
  }
  if (b.shape.length === 0) return one(0);
  let k = 0;
  const rec = (d: number): string => {
    const parts: string[] = [];
    for (let i = 0; i < b.shape[d]; i++) parts.push(d === b.shape.length - 1 ? one(k++) : rec(d + 1));
    return `[${parts.join(', ')}]`;
  };
  return rec(0);
}
