/**
 * `SplamAdamW` / `SplamSumSquares` on the native backend: the formulas and checks of ./adamw.ts (which documents
 * them; its JS sum of squares stays the fallback for non-float32 inputs) in the splam-native addon (native/src/adamw.cc),
 * vectorised and parallel on large tensors; the JS loops took 11 ms of a 74 ms MLP step (700k parameters).
 */
import * as tf from '@tensorflow/tfjs';
import type { NativeKernels } from '../native.js';
import { checkAdamW, type AdamWAttrs } from './adamw.js';
import { allFloat32, heapF32 as heap, type TensorInputs, type WasmBackendLike } from './wasm-ops.js';

/** The native `SplamAdamW` kernel. */
export function makeNativeAdamW(native: NativeKernels, _fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { param, grad, m, v } = args.inputs as TensorInputs<'param' | 'grad' | 'm' | 'v'>;
    checkAdamW(param, grad, m, v); // the JS kernel's checks: float32 only, so there is nothing to fall back for
    const a = args.attrs as unknown as AdamWAttrs;
    const backend = args.backend as WasmBackendLike;
    const p2 = backend.makeOutput(param.shape, 'float32');
    const m2 = backend.makeOutput(param.shape, 'float32');
    const v2 = backend.makeOutput(param.shape, 'float32');
    native.adamw(
      heap(backend, param), heap(backend, grad), heap(backend, m), heap(backend, v),
      heap(backend, p2), heap(backend, m2), heap(backend, v2),
      [a.lr, a.beta1, a.beta2, a.eps, a.weightDecay, a.scale, a.bc1, a.bc2],
    );
    return [p2, m2, v2];
  };
}

/** The native `SplamSumSquares` kernel. */
export function makeNativeSumSquares(native: NativeKernels, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const xs = Object.keys(args.inputs)
      .sort((p, q) => Number(p.slice(1)) - Number(q.slice(1)))
      .map((k) => args.inputs[k] as tf.TensorInfo);
    if (!allFloat32(...xs)) return fallback(args);
    const backend = args.backend as WasmBackendLike;
    const out = backend.makeOutput([], 'float32');
    heap(backend, out)[0] = native.sumSquares(xs.map((x) => heap(backend, x)));
    return out;
  };
}
