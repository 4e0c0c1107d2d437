/**
 * Sinusoidal embeddings of scalars: the time embedding of the denoiser and SPLAM's γ-embedding.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError } from '../errors.js';

export interface SinusoidalOptions {
  /** Largest period. Default 10000. */
  maxPeriod?: number;
  /** Frequencies exp(−j·ln(maxPeriod)/(half − shift)); diffusers' `downscale_freq_shift`. Default 0. */
  shift?: number;
  /** [cos, sin] instead of [sin, cos] (diffusers' `flip_sin_to_cos`). Default false. */
  flip?: boolean;
}

/**
 * Sinusoidal features of `values` [B] → [B, dim]: for j = 0 … dim/2 − 1, ω_j = exp(−j·ln(maxPeriod)/(dim/2 − shift)),
 * features [sin(v·ω), cos(v·ω)] (or flipped). diffusers `get_timestep_embedding`.
 * @throws ArgumentError for an odd or non-positive dim.
 */
export function sinusoidal(values: tf.Tensor1D, dim: number, o: SinusoidalOptions = {}): tf.Tensor2D {
  if (!Number.isInteger(dim) || dim < 2 || dim % 2 !== 0) throw new ArgumentError('sinusoidal', 'dim', dim, 'an even integer ≥ 2');
  const half = dim / 2;
  const shift = o.shift ?? 0;
  const maxPeriod = o.maxPeriod ?? 10000;
  const freqs = Float32Array.from({ length: half }, (_, j) => Math.exp((-j * Math.log(maxPeriod)) / (half - shift)));
  return tf.tidy(() => {
    const args = values.reshape([-1, 1]).mul(tf.tensor2d(freqs, [1, half]));
    const parts = o.flip ? [args.cos(), args.sin()] : [args.sin(), args.cos()];
    return tf.concat(parts, 1) as tf.Tensor2D;
  });
}

/** Time features of the denoiser: diffusers' U-Net `Timesteps(flip_sin_to_cos=True, downscale_freq_shift=0)`. */
export function timeEmbedding(t: tf.Tensor1D, dim: number): tf.Tensor2D {
  return sinusoidal(t, dim, { flip: true, shift: 0 });
}

/**
 * SPLAM's γ-embedding (official code L294–319, 1149–1160): the scalar g = 10 − 10γ (γ = 1 → 0, the inference
 * setting) times `scale` (1000 in the code), then sinusoidal features with ω_j = exp(−j·ln(10000)/(half − 1)),
 * sin first. Default dim 256 (inferred: LCM/diffusers' `time_cond_proj_dim`; the SPLAM script lacks the flag).
 * With the code's scale the argument spans [0, 10⁴], so all but the lowest frequencies turn through many periods as
 * γ moves across [0, 1): most features are a rapidly varying code of γ, not a smooth function of it.
 */
export function gammaEmbedding(gamma: tf.Tensor1D, dim = 256, scale = 1000): tf.Tensor2D {
  return tf.tidy(() => sinusoidal(tf.sub(10, gamma.mul(10)).mul(scale) as tf.Tensor1D, dim, { shift: 1 }));
}
