// Test support (not a test: vitest runs *.test.ts; the library build leaves *.spec.ts out).
//
// TF/Keras's optimizer update rules, written out element by element in float32 (one rounding
// per operation, in the operation order of TF's training_ops CPU kernels, or of Keras's own ops
// where Keras calls no kernel): what TFRA's DynamicEmbeddingOptimizer runs on the rows it trains.
// The optimizer tests compare dynemb's WASM kernels against these.
const f = Math.fround;

/** One element's update: weight w, gradient g, slot values s (mutated), step t (1-based); returns the new w. */
export type KerasRule = (w: number, g: number, s: Record<string, number>, t: number) => number;

/** A rule with its slot names and initial values (Keras's names). */
export interface KerasReference {
  slots: Record<string, number>;
  rule: KerasRule;
}

/** Keras SGD: `w -= g * lr` (TF ApplyGradientDescent). */
export function kerasSgd(lr: number): KerasReference {
  return { slots: {}, rule: (w, g) => f(w - f(g * f(lr))) };
}

/** Keras SGD with momentum (TF ApplyKerasMomentum): `a = a m - g lr; w += a` (Nesterov `w += a m - g lr`). */
export function kerasMomentum(lr: number, m: number, nesterov = false): KerasReference {
  return {
    slots: { momentum: 0 },
    rule: (w, g, s) => {
      const gl = f(g * f(lr));
      s.momentum = f(f(s.momentum * f(m)) - gl);
      return f(w + (nesterov ? f(f(s.momentum * f(m)) - gl) : s.momentum));
    },
  };
}

/** Keras Adagrad (TF ApplyAdagradV2): `a += g²; w -= g lr / (√a + ε)`. */
export function kerasAdagrad(lr: number, init = 0.1, eps = 1e-7): KerasReference {
  return {
    slots: { accumulator: init },
    rule: (w, g, s) => {
      s.accumulator = f(s.accumulator + f(g * g));
      return f(w - f(f(g * f(lr)) / f(f(Math.sqrt(s.accumulator)) + f(eps))));
    },
  };
}

/**
 * Keras Adam (TF ApplyAdam / ApplyAdamWithAmsgrad): `m += (g - m)(1-β1); v += (g² - v)(1-β2)`;
 * amsgrad `vhat = max(vhat, v)`; `lr_t = lr √(1-β2ᵗ)/(1-β1ᵗ)`; `w -= m lr_t / (√v + ε)`.
 */
export function kerasAdam(lr: number, b1 = 0.9, b2 = 0.999, eps = 1e-7, amsgrad = false): KerasReference {
  return {
    slots: amsgrad ? { m: 0, v: 0, vhat: 0 } : { m: 0, v: 0 },
    rule: (w, g, s, t) => {
      const p1 = f(Math.pow(f(b1), t));
      const p2 = f(Math.pow(f(b2), t));
      const lrT = f(f(f(lr) * f(Math.sqrt(f(1 - p2)))) / f(1 - p1));
      s.m = f(s.m + f(f(g - s.m) * f(1 - f(b1))));
      s.v = f(s.v + f(f(f(g * g) - s.v) * f(1 - f(b2))));
      let v = s.v;
      if (amsgrad) v = s.vhat = Math.max(s.vhat, s.v);
      return f(w - f(f(s.m * lrT) / f(f(Math.sqrt(v)) + f(eps))));
    },
  };
}

/**
 * Keras RMSprop. Momentum 0 (Keras's own ops): `rms = ρ rms + (1-ρ) g²` (centered: `mg = ρ mg + (1-ρ) g`,
 * den = rms - mg²), `w -= lr g / (√den + ε)`. Momentum > 0 (TF ApplyRMSProp / ApplyCenteredRMSProp):
 * `rms += (g² - rms)(1-ρ)` (centered: `mg += (g - mg)(1-ρ)`), `mom = mom μ + g lr / √(den + ε)`, `w -= mom`.
 */
