/** Wrap an {@link Mlp} as the callables the solvers and the objective take. */
import * as tf from '@tensorflow/tfjs';
import type { ClassCond } from '../diffusion/guidance.js';
import type { Denoiser, TimeArg } from '../diffusion/types.js';
import type { GammaEpsModel } from '../diffusion/types.js';
import { guidanceTensor } from './eps-net.js';
import type { Mlp } from './mlp.js';

function timeTensor(t: TimeArg, B: number): tf.Tensor1D {
  return typeof t === 'number' ? (tf.fill([B], t) as tf.Tensor1D) : t;
}

/** The network as a teacher denoiser ε̂(x, t, cond) (γ = 1; `cond.w` to a w-embedding, when given). */
export function mlpDenoiser(net: Mlp): Denoiser<ClassCond> {
  return (x, t, cond) =>
    tf.tidy(() => net.apply(x, timeTensor(t, x.shape[0]), undefined, cond?.labels, guidanceTensor(cond)));
}

/** The network as a γ-conditioned student ε_θ(x, t, γ, cond) (`cond.w` to its w-embedding, when given). */
export function mlpGammaModel(net: Mlp): GammaEpsModel<ClassCond> {
  return (x, t, gamma, cond) =>
    cond?.w === undefined ? net.apply(x, t, gamma, cond?.labels) : tf.tidy(() => net.apply(x, t, gamma, cond.labels, guidanceTensor(cond)));
}
