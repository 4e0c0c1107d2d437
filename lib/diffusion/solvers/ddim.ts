/**
 * DDIM (Song et al. 2021, η = 0): x_s = α_s·x̂_0 + σ_s·ε̂ with x̂_0 = (x_t − σ_t·ε̂)/α_t.
 * Exact when ε̂ is constant along the step (it is Euler's method on the scaled state x/α against ς = σ/α);
 * first order in general. This is the teacher step of LCM and SPLAM
 * (MCG-NJU/SPLAM@dc442bf:splam/train_splam_distill_sd_wds.py:377-402). 1 NFE per step.
 */
import type { Schedule } from '../schedules.js';
import type { Denoiser } from '../types.js';
import { integrate, predictX0, type SolveResult, type SolverOptions } from './common.js';

export function ddim<C>(
  denoise: Denoiser<C>,
  schedule: Schedule,
  x: import('@tensorflow/tfjs').Tensor,
  ts: readonly number[],
  opts?: SolverOptions<C>,
): SolveResult {
  return integrate('ddim', schedule, x, ts, opts, denoise, (den, xt, i, cond) => {
    const t = ts[i];
    const s = ts[i + 1];
    const eps = den(xt, t, cond);
    const x0 = predictX0(xt, eps, schedule.alpha(t), schedule.sigma(t));
    return { x: x0.mul(schedule.alpha(s)).add(eps.mul(schedule.sigma(s))), denoised: x0, nfe: 1 };
  });
}