export function kerasRmsprop(lr: number, rho = 0.9, momentum = 0, eps = 1e-7, centered = false): KerasReference {
  const slots: Record<string, number> = { rms: 0 };
  if (momentum > 0) slots.momentum = 0;
  if (centered) slots.mg = 0;
  const or = f(1 - f(rho));
  return {
    slots,
    rule: (w, g, s) => {
      const gl = f(g * f(lr));
      if (momentum === 0) {
        s.rms = f(f(s.rms * f(rho)) + f(f(g * g) * or));
        let den = s.rms;
        if (centered) {
          s.mg = f(f(s.mg * f(rho)) + f(g * or));
          den = f(s.rms - f(s.mg * s.mg));
        }
        return f(w - f(gl / f(f(Math.sqrt(den)) + f(eps))));
      }
      s.rms = f(s.rms + f(f(f(g * g) - s.rms) * or));
      let den = s.rms;
      if (centered) {
        s.mg = f(s.mg + f(f(g - s.mg) * or));
        den = f(s.rms - f(s.mg * s.mg));
      }
      s.momentum = f(f(s.momentum * f(momentum)) + f(gl / f(Math.sqrt(f(den + f(eps))))));
      return f(w - s.momentum);
    },
  };
}

/**
 * Keras Ftrl (TF ApplyFtrl / ApplyFtrlV2; no epsilon anywhere), p = -lrPower:
 * `gs = g + 2 l2s w; a' = a + g²; linear += gs - (a'^p - a^p)/lr w;`
 * `w = |linear| > l1 ? (l1 sign(linear) - linear) / (a'^p/lr + 2 (l2 + β/(2 lr))) : 0`.
 */
export function kerasFtrl(
  lr: number,
  o: { lrPower?: number; init?: number; l1?: number; l2?: number; l2Shrinkage?: number; beta?: number } = {},
): KerasReference {
  const p = -(o.lrPower ?? -0.5);
  const pow = (x: number) => (p === 0.5 ? f(Math.sqrt(x)) : f(Math.pow(x, p)));
  const l1 = f(o.l1 ?? 0);
  const twoL2 = f(2 * ((o.l2 ?? 0) + (o.beta ?? 0) / (2 * lr)));
  const twoShrink = f(2 * (o.l2Shrinkage ?? 0));
  return {
    slots: { accumulator: o.init ?? 0.1, linear: 0 },
    rule: (w, g, s) => {
      const gs = twoShrink !== 0 ? f(g + f(twoShrink * w)) : g;
      const a2 = f(s.accumulator + f(g * g));
      const sigma = f(f(pow(a2) - pow(s.accumulator)) / f(lr));
      s.linear = f(s.linear + f(gs - f(sigma * w)));
      s.accumulator = a2;
      if (Math.abs(s.linear) <= l1) return 0;
      return f(f(f(l1 * Math.sign(s.linear)) - s.linear) / f(f(pow(a2) / f(lr)) + twoL2));
    },
  };
}

/**
 * Applies a rule to the listed rows of a dense `[rows, dim]` matrix and its slot matrices, as a
 * lazy (TFRA) optimizer does.
 */
export function applyRows(
  ref: KerasReference,
  w: Float32Array,
  slots: Record<string, Float32Array>,
  g: Float32Array,
  dim: number,
  rows: readonly number[],
  t: number,
): void {
  const names = Object.keys(ref.slots);
  const s: Record<string, number> = {};
  for (const r of rows) {
    for (let d = 0; d < dim; d++) {
      const i = r * dim + d;
      for (const n of names) s[n] = slots[n][i];
      w[i] = ref.rule(w[i], g[i], s, t);
      for (const n of names) slots[n][i] = s[n];
    }
  }
}

/** Fresh slot matrices of `size` floats at the rule's initial values. */
export function slotMatrices(ref: KerasReference, size: number): Record<string, Float32Array> {
  return Object.fromEntries(Object.entries(ref.slots).map(([n, v]) => [n, new Float32Array(size).fill(v)]));
}
