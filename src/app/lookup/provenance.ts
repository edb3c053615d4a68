// Where each row of a lookup's output comes from: which ids (and weights) made it and how they
// were combined, so the inspector can label every output vector with its cause.
import type { BatchId, ParsedBatch } from '../../playground/batch/parse.js';
import type { FeatureSpec } from '../../playground/workspace/index.js';
import { lookupOp } from '../../playground/lookup/shape.js';

const show = (id: BatchId) => (typeof id === 'string' ? JSON.stringify(id) : String(id));
const num = (x: number) => String(Number(x.toPrecision(6)));

/** What {@link combinerOf} reports: the formula a combiner applies. */
const FORMULA = {
  sum: 'Σ vᵢ',
  mean: 'Σ vᵢ / n',
  sqrtn: 'Σ vᵢ / √n',
} as const;
const WEIGHTED = {
  sum: 'Σ wᵢvᵢ',
  mean: 'Σ wᵢvᵢ / Σ wᵢ',
  sqrtn: 'Σ wᵢvᵢ / √(Σ wᵢ²)',
} as const;

/**
 * One label per output vector (row-major over every axis but the last), in the order the
 * engine returns them, e.g. "example 1: combined with mean over ids 4, 92 = Σ vᵢ / n".
 *
 * @example
 * outputLabels({ input: 'ragged', combiner: 'mean', maxSequenceLength: 0 }, parseBatch('[[1:0.5, 2:1]]').batch)
 * // ['row 0: combined with mean over ids 1, 2, weights 0.5, 1 = Σ wᵢvᵢ / Σ wᵢ']
 */
export function outputLabels(
  f: Pick<FeatureSpec, 'input' | 'combiner' | 'maxSequenceLength'>,
  b: Pick<ParsedBatch, 'kind' | 'shape' | 'rowSplits' | 'ids' | 'weights'>,
): string[] {
  const op = lookupOp(f);
  const splits =
    b.rowSplits ??
    (() => {
      const rows = b.shape.length > 0 ? b.shape[0] : 1;
      const n = b.shape.length > 1 ? b.ids.length / rows : b.shape.length === 1 ? 1 : 1;
      return Array.from({ length: rows + 1 }, (_, r) => r * n);
    })();
  const rows = splits.length - 1;
  const rowIds = (r: number) => b.ids.slice(splits[r], splits[r + 1]);
  switch (op) {
    case 'embedding': {
      // shape(ids) + [dim]: one vector per id, at the id's own index.
      const idx = (k: number) => {
        const out: number[] = [];
        for (let d = b.shape.length - 1; d >= 0; d--) {
          out.unshift(k % b.shape[d]);
          k = Math.floor(k / b.shape[d]);
        }
        return out;
      };
      return b.ids.map((id, k) => `ids[${idx(k).join('][')}] = id ${show(id)}: its row, not combined`);
    }
    case 'squashed': {
      const c = f.combiner === 'none' ? 'mean' : f.combiner;
      if (b.shape.length <= 1) {
        return [`all ${b.ids.length} ids: combined with ${c} over ids ${b.ids.map(show).join(', ')} = ${FORMULA[c]}`];
      }
      return Array.from(
        { length: rows },
        (_, r) =>
          `example ${r}: combined with ${c} over ids ${rowIds(r).map(show).join(', ')} (n = ${rowIds(r).length}) = ${FORMULA[c]}`,
      );
    }
    case 'sparse': {
      const c = f.combiner === 'none' ? 'mean' : f.combiner;
      return Array.from({ length: rows }, (_, r) => {
        const ids = rowIds(r);
        if (ids.length === 0) return `row ${r}: no ids, so the zero vector (safe lookup)`;
        const w = b.weights?.slice(splits[r], splits[r + 1]) ?? null;
        if (!w)
          return `row ${r}: combined with ${c} over ids ${ids.map(show).join(', ')} (n = ${ids.length}) = ${FORMULA[c]}`;
        const pruned = c !== 'sum' ? w.filter((x) => x <= 0).length : 0;
        return (
          `row ${r}: combined with ${c} over ids ${ids.map(show).join(', ')}, weights ${w.map(num).join(', ')} = ${WEIGHTED[c]}` +
          (pruned > 0 ? ` (${pruned} weight${pruned === 1 ? '' : 's'} ≤ 0 pruned by the safe lookup)` : '')
        );
      });
    }
    case 'sequence': {
      const seq = f.maxSequenceLength;
      const out: string[] = [];
      for (let r = 0; r < rows; r++) {
        const ids = rowIds(r);
        for (let j = 0; j < seq; j++) {
          out.push(
            j < ids.length
              ? `row ${r}, step ${j}: id ${show(ids[j])}, not combined`
              : `row ${r}, step ${j}: padding (zero vector; the row has ${ids.length} id${ids.length === 1 ? '' : 's'})`,
          );
        }
      }
      return out;
    }
  }
}
