// Optimizer update rules over the rows a training step touched (lazy, sparse updates).
//
// Every kernel is batched over n rows: `w`, `s0`, `s1`, `s2` are arrays of n u32 row
// pointers (into a value arena and slot arenas, or into contiguous scratch), `g` is the
// contiguous [n, dim] float32 gradient of those rows. Rows are updated in place.
//
// The formulas and their operation order follow tfjs-core's optimizers (the equivalence
// tests train a dense tf.variable with them), with float32 rounding after every operation
// as tfjs does. The SIMD path processes whole groups of four lanes and the scalar path
// the same elements one by one with the same operations in the same order; lanes are
// independent, so both builds give bit-identical results (no fma, no reassociation).
// With maxNorm > 0 the updated value row is clipped to that L2 norm (TFRA clips the
// rows it writes back); the norm uses rows.ts's canonical summation order.
import { clipScale, sumSquares } from './rows';

// @ts-ignore: decorator
@inline
function rowAt(ptrs: usize, i: i32): usize {
  return load<u32>(ptrs + ((i as usize) << 2)) as usize;
}

// @ts-ignore: decorator
@inline
function clipRow(w: usize, dim: i32, maxNorm: f32): void {
  if (maxNorm <= 0) return;
  const scale = clipScale(sumSquares(w, dim), maxNorm);
  if (scale == 1) return;
  for (let j = 0; j < dim; j++) {
    const p = w + ((j as usize) << 2);
    store<f32>(p, load<f32>(p) * scale);
  }
}

/** SGD: w = g * (-lr) + w. */
export function sgdUpdate(w: usize, g: usize, n: i32, dim: i32, lr: f32, maxNorm: f32): void {
  const c: f32 = -lr;
  const whole = dim & ~3;
  for (let i = 0; i < n; i++) {
    const wr = rowAt(w, i);
    const gr = g + (((i as usize) * (dim as usize)) << 2);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const cv = f32x4.splat(c);
      for (; j < whole; j += 4) {
        const o = (j as usize) << 2;
        v128.store(wr + o, f32x4.add(f32x4.mul(v128.load(gr + o), cv), v128.load(wr + o)));
      }
    }
    for (; j < dim; j++) {
      const o = (j as usize) << 2;
      store<f32>(wr + o, load<f32>(gr + o) * c + load<f32>(wr + o));
    }
    clipRow(wr, dim, maxNorm);
  }
}

/**
 * Momentum (tfjs MomentumOptimizer): a = a * m + g; w = a * (-lr) + w, or with Nesterov
 * w = (g + a * m) * (-lr) + w. Slot s0 = momentum.
 */
export function momentumUpdate(
  w: usize,
  s0: usize,
  g: usize,
  n: i32,
  dim: i32,
  lr: f32,
  momentum: f32,
  nesterov: i32,
  maxNorm: f32,
): void {
  const c: f32 = -lr;
  const whole = dim & ~3;
  for (let i = 0; i < n; i++) {
    const wr = rowAt(w, i);
    const ar = rowAt(s0, i);
    const gr = g + (((i as usize) * (dim as usize)) << 2);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const cv = f32x4.splat(c);
      const mv = f32x4.splat(momentum);
      for (; j < whole; j += 4) {
        const o = (j as usize) << 2;
        const gv = v128.load(gr + o);
        const a = f32x4.add(f32x4.mul(v128.load(ar + o), mv), gv);
        v128.store(ar + o, a);
        const step = nesterov ? f32x4.add(gv, f32x4.mul(a, mv)) : a;
        v128.store(wr + o, f32x4.add(f32x4.mul(step, cv), v128.load(wr + o)));
      }
    }
    for (; j < dim; j++) {
      const o = (j as usize) << 2;
      const gv = load<f32>(gr + o);
      const a: f32 = load<f32>(ar + o) * momentum + gv;
      store<f32>(ar + o, a);
      const step: f32 = nesterov ? gv + a * momentum : a;
      store<f32>(wr + o, step * c + load<f32>(wr + o));
    }
    clipRow(wr, dim, maxNorm);
  }
}

