/**
 * A small convolutional autoencoder for 28×28 grey images: the latent space of SPLAD (SPLAM in a latent space,
 * as Stable Diffusion's VAE is for the paper's runs; SPLAD: Xu et al., ECCV 2024, arXiv 2404.13903). NHWC throughout.
 *
 *   encoder  x [B, 28, 28, 1] → conv3 C₁ → SiLU → avg-pool 2×2 → [B, 14, 14, C₁]
 *                              → conv3 C₂ → SiLU → avg-pool 2×2 → [B, 7, 7, C₂]
 *                              → conv3 C₂ → SiLU → conv1 Z            = the latent z [B, 7, 7, Z] (Z = 4, as SD's)
 *   decoder  z → conv3 C₂ → SiLU → conv3 C₂ → SiLU → nearest 2× → [B, 14, 14, C₂]
 *              → conv3 C₁ → SiLU → nearest 2× → [B, 28, 28, C₁] → conv3 C₁ → SiLU → conv3 1 = x̂ (linear output)
 *
 * Deterministic (an autoencoder, not a VAE): the latent is kept tame by a small L2 penalty on z instead of SD's KL
 * term (see lib/experiments/autoencoder/run.ts). The diffusion model works on z·s with the scaling factor
 * s = 1/std(z) over a batch of training latents ({@link latentScale}), as Stable Diffusion's `scaling_factor`
 * (0.18215 for SD v1.5) was chosen: the scaled latents have unit variance.
 *
 * Weights follow lib/nn/unet.ts: a named {@link ParamSet} drawn from a seeded host rng with PyTorch's default
 * init U(±1/√fan_in), checkpointed under the prefix `ae/`.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, ShapeError } from '../errors.js';
import type { Rng } from '../data/rng.js';
import { silu } from './silu.js';
import { convLayer, type ParamSet } from './params.js';

export interface AutoencoderConfig {
  /** Image height H and width W (each divisible by 4: two 2×2 downsamplings). Default 28 × 28. */
  height: number;
  width: number;
  /** Image channels. Default 1. */
  channels: number;
  /** Channels at full and half resolution. Defaults 16, 32. */
  channels1: number;
  channels2: number;
  /** Latent channels Z (the latent is [H/4, W/4, Z]). Default 4, as Stable Diffusion's. */
  latentChannels: number;
}

export const DEFAULT_AUTOENCODER: AutoencoderConfig = { height: 28, width: 28, channels: 1, channels1: 16, channels2: 32, latentChannels: 4 };

export interface Autoencoder {
  config: AutoencoderConfig;
  params: ParamSet;
  /** Latent shape [H/4, W/4, Z]. */
  latentShape: [number, number, number];
  /** Unscaled latents z [B, H/4, W/4, Z] of images x [B, H, W, C] (pixels in [−1, 1]). @throws ShapeError. */
  encode(x: tf.Tensor4D): tf.Tensor4D;
  /** Images x̂ [B, H, W, C] of unscaled latents z [B, H/4, W/4, Z] (not clipped). @throws ShapeError. */
  decode(z: tf.Tensor4D): tf.Tensor4D;
}

function checkConfig(c: AutoencoderConfig): void {
  for (const k of Object.keys(DEFAULT_AUTOENCODER) as (keyof AutoencoderConfig)[]) {
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new ArgumentError('makeAutoencoder', k, c[k], 'an integer ≥ 1');
  }
  for (const k of ['height', 'width'] as const) if (c[k] % 4) throw new ArgumentError('makeAutoencoder', k, c[k], 'a multiple of 4 (two 2×2 downsamplings)');
}

