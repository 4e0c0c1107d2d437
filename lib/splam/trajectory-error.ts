/**
 * Approximation error along a PF-ODE trajectory, sub-path by sub-path, against an exact flow.
 *
 * Every model is seen through a {@link FlowMap} x_t ↦ x_s: a denoiser through one DDIM step, a consistency map
 * through the deterministic consistency jump, the exact teacher through a closed form or the reference
 * integrator. For a split t_0 > t_1 > … > t_n of one trajectory started at x*_{t_0}:
 *   local error of sub-path i       ‖J(x*_{t_i}, t_i, t_{i+1}) − x*_{t_{i+1}}‖   (one jump from the exact point)
 *   cumulative error after sub-path i  ‖x̂_{t_{i+1}} − x*_{t_{i+1}}‖ with x̂ chained by J from x*_{t_0}
 *   γ-error along the SL-ODE of sub-path i   ‖f(x_{γ,t_i}, t_i, γ) − x*_{t_n}‖ for a γ-conditioned map f
 * where x* is the exact trajectory (x*_{t_{i+1}} = Φ(x*_{t_i}, t_i, t_{i+1})).
 *
 * The distance ‖a − b‖ is the per-sample root-mean-square over all non-batch axes (so it does not grow with
 * the dimension); results give its mean, standard deviation and maximum over the batch, as plain numbers
 * ready to plot.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError } from '../errors.js';
import type { Schedule } from '../diffusion/schedules.js';
import { ddim } from '../diffusion/solvers/ddim.js';
import { reference } from '../diffusion/solvers/reference.js';
import type { Denoiser } from '../diffusion/types.js';
import { perSampleRms, rmsTensor, stat, type ErrorStat } from '../metrics/per-sample.js';
import { slOdePoint, subPathCoefs } from './sl-ode.js';

/** A map from the state at time t to the state at time s, [B, ...] → [B, ...]. Returns a new tensor. */
export type FlowMap = (x: tf.Tensor, t: number, s: number) => tf.Tensor;

/**
 * A (γ-conditioned) consistency map: the data-end estimate f(x, t, γ), [B, ...] → [B, ...]. Maps that do not take
 * γ ignore it; γ = 1 is the on-trajectory (inference) setting.
 */
export type ConsistencyMap = (x: tf.Tensor, t: number, gamma: number) => tf.Tensor;


export interface SubPathError {
  /** 0 at the noisy end. */
  index: number;
  /** Noisier end. */
  t: number;
  /** Cleaner end. */
  s: number;
  /** One jump from the exact x*_t against the exact x*_s. */
  local: ErrorStat;
  /** The chained estimate at s against the exact x*_s. */
  cumulative: ErrorStat;
}

export interface TrajectoryErrorReport {
  /** The split, noisy → clean. */
  times: number[];
  subPaths: SubPathError[];
  /** Cumulative error at the data end (times[n]). */
  endError: ErrorStat;
}

export interface GammaErrorCurve {
  index: number;
  t: number;
  s: number;
  gammas: number[];
  /** error[j] at gammas[j]. */
  error: ErrorStat[];
}

/** The teacher's sub-path jump: one DDIM step t → s of a denoiser. */
export function denoiserJump<C>(denoise: Denoiser<C>, schedule: Schedule, cond?: C): FlowMap {
  return (x, t, s) => {
    const r = ddim(denoise, schedule, x, [t, s], { cond });
    return r.x;
  };
}

/**
 * The deterministic jump of a consistency map: x_s = α_s·f + σ_s·ε̂ with ε̂ = (x_t − α_t·f)/σ_t (the implied
 * noise; LCM's multistep sampler re-noises with fresh noise instead).
 */
export function consistencyJump(f: ConsistencyMap, schedule: Schedule, gamma = 1): FlowMap {
  return (x, t, s) =>
    tf.tidy(() => {
      const x0 = f(x, t, gamma);
      const eps = x.sub(x0.mul(schedule.alpha(t))).div(schedule.sigma(t));
      return x0.mul(schedule.alpha(s)).add(eps.mul(schedule.sigma(s)));
    });
}

/** The reference integrator as a flow map (RK4 in log ς; `substeps` RK4 steps per call). */
export function referenceFlow<C>(denoise: Denoiser<C>, schedule: Schedule, substeps = 200, cond?: C): FlowMap {
  return (x, t, s) => reference(denoise, schedule, x, [t, s], { cond, substeps }).x;
}


function checkTimes(fn: string, times: readonly number[]): void {
  if (times.length < 2) throw new ArgumentError(fn, 'times', times, 'at least 2 times (one sub-path)');
  for (let i = 1; i < times.length; i++) {
    if (!(times[i] < times[i - 1])) throw new ArgumentError(fn, `times[${i}]`, times[i], `less than times[${i - 1}] = ${times[i - 1]}`);
  }
}

/**
 * The exact trajectory through xT at every time of the split: states[i] at times[i]. The caller owns them.
 */
export function exactTrajectory(exact: FlowMap, xT: tf.Tensor, times: readonly number[]): tf.Tensor[] {
  const states = [xT.clone()];
  for (let i = 0; i + 1 < times.length; i++) states.push(exact(states[i], times[i], times[i + 1]));
  return states;
}

