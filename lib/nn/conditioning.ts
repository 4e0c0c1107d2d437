/**
 * The conditioning path shared by the convolutional denoisers: time features (+ SPLAM's γ-embedding) through a
 * two-layer MLP, plus an optional class embedding. The same formulas and parameter names as the MLP's
 * (`lib/nn/mlp.ts`), so a U-Net and an MLP agree on what `time.*`, `class_embedding` mean:
 *
 *   temb₀ = timeEmbedding(t, E)  (+ cond_proj(gammaEmbedding(γ)) when d_γ > 0: bias-free linear d_γ → E, diffusers'
 *           TimestepEmbedding `time_cond_proj_dim`, as in SPLAM's code:
 *           MCG-NJU/SPLAM@dc442bf:splam/train_splam_distill_sd_wds.py:858-864)
 *           (+ w_proj(wEmbedding(w)) when d_w > 0: LCM's w-embedding, a bias-free linear d_w → E; see {@link makeWProjection})
 *   temb  = W₂·SiLU(W₁·temb₀)  (+ class_embedding[label + 1] when numClasses > 0; row 0 is the null label −1)
 *
 * The class embedding is looked up by a one-hot matmul, not tf.gather: gather's gradient (UnsortedSegmentSum) has
 * no wasm kernel in tfjs 4.22.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, ShapeError } from '../errors.js';
import type { Rng } from '../data/rng.js';
import { gammaEmbedding, timeEmbedding, wEmbedding } from './embeddings.js';
import { silu } from './silu.js';
import { addParam, type ParamSet, uniformInit } from './params.js';

export interface ConditioningConfig {
  /** Sinusoidal time-feature dimension E (even). */
  timeEmbedDim: number;
  /** Width T of the time features after the MLP. */
  timeHidden: number;
  /** Classes (0 = unconditional). */
  numClasses: number;
  /** γ-embedding dimension d_γ (0 = off; even). */
  gammaEmbedDim: number;
  /** Multiplier of g = 10 − 10γ inside the γ-embedding (1000 in the official code). */
  gammaEmbedScale: number;
  /** LCM's w-embedding dimension d_w (0 = off; else even ≥ 4). Optional: absent = 0. */
  wEmbedDim?: number;
  /** Multiplier of w inside the w-embedding (diffusers' `guidance_scale_embedding`: 1000). Optional: absent = 1000. */
  wEmbedScale?: number;
}

/** A dense layer x [B, fanIn] → [B, fanOut] with PyTorch's default init, registered in `params` under `name`. */
export function linearLayer(params: ParamSet, name: string, fanIn: number, fanOut: number, rng: Rng, bias = true) {
  const w = addParam(params, `${name}.weight`, [fanIn, fanOut], uniformInit([fanIn, fanOut], fanIn, rng)) as tf.Variable<tf.Rank.R2>;
  const b = bias ? addParam(params, `${name}.bias`, [fanOut], uniformInit([fanOut], fanIn, rng)) : undefined;
  // The bias rides in the matmul (one kernel; on the native backend added inside the GEMM call).
  return (x: tf.Tensor2D): tf.Tensor2D => (b ? (tf.fused.matMul({ a: x, b: w, bias: b }) as tf.Tensor2D) : tf.matMul(x, w));
}

/**
 * Class labels as a plain array of length B, each checked to lie in [−1, numClasses − 1].
 * @throws ShapeError for a wrong length; ArgumentError naming `labels[i]` for a bad label.
 */
export function checkLabels(fn: string, labels: tf.Tensor1D | number[] | undefined, B: number, numClasses: number): number[] {
  const lab = labels === undefined ? new Array<number>(B).fill(-1) : Array.isArray(labels) ? labels : Array.from(labels.dataSync());
  if (lab.length !== B) throw new ShapeError(fn, 'labels', `[${B}]`, [lab.length]);
  lab.forEach((l, i) => {
    if (!(Number.isInteger(l) && l >= -1 && l < numClasses)) throw new ArgumentError(fn, `labels[${i}]`, l, `an integer in [−1, ${numClasses - 1}]`);
  });
  return lab;
}

