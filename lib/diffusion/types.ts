/**
 * The shared shapes of the diffusion core (k-diffusion's lesson: every solver, objective and metric works over
 * one denoiser callable, so an analytic teacher, a trained network and a guided wrapper are interchangeable).
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, ShapeError } from '../errors.js';

/**
 * Time argument of a denoiser: one DDPM index t ∈ [0, N−1] (possibly fractional) for the whole batch, or one
 * per sample as a tensor of shape [B].
 */
export type TimeArg = number | tf.Tensor1D;

/**
 * A noise predictor ε̂(x_t, t, cond): `x` has shape [B, ...] (for example [B, D] or [B, H, W, C]); the result has
 * the same shape. It must not dispose its inputs and returns a new tensor the caller owns.
 * `cond` is model-specific (for example class labels for a class-conditional mixture).
 */
export type Denoiser<C = unknown> = (x: tf.Tensor, t: TimeArg, cond?: C) => tf.Tensor;

/**
 * Per-sample scalars as a tensor that broadcasts against x of shape [B, ...]: shape [B, 1, …, 1].
 * A plain number stays a scalar tensor.
 */
export function perSample(v: number | tf.Tensor1D, rank: number): tf.Tensor {
  if (typeof v === 'number') return tf.scalar(v);
  return v.reshape([v.shape[0], ...new Array(Math.max(rank - 1, 0)).fill(1)]);
}

/** Times as a plain array of length B (a number is repeated). */
export function timesOf(t: TimeArg, batch: number): number[] {
  if (typeof t === 'number') return new Array(batch).fill(t);
  if (t.shape[0] !== batch) throw new ShapeError('timesOf', 't', `[${batch}] (one time per sample)`, t.shape);
  return Array.from(t.dataSync());
}

/** Validate a descending time grid for a solver: finite, strictly decreasing, inside [0, N−1], ≥ 2 points. */
export function checkTimeGrid(fn: string, ts: readonly number[], N: number): void {
  if (!Array.isArray(ts) || ts.length < 2) {
    throw new ArgumentError(fn, 'ts', ts, 'an array of at least 2 times, from noisy to clean');
  }
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i];
    if (!(t >= 0 && t <= N - 1)) throw new ArgumentError(fn, `ts[${i}]`, t, `a time in [0, ${N - 1}]`);
    if (i > 0 && !(t < ts[i - 1])) {
      throw new ArgumentError(fn, `ts[${i}]`, t, `strictly less than ts[${i - 1}] = ${ts[i - 1]} (times run from noisy to clean)`);
    }
  }
}

/**
 * A γ-conditioned noise predictor, the SPLAM student (lib/splam/objective.ts; LCM students ignore γ): the
 * {@link Denoiser} with the sub-path position γ as one more input.
 * x: [B, ...]; t: [B] DDPM indices; gamma: [B] in [0, 1]. Returns ε̂ with x's shape.
 */
export type GammaEpsModel<C = unknown> = (x: tf.Tensor, t: tf.Tensor1D, gamma: tf.Tensor1D, cond?: C) => tf.Tensor;
