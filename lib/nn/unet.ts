/**
 * A small convolutional ε-prediction U-Net (Ho et al. 2020's DDPM U-Net without attention), NHWC:
 * ε̂(x, t [, γ] [, class] [, w]) for images `[B, H, W, C]`, sized for 28×28×1 pixels and for 7×7×4 autoencoder latents.
 *
 *   temb  = conditioning(t, γ, label [, w])                 (lib/nn/conditioning.ts: the MLP's formulas and names;
 *                                                            w through LCM's w-embedding `time.w_proj` when on)
 *   h     = conv_in(pad(x))                                  3×3, C → C₀
 *   down: level l = 0 … L−1: `resBlocks` ResBlocks → C_l = baseChannels·channelMults[l]; skip_l = h;
 *         then (l < L−1) avg-pool 2×2
 *   mid:  one ResBlock C_{L−1} → C_{L−1}
 *   up:   level l = L−1 … 0: h = concat(h, skip_l); `resBlocks` ResBlocks → C_l; then (l > 0) nearest-neighbour 2×
 *   ε̂     = crop(conv_out(SiLU(GN(h))))                      3×3, C₀ → C
 *   ResBlock(cᵢ → cₒ): r = conv3(SiLU(GN(x))) + dense(SiLU(temb))[:, None, None, :]; r = conv3(SiLU(GN(r)));
 *                      out = (cᵢ = cₒ ? x : conv1×1(x)) + r
 *
 * Odd sizes: L levels halve the image L−1 times, so x is zero-padded at the bottom and right to the next multiple
 * of 2^(L−1) and the output is cropped back (7×7 with two levels: 8×8 → 4×4). 28×28 with three levels needs no
 * padding (28 → 14 → 7). Every parameter is initialised as PyTorch's defaults do (Conv2d/Linear U(±1/√fan_in),
 * GroupNorm γ = 1, β = 0; the class embedding N(0, 1)), so the PyTorch peer (bench/peers/torch_engine.py) builds the
 * same architecture with the same parameter count.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, ShapeError } from '../errors.js';
import type { Rng } from '../data/rng.js';
import { linearLayer, makeConditioning, makeWProjection } from './conditioning.js';
import { silu } from './silu.js';
import { groupNorm } from './groupnorm.js';
import { addParam, convLayer, type ParamSet } from './params.js';

export interface UnetConfig {
  /** Image height H. */
  height: number;
  /** Image width W. */
  width: number;
  /** Image channels C (input and output). */
  channels: number;
  /** Channels C₀ of the first level. Default 32. */
  baseChannels: number;
  /** Channel multiplier per level; its length is the number of levels L. Default [1, 2, 2] (28 → 14 → 7). */
  channelMults: number[];
  /** ResBlocks per level, on the way down and on the way up. Default 1. */
  resBlocks: number;
  /** GroupNorm groups; must divide every level's channels. Default 8. */
  groups: number;
  /** Sinusoidal time-feature dimension E. Default 64. */
  timeEmbedDim: number;
  /** Width T of the time features after the time MLP. Default 128. */
  timeHidden: number;
  /** Classes for a class-conditional model (0 = unconditional). Default 0. */
  numClasses: number;
  /** γ-embedding dimension d_γ (0 = off). SPLAM default 256. Default 0. */
  gammaEmbedDim: number;
  /** Multiplier of g = 10 − 10γ inside the γ-embedding; the official code's 1000. */
  gammaEmbedScale: number;
  /**
   * LCM's w-embedding dimension d_w (0 = off; else even ≥ 4): a per-sample guidance w enters through the bias-free
   * `time.w_proj` (created after every other parameter). Default 0.
   */
  wEmbedDim: number;
  /** Multiplier of w inside the w-embedding (diffusers' `guidance_scale_embedding`: 1000). */
  wEmbedScale: number;
}

export const DEFAULT_UNET: Omit<UnetConfig, 'height' | 'width' | 'channels'> = {
  baseChannels: 32,
  channelMults: [1, 2, 2],
  resBlocks: 1,
  groups: 8,
  timeEmbedDim: 64,
  timeHidden: 128,
  numClasses: 0,
  gammaEmbedDim: 0,
  gammaEmbedScale: 1000,
  wEmbedDim: 0,
  wEmbedScale: 1000,
};