/** Adagrad (tfjs): a = a + g²; w = (g / sqrt(a + eps)) * (-lr) + w. Slot s0 = accumulator. */
export function adagradUpdate(
  w: usize,
  s0: usize,
  g: usize,
  n: i32,
  dim: i32,
  lr: f32,
  epsilon: f32,
  maxNorm: f32,
): void {
  const c: f32 = -lr;
  const whole = dim & ~3;
  for (let i = 0; i < n; i++) {
    const wr = rowAt(w, i);
    const ar = rowAt(s0, i);
    const gr = g + (((i as usize) * (dim as usize)) << 2);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const cv = f32x4.splat(c);
      const ev = f32x4.splat(epsilon);
      for (; j < whole; j += 4) {
        const o = (j as usize) << 2;
        const gv = v128.load(gr + o);
        const a = f32x4.add(v128.load(ar + o), f32x4.mul(gv, gv));
        v128.store(ar + o, a);
        const d = f32x4.div(gv, f32x4.sqrt(f32x4.add(a, ev)));
        v128.store(wr + o, f32x4.add(f32x4.mul(d, cv), v128.load(wr + o)));
      }
    }
    for (; j < dim; j++) {
      const o = (j as usize) << 2;
      const gv = load<f32>(gr + o);
      const a: f32 = load<f32>(ar + o) + gv * gv;
      store<f32>(ar + o, a);
      const d: f32 = gv / Mathf.sqrt(a + epsilon);
      store<f32>(wr + o, d * c + load<f32>(wr + o));
    }
    clipRow(wr, dim, maxNorm);
  }
}

/**
 * Adam (tfjs AdamOptimizer, optionally AMSGrad): m = m*b1 + g*(1-b1); v = v*b2 + g²*(1-b2);
 * with amsgrad vhat = max(vhat, v) replaces v below;
 * w = ((m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)) * (-lr) + w.
 * Slots: s0 = m, s1 = v, s2 = vhat (only read when amsgrad != 0).
 * `oneMinusB1`, `oneMinusB2` are (1-b1), (1-b2); `corr1`, `corr2` are (1-b1^t), (1-b2^t).
 */
export function adamUpdate(
  w: usize,
  s0: usize,
  s1: usize,
  s2: usize,
  g: usize,
  n: i32,
  dim: i32,
  lr: f32,
  beta1: f32,
  beta2: f32,
  oneMinusB1: f32,
  oneMinusB2: f32,
  corr1: f32,
  corr2: f32,
  epsilon: f32,
  amsgrad: i32,
  maxNorm: f32,
): void {
  const c: f32 = -lr;
  const whole = dim & ~3;
  for (let i = 0; i < n; i++) {
    const wr = rowAt(w, i);
    const mr = rowAt(s0, i);
    const vr = rowAt(s1, i);
    const hr = amsgrad ? rowAt(s2, i) : 0;
    const gr = g + (((i as usize) * (dim as usize)) << 2);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const cv = f32x4.splat(c);
      const b1 = f32x4.splat(beta1);
      const b2 = f32x4.splat(beta2);
      const ob1 = f32x4.splat(oneMinusB1);
      const ob2 = f32x4.splat(oneMinusB2);
      const c1 = f32x4.splat(corr1);
      const c2 = f32x4.splat(corr2);
      const ev = f32x4.splat(epsilon);
      for (; j < whole; j += 4) {
        const o = (j as usize) << 2;
        const gv = v128.load(gr + o);
        const m = f32x4.add(f32x4.mul(v128.load(mr + o), b1), f32x4.mul(gv, ob1));
        let v = f32x4.add(f32x4.mul(v128.load(vr + o), b2), f32x4.mul(f32x4.mul(gv, gv), ob2));
        v128.store(mr + o, m);
        v128.store(vr + o, v);
        if (amsgrad) {
          v = f32x4.max(v128.load(hr + o), v);
          v128.store(hr + o, v);
        }
        const d = f32x4.div(f32x4.div(m, c1), f32x4.add(f32x4.sqrt(f32x4.div(v, c2)), ev));
        v128.store(wr + o, f32x4.add(f32x4.mul(d, cv), v128.load(wr + o)));
      }
    }
    for (; j < dim; j++) {
      const o = (j as usize) << 2;
      const gv = load<f32>(gr + o);
      const m: f32 = load<f32>(mr + o) * beta1 + gv * oneMinusB1;
      let v: f32 = load<f32>(vr + o) * beta2 + gv * gv * oneMinusB2;
      store<f32>(mr + o, m);
      store<f32>(vr + o, v);
      if (amsgrad) {
        // f32x4.max semantics (NaN-propagating), as Mathf.max
        v = Mathf.max(load<f32>(hr + o), v);
        store<f32>(hr + o, v);
      }
      const d: f32 = m / corr1 / (Mathf.sqrt(v / corr2) + epsilon);
      store<f32>(wr + o, d * c + load<f32>(wr + o));
    }
    clipRow(wr, dim, maxNorm);
  }
}

