// Optimizer update rules over the rows a training step touched (lazy, sparse updates).
//
// Every kernel is batched over n rows: `w`, `s0`, `s1`, `s2` are arrays of n u32 row
// pointers (into a value arena and slot arenas, or into contiguous scratch), `g` is the
// contiguous [n, dim] float32 gradient of those rows. Rows are updated in place.
//
// The formulas and their operation order follow TF/Keras (what TFRA trains with: TF's
// training_ops CPU kernels, or Keras's own ops where Keras does not call a kernel), with
// float32 rounding after every operation; the equivalence tests write those formulas out. The SIMD path processes whole groups of four lanes and the scalar path
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
 * Momentum (Keras SGD with momentum, TF's ApplyKerasMomentum): a = a * m - g * lr; w = w + a,
 * or with Nesterov w = w + (a * m - g * lr). Slot s0 = momentum (Keras's velocity).
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
  const whole = dim & ~3;
  for (let i = 0; i < n; i++) {
    const wr = rowAt(w, i);
    const ar = rowAt(s0, i);
    const gr = g + (((i as usize) * (dim as usize)) << 2);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const lv = f32x4.splat(lr);
      const mv = f32x4.splat(momentum);
      for (; j < whole; j += 4) {
        const o = (j as usize) << 2;
        const gl = f32x4.mul(v128.load(gr + o), lv);
        const a = f32x4.sub(f32x4.mul(v128.load(ar + o), mv), gl);
        v128.store(ar + o, a);
        const step = nesterov ? f32x4.sub(f32x4.mul(a, mv), gl) : a;
        v128.store(wr + o, f32x4.add(v128.load(wr + o), step));
      }
    }
    for (; j < dim; j++) {
      const o = (j as usize) << 2;
      const gl: f32 = load<f32>(gr + o) * lr;
      const a: f32 = load<f32>(ar + o) * momentum - gl;
      store<f32>(ar + o, a);
      const step: f32 = nesterov ? a * momentum - gl : a;
      store<f32>(wr + o, load<f32>(wr + o) + step);
    }
    clipRow(wr, dim, maxNorm);
  }
}

/**
 * Adagrad (Keras, TF's ApplyAdagradV2): a = a + g²; w = w - (g * lr) / (sqrt(a) + eps).
 * Slot s0 = accumulator.
 */
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
  const whole = dim & ~3;
  for (let i = 0; i < n; i++) {
    const wr = rowAt(w, i);
    const ar = rowAt(s0, i);
    const gr = g + (((i as usize) * (dim as usize)) << 2);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const lv = f32x4.splat(lr);
      const ev = f32x4.splat(epsilon);
      for (; j < whole; j += 4) {
        const o = (j as usize) << 2;
        const gv = v128.load(gr + o);
        const a = f32x4.add(v128.load(ar + o), f32x4.mul(gv, gv));
        v128.store(ar + o, a);
        const d = f32x4.div(f32x4.mul(gv, lv), f32x4.add(f32x4.sqrt(a), ev));
        v128.store(wr + o, f32x4.sub(v128.load(wr + o), d));
      }
    }
    for (; j < dim; j++) {
      const o = (j as usize) << 2;
      const gv = load<f32>(gr + o);
      const a: f32 = load<f32>(ar + o) + gv * gv;
      store<f32>(ar + o, a);
      const d: f32 = (gv * lr) / (Mathf.sqrt(a) + epsilon);
      store<f32>(wr + o, load<f32>(wr + o) - d);
    }
    clipRow(wr, dim, maxNorm);
  }
}

/**
 * Adam (Keras, TF's ApplyAdam / ApplyAdamWithAmsgrad): m = m + (g - m)*(1-b1);
 * v = v + (g² - v)*(1-b2); with amsgrad vhat = max(vhat, v) replaces v below;
 * w = w - (m * alpha) / (sqrt(v) + eps), alpha = lr * sqrt(1-b2^t) / (1-b1^t) (computed by the caller).
 * Epsilon is added to sqrt(v), not to sqrt(v / (1-b2^t)) as in tfjs: at step 1 TF's is ~30x larger.
 * Slots: s0 = m, s1 = v, s2 = vhat (only read when amsgrad != 0).
 */
