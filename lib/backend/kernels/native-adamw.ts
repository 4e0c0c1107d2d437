/**
 * `SplamAdamW` / `SplamSumSquares` on the native backend: the formulas of ./adamw.ts (which documents them, and
 * whose JS loops stay the fallback for non-float32 inputs) in the splam-native addon (native/src/adamw.cc),
 * vectorised and parallel on large tensors; the JS loops took 11 ms of a 74 ms MLP step (700k parameters).
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../../errors.js';
import type { NativeKernels } from '../native.js';
import { ADAMW_KERNEL, type AdamWAttrs } from './adamw.js';
import type { TensorInputs, WasmBackendLike } from './wasm-ops.js';

const heap = (backend: WasmBackendLike, t: tf.TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;
const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/** The native `SplamAdamW` kernel. */
export function makeNativeAdamW(native: NativeKernels, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { param, grad, m, v } = args.inputs as TensorInputs<'param' | 'grad' | 'm' | 'v'>;
    if ([param, grad, m, v].some((t) => t.dtype !== 'float32')) return fallback(args); // it names the input at fault
    for (const [name, t] of [['grad', grad], ['m', m], ['v', v]] as const) {
      if (!sameShape(t.shape, param.shape)) throw new ShapeError(ADAMW_KERNEL, name, `[${param.shape.join(', ')}] (the parameter's shape)`, t.shape);
    }
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
    if (xs.some((x) => x.dtype !== 'float32')) return fallback(args);
    const backend = args.backend as WasmBackendLike;
    const out = backend.makeOutput([], 'float32');
    heap(backend, out)[0] = native.sumSquares(xs.map((x) => heap(backend, x)));
    return out;
  };
}