/**
 * RMSprop (tfjs RMSPropOptimizer; centered as Keras): ms = ms*rho + g²*(1-rho);
 * plain: mom = mom*momentum + (g*lr) / sqrt(ms + eps);
 * centered: mg = mg*rho + g*(1-rho); mom = mom*momentum + (g*lr) / sqrt((ms - mg²) + eps);
 * w = w - mom. Slots: s0 = rms, s1 = momentum, s2 = mg (only read when centered != 0).
 */
export function rmspropUpdate(
  w: usize,
  s0: usize,
  s1: usize,
  s2: usize,
  g: usize,
  n: i32,
  dim: i32,
  lr: f32,
  rho: f32,
  oneMinusRho: f32,
  momentum: f32,
  epsilon: f32,
  centered: i32,
  maxNorm: f32,
): void {
  const whole = dim & ~3;
  for (let i = 0; i < n; i++) {
    const wr = rowAt(w, i);
    const sr = rowAt(s0, i);
    const pr = rowAt(s1, i);
    const cr = centered ? rowAt(s2, i) : 0;
    const gr = g + (((i as usize) * (dim as usize)) << 2);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const lv = f32x4.splat(lr);
      const rv = f32x4.splat(rho);
      const orv = f32x4.splat(oneMinusRho);
      const mv = f32x4.splat(momentum);
      const ev = f32x4.splat(epsilon);
      for (; j < whole; j += 4) {
        const o = (j as usize) << 2;
        const gv = v128.load(gr + o);
        const ms = f32x4.add(f32x4.mul(v128.load(sr + o), rv), f32x4.mul(f32x4.mul(gv, gv), orv));
        v128.store(sr + o, ms);
        let den = ms;
        if (centered) {
          const mg = f32x4.add(f32x4.mul(v128.load(cr + o), rv), f32x4.mul(gv, orv));
          v128.store(cr + o, mg);
          den = f32x4.sub(ms, f32x4.mul(mg, mg));
        }
        const mom = f32x4.add(
          f32x4.mul(v128.load(pr + o), mv),
          f32x4.div(f32x4.mul(gv, lv), f32x4.sqrt(f32x4.add(den, ev))),
        );
        v128.store(pr + o, mom);
        v128.store(wr + o, f32x4.sub(v128.load(wr + o), mom));
      }
    }
    for (; j < dim; j++) {
      const o = (j as usize) << 2;
      const gv = load<f32>(gr + o);
      const ms: f32 = load<f32>(sr + o) * rho + gv * gv * oneMinusRho;
      store<f32>(sr + o, ms);
      let den = ms;
      if (centered) {
        const mg: f32 = load<f32>(cr + o) * rho + gv * oneMinusRho;
        store<f32>(cr + o, mg);
        den = ms - mg * mg;
      }
      const mom: f32 = load<f32>(pr + o) * momentum + (gv * lr) / Mathf.sqrt(den + epsilon);
      store<f32>(pr + o, mom);
      store<f32>(wr + o, load<f32>(wr + o) - mom);
    }
    clipRow(wr, dim, maxNorm);
  }
}