export function adamUpdate(
  w: usize,
  s0: usize,
  s1: usize,
  s2: usize,
  g: usize,
  n: i32,
  dim: i32,
  alpha: f32,
  oneMinusB1: f32,
  oneMinusB2: f32,
  epsilon: f32,
  amsgrad: i32,
  maxNorm: f32,
): void {
  const whole = dim & ~3;
  for (let i = 0; i < n; i++) {
    const wr = rowAt(w, i);
    const mr = rowAt(s0, i);
    const vr = rowAt(s1, i);
    const hr = amsgrad ? rowAt(s2, i) : 0;
    const gr = g + (((i as usize) * (dim as usize)) << 2);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const av = f32x4.splat(alpha);
      const ob1 = f32x4.splat(oneMinusB1);
      const ob2 = f32x4.splat(oneMinusB2);
      const ev = f32x4.splat(epsilon);
      for (; j < whole; j += 4) {
        const o = (j as usize) << 2;
        const gv = v128.load(gr + o);
        const m0 = v128.load(mr + o);
        const v0 = v128.load(vr + o);
        const m = f32x4.add(m0, f32x4.mul(f32x4.sub(gv, m0), ob1));
        let v = f32x4.add(v0, f32x4.mul(f32x4.sub(f32x4.mul(gv, gv), v0), ob2));
        v128.store(mr + o, m);
        v128.store(vr + o, v);
        if (amsgrad) {
          v = f32x4.max(v128.load(hr + o), v);
          v128.store(hr + o, v);
        }
        const d = f32x4.div(f32x4.mul(m, av), f32x4.add(f32x4.sqrt(v), ev));
        v128.store(wr + o, f32x4.sub(v128.load(wr + o), d));
      }
    }
    for (; j < dim; j++) {
      const o = (j as usize) << 2;
      const gv = load<f32>(gr + o);
      const m0 = load<f32>(mr + o);
      const v0 = load<f32>(vr + o);
      const m: f32 = m0 + (gv - m0) * oneMinusB1;
      let v: f32 = v0 + (gv * gv - v0) * oneMinusB2;
      store<f32>(mr + o, m);
      store<f32>(vr + o, v);
      if (amsgrad) {
        // f32x4.max semantics (NaN-propagating), as Mathf.max
        v = Mathf.max(load<f32>(hr + o), v);
        store<f32>(hr + o, v);
      }
      const d: f32 = (m * alpha) / (Mathf.sqrt(v) + epsilon);
      store<f32>(wr + o, load<f32>(wr + o) - d);
    }
    clipRow(wr, dim, maxNorm);
  }
}

/**
 * RMSprop as Keras runs it. With momentum == 0 (Keras's own update, no momentum slot):
 * ms = ms*rho + g²*(1-rho); centered: mg = mg*rho + g*(1-rho), den = ms - mg²;
 * w = w - (g*lr) / (sqrt(den) + eps). With momentum > 0 (TF's ApplyRMSProp /
 * ApplyCenteredRMSProp, epsilon inside the root): ms = ms + (g² - ms)*(1-rho);
 * centered: mg = mg + (g - mg)*(1-rho); den = (ms - mg²) + eps, else ms + eps;
 * mom = mom*momentum + (g*lr) / sqrt(den); w = w - mom.
 * Slots: s0 = rms, s1 = momentum (only read when momentum > 0), s2 = mg (only read when centered != 0).
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
  const useMom = momentum > 0;
  for (let i = 0; i < n; i++) {
    const wr = rowAt(w, i);
    const sr = rowAt(s0, i);
    const pr = useMom ? rowAt(s1, i) : 0;
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
        const gl = f32x4.mul(gv, lv);
        if (useMom) {
          const ms0 = v128.load(sr + o);
          const ms = f32x4.add(ms0, f32x4.mul(f32x4.sub(f32x4.mul(gv, gv), ms0), orv));
          v128.store(sr + o, ms);
          let den = ms;
          if (centered) {
            const mg0 = v128.load(cr + o);
            const mg = f32x4.add(mg0, f32x4.mul(f32x4.sub(gv, mg0), orv));
            v128.store(cr + o, mg);
            den = f32x4.sub(ms, f32x4.mul(mg, mg));
          }
          const mom = f32x4.add(f32x4.mul(v128.load(pr + o), mv), f32x4.div(gl, f32x4.sqrt(f32x4.add(den, ev))));
          v128.store(pr + o, mom);
          v128.store(wr + o, f32x4.sub(v128.load(wr + o), mom));
        } else {
          const ms = f32x4.add(f32x4.mul(v128.load(sr + o), rv), f32x4.mul(f32x4.mul(gv, gv), orv));
          v128.store(sr + o, ms);
          let den = ms;
          if (centered) {
            const mg = f32x4.add(f32x4.mul(v128.load(cr + o), rv), f32x4.mul(gv, orv));
            v128.store(cr + o, mg);
            den = f32x4.sub(ms, f32x4.mul(mg, mg));
          }
          v128.store(wr + o, f32x4.sub(v128.load(wr + o), f32x4.div(gl, f32x4.add(f32x4.sqrt(den), ev))));
        }
      }
    }
    for (; j < dim; j++) {
      const o = (j as usize) << 2;
      const gv = load<f32>(gr + o);
      const gl: f32 = gv * lr;
      if (useMom) {
        const ms0 = load<f32>(sr + o);
        const ms: f32 = ms0 + (gv * gv - ms0) * oneMinusRho;
        store<f32>(sr + o, ms);
        let den = ms;
        if (centered) {
          const mg0 = load<f32>(cr + o);
          const mg: f32 = mg0 + (gv - mg0) * oneMinusRho;
          store<f32>(cr + o, mg);
          den = ms - mg * mg;
        }
        const mom: f32 = load<f32>(pr + o) * momentum + gl / Mathf.sqrt(den + epsilon);
        store<f32>(pr + o, mom);
        store<f32>(wr + o, load<f32>(wr + o) - mom);
      } else {
        const ms: f32 = load<f32>(sr + o) * rho + gv * gv * oneMinusRho;
        store<f32>(sr + o, ms);
        let den = ms;
        if (centered) {
          const mg: f32 = load<f32>(cr + o) * rho + gv * oneMinusRho;
          store<f32>(cr + o, mg);
          den = ms - mg * mg;
        }
        store<f32>(wr + o, load<f32>(wr + o) - gl / (Mathf.sqrt(den) + epsilon));
      }
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
