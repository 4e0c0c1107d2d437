/**
 * DPM-Solver++(2M) (Lu et al. 2022, Alg. 2; data prediction, multistep, second order), 1 NFE per step.
 * With λ = log(α/σ), h_i = λ_{i+1} − λ_i and x̂_0 from ε̂:
 *   first step:  x_{i+1} = (σ_{i+1}/σ_i)·x_i − α_{i+1}·(e^{−h_i} − 1)·x̂_0(i)                  (= DDIM)
 *   later steps: D = (1 + 1/(2r))·x̂_0(i) − (1/(2r))·x̂_0(i−1), r = h_{i−1}/h_i, same update with D.
 * The final step also uses the second-order correction (σ_0 > 0 on a discrete VP schedule).
 */
import * as tf from '@tensorflow/tfjs';
import type { Schedule } from '../schedules.js';
import type { Denoiser } from '../types.js';
import { integrate, predictX0, type SolveResult, type SolverOptions } from './common.js';

export function dpmpp2m<C>(
  denoise: Denoiser<C>,
  schedule: Schedule,
  x: tf.Tensor,
  ts: readonly number[],
  opts?: SolverOptions<C>,
): SolveResult {
  let prevX0: tf.Tensor | undefined;
  const carried = { dispose: () => prevX0?.dispose() };
  return integrate(
    'dpmpp2m',
    schedule,
    x,
    ts,
    opts,
    denoise,
    (den, xt, i, cond) => {
      const t = ts[i];
      const s = ts[i + 1];
      const h = schedule.lambda(s) - schedule.lambda(t);
      const eps = den(xt, t, cond);
      const x0 = predictX0(xt, eps, schedule.alpha(t), schedule.sigma(t));
      let d = x0;
      if (prevX0) {
        const r = (schedule.lambda(t) - schedule.lambda(ts[i - 1])) / h;
        d = x0.mul(1 + 1 / (2 * r)).sub(prevX0.mul(1 / (2 * r)));
      }
      const next = xt.mul(schedule.sigma(s) / schedule.sigma(t)).sub(d.mul(schedule.alpha(s) * Math.expm1(-h)));
      prevX0?.dispose();
      prevX0 = tf.keep(x0.clone());
      return { x: next, denoised: x0, nfe: 1 };
    },
    carried,
  );
}
