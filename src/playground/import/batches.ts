// What an imported log feeds: the Batch panel's text for a range of rows ("Use rows"), cut only
// between rows, and training's batch number `step` (rows step·B … step·B + B − 1, wrapping around
// the log), which is a pure function of the log and the step, so Step back replays it exactly.
import type { ImportedLog, LogFeature } from './build.js';

/** The batch text of one id as the Batch panel's parser reads it; null when it cannot be spelled. */
function spell(f: LogFeature, id: number | string): string | null {
  if (f.keyDtype !== 'string') return String(id);
  const s = String(id);
  if (s.includes('\n') || s.includes('\r')) return null;
  if (!s.includes('"')) return `"${s}"`;
  if (!s.includes("'")) return `'${s}'`;
  return null;
}

function rowText(f: LogFeature, r: number): string | null {
  const parts: string[] = [];
  for (let i = f.rowSplits[r]; i < f.rowSplits[r + 1]; i++) {
    const id = spell(f, f.ids[i]);
    if (id === null) return null;
    parts.push(f.weights ? `${id}:${f.weights[i]}` : id);
  }
  return `[${parts.join(', ')}]`;
}

export interface BatchText {
  /** The batch text per feature name (every feature of the log), rows [from, from + rows). */
  texts: Map<string, string>;
  rows: number;
  /** Why fewer rows than asked were taken, or null. */
  note: string | null;
}

/**
 * The Batch panel's text for rows [from, from + n) of the log, one list of ids per row, ending
 * early (between rows, never inside one) when a feature's text would pass `maxChars`.
 *
 * @example
 * batchTexts(log, 0, 3, 20_000).texts.get('items'); // '[[15, 2, 9], [4, 92], [31]]'
 */
export function batchTexts(log: ImportedLog, from: number, n: number, maxChars: number): BatchText {
  const texts = new Map<string, string[]>(log.features.map((f) => [f.name, []]));
  const lengths = new Map<string, number>(log.features.map((f) => [f.name, 2]));
  let rows = 0;
  let note: string | null = null;
  const end = Math.min(log.rows, from + n);
  grow: for (let r = from; r < end; r++) {
    const row = new Map<string, string>();
    for (const f of log.features) {
      const t = rowText(f, r);
      if (t === null) {
        note = `row ${r + 1} (line ${log.lines[r]}) holds a string id with both kinds of quote or a line break, which the batch box cannot hold; training reads it from the log.`;
        break grow;
      }
      if (lengths.get(f.name)! + t.length + 2 > maxChars) {
        note = `${rows} rows fit in the batch box (${maxChars.toLocaleString('en')} characters per feature).`;
        break grow;
      }
      row.set(f.name, t);
    }
    for (const f of log.features) {
      texts.get(f.name)!.push(row.get(f.name)!);
      lengths.set(f.name, lengths.get(f.name)! + row.get(f.name)!.length + 2);
    }
    rows++;
  }
  return { texts: new Map([...texts].map(([k, v]) => [k, `[${v.join(', ')}]`])), rows, note };
}

/** One feature of a training batch, in the generator's shape (see the trainer). */
export interface LogBatchFeature {
  ids: (number | bigint | string)[];
  /** Dense: [batch, ids per row]; otherwise [batch, longest row]. */
  shape: [number, number];
  /** Row boundaries (null for dense rows). */
  rowSplits: number[] | null;
  weights: number[] | null;
  /** Ids in this batch that no earlier row of the log holds (first pass over the log only). */
  newIds: number;
}

export interface LogBatch {
  step: number;
  /** By feature name (a null-prototype record: a feature may be named `__proto__`). */
  features: Record<string, LogBatchFeature>;
  labels: number[];
}

const firstSeen = new WeakMap<LogFeature, Uint8Array>();

/** 1 where an id occurs for the first time in the log (row order). */
function firstOccurrences(f: LogFeature): Uint8Array {
  let out = firstSeen.get(f);
  if (!out) {
    out = new Uint8Array(f.ids.length);
    const seen = new Set<number | string>();
    f.ids.forEach((id, i) => {
      if (!seen.has(id)) {
        seen.add(id);
        out![i] = 1;
      }
    });
    firstSeen.set(f, out);
  }
  return out;
}

/**
 * Training batch number `step`: `batchSize` rows starting at row step·batchSize, wrapping around
 * the log (so every row is trained once per pass), with the label column as the target.
 *
 * @example
 * logBatch(log, 64, 0).labels.length; // 64 (the log's first 64 rows, or it wraps when shorter)
 */
export function logBatch(log: ImportedLog, batchSize: number, step: number): LogBatch {
  if (!log.labels) throw new Error('The imported log has no label column: map one column to the label to train on it.');
  if (log.rows === 0) throw new Error('The imported log has no usable rows to train on.');
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`Expected a batch size ≥ 1, got ${batchSize}.`);
  const start = (step * batchSize) % log.rows;
  const firstPass = step * batchSize < log.rows;
  const rows = Array.from({ length: batchSize }, (_, k) => (start + k) % log.rows);
  const features: Record<string, LogBatchFeature> = Object.create(null);
  for (const f of log.features) {
    const first = firstPass ? firstOccurrences(f) : null;
    const ids: (number | bigint | string)[] = [];
    const weights: number[] | null = f.weights ? [] : null;
    const splits = [0];
    let longest = 0;
    let newIds = 0;
    rows.forEach((r, k) => {
      const a = f.rowSplits[r];
      const b = f.rowSplits[r + 1];
      for (let i = a; i < b; i++) {
        const id = f.ids[i];
        // int64 ids beyond 2^53 travel as decimal strings; the engine takes them as bigints.
        ids.push(f.keyDtype === 'int64' && typeof id === 'string' ? BigInt(id) : id);
        weights?.push(f.weights![i]);
        // Within the first pass, only rows not yet wrapped count as new.
        if (first && start + k < log.rows && first[i]) newIds++;
      }
      longest = Math.max(longest, b - a);
      splits.push(ids.length);
    });
    features[f.name] = { ids, shape: [batchSize, longest], rowSplits: f.dense ? null : splits, weights, newIds };
  }
  const labels = rows.map((r) => log.labels![r]);
  return { step, features, labels };
}

/**
 * Why a model cannot train on this log, or null: it needs the label, rows, and every model
 * feature built from a column for the feature's table as it is now (key dtype; dense or not).
 *
 * @example
 * logProblem(log, [{ name: 'user_id', dense: true, keyDtype: 'int64' }]); // null, or what to do
 */
export function logProblem(
  log: ImportedLog,
  features: readonly { name: string; dense: boolean; keyDtype: LogFeature['keyDtype'] }[],
): string | null {
  if (!log.labels) return 'The imported log has no label column: map one column to the label to train on it.';
  if (log.rows === 0) return 'The imported log has no usable rows to train on.';
  for (const f of features) {
    const lf = log.features.find((x) => x.name === f.name);
    if (!lf) {
      return `Feature ${f.name} has no column in the imported log: map a column to its ids (or remove the feature), then apply the mapping.`;
    }
    if (lf.keyDtype !== f.keyDtype) {
      return `Feature ${f.name}'s table has ${f.keyDtype} keys, but the log's ids were read for ${lf.keyDtype} keys: apply the mapping again.`;
    }
    if (f.dense && !lf.dense) {
      return `Feature ${f.name} is dense (the same number of ids in every row), but the log was read for rows of any length: apply the mapping again.`;
    }
  }
  return null;
}
