/**
 * Explicit Euler on the VP probability-flow ODE in the DDPM time t (1 NFE per step, first order):
 *   dx/dt = (α̇_t/α_t)·x + (σ̇_t − (α̇_t/α_t)·σ_t)·ε̂ = ½·(d log ᾱ/dt)·(x − ε̂/σ_t),
 * the second form using α² + σ² = 1 (VP). d log ᾱ/dt is the slope of the schedule's
 * interpolant on the unit segment the step moves into ({@link Schedule.dLogAlphaBar}).
 * Unlike {@link ddim}, which integrates the linear part exactly, this one also discretises the drift.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Schedule } from '../schedules.js';
import type { Denoiser } from '../types.js';
import { integrate, predictX0, type SolveResult, type SolverOptions } from './common.js';

export function euler<C>(
  denoise: Denoiser<C>,
  schedule: Schedule,
  x: tf.Tensor,
  ts: readonly number[],
  opts?: SolverOptions<C>,
): SolveResult {
  return integrate('euler', schedule, x, ts, opts, denoise, (den, xt, i, cond) => {
    const t = ts[i];
    const h = ts[i + 1] - t;
    const sigma = schedule.sigma(t);
    const eps = den(xt, t, cond);
    const slope = schedule.dLogAlphaBar(t, -1);
    const dxdt = xt.sub(eps.div(sigma)).mul(0.5 * slope);
    return { x: xt.add(dxdt.mul(h)), denoised: predictX0(xt, eps, schedule.alpha(t), sigma), nfe: 1 };
  });
}
