/**
 * Conversions between the three prediction targets of a VP model at x_t = α_t·x_0 + σ_t·ε (α² + σ² = 1):
 *   x̂_0 = (x_t − σ_t·ε̂)/α_t,  ε̂ = (x_t − α_t·x̂_0)/σ_t,  v = α_t·ε − σ_t·x_0 (Salimans & Ho 2022),
 *   x̂_0 = α_t·x_t − σ_t·v̂,  ε̂ = σ_t·x_t + α_t·v̂.
 * `alpha` and `sigma` are numbers or per-sample tensors of shape [B] (broadcast against x of shape [B, ...]).
 */
import * as tf from '@tensorflow/tfjs';
import { perSample } from './types.js';

export type Coef = number | tf.Tensor1D;

export const PREDICTION_KINDS = ['eps', 'x0', 'v'] as const;
export type PredictionKind = (typeof PREDICTION_KINDS)[number];

/** x̂_0 from ε̂: (x_t − σ_t·ε̂)/α_t. */
export function epsToX0(x: tf.Tensor, eps: tf.Tensor, alpha: Coef, sigma: Coef): tf.Tensor {
  return tf.tidy(() => x.sub(eps.mul(perSample(sigma, x.rank))).div(perSample(alpha, x.rank)));
}

/** ε̂ from x̂_0: (x_t − α_t·x̂_0)/σ_t. */
export function x0ToEps(x: tf.Tensor, x0: tf.Tensor, alpha: Coef, sigma: Coef): tf.Tensor {
  return tf.tidy(() => x.sub(x0.mul(perSample(alpha, x.rank))).div(perSample(sigma, x.rank)));
}

/** v̂ from ε̂: v = α_t·ε − σ_t·x_0 with x_0 = (x_t − σ_t·ε)/α_t, i.e. v = (ε − σ_t·x_t)/α_t. */
export function epsToV(x: tf.Tensor, eps: tf.Tensor, alpha: Coef, sigma: Coef): tf.Tensor {
  return tf.tidy(() => eps.sub(x.mul(perSample(sigma, x.rank))).div(perSample(alpha, x.rank)));
}

/** ε̂ from v̂: σ_t·x_t + α_t·v̂. */
export function vToEps(x: tf.Tensor, v: tf.Tensor, alpha: Coef, sigma: Coef): tf.Tensor {
  return tf.tidy(() => x.mul(perSample(sigma, x.rank)).add(v.mul(perSample(alpha, x.rank))));
}

/** x̂_0 from v̂: α_t·x_t − σ_t·v̂. */
export function vToX0(x: tf.Tensor, v: tf.Tensor, alpha: Coef, sigma: Coef): tf.Tensor {
  return tf.tidy(() => x.mul(perSample(alpha, x.rank)).sub(v.mul(perSample(sigma, x.rank))));
}

/** Convert any prediction to ε̂ (the solvers' currency). */
export function toEps(kind: PredictionKind, x: tf.Tensor, pred: tf.Tensor, alpha: Coef, sigma: Coef): tf.Tensor {
  if (kind === 'eps') return pred.clone();
  if (kind === 'x0') return x0ToEps(x, pred, alpha, sigma);
  return vToEps(x, pred, alpha, sigma);
}
