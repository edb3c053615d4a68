// Histograms of embedding row norms, the Training panel's "how big are the vectors" chart.
import type { NormHistogram } from '../protocol.js';

/**
 * Each row's L2 norm from a table's export ([n, dim] values).
 *
 * @example
 * rowNorms({ values: Float32Array.of(3, 4), dim: 2 }); // Float64Array [5]
 */
export function rowNorms({ values, dim }: { values: Float32Array; dim: number }): Float64Array {
  const n = values.length / dim;
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sq = 0;
    for (let d = 0; d < dim; d++) sq += values[i * dim + d] ** 2;
    norms[i] = Math.sqrt(sq);
  }
  return norms;
}

/**
 * Histograms of row norms, one per table, over shared bins: `bins` equal bins from 0 to just above
 * the largest norm of any table (to 1 when every table is empty), so bar i means the same range
 * for every table.
 *
 * @example
 * normHistograms([{ table: 'a', norms: [0.5, 1] }], 2)[0].counts; // [1, 1]
 */
export function normHistograms(tables: { table: string; norms: ArrayLike<number> }[], bins = 20): NormHistogram[] {
  let max = 0;
  for (const t of tables) for (let i = 0; i < t.norms.length; i++) max = Math.max(max, t.norms[i]);
  const top = max > 0 ? max * 1.0001 : 1;
  const edges = Array.from({ length: bins + 1 }, (_, i) => (top * i) / bins);
  return tables.map(({ table, norms }) => {
    const counts = new Array<number>(bins).fill(0);
    let own = 0;
    for (let i = 0; i < norms.length; i++) {
      counts[Math.min(bins - 1, Math.floor((norms[i] / top) * bins))]++;
      own = Math.max(own, norms[i]);
    }
    return { table, edges: edges.slice(), counts, keys: norms.length, max: own };
  });
}
