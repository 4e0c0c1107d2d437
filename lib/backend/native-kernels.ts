/**
 * The `native` backend's kernels: tfjs-backend-wasm with the replacement kernels of ./wasm-kernels.ts, plus, through
 * the splam-native addon (./native.ts): matmul and convolution (forward and both gradients) on oneDNN; GroupNorm
 * (forward and gradient), AdamW and the global gradient norm, sums over leading or middle axes, and vectorised
 * Sin / Cos / SiLU. Everything else (other element-wise ops and reductions, resampling, concat) stays on
 * wasm/XNNPACK. The tensors stay on the wasm heap: the addon reads and writes them in place.
 *
 * Issue 7 measured why: XNNPACK in wasm reaches 25–30 GFLOP/s on one core where a native GEMM reaches ~100 (and ~200
 * on both cores), and matmuls and convolutions were 82–87 % of a U-Net training step (bench/results/engine*.json).
 * oneDNN's convolutions ran 1.5–2× faster than im2col around OpenBLAS SGEMM, which was tried first (README,
 * "The native backend"), and its sgemm matched OpenBLAS, so one library serves both.
 * Each native kernel keeps the wasm kernel it replaces as its fallback for the cases it does not take
 * (kernels/native-*.ts), and is tested against the cpu backend (test/backend/native-kernels.test.ts).
 *
 * Process-level state: kernels are registered under the backend name 'wasm', so a process that loads
 * `native` runs these for every wasm op; registering twice is a no-op.
 */
import * as tf from '@tensorflow/tfjs';
import { makeNativeConv2D, makeNativeConv2DBackpropFilter, makeNativeConv2DBackpropInput, makeNativeFusedConv2D } from './kernels/native-conv.js';
import { ADAMW_KERNEL, SUM_SQUARES_KERNEL } from './kernels/adamw.js';
import { GROUP_NORM_GRAD_KERNEL, GROUP_NORM_KERNEL } from './kernels/group-norm.js';
import { makeNativeAdamW, makeNativeSumSquares } from './kernels/native-adamw.js';
import { makeNativeGroupNorm, makeNativeGroupNormGrad } from './kernels/native-group-norm.js';
import { makeNativeBatchMatMul, makeNativeFusedMatMul } from './kernels/native-matmul.js';
import { makeNativeSum } from './kernels/native-sum.js';
import { makeNativeSilu, makeNativeSiluGrad, makeNativeUnary, SILU_GRAD_KERNEL, SILU_KERNEL } from './kernels/native-unary.js';
import { BackendError } from '../errors.js';
import type { NativeKernels } from './native.js';
import { registerWasmKernels } from './wasm-kernels.js';

/** Native kernels by name; each receives the kernel registered before it as fallback. */
const NATIVE_KERNELS: Record<string, (native: NativeKernels, fallback: tf.KernelFunc) => tf.KernelFunc> = {
  BatchMatMul: makeNativeBatchMatMul,
  _FusedMatMul: makeNativeFusedMatMul,
  Conv2D: makeNativeConv2D,
  FusedConv2D: makeNativeFusedConv2D,
  Conv2DBackpropInput: makeNativeConv2DBackpropInput,
  Conv2DBackpropFilter: makeNativeConv2DBackpropFilter,
  [GROUP_NORM_KERNEL]: makeNativeGroupNorm,
  [GROUP_NORM_GRAD_KERNEL]: makeNativeGroupNormGrad,
  [ADAMW_KERNEL]: makeNativeAdamW,
  [SUM_SQUARES_KERNEL]: makeNativeSumSquares,
  Sum: makeNativeSum,
  Sin: makeNativeUnary('sin'),
  Cos: makeNativeUnary('cos'),
};

/** Kernels only the native backend has (no wasm kernel to fall back on; ops compose them elsewhere). */
const NATIVE_ONLY: Record<string, (native: NativeKernels) => tf.KernelFunc> = {
  [SILU_KERNEL]: makeNativeSilu,
  [SILU_GRAD_KERNEL]: makeNativeSiluGrad,
};

let registered: string[] | undefined;

/**
 * Register the wasm replacement kernels, then the native kernels over them.
 * @returns every kernel name replaced or added on 'wasm' (the wasm replacements' names, then the native ones, marked `(native)`).
 */
export function registerNativeKernels(native: NativeKernels): string[] {
  if (registered) return [...registered];
  const names = registerWasmKernels();
  for (const [kernelName, make] of Object.entries(NATIVE_KERNELS)) {
    const existing = tf.getKernel(kernelName, 'wasm');
    if (!existing) throw new BackendError('native', `tfjs-backend-wasm has no ${kernelName} kernel to fall back on`, 'reinstall @tensorflow/tfjs-backend-wasm 4.22');
    tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({ ...existing, kernelFunc: make(native, existing.kernelFunc) });
    if (!names.includes(kernelName)) names.push(kernelName);
  }
  for (const [kernelName, make] of Object.entries(NATIVE_ONLY)) {
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: make(native) });
    names.push(kernelName);
  }
  registered = names.map((n) => (n in NATIVE_KERNELS || n in NATIVE_ONLY ? `${n} (native)` : n));
  return [...registered];
}
