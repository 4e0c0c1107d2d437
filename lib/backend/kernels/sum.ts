/**
 * `Sum` for wasm: reductions over leading axes as one XNNPACK average pooling.
 *
 * Stock tfjs-backend-wasm 4.22 reduces only over the innermost axes; any other reduction first transposes the whole
 * tensor (a strided copy) and then sums. Every bias gradient is such a reduction (dy `[B, H, W, C]` or `[B, H]` summed
 * over all but the last axis), as are the gradients of broadcast adds. The sum over the leading n = ∏ reduced axes
 * of x `[n, c]` is n times the mean of one n×1 "image" with c channels, which XNNPACK's average pooling computes in
 * one streaming pass: for `[64, 28, 28, 32]` over axes 0–2, 3.6 ms stock against 0.2 ms here (medians, same process,
 * load average ~4.5 on 2 cores). (A GEMV ones·x was tried first: XNNPACK packs the
 * tall right operand on every call, and the stock matmul caches that packing by data id alone, so a reshaped view
 * gave wrong results; see test/backend/wasm-kernels-extra.test.ts.) Every other reduction (inner axes, all axes,
 * non-float32) goes to the stock kernel unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import { withScope, type StockKernels, type TensorInputs, type WasmBackendLike } from './wasm-ops.js';

/**
 * The number of leading axes reduced when `axes` is exactly {0, …, k−1} with k < rank, else 0.
 * @param axes normalised (non-negative) axes, any order, possibly repeated
 */
export function leadingPrefix(axes: readonly number[], rank: number): number {
  const set = new Set(axes);
  const k = set.size;
  if (k === 0 || k >= rank) return 0;
  for (let i = 0; i < k; i++) if (!set.has(i)) return 0;
  return k;
}

/**
 * The replacement `Sum` kernel. Inputs: x. Attributes: axis (number or number[], negative counts from the end),
 * keepDims. Output: x summed over the axes, of x's dtype.
 */
export function makeSum(stock: StockKernels): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as TensorInputs<'x'>;
    const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
    const rank = x.shape.length;
    const axes = tf.util.parseAxisParam(axis, x.shape);
    const k = leadingPrefix(axes, rank);
    if (x.dtype !== 'float32' || k === 0) return stock.Sum(args);
    const n = x.shape.slice(0, k).reduce((p, v) => p * v, 1);
    const rest = x.shape.slice(k);
    const c = rest.reduce((p, v) => p * v, 1);
    if (n === 0 || c === 0) return stock.Sum(args);
    const outShape = keepDims ? [...new Array(k).fill(1), ...rest] : rest;
    return withScope(args.backend as WasmBackendLike, stock, (s) => {
      // x as one image of n rows, 1 column and c channels; one average-pooling window covers it all.
      const mean = s.run('AvgPool', { x: s.reshape(x, [1, n, 1, c]) }, { filterSize: [n, 1], strides: [n, 1], pad: 'valid' });
      const count = s.run('Fill', {}, { shape: [], value: n, dtype: 'float32' });
      return s.reshape(s.run('Multiply', { a: mean, b: count }), outShape);
    });
  };
}
