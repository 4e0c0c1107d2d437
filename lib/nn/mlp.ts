/**
 * The MLP denoiser for low-dimensional data: ε̂(x, t [, γ] [, class] [, w]) with a residual trunk.
 *
 *   temb₀ = timeEmbedding(t, E)  (+ cond_proj(gammaEmbedding(γ)) when the γ-embedding is on: a bias-free linear
 *           d_γ → E added to the time features before the time MLP, as diffusers' TimestepEmbedding does with
 *           `time_cond_proj_dim`; SPLAM's code, MCG-NJU/SPLAM@dc442bf:splam/train_splam_distill_sd_wds.py:858-864)
 *           (+ w_proj(wEmbedding(w)) with LCM's w-embedding on: a bias-free linear d_w → E, created after every other
 *           parameter; lib/nn/conditioning.ts `makeWProjection`)
 *   temb  = W₂·SiLU(W₁·temb₀)  (+ classEmbedding[label + 1] for class-conditional models; row 0 is the null label −1)
 *   h     = W_in·x;  per block: h ← h + W_b2·SiLU(W_b1·SiLU(h) + W_bt·temb)
 *   ε̂     = W_out·SiLU(h)
 * Shapes: x [B, D], t [B] (DDPM index), γ [B], labels [B] (−1 = unconditional), w [B]. Output [B, D].
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, ShapeError } from '../errors.js';
import type { Rng } from '../data/rng.js';
import type { ParamSet } from './params.js';
import { linearLayer, makeConditioning, makeWProjection } from './conditioning.js';
import { silu } from './silu.js';

export interface MlpConfig {
  /** Data dimension D. */
  dim: number;
  /** Hidden width H. Default 256. */
  hidden: number;
  /** Residual blocks. Default 3. */
  blocks: number;
  /** Sinusoidal time-feature dimension E. Default 64. */
  timeEmbedDim: number;
  /** Classes for a class-conditional model (0 = unconditional). Default 0. */
  numClasses: number;
  /** γ-embedding dimension d_γ (0 = no γ-embedding: LCM students and teachers). SPLAM default 256. */
  gammaEmbedDim: number;
  /** Multiplier of g = 10 − 10γ inside the γ-embedding; the code's 1000 (inherited from LCM's w-embedding). */
  gammaEmbedScale: number;
  /** LCM's w-embedding dimension d_w (0 = off; else even ≥ 4): a student whose guidance w is an input. Default 0. */
  wEmbedDim: number;
  /** Multiplier of w inside the w-embedding (diffusers' `guidance_scale_embedding`: 1000). */
  wEmbedScale: number;
}

export const DEFAULT_MLP: Omit<MlpConfig, 'dim'> = { hidden: 256, blocks: 3, timeEmbedDim: 64, numClasses: 0, gammaEmbedDim: 0, gammaEmbedScale: 1000, wEmbedDim: 0, wEmbedScale: 1000 };

export interface Mlp {
  config: MlpConfig;
  params: ParamSet;
  /**
   * ε̂ for x [B, D] at times t [B]; γ [B] (ignored without a γ-embedding; default 1); labels [B] (default −1);
   * w [B], the per-sample guidance (required with a w-embedding: ArgumentError when missing; ignored without).
   */
  apply(x: tf.Tensor, t: tf.Tensor1D, gamma?: tf.Tensor1D, labels?: tf.Tensor1D | number[], w?: tf.Tensor1D): tf.Tensor2D;
}

function checkConfig(c: MlpConfig): void {
  const ints: (keyof MlpConfig)[] = ['dim', 'hidden', 'blocks', 'timeEmbedDim', 'numClasses', 'gammaEmbedDim', 'wEmbedDim'];
  for (const k of ints) if (!Number.isInteger(c[k]) || c[k] < 0) throw new ArgumentError('makeMlp', k, c[k], 'an integer ≥ 0');
  for (const k of ['dim', 'hidden', 'timeEmbedDim'] as const) if (c[k] < 1) throw new ArgumentError('makeMlp', k, c[k], 'an integer ≥ 1');
  if (c.timeEmbedDim % 2) throw new ArgumentError('makeMlp', 'timeEmbedDim', c.timeEmbedDim, 'an even integer');
  if (c.gammaEmbedDim % 2) throw new ArgumentError('makeMlp', 'gammaEmbedDim', c.gammaEmbedDim, 'an even integer (0 = off)');
  if (!(c.gammaEmbedScale > 0)) throw new ArgumentError('makeMlp', 'gammaEmbedScale', c.gammaEmbedScale, 'a number > 0');
  if (c.wEmbedDim % 2 || c.wEmbedDim === 2) throw new ArgumentError('makeMlp', 'wEmbedDim', c.wEmbedDim, '0 (off) or an even integer ≥ 4');
  if (!(c.wEmbedScale > 0)) throw new ArgumentError('makeMlp', 'wEmbedScale', c.wEmbedScale, 'a number > 0');
}

/** Build an MLP with weights drawn from `rng` (PyTorch's default Linear init). */
export function makeMlp(partial: Partial<MlpConfig> & { dim: number }, rng: Rng): Mlp {
  const config: MlpConfig = { ...DEFAULT_MLP, ...partial };
  checkConfig(config);
  const { dim: D, hidden: H, timeEmbedDim: E, blocks, numClasses, gammaEmbedDim } = config;
  const params: ParamSet = new Map();
  const linear = (name: string, fanIn: number, fanOut: number, bias = true) => linearLayer(params, name, fanIn, fanOut, rng, bias);
  // The time / γ / class path first (lib/nn/conditioning.ts): the same parameter names, order and draws as before.
  const conditioning = makeConditioning(params, { timeEmbedDim: E, timeHidden: H, numClasses, gammaEmbedDim, gammaEmbedScale: config.gammaEmbedScale }, rng, 'Mlp.apply');
  const inProj = linear('in', D, H);
  const blockFns = Array.from({ length: blocks }, (_, i) => ({
    l1: linear(`block${i}.linear1`, H, H),
    lt: linear(`block${i}.time`, H, H),
    l2: linear(`block${i}.linear2`, H, H),
  }));
  const outProj = linear('out', H, D);
  // Last: a network without the w-embedding has exactly the parameters (names, order, draws) it had before.
  const wProj = makeWProjection(params, config, rng, 'Mlp.apply');

  const apply: Mlp['apply'] = (x, t, gamma, labels, w) => {
    const B = x.shape[0];
    if (x.size !== B * D) throw new ShapeError('Mlp.apply', 'x', `[B, ${D}]`, x.shape);
    if (t.shape[0] !== B) throw new ShapeError('Mlp.apply', 't', `[${B}]`, t.shape);
    return tf.tidy(() => {
      const te = conditioning(t, gamma, labels, wProj ? wProj(w, B) : undefined);
      let h = inProj(x.reshape([B, D]) as tf.Tensor2D);
      for (const b of blockFns) {
        const u = b.l1(silu(h)).add(b.lt(silu(te))) as tf.Tensor2D;
        h = h.add(b.l2(silu(u))) as tf.Tensor2D;
      }
      return outProj(silu(h));
    });
  };
  return { config, params, apply };
}
