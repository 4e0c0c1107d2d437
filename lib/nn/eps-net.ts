/**
 * Any ε-prediction network with the shared `apply(x, t, γ, labels, w)` signature (the MLP of lib/nn/mlp.ts, the
 * U-Net of lib/nn/unet.ts) as the callables the solvers, the guidance wrapper and the SPLAM objective take.
 */
import * as tf from '@tensorflow/tfjs';
import { guided, type ClassCond, type GuidanceConvention } from '../diffusion/guidance.js';
import type { Denoiser, TimeArg } from '../diffusion/types.js';
import type { GammaEpsModel } from '../diffusion/types.js';

/** A network ε̂(x [B, …], t [B], γ [B] | undefined, labels [B] | undefined, w [B] | undefined) → [B, …]. */
export interface EpsNet {
  apply(x: tf.Tensor, t: tf.Tensor1D, gamma?: tf.Tensor1D, labels?: tf.Tensor1D | number[], w?: tf.Tensor1D): tf.Tensor;
}

function timeTensor(t: TimeArg, B: number): tf.Tensor1D {
  return typeof t === 'number' ? (tf.fill([B], t) as tf.Tensor1D) : t;
}

/**
 * The per-sample guidance `cond.w` as a tensor [B] for a network's w-embedding (undefined when absent). Call inside
 * tf.tidy.
 */
export function guidanceTensor(cond: ClassCond | undefined): tf.Tensor1D | undefined {
  return cond?.w === undefined ? undefined : tf.tensor1d(cond.w);
}

/** The network as a denoiser ε̂(x, t, cond) at γ = 1 (labels from `cond`, −1 = unconditional; `cond.w` passed on). */
export function netDenoiser(net: EpsNet): Denoiser<ClassCond> {
  return (x, t, cond) => tf.tidy(() => net.apply(x, timeTensor(t, x.shape[0]), undefined, cond?.labels, guidanceTensor(cond)));
}

/**
 * The class-conditional network guided with a fixed w (lib/diffusion/guidance.ts: `lcm` ε̂ = ε_c + w·(ε_c − ε_u),
 * the SPLAM code's convention), or per sample with `cond.w` when given (LCM's training). w = 0 in the `lcm`
 * convention without `cond.w` is the conditional network alone: one call, not two.
 */
export function guidedNetDenoiser(net: EpsNet, w: number, convention: GuidanceConvention = 'lcm'): Denoiser<ClassCond> {
  const raw = netDenoiser(net);
  const g = guided(raw, w, convention);
  if (!(convention === 'lcm' && w === 0)) return g;
  return (x, t, cond) => (cond?.w === undefined ? raw(x, t, cond) : g(x, t, cond));
}

/** The network as a γ-conditioned student ε_θ(x, t, γ, cond) (`cond.w` to its w-embedding, when given). */
export function netGammaModel(net: EpsNet): GammaEpsModel<ClassCond> {
  return (x, t, gamma, cond) =>
    cond?.w === undefined ? net.apply(x, t, gamma, cond?.labels) : tf.tidy(() => net.apply(x, t, gamma, cond.labels, guidanceTensor(cond)));
}
