/**
 * `Sum` on the native backend over a contiguous run of axes — leading ones (every bias gradient) or middle ones
 * (the gradient of a per-channel add broadcast over H and W, as the U-Net's time embedding is) — as one pass of the
 * splam-native addon (native/src/reduce.cc: float64 accumulation, parallel, independent of the thread count). Stock
 * wasm transposes first for any reduction but the innermost axes (3.3 ms for `[64, 28, 28, 32]` over axes 1–2).
 * Every other reduction (innermost or scattered axes, non-float32) goes to the wasm replacement of ./sum.ts.
 */
import * as tf from '@tensorflow/tfjs';
import type { NativeKernels } from '../native.js';
import { heapF32, type TensorInputs, type WasmBackendLike } from './wasm-ops.js';

/**
 * The view [outer, mid, inner] of `shape` when `axes` are exactly the contiguous run i … j (not reaching the last
 * axis), else undefined.
 * @param axes normalised (non-negative) axes, any order, possibly repeated
 */
export function contiguousRun(shape: readonly number[], axes: readonly number[]): [number, number, number] | undefined {
  const sorted = [...new Set(axes)].sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const i = sorted[0];
  const j = sorted[sorted.length - 1];
  if (j - i + 1 !== sorted.length || j >= shape.length - 1) return undefined;
  const prod = (from: number, to: number) => shape.slice(from, to).reduce((p, v) => p * v, 1);
  return [prod(0, i), prod(i, j + 1), prod(j + 1, shape.length)];
}

/** The native `Sum` kernel. */
export function makeNativeSum(native: NativeKernels, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as TensorInputs<'x'>;
    const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
    const axes = tf.util.parseAxisParam(axis, x.shape);
    const view = x.dtype === 'float32' ? contiguousRun(x.shape, axes) : undefined;
    if (!view || view.some((d) => d === 0)) return fallback(args);
    const reduced = new Set(axes);
    const outShape = keepDims ? x.shape.map((d, i) => (reduced.has(i) ? 1 : d)) : x.shape.filter((_, i) => !reduced.has(i));
    const backend = args.backend as WasmBackendLike;
    const y = backend.makeOutput(outShape, 'float32');
    native.sumMid(heapF32(backend, x), heapF32(backend, y), view);
    return y;
  };
}
