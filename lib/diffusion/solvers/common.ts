/**
 * The one shape every PF-ODE solver shares (k-diffusion's lesson): `solver(denoise, schedule, x, ts, opts)`,
 * where `denoise` is the {@link Denoiser} `(x, t, cond) => ε̂`, `x` is the state at `ts[0]` with shape [B, ...],
 * and `ts` is a strictly decreasing grid of DDPM times (noisy → clean). Each solver is one step function run by
 * {@link integrate}, which owns validation, memory, the trajectory and the per-step callback.
 */
import * as tf from '@tensorflow/tfjs';
import type { Schedule } from '../schedules.js';
import { checkTimeGrid, type Denoiser } from '../types.js';

/** What a solver reports after each step; the same keys for every solver. */
export interface StepInfo {
  /** Step index, 0-based. */
  i: number;
  /** Time the step started from. */
  t: number;
  /** Time the step reached. */
  tNext: number;
  /** State at `tNext`, shape [B, ...] (owned by the solver: clone it to keep it). */
  x: tf.Tensor;
  /** x̂_0 from the first ε̂ evaluation of the step, shape [B, ...] (owned by the solver). */
  denoised: tf.Tensor;
  /** Denoiser evaluations so far. */
  nfe: number;
}

export interface SolverOptions<C = unknown> {
  /** Conditioning passed to every denoiser call. */
  cond?: C;
  /** Keep the state at every grid time (including the start). Default false. */
  returnTrajectory?: boolean;
  /** Called after each step. */
  onStep?: (info: StepInfo) => void;
}

export interface SolveResult {
  /** State at the last grid time, shape [B, ...]. The caller owns it. */
  x: tf.Tensor;
  /** States at every grid time, `trajectory[i]` at `ts[i]` (only with `returnTrajectory`). The caller owns them. */
  trajectory?: tf.Tensor[];
  /** Number of denoiser evaluations (function evaluations, NFE). */
  nfe: number;
}

/** A PF-ODE solver over a denoiser callable. */
export type Solver = <C>(
  denoise: Denoiser<C>,
  schedule: Schedule,
  x: tf.Tensor,
  ts: readonly number[],
  opts?: SolverOptions<C>,
) => SolveResult;

/** One step of a solver: from x at ts[i] to ts[i+1]. Returns new tensors (inside the caller's tidy). */
export type StepFn<C> = (
  denoise: Denoiser<C>,
  x: tf.Tensor,
  i: number,
  cond: C | undefined,
) => { x: tf.Tensor; denoised: tf.Tensor; nfe: number };

/**
 * Run a step function over the grid with shared bookkeeping: validates the grid, scopes each step in
 * `tf.tidy`, disposes intermediate states (never the caller's `x`), and collects the trajectory.
 * `keep` names tensors a step function holds across steps (for example DPM-Solver++'s previous x̂_0); they are
 * disposed when the solve ends.
 */
export function integrate<C>(
  fn: string,
  schedule: Schedule,
  x0: tf.Tensor,
  ts: readonly number[],
  opts: SolverOptions<C> | undefined,
  denoise: Denoiser<C>,
  step: StepFn<C>,
  carried: { dispose(): void } = { dispose() {} },
): SolveResult {
  checkTimeGrid(fn, ts, schedule.N);
  const trajectory = opts?.returnTrajectory ? [x0.clone()] : undefined;
  let x = x0;
  let nfe = 0;
  try {
    for (let i = 0; i < ts.length - 1; i++) {
      const prev = x;
      const out = tf.tidy(() => {
        const r = step(denoise, prev, i, opts?.cond);
        return { x: r.x, denoised: r.denoised, nfe: r.nfe };
      });
      nfe += out.nfe;
      x = out.x;
      if (prev !== x0) prev.dispose();
      if (trajectory) trajectory.push(x.clone());
      opts?.onStep?.({ i, t: ts[i], tNext: ts[i + 1], x, denoised: out.denoised, nfe });
      out.denoised.dispose();
    }
  } catch (err) {
    if (x !== x0) x.dispose();
    trajectory?.forEach((t) => t.dispose());
    throw err;
  } finally {
    carried.dispose();
  }
  return { x: x === x0 ? x0.clone() : x, trajectory, nfe };
}

/** x̂_0 = (x − σ·ε̂)/α for scalar α, σ. */
export function predictX0(x: tf.Tensor, eps: tf.Tensor, alpha: number, sigma: number): tf.Tensor {
  return x.sub(eps.mul(sigma)).div(alpha);
}