export interface Unet {
  config: UnetConfig;
  params: ParamSet;
  /** Height and width the network computes on: H and W rounded up to a multiple of 2^(L−1). */
  padded: { height: number; width: number };
  /**
   * ε̂ for x `[B, H, W, C]` at DDPM times t `[B]`; γ `[B]` (ignored without a γ-embedding; default 1);
   * labels `[B]` (default −1, the null label); w `[B]` the per-sample guidance (required with a w-embedding, ignored
   * without). Returns `[B, H, W, C]`.
   * @throws ShapeError for x, t, γ, labels or w of the wrong shape; ArgumentError for a label outside
   *   [−1, numClasses−1], or for a missing w when wEmbedDim > 0.
   */
  apply(x: tf.Tensor, t: tf.Tensor1D, gamma?: tf.Tensor1D, labels?: tf.Tensor1D | number[], w?: tf.Tensor1D): tf.Tensor4D;
}

const FN = 'makeUnet';

function checkConfig(c: UnetConfig): void {
  const positive = ['height', 'width', 'channels', 'baseChannels', 'resBlocks', 'groups', 'timeEmbedDim', 'timeHidden'] as const;
  for (const k of positive) if (!Number.isInteger(c[k]) || c[k] < 1) throw new ArgumentError(FN, k, c[k], 'an integer ≥ 1');
  for (const k of ['numClasses', 'gammaEmbedDim'] as const) if (!Number.isInteger(c[k]) || c[k] < 0) throw new ArgumentError(FN, k, c[k], 'an integer ≥ 0');
  if (c.timeEmbedDim % 2) throw new ArgumentError(FN, 'timeEmbedDim', c.timeEmbedDim, 'an even integer');
  if (c.gammaEmbedDim % 2) throw new ArgumentError(FN, 'gammaEmbedDim', c.gammaEmbedDim, 'an even integer (0 = off)');
  if (!(c.gammaEmbedScale > 0)) throw new ArgumentError(FN, 'gammaEmbedScale', c.gammaEmbedScale, 'a number > 0');
  if (!Number.isInteger(c.wEmbedDim) || c.wEmbedDim < 0 || c.wEmbedDim % 2 || c.wEmbedDim === 2) {
    throw new ArgumentError(FN, 'wEmbedDim', c.wEmbedDim, '0 (off) or an even integer ≥ 4');
  }
  if (!(c.wEmbedScale > 0)) throw new ArgumentError(FN, 'wEmbedScale', c.wEmbedScale, 'a number > 0');
  if (!Array.isArray(c.channelMults) || c.channelMults.length < 1 || c.channelMults.some((m) => !Number.isInteger(m) || m < 1)) {
    throw new ArgumentError(FN, 'channelMults', c.channelMults, 'a non-empty array of integers ≥ 1 (one per level)');
  }
  c.channelMults.forEach((m, l) => {
    if ((c.baseChannels * m) % c.groups !== 0) {
      throw new ArgumentError(FN, 'groups', c.groups, `a divisor of every level's channels (level ${l} has ${c.baseChannels * m})`);
    }
  });
}

/** Round n up to a multiple of m. */
const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;

