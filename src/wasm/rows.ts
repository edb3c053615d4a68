// Row kernels over float32 matrices in linear memory: row copies (gathers) with optional
// max-norm clipping, and squared L2 norms.
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

// Random rows miss the cache (and, in a big arena, the TLB). WebAssembly has no prefetch
// instruction, so the copy loops load a byte of the row ROW_AHEAD rows ahead (into a global,
// so the load is kept): the CPU overlaps those misses with the copies. Measured on a 1e6-row
// dim-64 arena: 8-16 rows ahead with one line each (the hardware fetches the neighbouring
// lines) beat no touching by ~1.3x and touching all four lines of each row by ~1.2x.

/** Rows ahead the copy loops touch. */
const ROW_AHEAD = 12;
/** Cache lines of a row touched ahead. */
const ROW_LINES = 1;
let rowSink: u32 = 0;

/** Touches the first `lines` cache lines of the row at `p` (0: none). */
// @ts-ignore: decorator
@inline
function touchRow(p: usize, lines: i32): u32 {
  let s: u32 = 0;
  if (p != 0) for (let l = 0; l < lines; l++) s += load<u8>(p + ((l as usize) << 6));
  return s;
}

/**
 * Copies `bytes` (a multiple of 4) from src to dst. For row-sized copies an inline v128 loop
 * (four 16-byte loads, then four stores, per 64 bytes) beats memory.copy, which engines
 * implement as a call out of the generated code. The scalar build copies the same bytes.
 */
// @ts-ignore: decorator
@inline
export function copyRow(dst: usize, src: usize, bytes: usize): void {
  let o: usize = 0;
  if (ASC_FEATURE_SIMD) {
    for (; o + 64 <= bytes; o += 64) {
      const a = v128.load(src + o);
      const b = v128.load(src + o, 16);
      const c = v128.load(src + o, 32);
      const d = v128.load(src + o, 48);
      v128.store(dst + o, a);
      v128.store(dst + o, b, 16);
      v128.store(dst + o, c, 32);
      v128.store(dst + o, d, 48);
    }
    for (; o + 16 <= bytes; o += 16) v128.store(dst + o, v128.load(src + o));
  } else {
    for (; o + 8 <= bytes; o += 8) store<u64>(dst + o, load<u64>(src + o));
  }
  for (; o < bytes; o += 4) store<u32>(dst + o, load<u32>(src + o));
}

/**
 * Copies n rows, given as u32 addresses at `addrs` (0: skip, leaving that output row as it
 * is), to `out` ([n, dim]), clipped to maxNorm when > 0. The loop has no data-dependent branch
 * but the skip, and touches the row ROW_AHEAD ahead, so the misses of many rows overlap.
 */
export function copyRows(addrs: usize, n: i32, out: usize, dim: i32, maxNorm: f32): void {
  const rowBytes = (dim as usize) << 2;
  const lines = min(ROW_LINES, ((rowBytes + 63) >> 6) as i32);
  const ahead = ROW_AHEAD;
  let sink: u32 = 0;
  let dst = out;
  for (let i = 0; i < n; i++) {
    if (i + ahead < n) sink += touchRow(load<u32>(addrs + (((i + ahead) as usize) << 2)) as usize, lines);
    const src = load<u32>(addrs + ((i as usize) << 2)) as usize;
    if (src != 0) {
      if (maxNorm > 0) copyRowScaled(dst, src, dim, clipScale(sumSquares(src, dim), maxNorm));
      else copyRow(dst, src, rowBytes);
    }
    dst += rowBytes;
  }
  rowSink = sink;
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
  const lines = min(ROW_LINES, ((rowBytes + 63) >> 6) as i32);
  const ahead = ROW_AHEAD;
  let sink: u32 = 0;
  let copied = 0;
  for (let i = 0; i < n; i++) {
    if (i + ahead < n) {
      const ra = load<i32>(rows + (((i + ahead) as usize) << 2));
      if (ra >= 0) sink += touchRow(matrix + (ra as usize) * rowBytes, lines);
    }
    const r = load<i32>(rows + ((i as usize) << 2));
    if (r < 0) continue;
    const src = matrix + (r as usize) * rowBytes;
    const dst = out + (i as usize) * rowBytes;
    if (maxNorm > 0) copyRowScaled(dst, src, dim, clipScale(sumSquares(src, dim), maxNorm));
    else copyRow(dst, src, rowBytes);
    copied++;
  }
  rowSink = sink;
  return copied;
}

/** Writes the L2 norm of each of n rows of a [n, dim] matrix at `matrix` to `out` (f32). */
export function rowNorms(matrix: usize, n: i32, dim: i32, out: usize): void {
  const rowBytes = (dim as usize) << 2;
  for (let i = 0; i < n; i++) {
    store<f32>(out + ((i as usize) << 2), Mathf.sqrt(sumSquares(matrix + (i as usize) * rowBytes, dim)));
  }
}
