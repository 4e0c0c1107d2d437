/**
 * High-accuracy reference integrator: classical RK4 on the scaled state y = x/α against u = log ς = −λ
 * (ς = σ/α), where the PF-ODE reads dy/du = ς·ε̂(α·y, t(u)) — smooth in u for an analytic teacher, whatever
 * the schedule's interpolation in t. Fourth order; `substeps` RK4 steps are spread over the grid intervals in
 * proportion to their length in u (at least one each). 4 NFE per RK4 step.
 *
 * Use it as the "exact flow" for multi-dimensional mixtures, where no closed form exists (the closed forms, one
 * Gaussian and 1-D mixtures: lib/analytic/flow-maps.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError } from '../../errors.js';
import type { Schedule } from '../schedules.js';
import { checkTimeGrid, type Denoiser } from '../types.js';
import { integrate, predictX0, type SolveResult, type SolverOptions } from './common.js';

export interface ReferenceOptions<C> extends SolverOptions<C> {
  /** Total RK4 steps over the whole grid. Default 1000. */
  substeps?: number;
}

/** α from ς on a VP schedule: α = 1/√(1 + ς²). */
const alphaOfVarsigma = (vs: number) => 1 / Math.sqrt(1 + vs * vs);

export function reference<C>(
  denoise: Denoiser<C>,
  schedule: Schedule,
  x: tf.Tensor,
  ts: readonly number[],
  opts?: ReferenceOptions<C>,
): SolveResult {
  const total = opts?.substeps ?? 1000;
  if (!Number.isInteger(total) || total < 1) throw new ArgumentError('reference', 'substeps', total, 'an integer ≥ 1');
  checkTimeGrid('reference', ts, schedule.N);
  const u = (t: number) => -schedule.lambda(t);
  const span = Math.abs(u(ts[0]) - u(ts[ts.length - 1])) || 1;
  // RHS f(u, y) = ς·ε̂(α·y, t(u)).
  const f = (den: Denoiser<C>, y: tf.Tensor, uu: number, cond: C | undefined): tf.Tensor => {
    const vs = Math.exp(uu);
    const t = Math.min(Math.max(schedule.tOfLambda(-uu), 0), schedule.N - 1);
    return den(y.mul(alphaOfVarsigma(vs)), t, cond).mul(vs);
  };
  return integrate('reference', schedule, x, ts, opts, denoise, (den, xt, i, cond) => {
    const t = ts[i];
    const u0 = u(t);
    const u1 = u(ts[i + 1]);
    const m = Math.max(1, Math.round((total * Math.abs(u1 - u0)) / span));
    const du = (u1 - u0) / m;
    // Each RK4 step in its own tidy: a long interval must not hold every stage alive until the step ends.
    let y = tf.tidy(() => xt.div(schedule.alpha(t)));
    const firstEps = tf.tidy(() => f(den, y, u0, cond).div(Math.exp(u0)));
    for (let j = 0; j < m; j++) {
      const uj = u0 + j * du;
      const prev = y;
      y = tf.tidy(() => {
        const k1 = f(den, prev, uj, cond);
        const k2 = f(den, prev.add(k1.mul(du / 2)), uj + du / 2, cond);
        const k3 = f(den, prev.add(k2.mul(du / 2)), uj + du / 2, cond);
        const k4 = f(den, prev.add(k3.mul(du)), uj + du, cond);
        return prev.add(k1.add(k2.mul(2)).add(k3.mul(2)).add(k4).mul(du / 6));
      });
      prev.dispose();
    }
    const s = ts[i + 1];
    return {
      x: y.mul(schedule.alpha(s)),
      denoised: predictX0(xt, firstEps, schedule.alpha(t), schedule.sigma(t)),
      nfe: 4 * m + 1,
    };
  });
}
