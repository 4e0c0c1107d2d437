/**
 * LCM multistep consistency sampling at γ = 1 (the SPLAM/LCM inference: diffusers' LCMScheduler with
 * guidance_scale = 1, which feeds γ = 1 to the embedding, as MCG-NJU/SPLAM's README.md prescribes).
 * Per step at τ (next τ′): ε̂ = ε_θ(x, τ, γ=1); x̂_0 = (x − σ_τ·ε̂)/α_τ; denoised = c_skip(τ)·x + c_out(τ)·x̂_0;
 * then x ← α_{τ′}·denoised + σ_{τ′}·z with fresh z ~ N(0, I), or output `denoised` after the last step.
 *
 * Timesteps come from the training grid ({@link lcmTimesteps}): the order diffusers versions used differs.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError } from '../errors.js';
import type { Rng } from '../data/rng.js';
import type { Schedule } from '../diffusion/schedules.js';
import { cOut, cSkip, type BoundaryOptions } from './boundary.js';
import { consistencyFromEps } from './consistency.js';
import type { SolverGrid } from './grid.js';
import type { GammaEpsModel } from '../diffusion/types.js';

export const TIMESTEP_SPACINGS = ['linspace', 'legacy'] as const;
/**
 * `linspace`: current diffusers LCMScheduler (indices ⌊linspace(0, M, n, endpoint=False)⌋ into the descending grid):
 *   4 steps → 999, 759, 499, 259.
 * `legacy`: older diffusers / the LCM community pipeline (`grid[::-1][::M // n][:n]`): 4 steps → 999, 759, 519, 279.
 */
export type TimestepSpacing = (typeof TIMESTEP_SPACINGS)[number];

/** The n inference timesteps drawn from the training grid, noisy first. @throws ArgumentError for n outside [1, M]. */
export function lcmTimesteps(grid: SolverGrid, n: number, spacing: TimestepSpacing = 'linspace'): number[] {
  const desc = [...grid.timesteps].reverse();
  const M = desc.length;
  if (!Number.isInteger(n) || n < 1 || n > M) throw new ArgumentError('lcmTimesteps', 'n', n, `an integer in [1, ${M}] (the grid has ${M} points)`);
  if (!(TIMESTEP_SPACINGS as readonly string[]).includes(spacing)) {
    throw new ArgumentError('lcmTimesteps', 'spacing', spacing, TIMESTEP_SPACINGS.join(', '));
  }
  if (spacing === 'linspace') return Array.from({ length: n }, (_, i) => desc[Math.floor((i * M) / n)]);
  const skip = Math.floor(M / n);
  return Array.from({ length: n }, (_, i) => desc[i * skip]);
}

export interface LcmSampleOptions<C> {
  cond?: C;
  /** Fresh noise between steps. */
  rng: Rng;
  boundary?: BoundaryOptions;
  /**
   * What re-noises between steps: `fresh` z ~ N(0, I) (LCM's sampler; default) or `implied`, the noise the model
   * itself implies, ε̂ = (x − α_τ·denoised)/σ_τ — a deterministic chain of consistency jumps from x_T, whose
   * same-noise error is the cumulative error of the sub-path jumps.
   */
  noise?: 'fresh' | 'implied';
  /** Keep the denoised estimate of every step. */
  returnDenoised?: boolean;
  /** After each step: the state x it started from at time t and its denoised estimate (both the sampler's; clone to keep). */
  onStep?: (info: { i: number; t: number; x: tf.Tensor; denoised: tf.Tensor }) => void;
}

/**
 * Sample with the multistep consistency sampler.
 * @param xT initial noise at timesteps[0], [B, ...] (not disposed).
 * @returns the final denoised sample (the caller owns it) and, when asked, every step's denoised estimate.
 */
export function lcmSample<C>(
  model: GammaEpsModel<C>,
  schedule: Schedule,
  xT: tf.Tensor,
  timesteps: readonly number[],
  opts: LcmSampleOptions<C>,
): { x: tf.Tensor; denoised?: tf.Tensor[]; nfe: number } {
  if (timesteps.length < 1) throw new ArgumentError('lcmSample', 'timesteps', timesteps, 'at least one time');
  timesteps.forEach((t, i) => {
    if (!(t >= 0 && t <= schedule.N - 1)) throw new ArgumentError('lcmSample', `timesteps[${i}]`, t, `a time in [0, ${schedule.N - 1}]`);
    if (i > 0 && !(t < timesteps[i - 1])) throw new ArgumentError('lcmSample', `timesteps[${i}]`, t, `less than timesteps[${i - 1}]`);
  });
  const B = xT.shape[0];
  const kept: tf.Tensor[] = [];
  let x = xT;
  for (let i = 0; i < timesteps.length; i++) {
    const t = timesteps[i];
    const prev = x;
    const denoised = tf.tidy(() => {
      const eps = model(prev, tf.fill([B], t) as tf.Tensor1D, tf.ones([B]) as tf.Tensor1D, opts.cond);
      return consistencyFromEps(prev, eps, { alpha: schedule.alpha(t), sigma: schedule.sigma(t), cSkip: cSkip(t, opts.boundary), cOut: cOut(t, opts.boundary) });
    });
    opts.onStep?.({ i, t, x: prev, denoised });
    if (opts.returnDenoised) kept.push(denoised.clone());
    if (i + 1 < timesteps.length) {
      const next = timesteps[i + 1];
      const implied = opts.noise === 'implied';
      const z = implied ? undefined : opts.rng.normalArray(xT.size);
      x = tf.tidy(() => {
        const noise = z ? tf.tensor(z, xT.shape) : prev.sub(denoised.mul(schedule.alpha(t))).div(schedule.sigma(t));
        return denoised.mul(schedule.alpha(next)).add(noise.mul(schedule.sigma(next)));
      });
      denoised.dispose();
    } else {
      x = denoised;
    }
    if (prev !== xT) prev.dispose();
  }
  return { x, denoised: opts.returnDenoised ? kept : undefined, nfe: timesteps.length };
}