/**
 * Local and cumulative error of a jump operator on every sub-path of a split, against an exact flow.
 * @param jump the model's sub-path map (e.g. {@link denoiserJump}, {@link consistencyJump}).
 * @param exact the exact flow (closed form, CDF map, or {@link referenceFlow}).
 * @param xT starting states at times[0], [B, ...].
 * @param times the split, strictly decreasing.
 */
export function trajectoryErrors(jump: FlowMap, exact: FlowMap, xT: tf.Tensor, times: readonly number[]): TrajectoryErrorReport {
  checkTimes('trajectoryErrors', times);
  const star = exactTrajectory(exact, xT, times);
  const subPaths: SubPathError[] = [];
  let chained = xT.clone();
  try {
    for (let i = 0; i + 1 < times.length; i++) {
      const [t, s] = [times[i], times[i + 1]];
      const one = jump(star[i], t, s);
      const local = stat(perSampleRms(one, star[i + 1]));
      one.dispose();
      const next = jump(chained, t, s);
      chained.dispose();
      chained = next;
      subPaths.push({ index: i, t, s, local, cumulative: stat(perSampleRms(chained, star[i + 1])) });
    }
  } finally {
    chained.dispose();
    star.forEach((x) => x.dispose());
  }
  return { times: [...times], subPaths, endError: subPaths[subPaths.length - 1].cumulative };
}

/**
 * Error of a (γ-conditioned) consistency map at every point of the data end: ‖f(x*_{t_i}, t_i, 1) − x*_{t_n}‖ for
 * each time of the split but the last, the one-jump-to-data error of consistency models.
 */
export async function dataEndErrors(f: ConsistencyMap, exact: FlowMap, xT: tf.Tensor, times: readonly number[]): Promise<{ t: number; error: ErrorStat }[]> {
  checkTimes('dataEndErrors', times);
  const probe = dataEndProbe(exact, xT, times);
  try {
    return await probe.errors(f);
  } finally {
    probe.dispose();
  }
}

/**
 * {@link dataEndErrors} with the exact trajectory computed once, for measuring many maps (or one map over training)
 * from the same points. Dispose when done. `errors` reads every time's distances in one `await`, so it runs on
 * backends without synchronous reads (WebGPU) too.
 */
export function dataEndProbe(exact: FlowMap, xT: tf.Tensor, times: readonly number[]): { errors: (f: ConsistencyMap) => Promise<{ t: number; error: ErrorStat }[]>; dispose: () => void } {
  checkTimes('dataEndProbe', times);
  const star = exactTrajectory(exact, xT, times);
  const end = star[star.length - 1];
  return {
    errors: async (f) => {
      const from = times.slice(0, -1);
      const rms = tf.tidy(() => tf.stack(from.map((t, i) => {
        const pred = f(star[i], t, 1);
        return rmsTensor(pred, end);
      })));
      try {
        const values = await rms.data();
        const B = end.shape[0];
        return from.map((t, i) => ({ t, error: stat(Array.from(values.subarray(i * B, (i + 1) * B))) }));
      } finally {
        rms.dispose();
      }
    },
    dispose: () => star.forEach((x) => x.dispose()),
  };
}

export interface GammaErrorOptions {
  /** γ values to probe, each in [0, 1]. Default 0, 0.1, …, 1. */
  gammas?: number[];
  /**
   * How the cleaner end x̂_s of each SL-ODE is made: `exact` uses the exact flow (the ideal solver point),
   * or pass a {@link FlowMap} (for example the teacher's {@link denoiserJump}, as in training). Default `exact`.
   */
  start?: 'exact' | FlowMap;
}

/**
 * Error of a γ-conditioned map along the SL-ODE of each sub-path: for γ ∈ gammas,
 * ‖f(x_{γ,t}, t, γ) − x*_{data}‖ with x_{γ,t} = γ·x*_t + (1 − γ)·(α_t/α_s)·x̂_s and x*_{data} the exact data end of
 * the trajectory (the state at the last time of `times`).
 */
export function gammaErrors(
  f: ConsistencyMap,
  exact: FlowMap,
  schedule: Schedule,
  xT: tf.Tensor,
  times: readonly number[],
  opts: GammaErrorOptions = {},
): GammaErrorCurve[] {
  const fn = 'gammaErrors';
  checkTimes(fn, times);
  const gammas = opts.gammas ?? Array.from({ length: 11 }, (_, i) => i / 10);
  gammas.forEach((g, j) => {
    if (!(g >= 0 && g <= 1)) throw new ArgumentError(fn, `gammas[${j}]`, g, 'a number in [0, 1]');
  });
  const start = opts.start ?? 'exact';
  const star = exactTrajectory(exact, xT, times);
  try {
    const end = star[star.length - 1];
    return times.slice(0, -1).map((t, i) => {
      const s = times[i + 1];
      const xs = start === 'exact' ? star[i + 1] : start(star[i], t, s);
      const { r } = subPathCoefs(schedule, t, s);
      const error = gammas.map((g) => {
        const xg = slOdePoint(star[i], xs, g, r);
        const pred = f(xg, t, g);
        const e = stat(perSampleRms(pred, end));
        xg.dispose();
        pred.dispose();
        return e;
      });
      if (xs !== star[i + 1]) xs.dispose();
      return { index: i, t, s, gammas: [...gammas], error };
    });
  } finally {
    star.forEach((x) => x.dispose());
  }
}
