/**
 * Group normalisation (Wu & He 2018) for NHWC tensors, as PyTorch's `nn.GroupNorm(G, C, eps=1e-5)`:
 * channels are split into G contiguous groups; each (sample, group) is normalised by its own mean and (biased)
 * variance over H·W·C/G values, then scaled and shifted per channel: y = γ_c·(x − μ_{b,g})/√(σ²_{b,g} + ε) + β_c.
 *
 * Where the backend has splam-lab's fused GroupNorm kernels (wasm, registered by lib/backend/wasm-kernels.ts) the
 * forward and gradient are one kernel each, joined by tf.customGrad; elsewhere the same formula is composed from tfjs
 * ops and differentiated by tfjs (about 3× slower for forward + backward on wasm at U-Net sizes; see
 * lib/backend/kernels/group-norm.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { activeBackendHas } from '../backend.js';
import { GROUP_NORM_GRAD_KERNEL, GROUP_NORM_KERNEL } from '../backend/kernels/group-norm.js';

/** PyTorch's default ε for GroupNorm. */
export const GROUP_NORM_EPS = 1e-5;

/**
 * @param x `[B, H, W, C]`, C divisible by `groups` (the caller checks)
 * @param gamma `[C]` scale; @param beta `[C]` shift
 * @returns `[B, H, W, C]`
 */
export function groupNorm(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, groups: number, eps = GROUP_NORM_EPS): tf.Tensor4D {
  return hasFusedGroupNorm() ? fusedGroupNorm(x, gamma, beta, groups, eps) : composedGroupNorm(x, gamma, beta, groups, eps);
}

/** Whether the active backend has the fused GroupNorm kernels. */
export function hasFusedGroupNorm(): boolean {
  return activeBackendHas(GROUP_NORM_KERNEL, GROUP_NORM_GRAD_KERNEL);
}

/** GroupNorm composed from tfjs ops (any backend; the reference the fused kernels are tested against). */
export function composedGroupNorm(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, groups: number, eps = GROUP_NORM_EPS): tf.Tensor4D {
  return tf.tidy(() => {
    const [B, H, W, C] = x.shape;
    const g = tf.reshape(x, [B, H * W, groups, C / groups]);
    const { mean, variance } = tf.moments(g, [1, 3], true);
    const normed = tf.mul(tf.sub(g, mean), tf.rsqrt(tf.add(variance, eps)));
    return tf.add(tf.mul(tf.reshape(normed, [B, H, W, C]), gamma), beta) as tf.Tensor4D;
  });
}

function fusedGroupNorm(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, groups: number, epsilon: number): tf.Tensor4D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, gi, bi] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    const [y, mean, rstd] = tf.engine().runKernel(GROUP_NORM_KERNEL, { x: xi, gamma: gi, beta: bi }, { groups, epsilon } as unknown as tf.NamedAttrMap) as tf.Tensor[];
    save([xi, gi, mean, rstd]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, gs, ms, rs] = saved;
        return tf.engine().runKernel(GROUP_NORM_GRAD_KERNEL, { dy, x: xs, gamma: gs, mean: ms, rstd: rs }, { groups } as unknown as tf.NamedAttrMap) as tf.Tensor[];
      },
    };
  });
  return op(x, gamma, beta) as tf.Tensor4D;
}
