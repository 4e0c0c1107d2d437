/**
 * The consistency map, written once: f(x, t) = c_skip(t)·x + c_out(t)·x̂_0 with x̂_0 = (x − σ·ε̂)/α
 * (lib/diffusion/parameterisation.ts `epsToX0`; c_skip/c_out of lib/splam/boundary.ts). The objective's student and
 * target, the multistep sampler and the analyses' student map all go through {@link consistencyFromEps}.
 *
 * What the student sees at an SL-ODE point x_{γ,t} of the sub-path [s, t] is a *view* ({@link StudentView}), one of
 * two conditionings:
 *   `code`     the official code (MCG-NJU/SPLAM@dc442bf:splam/train_splam_distill_sd_wds.py:354-365, 1224-1240):
 *              input x_{γ,t} at the sub-path's time t, ε̂ converted with σ_γ: x̂_0 = (x_{γ,t} − σ_γ·ε̂)/α_t;
 *              boundary at t.
 *   `matched`  noise-level-matched: x_{γ,t} ≈ α_t·x̂_0 + σ_γ·ε has total variance α_t² + σ_γ² < 1 for γ < 1, so
 *              the student sees c·x_{γ,t}, c = 1/√(α_t² + σ_γ²), a VP point at the fractional time t_γ where
 *              ᾱ(t_γ) = α_t²/(α_t² + σ_γ²) (equivalently λ(t_γ) = log(α_t/σ_γ)); its ε̂ is converted with
 *              α(t_γ) = c·α_t and σ(t_γ) = c·σ_γ, which gives the same x̂_0 = (x_{γ,t} − σ_γ·ε̂)/α_t, and its
 *              boundary is at t_γ. A denoiser that is right for on-trajectory inputs is then right at every γ (its
 *              input is an ordinary noisy point), and t_γ ∈ [s, t]: t_γ = s and c·x_{0,t} = x̂_s at γ = 0.
 *              At γ = 1 the view is the code's (c = 1, t_γ = t) bit for bit, so LCM is unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError } from '../errors.js';
import { epsToX0, type Coef } from '../diffusion/parameterisation.js';
import { perSample } from '../diffusion/types.js';
import type { Schedule } from '../diffusion/schedules.js';
import { cOut, cSkip, type BoundaryOptions } from './boundary.js';
import type { GammaEpsModel } from '../diffusion/types.js';
import { sigmaGamma, subPathCoefs, type SigmaGammaForm } from './sl-ode.js';
import type { ConsistencyMap } from './trajectory-error.js';

export const CONDITIONINGS = ['code', 'matched'] as const;
/** How the student sees an SL-ODE point (see the module comment). Default `code`. */
export type Conditioning = (typeof CONDITIONINGS)[number];

/**
 * f = c_skip·x + c_out·(x − σ·ε̂)/α. x, eps: [B, ...]; the coefficients are numbers or per-sample [B].
 * Returns a new tensor (the caller owns it).
 */
export function consistencyFromEps(x: tf.Tensor, eps: tf.Tensor, c: { alpha: Coef; sigma: Coef; cSkip: Coef; cOut: Coef }): tf.Tensor {
  return tf.tidy(() => {
    const x0 = epsToX0(x, eps, c.alpha, c.sigma);
    return x.mul(perSample(c.cSkip, x.rank)).add(x0.mul(perSample(c.cOut, x.rank)));
  });
}

/** One sample's view of an SL-ODE point: input scale, network time, and the conversion's α, σ, c_skip, c_out. */
export interface StudentView {
  scale: number;
  time: number;
  alpha: number;
  sigma: number;
  cSkip: number;
  cOut: number;
}

/**
 * The matched view of a point at signal level α_t and noise level σ_γ on the sub-path [s, t] (host-side float64).
 * @throws ArgumentError unless 0 < σ_γ and s ≤ t.
 */
export function matchedView(schedule: Schedule, t: number, s: number, sigmaG: number, boundary?: BoundaryOptions): StudentView {
  if (!(sigmaG > 0)) throw new ArgumentError('matchedView', 'sigmaG', sigmaG, 'a noise level > 0');
  if (!(s <= t)) throw new ArgumentError('matchedView', 's', s, `at most t = ${t}`);
  const alphaT = schedule.alpha(t);
  const scale = 1 / Math.sqrt(alphaT * alphaT + sigmaG * sigmaG);
  // λ(t_γ) = log(α_t/σ_γ) lies in [λ_t, λ_s]; clamp rounding at the ends before inverting.
  const lam = Math.min(Math.max(Math.log(alphaT / sigmaG), schedule.lambda(t)), schedule.lambda(s));
  const time = Math.min(Math.max(schedule.tOfLambda(lam), s), t);
  return { scale, time, alpha: scale * alphaT, sigma: scale * sigmaG, cSkip: cSkip(time, boundary), cOut: cOut(time, boundary) };
}

/** The code's view: input as is, at time t, converted with σ_γ and α_t, boundary at t. */
export function codeView(schedule: Schedule, t: number, sigmaG: number, boundary?: BoundaryOptions): StudentView {
  return { scale: 1, time: t, alpha: schedule.alpha(t), sigma: sigmaG, cSkip: cSkip(t, boundary), cOut: cOut(t, boundary) };
}

/** The view of either conditioning; γ = 1 is always the code's (on-trajectory) view. */
export function studentView(conditioning: Conditioning, schedule: Schedule, t: number, s: number, gamma: number, sigmaG: number, boundary?: BoundaryOptions): StudentView {
  if (!(CONDITIONINGS as readonly string[]).includes(conditioning)) throw new ArgumentError('studentView', 'conditioning', conditioning, CONDITIONINGS.join(', '));
  return conditioning === 'matched' && gamma !== 1 ? matchedView(schedule, t, s, sigmaG, boundary) : codeView(schedule, t, sigmaG, boundary);
}

/**
 * The student's consistency map f(x, t, γ) on the sub-path [max(t − k, 0), t]: the objective's view of the point
 * (lib/splam/consistency.ts: the code's conditioning, or the noise-level-matched one) then f = c_skip·x + c_out·x̂_0
 * with σ_γ in the trained form (σ_γ = σ_t at γ = 1, the inference setting).
 */
export function studentMap<C>(
  model: GammaEpsModel<C>,
  schedule: Schedule,
  o: { k: number; sigmaGammaForm: SigmaGammaForm; conditioning?: Conditioning; cond?: C },
): ConsistencyMap {
  return (x, t, gamma) =>
    tf.tidy(() => {
      const B = x.shape[0];
      const s = Math.max(t - o.k, 0);
      const sg = gamma === 1 ? schedule.sigma(t) : (sigmaGamma(subPathCoefs(schedule, t, s), gamma, o.sigmaGammaForm) as number);
      const v = studentView(o.conditioning ?? 'code', schedule, t, s, gamma, sg);
      const xIn = v.scale === 1 ? x : x.mul(v.scale);
      const eps = model(xIn, tf.fill([B], v.time) as tf.Tensor1D, tf.fill([B], gamma) as tf.Tensor1D, o.cond);
      return consistencyFromEps(xIn, eps, v);
    });
}
