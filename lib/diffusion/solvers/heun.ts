/**
 * Heun's second-order method (Karras et al. 2022, Alg. 1 without churn) on the scaled state y = x/α against
 * ς = σ/α, where the PF-ODE reads dy/dς = ε̂(α·y, t(ς)). 2 NFE per step (the last step too, since ς_0 > 0 on
 * a discrete VP schedule), second order.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Schedule } from '../schedules.js';
import type { Denoiser } from '../types.js';
import { integrate, predictX0, type SolveResult, type SolverOptions } from './common.js';

export function heun<C>(
  denoise: Denoiser<C>,
  schedule: Schedule,
  x: tf.Tensor,
  ts: readonly number[],
  opts?: SolverOptions<C>,
): SolveResult {
  return integrate('heun', schedule, x, ts, opts, denoise, (den, xt, i, cond) => {
    const t = ts[i];
    const s = ts[i + 1];
    const [aT, aS] = [schedule.alpha(t), schedule.alpha(s)];
    const dVs = schedule.varsigma(s) - schedule.varsigma(t);
    const y = xt.div(aT);
    const d1 = den(xt, t, cond);
    const yEuler = y.add(d1.mul(dVs));
    const d2 = den(yEuler.mul(aS), s, cond);
    const yNext = y.add(d1.add(d2).mul(0.5 * dVs));
    return { x: yNext.mul(aS), denoised: predictX0(xt, d1, aT, schedule.sigma(t)), nfe: 2 };
  });
}
