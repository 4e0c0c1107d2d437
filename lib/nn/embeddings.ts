/**
 * Sinusoidal embeddings of scalars: the time embedding of the denoiser, SPLAM's γ-embedding and LCM's w-embedding.
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
 * SPLAM's γ-embedding (MCG-NJU/SPLAM@dc442bf:splam/train_splam_distill_sd_wds.py:294-319, 1149-1160):
 * the scalar g = 10 − 10γ (γ = 1 → 0, the inference setting) times `scale` (1000 in the code), then sinusoidal
 * features with ω_j = exp(−j·ln(10000)/(half − 1)), sin first. Default dim 256 (inferred: LCM/diffusers'
 * `time_cond_proj_dim`; the SPLAM script lacks the flag). With the code's scale the argument spans [0, 10⁴], so all
 * but the lowest frequencies turn through many periods as γ moves across [0, 1): most features are a rapidly varying
 * code of γ, not a smooth function of it.
 */
export function gammaEmbedding(gamma: tf.Tensor1D, dim = 256, scale = 1000): tf.Tensor2D {
  return tf.tidy(() => sinusoidal(tf.sub(10, gamma.mul(10)).mul(scale) as tf.Tensor1D, dim, { shift: 1 }));
}

/**
 * LCM's guidance-scale embedding of a per-sample guidance w [B] → [B, dim]: the argument v = scale·w (`scale` 1000 in
 * the public sources), then the same sinusoid as {@link gammaEmbedding}: half = dim/2,
 * ω_j = exp(−j·ln(10000)/(half − 1)), features [sin(v·ω), cos(v·ω)] (sin first). Source: diffusers'
 * `examples/consistency_distillation/train_lcm_distill_sd_wds.py` (`guidance_scale_embedding`, copied from
 * `LatentConsistencyModelPipeline.get_guidance_scale_embedding`), which draws w ~ U[w_min, w_max] per sample and
 * feeds this embedding to the student's `time_cond_proj`. w is taken as given (in the run's guidance convention).
 * @throws ArgumentError for a dim that is not an even integer ≥ 4 (dim 2 has half − 1 = 0: no frequency).
 */
export function wEmbedding(w: tf.Tensor1D, dim = 256, scale = 1000): tf.Tensor2D {
  if (!Number.isInteger(dim) || dim < 4 || dim % 2 !== 0) throw new ArgumentError('wEmbedding', 'dim', dim, 'an even integer ≥ 4');
  return tf.tidy(() => sinusoidal(w.mul(scale) as tf.Tensor1D, dim, { shift: 1 }));
}
