/**
 * Element-wise kernels of the native backend, through the splam-native addon (native/src/elementwise.cc, glibc's
 * vector sinf / cosf / expf), on the wasm heap:
 * - `Sin` and `Cos`: stock wasm evaluates them one scalar at a time, ~40 ns per value on the sinusoidal embeddings'
 *   arguments (lib/nn/embeddings.ts; γ's reach 10⁴), 11 ms of a 75 ms MLP training step in a per-kernel
 *   profile (bench/engine.ts).
 *   Non-float32 inputs go to the stock kernel.
 * - `SplamSilu` / `SplamSiluGrad` (new; lib/nn/silu.ts): x·σ(x) and its gradient dy·σ(x)·(1 + x·(1 − σ(x))) in one
 *   pass each, where the composed op runs Sigmoid and Multiply forward and five kernels backward (~16 % of a pixel
 *   U-Net step).
 */
import * as tf from '@tensorflow/tfjs';
import type { NativeKernels } from '../native.js';
import { ArgumentError, ShapeError } from '../../errors.js';
import { heapF32 as heap, type TensorInputs, type WasmBackendLike } from './wasm-ops.js';

export const SILU_KERNEL = 'SplamSilu';
export const SILU_GRAD_KERNEL = 'SplamSiluGrad';

function checkFloat(kernel: string, name: string, t: tf.TensorInfo): void {
  if (t.dtype !== 'float32') throw new ArgumentError(kernel, name, t.dtype, 'float32');
}

/** The native `SplamSilu` kernel: x → x·σ(x). */
export function makeNativeSilu(native: NativeKernels): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as TensorInputs<'x'>;
    checkFloat(SILU_KERNEL, 'x', x);
    const backend = args.backend as WasmBackendLike;
    const y = backend.makeOutput(x.shape, 'float32');
    native.silu(heap(backend, x), heap(backend, y));
    return y;
  };
}

/** The native `SplamSiluGrad` kernel: dy, x → dx. */
export function makeNativeSiluGrad(native: NativeKernels): tf.KernelFunc {
  return (args) => {
    const { dy, x } = args.inputs as TensorInputs<'dy' | 'x'>;
    checkFloat(SILU_GRAD_KERNEL, 'dy', dy);
    checkFloat(SILU_GRAD_KERNEL, 'x', x);
    if (dy.shape.length !== x.shape.length || dy.shape.some((v, i) => v !== x.shape[i])) {
      throw new ShapeError(SILU_GRAD_KERNEL, 'dy', `[${x.shape.join(', ')}] (x's shape)`, dy.shape);
    }
    const backend = args.backend as WasmBackendLike;
    const dx = backend.makeOutput(x.shape, 'float32');
    native.siluGrad(heap(backend, dy), heap(backend, x), heap(backend, dx));
    return dx;
  };
}

/** A native unary kernel for `fn` (`sin` or `cos`), with the stock kernel as fallback. */
export function makeNativeUnary(fn: 'sin' | 'cos'): (native: NativeKernels, fallback: tf.KernelFunc) => tf.KernelFunc {
  return (native, fallback) => (args) => {
    const { x } = args.inputs as TensorInputs<'x'>;
    if (x.dtype !== 'float32') return fallback(args);
    const backend = args.backend as WasmBackendLike;
    const y = backend.makeOutput(x.shape, 'float32');
    native[fn](heap(backend, x), heap(backend, y));
    return y;
  };
}