/** Build a U-Net with weights drawn from `rng` (PyTorch's default initialisation). @throws ArgumentError for a bad config. */
export function makeUnet(partial: Partial<UnetConfig> & Pick<UnetConfig, 'height' | 'width' | 'channels'>, rng: Rng): Unet {
  const config: UnetConfig = { ...DEFAULT_UNET, ...partial };
  checkConfig(config);
  const { height: H, width: W, channels: C, baseChannels, channelMults, resBlocks, groups, timeHidden: T } = config;
  const L = channelMults.length;
  const padded = { height: roundUp(H, 2 ** (L - 1)), width: roundUp(W, 2 ** (L - 1)) };
  const params: ParamSet = new Map();

  const conv = (name: string, k: number, ci: number, co: number) => convLayer(params, name, k, ci, co, rng);
  const norm = (name: string, ch: number) => {
    const gamma = addParam(params, `${name}.gamma`, [ch], new Float32Array(ch).fill(1)) as tf.Variable<tf.Rank.R1>;
    const beta = addParam(params, `${name}.beta`, [ch], new Float32Array(ch)) as tf.Variable<tf.Rank.R1>;
    return (x: tf.Tensor4D) => groupNorm(x, gamma, beta, groups);
  };
  const resBlock = (name: string, ci: number, co: number) => {
    const norm1 = norm(`${name}.norm1`, ci);
    const conv1 = conv(`${name}.conv1`, 3, ci, co);
    const time = linearLayer(params, `${name}.time`, T, co, rng);
    const norm2 = norm(`${name}.norm2`, co);
    const conv2 = conv(`${name}.conv2`, 3, co, co);
    const shortcut = ci !== co ? conv(`${name}.skip`, 1, ci, co) : undefined;
    return (x: tf.Tensor4D, embAct: tf.Tensor2D): tf.Tensor4D => {
      const B = x.shape[0];
      let r = conv1(silu(norm1(x)));
      r = tf.add(r, tf.reshape(time(embAct), [B, 1, 1, co]));
      r = conv2(silu(norm2(r)));
      return tf.add(shortcut ? shortcut(x) : x, r);
    };
  };

  const conditioning = makeConditioning(params, config, rng, 'Unet.apply');
  const chans = channelMults.map((m) => baseChannels * m);
  const convIn = conv('conv_in', 3, C, chans[0]);
  const down = chans.map((co, l) =>
    Array.from({ length: resBlocks }, (_, r) => resBlock(`down${l}.res${r}`, r === 0 ? (l === 0 ? chans[0] : chans[l - 1]) : co, co)),
  );
  const mid = resBlock('mid.res', chans[L - 1], chans[L - 1]);
  const up = new Array<ReturnType<typeof resBlock>[]>(L);
  for (let l = L - 1; l >= 0; l--) {
    const below = l === L - 1 ? chans[L - 1] : chans[l + 1];
    up[l] = Array.from({ length: resBlocks }, (_, r) => resBlock(`up${l}.res${r}`, r === 0 ? below + chans[l] : chans[l], chans[l]));
  }
  const normOut = norm('out.norm', chans[0]);
  const convOut = conv('out.conv', 3, chans[0], C);
  // Last: a network without the w-embedding has exactly the parameters (names, order, draws) it had before.
  const wProj = makeWProjection(params, config, rng, 'Unet.apply');

  const apply: Unet['apply'] = (x, t, gamma, labels, w) => {
    const B = x.shape[0];
    if (x.size !== B * H * W * C) throw new ShapeError('Unet.apply', 'x', `[B, ${H}, ${W}, ${C}]`, x.shape);
    if (t.shape[0] !== B || t.rank !== 1) throw new ShapeError('Unet.apply', 't', `[${B}]`, t.shape);
    return tf.tidy(() => {
      const embAct = silu(conditioning(t, gamma, labels, wProj?.(w, B)));
      let h = tf.reshape(x, [B, H, W, C]) as tf.Tensor4D;
      if (padded.height !== H || padded.width !== W) {
        h = tf.pad(h, [[0, 0], [0, padded.height - H], [0, padded.width - W], [0, 0]]);
      }
      h = convIn(h);
      const skips: tf.Tensor4D[] = [];
      for (let l = 0; l < L; l++) {
        for (const block of down[l]) h = block(h, embAct);
        skips.push(h);
        if (l < L - 1) h = tf.avgPool(h, 2, 2, 'valid');
      }
      h = mid(h, embAct);
      for (let l = L - 1; l >= 0; l--) {
        h = tf.concat([h, skips[l]], 3);
        for (const block of up[l]) h = block(h, embAct);
        if (l > 0) h = upsampleNearest(h);
      }
      h = convOut(silu(normOut(h)));
      if (padded.height !== H || padded.width !== W) h = tf.slice(h, [0, 0, 0, 0], [B, H, W, C]);
      return h;
    });
  };
  return { config, params, padded, apply };
}

/** Nearest-neighbour 2× upsampling `[B, h, w, c]` → `[B, 2h, 2w, c]`. */
function upsampleNearest(x: tf.Tensor4D): tf.Tensor4D {
  const [, h, w] = x.shape;
  return tf.image.resizeNearestNeighbor(x, [2 * h, 2 * w]);
}