// x^p for the FTRL power; p = 0.5 (the default) is sqrt, exact and vectorizable.
// @ts-ignore: decorator
@inline
function ftrlPow(x: f32, p: f32): f32 {
  return p == 0.5 ? Mathf.sqrt(x) : Mathf.pow(x, p);
}

/**
 * FTRL-proximal (Keras / TF ApplyFtrlV2), with p = -learningRatePower:
 * g' = g + 2*l2Shrinkage*w; a' = a + g²; lin = lin + (g' - ((a'^p - a^p) / lr) * w);
 * quad = a'^p / lr + 2*l2Adj (l2Adj = l2 + beta / (2*lr));
 * w = (clip(lin, -l1, l1) - lin) / quad; a = a'. Slots: s0 = accumulator, s1 = linear.
 */
export function ftrlUpdate(
  w: usize,
  s0: usize,
  s1: usize,
  g: usize,
  n: i32,
  dim: i32,
  lr: f32,
  power: f32,
  l1: f32,
  twoL2Adj: f32,
  twoL2Shrinkage: f32,
  maxNorm: f32,
): void {
  const whole = power == 0.5 ? dim & ~3 : 0;
  const negL1: f32 = -l1;
  for (let i = 0; i < n; i++) {
    const wr = rowAt(w, i);
    const ar = rowAt(s0, i);
    const lr_ = rowAt(s1, i);
    const gr = g + (((i as usize) * (dim as usize)) << 2);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const lrv = f32x4.splat(lr);
      const l1v = f32x4.splat(l1);
      const nl1v = f32x4.splat(negL1);
      const q2 = f32x4.splat(twoL2Adj);
      const sh = f32x4.splat(twoL2Shrinkage);
      for (; j < whole; j += 4) {
        const o = (j as usize) << 2;
        const gv = v128.load(gr + o);
        const wv = v128.load(wr + o);
        const a = v128.load(ar + o);
        const gs = twoL2Shrinkage != 0 ? f32x4.add(gv, f32x4.mul(sh, wv)) : gv;
        const a2 = f32x4.add(a, f32x4.mul(gv, gv));
        const pa2 = f32x4.sqrt(a2);
        const sigma = f32x4.div(f32x4.sub(pa2, f32x4.sqrt(a)), lrv);
        const lin = f32x4.add(v128.load(lr_ + o), f32x4.sub(gs, f32x4.mul(sigma, wv)));
        const quad = f32x4.add(f32x4.div(pa2, lrv), q2);
        const clipped = f32x4.min(f32x4.max(lin, nl1v), l1v);
        v128.store(lr_ + o, lin);
        v128.store(ar + o, a2);
        v128.store(wr + o, f32x4.div(f32x4.sub(clipped, lin), quad));
      }
    }
    for (; j < dim; j++) {
      const o = (j as usize) << 2;
      const gv = load<f32>(gr + o);
      const wv = load<f32>(wr + o);
      const a = load<f32>(ar + o);
      const gs: f32 = twoL2Shrinkage != 0 ? gv + twoL2Shrinkage * wv : gv;
      const a2: f32 = a + gv * gv;
      const pa2 = ftrlPow(a2, power);
      const sigma: f32 = (pa2 - ftrlPow(a, power)) / lr;
      const lin: f32 = load<f32>(lr_ + o) + (gs - sigma * wv);
      const quad: f32 = pa2 / lr + twoL2Adj;
      const clipped = Mathf.min(Mathf.max(lin, negL1), l1);
      store<f32>(lr_ + o, lin);
      store<f32>(ar + o, a2);
      store<f32>(wr + o, (clipped - lin) / quad);
    }
    clipRow(wr, dim, maxNorm);
  }
}

/** Fills n u32 pointers at `out` with base + i * stride (rows of a contiguous block). */
export function rowPointers(out: usize, base: usize, stride: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<u32>(out + ((i as usize) << 2), (base + (i as usize) * stride) as u32);
}