/** Build the autoencoder with weights drawn from `rng`. @throws ArgumentError for a bad config field. */
export function makeAutoencoder(partial: Partial<AutoencoderConfig>, rng: Rng): Autoencoder {
  const config: AutoencoderConfig = { ...DEFAULT_AUTOENCODER, ...partial };
  checkConfig(config);
  const { height: H, width: W, channels: C, channels1: C1, channels2: C2, latentChannels: Z } = config;
  const params: ParamSet = new Map();
  const conv = (name: string, k: number, ci: number, co: number) => convLayer(params, name, k, ci, co, rng);
  const e1 = conv('enc.conv1', 3, C, C1);
  const e2 = conv('enc.conv2', 3, C1, C2);
  const e3 = conv('enc.conv3', 3, C2, C2);
  const eOut = conv('enc.out', 1, C2, Z);
  const d1 = conv('dec.conv1', 3, Z, C2);
  const d2 = conv('dec.conv2', 3, C2, C2);
  const d3 = conv('dec.conv3', 3, C2, C1);
  const d4 = conv('dec.conv4', 3, C1, C1);
  const dOut = conv('dec.out', 3, C1, C);
  const latentShape: [number, number, number] = [H / 4, W / 4, Z];
  const up = (x: tf.Tensor4D) => tf.image.resizeNearestNeighbor(x, [2 * x.shape[1], 2 * x.shape[2]]);
  return {
    config,
    params,
    latentShape,
    encode: (x) => {
      if (x.rank !== 4 || x.shape[1] !== H || x.shape[2] !== W || x.shape[3] !== C) throw new ShapeError('Autoencoder.encode', 'x', `[B, ${H}, ${W}, ${C}]`, x.shape);
      return tf.tidy(() => {
        let h = tf.avgPool(silu(e1(x)), 2, 2, 'valid');
        h = tf.avgPool(silu(e2(h)), 2, 2, 'valid');
        return eOut(silu(e3(h)));
      });
    },
    decode: (z) => {
      if (z.rank !== 4 || z.shape[1] !== latentShape[0] || z.shape[2] !== latentShape[1] || z.shape[3] !== Z) {
        throw new ShapeError('Autoencoder.decode', 'z', `[B, ${latentShape.join(', ')}]`, z.shape);
      }
      return tf.tidy(() => {
        let h = silu(d2(silu(d1(z))));
        h = silu(d3(up(h)));
        h = silu(d4(up(h)));
        return dOut(h);
      });
    },
  };
}

/**
 * Stable Diffusion's latent scaling factor, s = 1/std(z): the reciprocal of the standard deviation of every element
 * of a batch of latents (population std, about the batch mean, accumulated in float64), so that s·z has unit variance.
 * Async because a tensor's values are read with `await t.data()` (tfjs's WebGPU backend in Node cannot read
 * synchronously); host values are used as they are.
 * @param z latents [B, ...] with at least two elements: a tensor, or its row-major values on the host.
 * @throws (rejects with) ShapeError for fewer than two elements; ArgumentError when the latents are constant (std 0).
 */
export async function latentScale(z: tf.Tensor | ArrayLike<number>): Promise<number> {
  const isTensor = z instanceof tf.Tensor;
  if ((isTensor ? z.size : z.length) < 2) throw new ShapeError('latentScale', 'z', '[B, ...] with at least 2 elements', isTensor ? z.shape : [z.length]);
  const v = isTensor ? await z.data() : z;
  let mean = 0;
  for (let i = 0; i < v.length; i++) mean += v[i];
  mean /= v.length;
  let ss = 0;
  for (let i = 0; i < v.length; i++) ss += (v[i] - mean) ** 2;
  const std = Math.sqrt(ss / v.length);
  if (!(std > 0) || !Number.isFinite(std)) throw new ArgumentError('latentScale', 'z', `std ${std}`, 'latents that are not constant (std > 0)');
  return 1 / std;
}

/**
 * Apply `fn` to a whole array batch by batch: rows [N, ...inShape] row-major → one Float32Array of [N, ...outShape]
 * (host memory; for encoding a data set or decoding samples). Each batch's output is read with `await t.data()`,
 * which every backend supports (tfjs's WebGPU backend in Node cannot read synchronously).
 * @throws (rejects with) ShapeError when `values` is not a whole number of rows of `inShape`.
 */
export async function mapBatched(fn: (x: tf.Tensor4D) => tf.Tensor4D, values: Float32Array, inShape: readonly [number, number, number], batch = 500): Promise<Float32Array> {
  const row = inShape[0] * inShape[1] * inShape[2];
  if (values.length % row !== 0) throw new ShapeError('mapBatched', 'values', `a multiple of ${row} values`, [values.length]);
  const N = values.length / row;
  const parts: Float32Array[] = [];
  for (let start = 0; start < N; start += batch) {
    const b = Math.min(batch, N - start);
    const out = tf.tidy(() => fn(tf.tensor4d(values.subarray(start * row, (start + b) * row), [b, ...inShape])));
    try {
      parts.push((await out.data()) as Float32Array);
    } finally {
      out.dispose();
    }
  }
  const total = parts.reduce((a, p) => a + p.length, 0);
  const result = new Float32Array(total);
  let o = 0;
  for (const p of parts) {
    result.set(p, o);
    o += p.length;
  }
  return result;
}
