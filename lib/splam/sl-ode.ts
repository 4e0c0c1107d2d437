/**
 * The sub-path linear ODE (SL-ODE) of SPLAM and the student's γ-dependent noise level σ_γ
 * ("code" below: MCG-NJU/SPLAM@dc442bf:splam/train_splam_distill_sd_wds.py).
 *
 * For a sub-path [s, t] (s = t − k) with r_t = α_t/α_s:
 *   dist_Δ   = x_t − r_t·x̂_s                                   (SPLAM figure; code L1224–1227)
 *   x_{γ,t}  = γ·x_t + (1 − γ)·r_t·x̂_s = r_t·x̂_s + γ·dist_Δ,   γ ∈ [0, 1]
 * γ = 1 gives x_t; γ = 0 gives the drift-pushed start r_t·x̂_s (the exact flow of the linear part dx/dt = f(t)x).
 *
 * The student converts its ε̂ to x̂_0 with σ_γ (code L354–365), in one of two forms:
 *   `rss`    σ_γ = √((r_t·σ_s)² + γ²·(1 − r_t²))   the official code: independent-noise view
 *   `linear` s(γ) = γ·σ_t + (1 − γ)·r_t·σ_s         exact on a DDIM pair: x_{γ,t} = α_t·x̂_0 + s(γ)·ε̂
 * Both equal r_t·σ_s at γ = 0 and σ_t at γ = 1 (VP: σ_t² = r_t²·σ_s² + 1 − r_t²).
 *
 * Coefficients are numbers (one sub-path for the whole batch) or per-sample tensors of shape [B].
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError } from '../errors.js';
import type { Schedule } from '../diffusion/schedules.js';
import { perSample } from '../diffusion/types.js';

export type Coef = number | tf.Tensor1D;

export const SIGMA_GAMMA_FORMS = ['rss', 'linear'] as const;
/** `rss`: the official code's root-sum-square (default); `linear`: the DDIM-exact s(γ). */
export type SigmaGammaForm = (typeof SIGMA_GAMMA_FORMS)[number];

/** α, σ at both ends of a sub-path and r_t = α_t/α_s. Numbers for scalar t, s; tensors [B] for arrays. */
export interface SubPathCoefs<T extends Coef = Coef> {
  alphaT: T;
  sigmaT: T;
  alphaS: T;
  sigmaS: T;
  r: T;
}

/**
 * Coefficients of the sub-path [s, t] (or one per sample).
 * @throws ArgumentError if s ≥ t, or a time is outside [0, N − 1].
 */
export function subPathCoefs(schedule: Schedule, t: number, s: number): SubPathCoefs<number>;
export function subPathCoefs(schedule: Schedule, t: number[], s: number[]): SubPathCoefs<tf.Tensor1D>;
export function subPathCoefs(schedule: Schedule, t: number | number[], s: number | number[]): SubPathCoefs {
  const fn = 'subPathCoefs';
  const ts = Array.isArray(t) ? t : [t];
  const ss = Array.isArray(s) ? s : [s];
  if (ts.length !== ss.length) throw new ArgumentError(fn, 's', `${ss.length} times`, `one per t (${ts.length})`);
  for (let i = 0; i < ts.length; i++) {
    for (const [name, v] of [['t', ts[i]], ['s', ss[i]]] as const) {
      if (!(v >= 0 && v <= schedule.N - 1)) throw new ArgumentError(fn, name, v, `a time in [0, ${schedule.N - 1}]`);
    }
    // s < t, except the degenerate sub-path [0, 0] of skip k = 1 (the code clamps t − k at 0: t = 0 gives s = 0).
    if (!(ss[i] < ts[i]) && !(ss[i] === 0 && ts[i] === 0)) throw new ArgumentError(fn, 's', ss[i], `less than t = ${ts[i]} (a sub-path runs from s = max(t − k, 0) to t)`);
  }
  const vals = ts.map((ti, i) => {
    const si = ss[i];
    const alphaT = schedule.alpha(ti);
    const alphaS = schedule.alpha(si);
    return { alphaT, sigmaT: schedule.sigma(ti), alphaS, sigmaS: schedule.sigma(si), r: alphaT / alphaS };
  });
  if (!Array.isArray(t)) return vals[0];
  const col = (key: keyof (typeof vals)[0]) => tf.tensor1d(vals.map((v) => v[key]));
  return { alphaT: col('alphaT'), sigmaT: col('sigmaT'), alphaS: col('alphaS'), sigmaS: col('sigmaS'), r: col('r') };
}

