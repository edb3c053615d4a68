// Row gathers over a dense float32 matrix through the WASM kernels: the first kernel the
// pipeline was proven with, and the primitive under fixed-vocabulary tables.
import { InvalidArgumentError, show } from './errors.js';
import { WasmHeap } from './wasm.js';

let sharedHeap: WasmHeap | undefined;
function heap(): WasmHeap {
  sharedHeap ??= new WasmHeap();
  return sharedHeap;
}

function checkDim(dim: number, what: string): void {
  if (!Number.isInteger(dim) || dim < 1) {
    throw new InvalidArgumentError(`${what}: dim must be an integer >= 1, got ${show(dim)}.`);
  }
}

/**
 * Gathers rows of a row-major `[numRows, dim]` float32 matrix, clipping each to `maxNorm`
 * (`v * maxNorm / max(‖v‖, maxNorm)`) when given. Indices must be in `[0, numRows)`.
 *
 * @example
 * const m = new Float32Array([1, 2, 3, 4, 5, 6]);     // 3 rows, dim 2
 * de.gatherRows(m, 2, [2, 0]);                          // Float32Array [5, 6, 1, 2]
 */
export function gatherRows(
  matrix: Float32Array,
  dim: number,
  indices: ArrayLike<number>,
  options: { maxNorm?: number } = {},
): Float32Array {
  checkDim(dim, 'gatherRows');
  if (matrix.length % dim !== 0) {
    throw new InvalidArgumentError(
      `gatherRows: the matrix length must be a multiple of dim (${dim}), got length ${matrix.length}.`,
    );
  }
  const numRows = matrix.length / dim;
  const n = indices.length;
  for (let i = 0; i < n; i++) {
    const r = indices[i];
    if (!Number.isInteger(r) || r < 0 || r >= numRows) {
      throw new InvalidArgumentError(`gatherRows: index ${i} must be an integer in [0, ${numRows}), got ${show(r)}.`);
    }
  }
  const maxNorm = options.maxNorm ?? 0;
  if (!(maxNorm >= 0) || !Number.isFinite(maxNorm)) {
    throw new InvalidArgumentError(`gatherRows: maxNorm must be a finite number > 0, got ${show(options.maxNorm)}.`);
  }
  const h = heap();
  const mBytes = matrix.length * 4;
  const mPtr = h.alloc(mBytes, 'the matrix');
  let rPtr = 0;
  let oPtr = 0;
  try {
    rPtr = h.alloc(n * 4, 'the indices');
    oPtr = h.alloc(n * dim * 4, 'the output');
    h.f32.set(matrix, mPtr >>> 2);
    h.i32.set(indices, rPtr >>> 2);
    h.exports.gatherRows(mPtr, numRows, dim, rPtr, n, oPtr, maxNorm);
    return h.f32.slice(oPtr >>> 2, (oPtr >>> 2) + n * dim);
  } finally {
    h.free(mPtr);
    if (rPtr) h.free(rPtr);
    if (oPtr) h.free(oPtr);
  }
}

/**
 * L2 norm of each row of a row-major `[n, dim]` float32 matrix.
 *
 * @example
 * de.rowNorms(new Float32Array([3, 4, 0, 0]), 2); // Float32Array [5, 0]
 */
export function rowNorms(matrix: Float32Array, dim: number): Float32Array {
  checkDim(dim, 'rowNorms');
  if (matrix.length % dim !== 0) {
    throw new InvalidArgumentError(
      `rowNorms: the matrix length must be a multiple of dim (${dim}), got length ${matrix.length}.`,
    );
  }
  const n = matrix.length / dim;
  const h = heap();
  const mPtr = h.alloc(matrix.length * 4, 'the matrix');
  let oPtr = 0;
  try {
    oPtr = h.alloc(n * 4, 'the norms');
    h.f32.set(matrix, mPtr >>> 2);
    h.exports.rowNorms(mPtr, n, dim, oPtr);
    return h.f32.slice(oPtr >>> 2, (oPtr >>> 2) + n);
  } finally {
    h.free(mPtr);
    if (oPtr) h.free(oPtr);
  }
}
