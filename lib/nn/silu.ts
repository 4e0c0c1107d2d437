/**
 * SiLU (x·σ(x), Elfwing et al. 2018; PyTorch's `nn.SiLU`), the activation of the MLP, the U-Net and the autoencoder.
 *
 * On the native backend it is one kernel forward and one backward (`SplamSilu`, `SplamSiluGrad`:
 * backend/kernels/native-unary.ts); elsewhere it is composed from tfjs ops, which is also the reference the kernels
 * are tested against (test/backend/native-kernels.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { activeBackendHas } from '../backend.js';
import { SILU_GRAD_KERNEL, SILU_KERNEL } from '../backend/kernels/native-unary.js';

/** x·σ(x), element-wise; the gradient is dy·σ(x)·(1 + x·(1 − σ(x))). */
export function silu<T extends tf.Tensor>(x: T): T {
  return hasFusedSilu() ? (fusedSilu(x) as T) : composedSilu(x);
}

/** SiLU composed from tfjs ops (any backend). */
export function composedSilu<T extends tf.Tensor>(x: T): T {
  return tf.mul(x, tf.sigmoid(x));
}

/** Whether the active backend has the fused SiLU kernels. */
export function hasFusedSilu(): boolean {
  return activeBackendHas(SILU_KERNEL, SILU_GRAD_KERNEL);
}

const fusedSilu = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const x = args[0] as tf.Tensor;
  const save = args[1] as tf.GradSaveFunc;
  save([x]);
  return {
    value: tf.engine().runKernel(SILU_KERNEL, { x }, {}) as tf.Tensor,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.engine().runKernel(SILU_GRAD_KERNEL, { dy, x: saved[0] }, {}) as tf.Tensor,
  };
});
