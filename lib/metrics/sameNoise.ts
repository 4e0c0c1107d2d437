/**
 * Same-noise (deterministically coupled) error: how far each student sample lands from the exact PF-ODE endpoint
 * started from the same initial noise x_T (the PF-ODE is deterministic, so each sample has its own exact target):
 *   e_b = RMS_d (a_b − b_b)_d = √( (1/P) Σ_d (a_bd − b_bd)² ),  P = number of values per sample,
 * summarised by mean, standard deviation and maximum over the batch. The per-sample RMS (not the norm) keeps
 * the number comparable across dimensions; it is the same distance as lib/splam/trajectory-error.ts, whose
 * {@link perSampleRms} and {@link stat} it reuses.
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../errors.js';
import { perSampleRms, stat, type ErrorStat } from './per-sample.js';

/** {@link ErrorStat} over the batch plus every sample's RMS error (length B, in batch order). */
export type SameNoiseError = ErrorStat & { perSample: number[] };

/**
 * Per-sample RMS distance between a student's samples and the exact endpoints from the same noise.
 * @param a student samples, [B, ...] (any non-batch axes, e.g. [B, D] or [B, H, W, C]).
 * @param b exact PF-ODE endpoints Φ_{T→0}(x_T) for the same x_T, same shape as `a`.
 * @returns mean/std/max over the batch (std with 1/B) and `perSample`, [B] host numbers. Disposes nothing it
 *   was given; leaves no tensors behind.
 * @throws ShapeError (arg `a`) for a scalar or an empty batch; ShapeError (arg `b`) when b's shape is not a's.
 */
export function sameNoiseError(a: tf.Tensor, b: tf.Tensor): SameNoiseError {
  const fn = 'sameNoiseError';
  if (!(a instanceof tf.Tensor) || a.rank < 1 || a.shape[0] < 1) {
    throw new ShapeError(fn, 'a', '[B, ...] with B ≥ 1', a instanceof tf.Tensor ? a.shape : []);
  }
  if (!(b instanceof tf.Tensor) || b.shape.join() !== a.shape.join() || b.rank !== a.rank) {
    throw new ShapeError(fn, 'b', `[${a.shape.join(', ')}] (the shape of a)`, b instanceof tf.Tensor ? b.shape : []);
  }
  const perSample = perSampleRms(a, b);
  return { ...stat(perSample), perSample };
}