/**
 * LCM's w-conditioning of the time features: creates the bias-free linear `time.w_proj` (d_w → E) in `params`, and
 * returns w [B] → w_proj(wEmbedding(w, d_w, scale)) [B, E], the term added to temb₀ beside the γ-projection
 * (diffusers' `TimestepEmbedding.cond_proj` fed with `guidance_scale_embedding(w)` in
 * `examples/consistency_distillation/train_lcm_distill_sd_wds.py`). Returns undefined when d_w = 0 (nothing created).
 * Call it after every other parameter of the network is created, so that a network without the w-embedding and
 * one with it share every other parameter's name, order and random draws (existing checkpoints load unchanged).
 * The returned function throws ArgumentError (naming `w`) when w is missing and ShapeError when it is not [B].
 */
export function makeWProjection(params: ParamSet, c: { timeEmbedDim: number; wEmbedDim?: number; wEmbedScale?: number }, rng: Rng, fn: string) {
  const dim = c.wEmbedDim ?? 0;
  if (dim === 0) return undefined;
  const proj = linearLayer(params, 'time.w_proj', dim, c.timeEmbedDim, rng, false);
  const scale = c.wEmbedScale ?? 1000;
  return (w: tf.Tensor1D | undefined, B: number): tf.Tensor2D => {
    if (w === undefined) throw new ArgumentError(fn, 'w', w, `a per-sample guidance w [${B}] (the network has a w-embedding, wEmbedDim = ${dim})`);
    if (w.rank !== 1 || w.shape[0] !== B) throw new ShapeError(fn, 'w', `[${B}]`, w.shape);
    return proj(wEmbedding(w, dim, scale));
  };
}

/**
 * Build the conditioning path; its parameters are added to `params` (names `time.linear1`, `time.linear2`,
 * `time.cond_proj` when d_γ > 0, `class_embedding` when numClasses > 0).
 * @returns temb(t [B], γ [B] | undefined (= 1), labels [B] | undefined (= −1), extra [B, E] | undefined) → [B, T],
 *   where `extra` is added to temb₀ before the time MLP (the w-projection of {@link makeWProjection}); call inside
 *   tf.tidy.
 */
export function makeConditioning(params: ParamSet, c: ConditioningConfig, rng: Rng, fn: string) {
  const { timeEmbedDim: E, timeHidden: T, numClasses, gammaEmbedDim } = c;
  const time1 = linearLayer(params, 'time.linear1', E, T, rng);
  const time2 = linearLayer(params, 'time.linear2', T, T, rng);
  const condProj = gammaEmbedDim > 0 ? linearLayer(params, 'time.cond_proj', gammaEmbedDim, E, rng, false) : undefined;
  const classEmb =
    numClasses > 0
      ? (addParam(params, 'class_embedding', [numClasses + 1, T], Float32Array.from(rng.normalArray((numClasses + 1) * T))) as tf.Variable<tf.Rank.R2>)
      : undefined;
  return (t: tf.Tensor1D, gamma: tf.Tensor1D | undefined, labels: tf.Tensor1D | number[] | undefined, extra?: tf.Tensor2D): tf.Tensor2D => {
    const B = t.shape[0];
    let temb = timeEmbedding(t, E);
    if (condProj) {
      const g = gamma ?? (tf.ones([B]) as tf.Tensor1D);
      if (g.shape[0] !== B) throw new ShapeError(fn, 'gamma', `[${B}]`, g.shape);
      temb = tf.add(temb, condProj(gammaEmbedding(g, gammaEmbedDim, c.gammaEmbedScale)));
    }
    if (extra) temb = tf.add(temb, extra);
    let te = time2(silu(time1(temb)));
    if (classEmb) {
      const lab = checkLabels(fn, labels, B, numClasses);
      const oneHot = tf.oneHot(tf.tensor1d(lab.map((l) => l + 1), 'int32'), numClasses + 1).toFloat() as tf.Tensor2D;
      te = tf.add(te, tf.matMul(oneHot, classEmb));
    }
    return te;
  };
}
