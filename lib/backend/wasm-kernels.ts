/**
 * Replacement kernels for @tensorflow/tfjs-backend-wasm 4.22 (measured: bench/results/kernels.json). Stock wasm
 * - cannot train convolutions: `Conv2DBackpropFilter`, `DepthwiseConv2dNativeBackpropInput` and
 *   `DepthwiseConv2dNativeBackpropFilter` are not registered;
 * - runs every transposed matmul, hence every matmul gradient, in a scalar loop 13–70× slower than XNNPACK;
 * - runs `Conv2DBackpropInput` (the conv2d input gradient and `conv2dTranspose`) as a naive loop.
 *
 * Each replacement composes stock XNNPACK-backed kernels (Conv2D, DepthwiseConv2dNative, BatchMatMul) with cheap
 * layout kernels (Transpose, Reverse, PadV2, Reshape, Slice, StridedSlice, Sum) and frees its intermediates; see
 * `kernels/*.ts` for the formulas. Every case tfjs can express is computed (tested against the cpu backend). The
 * cases that stay slow keep a correct path: a batched matmul that broadcasts between two batched operands, or whose
 * per-entry product is tiny, uses the stock loop; the depthwise filter gradient runs XNNPACK's depthwise convolution
 * with a kernel as large as the image, ~10× the forward time (still far from dominating a step).
 *
 * A per-kernel profile of U-Net training steps (bench/engine.ts) added (each in `kernels/`, each tested against the
 * cpu backend):
 * - `Identity` (tfjs clones every tensor a gradient keeps) shares the data instead of copying it, and so does `Cast`
 *   to the dtype a tensor already has (tfjs's gradients cast their saved inputs);
 * - `Sum` over leading axes (every bias gradient) as one XNNPACK average pooling instead of a transpose and a sum;
 * - `SplitV` (the gradient of concat, i.e. of every skip connection) as heap block copies;
 * - `AvgPoolGrad` / `ResizeNearestNeighborGrad` for integer factors as each other's XNNPACK forward kernels;
 * - `SplamGroupNorm` / `SplamGroupNormGrad`, new kernels (tfjs has no GroupNorm op) used by lib/nn/groupnorm.ts;
 * - `SplamAdamW` / `SplamSumSquares`, new kernels: one AdamW update per parameter tensor and the gradients' global
 *   squared norm in one call, used by lib/train/adam.ts (kernels/adamw.ts).
 *
 * Like `../backend.ts`, this module holds process-level state: the kernel registry is global, so
 * registering twice must be a no-op.
 */
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs';
import { ADAMW_KERNEL, makeAdamW, makeSumSquares, SUM_SQUARES_KERNEL } from './kernels/adamw.js';
import { makeBatchMatMul, makeFusedMatMul } from './kernels/batch-mat-mul.js';
import { makeConv2DBackpropFilter } from './kernels/conv2d-backprop-filter.js';
import { makeConv2DBackpropInput } from './kernels/conv2d-backprop-input.js';
import { makeDepthwiseBackpropFilter, makeDepthwiseBackpropInput } from './kernels/depthwise-backprop.js';
import { GROUP_NORM_GRAD_KERNEL, GROUP_NORM_KERNEL, makeGroupNorm, makeGroupNormGrad } from './kernels/group-norm.js';
import { makeCast, makeIdentity } from './kernels/identity.js';
import { makeAvgPoolGrad, makeResizeNearestNeighborGrad } from './kernels/resample-grad.js';
import { makeSplitV } from './kernels/split.js';
import { makeSum } from './kernels/sum.js';
import { captureStockKernels, type StockKernels } from './kernels/wasm-ops.js';

/** Replacement kernels by name, each built from the captured stock kernels. */
const REPLACEMENTS: Record<string, (stock: StockKernels) => tf.KernelFunc> = {
  BatchMatMul: makeBatchMatMul,
  _FusedMatMul: makeFusedMatMul,
  Conv2DBackpropInput: makeConv2DBackpropInput,
  Conv2DBackpropFilter: makeConv2DBackpropFilter,
  DepthwiseConv2dNativeBackpropInput: makeDepthwiseBackpropInput,
  DepthwiseConv2dNativeBackpropFilter: makeDepthwiseBackpropFilter,
  Sum: makeSum,
  Identity: makeIdentity,
  Cast: makeCast,
  SplitV: makeSplitV,
  AvgPoolGrad: makeAvgPoolGrad,
  ResizeNearestNeighborGrad: makeResizeNearestNeighborGrad,
  [GROUP_NORM_KERNEL]: makeGroupNorm,
  [GROUP_NORM_GRAD_KERNEL]: makeGroupNormGrad,
  [ADAMW_KERNEL]: makeAdamW,
  [SUM_SQUARES_KERNEL]: makeSumSquares,
};

/** Names registered by the first call; later calls return them unchanged. */
let registered: string[] | undefined;

/**
 * Register the replacement kernels on the 'wasm' backend, replacing stock ones where they exist. Call after
 * importing tfjs-backend-wasm and before (or after) `tf.setBackend('wasm')`: a replaced kernel keeps the stock
 * kernel's `setupFunc`, which the engine runs when the backend is (re)activated.
 * Idempotent: a second call registers nothing and returns the same names.
 * @returns names of the kernels registered.
 * @throws BackendError when a stock wasm kernel the replacements build on is missing.
 */
export function registerWasmKernels(): string[] {
  if (registered) return [...registered];
  const stock = captureStockKernels();
  const names: string[] = [];
  for (const [kernelName, make] of Object.entries(REPLACEMENTS)) {
    const existing = tf.getKernel(kernelName, 'wasm');
    if (existing) tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({
      kernelName,
      backendName: 'wasm',
      kernelFunc: make(stock),
      setupFunc: existing?.setupFunc,
      disposeFunc: existing?.disposeFunc,
    });
    names.push(kernelName);
  }
  registered = names;
  return [...names];
}