/** Dispose the tensors of per-sample coefficients (a no-op for numbers). */
export function disposeCoefs(c: SubPathCoefs): void {
  for (const v of Object.values(c)) if (typeof v !== 'number') v.dispose();
}

/**
 * @param host the values of a γ tensor already on the host (training draws γ there): checked instead of reading the
 *   tensor back, which on a GPU backend would force a synchronous download.
 * @throws ArgumentError unless every γ is in [0, 1].
 */
export function checkGamma(fn: string, gamma: Coef, host?: ArrayLike<number>): void {
  const values = typeof gamma === 'number' ? [gamma] : Array.from(host ?? gamma.dataSync());
  for (let i = 0; i < values.length; i++) {
    const g = values[i];
    if (!(g >= 0 && g <= 1)) throw new ArgumentError(fn, typeof gamma === 'number' ? 'gamma' : `gamma[${i}]`, g, 'a number in [0, 1]');
  }
}

/** dist_Δ = x_t − r_t·x̂_s. Shapes [B, ...]. */
export function distDelta(xt: tf.Tensor, xs: tf.Tensor, r: Coef): tf.Tensor {
  return tf.tidy(() => xt.sub(xs.mul(perSample(r, xs.rank))));
}

/** The drift-pushed start x_{0,t} = r_t·x̂_s. */
export function driftPush(xs: tf.Tensor, r: Coef): tf.Tensor {
  return tf.tidy(() => xs.mul(perSample(r, xs.rank)));
}

/**
 * The SL-ODE point x_{γ,t} = γ·x_t + (1 − γ)·r_t·x̂_s.
 * @param xt the sub-path's noisier end x_t, [B, ...]; @param xs its cleaner end x̂_s (the teacher's solver point), [B, ...]
 * @param hostGamma the values of a γ tensor on the host, checked instead of reading the tensor back
 * @throws ArgumentError for γ outside [0, 1]; ShapeError-like ArgumentError when shapes differ.
 */
export function slOdePoint(xt: tf.Tensor, xs: tf.Tensor, gamma: Coef, r: Coef, hostGamma?: ArrayLike<number>): tf.Tensor {
  const fn = 'slOdePoint';
  checkGamma(fn, gamma, hostGamma);
  if (xt.shape.join() !== xs.shape.join()) {
    throw new ArgumentError(fn, 'xs', `shape [${xs.shape.join(', ')}]`, `the shape of xt, [${xt.shape.join(', ')}]`);
  }
  return tf.tidy(() => {
    const g = perSample(gamma, xt.rank);
    return xt.mul(g).add(driftPush(xs, r).mul(tf.sub(1, g)));
  });
}

/** σ_γ in the chosen form, as a number or a per-sample tensor [B]. @throws ArgumentError for γ ∉ [0, 1] or an unknown form. */
export function sigmaGamma(c: SubPathCoefs, gamma: Coef, form: SigmaGammaForm = 'rss', hostGamma?: ArrayLike<number>): Coef {
  const fn = 'sigmaGamma';
  checkGamma(fn, gamma, hostGamma);
  if (!(SIGMA_GAMMA_FORMS as readonly string[]).includes(form)) {
    throw new ArgumentError(fn, 'form', form, `one of ${SIGMA_GAMMA_FORMS.join(', ')}`);
  }
  const allNumbers = [c.r, c.sigmaS, c.sigmaT, gamma].every((v) => typeof v === 'number');
  if (allNumbers) {
    const [r, sS, sT, g] = [c.r, c.sigmaS, c.sigmaT, gamma] as number[];
    return form === 'rss' ? Math.sqrt((r * sS) ** 2 + g * g * (1 - r * r)) : g * sT + (1 - g) * r * sS;
  }
  return tf.tidy(() => {
    const r = tf.scalar(0).add(c.r);
    const rs = r.mul(c.sigmaS);
    const g = tf.scalar(0).add(gamma);
    const out = form === 'rss' ? rs.square().add(g.square().mul(tf.sub(1, r.square()))).sqrt() : g.mul(c.sigmaT).add(tf.sub(1, g).mul(rs));
    return out as tf.Tensor1D;
  });
}
