// Row kernels over float32 matrices in linear memory: gather with optional max-norm
// clipping, and squared L2 norms.
//
// SIMD and scalar builds must give bit-identical results, so the scalar path sums the
// squares in the same order as the SIMD path: four interleaved lane accumulators over
// whole groups of four, combined as (l0 + l1) + (l2 + l3), then the tail in order.

/** Sum of squares of `dim` floats at `src`, in the canonical lane order. */
// @ts-ignore: decorator
@inline
export function sumSquares(src: usize, dim: i32): f32 {
  const whole = dim & ~3;
  let total: f32 = 0;
  if (ASC_FEATURE_SIMD) {
    let acc = f32x4.splat(0);
    for (let j = 0; j < whole; j += 4) {
      const v = v128.load(src + ((j as usize) << 2));
      acc = f32x4.add(acc, f32x4.mul(v, v));
    }
    total =
      f32x4.extract_lane(acc, 0) +
      f32x4.extract_lane(acc, 1) +
      (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
  } else {
    let a0: f32 = 0;
    let a1: f32 = 0;
    let a2: f32 = 0;
    let a3: f32 = 0;
    for (let j = 0; j < whole; j += 4) {
      const p = src + ((j as usize) << 2);
      const x0 = load<f32>(p);
      const x1 = load<f32>(p, 4);
      const x2 = load<f32>(p, 8);
      const x3 = load<f32>(p, 12);
      a0 += x0 * x0;
      a1 += x1 * x1;
      a2 += x2 * x2;
      a3 += x3 * x3;
    }
    total = a0 + a1 + (a2 + a3);
  }
  for (let j = whole; j < dim; j++) {
    const x = load<f32>(src + ((j as usize) << 2));
    total += x * x;
  }
  return total;
}

/** Copies `dim` floats from `src` to `dst`, multiplying by `scale` unless scale == 1. */
// @ts-ignore: decorator
@inline
export function copyRowScaled(dst: usize, src: usize, dim: i32, scale: f32): void {
  const bytes = (dim as usize) << 2;
  if (scale == 1) {
    memory.copy(dst, src, bytes);
    return;
  }
  const whole = dim & ~3;
  if (ASC_FEATURE_SIMD) {
    const s = f32x4.splat(scale);
    for (let j = 0; j < whole; j += 4) {
      const off = (j as usize) << 2;
      v128.store(dst + off, f32x4.mul(v128.load(src + off), s));
    }
  } else {
    for (let j = 0; j < whole; j++) {
      const off = (j as usize) << 2;
      store<f32>(dst + off, load<f32>(src + off) * scale);
    }
  }
  for (let j = whole; j < dim; j++) {
    const off = (j as usize) << 2;
    store<f32>(dst + off, load<f32>(src + off) * scale);
  }
}

/** The factor that clips a row of squared norm `sq` to `maxNorm`: maxNorm / max(‖v‖, maxNorm). */
// @ts-ignore: decorator
@inline
export function clipScale(sq: f32, maxNorm: f32): f32 {
  if (maxNorm <= 0) return 1;
  const norm = Mathf.sqrt(sq);
  return norm > maxNorm ? maxNorm / norm : 1;
}

/**
 * Gathers rows of a contiguous [numRows, dim] float32 matrix at `matrix` into `out`
 * ([n, dim]), for the n int32 row indices at `rows`. A negative index leaves its output
 * row untouched (the caller fills missing keys). With maxNorm > 0 each row is clipped.
 * Returns the number of rows copied, or -1 if an index is >= numRows (nothing is written).
 */
export function gatherRows(
  matrix: usize,
  numRows: i32,
  dim: i32,
  rows: usize,
  n: i32,
  out: usize,
  maxNorm: f32,
): i32 {
  for (let i = 0; i < n; i++) {
    if (load<i32>(rows + ((i as usize) << 2)) >= numRows) return -1;
  }
  const rowBytes = (dim as usize) << 2;
  let copied = 0;
  for (let i = 0; i < n; i++) {
    const r = load<i32>(rows + ((i as usize) << 2));
    if (r < 0) continue;
    const src = matrix + (r as usize) * rowBytes;
    const dst = out + (i as usize) * rowBytes;
    const scale = maxNorm > 0 ? clipScale(sumSquares(src, dim), maxNorm) : (1 as f32);
    copyRowScaled(dst, src, dim, scale);
    copied++;
  }
  return copied;
}

/** Writes the L2 norm of each of n rows of a [n, dim] matrix at `matrix` to `out` (f32). */
export function rowNorms(matrix: usize, n: i32, dim: i32, out: usize): void {
  const rowBytes = (dim as usize) << 2;
  for (let i = 0; i < n; i++) {
    store<f32>(out + ((i as usize) << 2), Mathf.sqrt(sumSquares(matrix + (i as usize) * rowBytes, dim)));
  }
}
