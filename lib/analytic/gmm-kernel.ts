/**
 * The tensor kernel shared by the Gaussian-mixture teachers ({@link ./mixture.ts}, {@link ./conditional.ts}):
 * posterior quantities of a diagonal Gaussian mixture under the VP forward process x_t = α_t·x_0 + σ_t·ε.
 *
 * With p_0 = Σ_k π_k N(μ_k, Σ_k), Σ_k = diag(v_k), the noisy marginal is p_t = Σ_k π_k N(α_t μ_k, C_k(t)),
 * C_k(t) = α_t² Σ_k + σ_t² I (formulas: mixture.ts). Everything is computed from the per-component terms
 *   log N_k(x) = −½ Σ_d [(x − α_t μ_k)_d² / C_kd + log C_kd + log 2π],   g_k = C_k⁻¹ (x − α_t μ_k),
 * with log p_t = LSE_k(log π_k + log N_k) and r_k = exp(log π_k + log N_k − log p_t) (log-sum-exp, so nothing
 * underflows far from the modes). Internal: validation happens in the public functions; these helpers must run
 * inside a `tf.tidy` (they allocate freely).
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, ShapeError } from '../errors.js';
import type { Schedule } from '../diffusion/schedules.js';
import type { TimeArg } from '../diffusion/types.js';

/** Diagonal Gaussian components in float64, row-major [K, D]. */
export interface Components {
  readonly K: number;
  readonly D: number;
  /** μ_k, row-major: μ_kd at k·D + d. */
  readonly means: Float64Array;
  /** Diagonal of Σ_k, row-major like `means`; all > 0. */
  readonly variances: Float64Array;
}

/** α_t and σ_t per sample (length B) or once for the batch (length 1), float64 from the schedule. */
export interface TimeCoefs {
  readonly alpha: Float64Array;
  readonly sigma: Float64Array;
}

/**
 * Read and validate a {@link TimeArg} against a batch of B samples, then look up α_t and σ_t.
 * @param arg the argument's name in errors (`t`, or `s` for a flow map's target time).
 * @throws ShapeError (arg `t`) for a per-sample tensor that is not [B]; ArgumentError (arg `t` or `t[i]`) for a time
 *   outside [0, N−1] or not finite.
 */
export function timeCoefs(fn: string, schedule: Schedule, t: TimeArg, B: number, arg = 't'): TimeCoefs {
  const tMax = schedule.N - 1;
  const allowed = `a DDPM index in [0, ${tMax}]`;
  let times: number[];
  if (typeof t === 'number') {
    if (!(t >= 0 && t <= tMax)) throw new ArgumentError(fn, arg, t, allowed);
    times = [t];
  } else {
    if (!(t instanceof tf.Tensor) || t.rank !== 1 || t.shape[0] !== B) {
      throw new ShapeError(fn, arg, `a number or [${B}] (one DDPM index per sample)`, t instanceof tf.Tensor ? t.shape : []);
    }
    times = Array.from(t.dataSync());
    times.forEach((ti, i) => {
      if (!(ti >= 0 && ti <= tMax)) throw new ArgumentError(fn, `${arg}[${i}]`, ti, allowed);
    });
  }
  return {
    alpha: Float64Array.from(times, (ti) => schedule.alpha(ti)),
    sigma: Float64Array.from(times, (ti) => schedule.sigma(ti)),
  };
}

/**
 * Check that x is [B, D]; returns B.
 * @throws ShapeError naming `x` otherwise.
 */
export function checkX(fn: string, x: tf.Tensor, D: number): number {
  if (!(x instanceof tf.Tensor) || x.rank !== 2 || x.shape[1] !== D) {
    throw new ShapeError(fn, 'x', `[B, ${D}]`, x instanceof tf.Tensor ? x.shape : []);
  }
  return x.shape[0];
}

/** Per-sample coefficient as a tensor broadcasting against rank `rank` with batch first ([B, 1, …]), or a scalar. */
function coef(values: Float64Array, rank: number): tf.Tensor {
  if (values.length === 1) return tf.scalar(values[0]);
  return tf.tensor(Float32Array.from(values), [values.length, ...new Array(rank - 1).fill(1)]);
}

/** Posterior pieces at x_t; see the module comment. Shapes: logW [K] or [B, K]; x [B, D]. Call inside tf.tidy. */
export interface Posterior {
  /** log p_t(x), [B, 1]. */
  logDensity: tf.Tensor2D;
  /** log r_k(x, t), [B, K]. */
  logR: tf.Tensor2D;
  /** Σ_k r_k·C_k⁻¹(x − α_t μ_k), [B, D]: −score; ε* = σ_t·this. */
  precDiff: tf.Tensor2D;
  /** E[x_0 | x_t = x] = Σ_k r_k [μ_k + α_t Σ_k C_k⁻¹(x − α_t μ_k)], [B, D]; only when asked. */
  x0?: tf.Tensor2D;
}

/** Compute the {@link Posterior} of components `c` with log-weights `logW` at x (float32). Call inside tf.tidy. */
export function posterior(c: Components, logW: tf.Tensor, x: tf.Tensor2D, tc: TimeCoefs, withX0 = false): Posterior {
  const { K, D } = c;
  const B = x.shape[0];
  const xf = x.dtype === 'float32' ? x : tf.cast(x, 'float32');
  const mu = tf.tensor3d(Float32Array.from(c.means), [1, K, D]);
  const v = tf.tensor3d(Float32Array.from(c.variances), [1, K, D]);
  const a3 = coef(tc.alpha, 3);
  const alpha2 = tc.alpha.map((a) => a * a);
  const sigma2 = tc.sigma.map((s) => s * s);
  // C_k(t) = α_t² Σ_k + σ_t² I: [1 or B, K, D].
  const C = v.mul(coef(alpha2, 3)).add(coef(sigma2, 3));
  const diff = xf.reshape([B, 1, D]).sub(mu.mul(a3)); // x − α_t μ_k, [B, K, D]
  const g = diff.div(C); // C_k⁻¹(x − α_t μ_k)
  const quad = diff.mul(g).sum(2); // [B, K]
  const logDet = C.log().sum(2); // [1 or B, K]
  const logN = quad.add(logDet).add(D * Math.log(2 * Math.PI)).mul(-0.5);
  const logits = logN.add(logW) as tf.Tensor2D; // [B, K]
  // log-sum-exp by hand: log r_k = (l_k − m) − log Σ_j e^{l_j − m}, m = max_j l_j. Subtracting m first keeps log r_k
  // exact to float32 rounding even when |l_k| ~ 1e6 (far from the modes), so Σ_k r_k = 1 to ~1e-7, whereas
  // l_k − LSE would carry the absolute rounding of the large LSE (ulp(5e5) ≈ 0.03) into every r_k.
  const m = logits.max(1, true);
  const shifted = logits.sub(m);
  const logSum = shifted.exp().sum(1, true).log();
  const logDensity = m.add(logSum) as tf.Tensor2D; // [B, 1]
  const logR = shifted.sub(logSum) as tf.Tensor2D;
  const r3 = logR.exp().reshape([B, K, 1]);
  const rg = r3.mul(g); // r_k·g_k, [B, K, D]
  const precDiff = rg.sum(1) as tf.Tensor2D;
  if (!withX0) return { logDensity, logR, precDiff };
  // Σ_k r_k μ_k + α_t Σ_k r_k Σ_k g_k
  const x0 = r3
    .mul(mu)
    .sum(1)
    .add(rg.mul(v).sum(1).mul(coef(tc.alpha, 2))) as tf.Tensor2D;
  return { logDensity, logR, precDiff, x0 };
}
