/**
 * The AdamW update and the gradients' global squared norm as single kernels on the wasm heap (used by the `wasm` and
 * `native` backends; lib/train/adam.ts composes the same formulas from tfjs ops elsewhere).
 *
 * Composed, one AdamW step costs ~14 kernel calls per parameter tensor and the global norm 2 more, each with its
 * dispatch overhead and a pass over the data: ~1,600 calls per step for the pixel U-Net's 110 tensors
 * (bench/engine.ts's per-kernel profile: Multiply, Add, RealDiv, Sqrt, Sub, Square, Sum). Here each parameter tensor is
 * one call, one pass.
 *
 * `SplamAdamW` (Loshchilov & Hutter 2019, decoupled weight decay), per element, in float64 and rounded once:
 *   g ← scale·g;  m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;
 *   p ← p·(1 − lr·λ) − (lr / bc₁)·m / (√(v·(1 / bc₂)) + ε),   bc_i = 1 − β_iᵗ
 * (one division and one square root per element; the native kernel computes the same operations in the same order).
 * Inputs: param, grad, m, v (one shape, float32). Attrs: lr, beta1, beta2, eps, weightDecay, scale, bc1, bc2.
 * Outputs: the new param, m and v.
 *
 * `SplamSumSquares`: Σ_i Σ x_i², accumulated in float64, over any number of float32 inputs (named by position:
 * `x0`, `x1`, …). Output: a float32 scalar.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, ShapeError } from '../../errors.js';
import { heapF32, sameShape, type StockKernels, type TensorInputs, type WasmBackendLike } from './wasm-ops.js';

export const ADAMW_KERNEL = 'SplamAdamW';
export const SUM_SQUARES_KERNEL = 'SplamSumSquares';

/** Attributes of {@link ADAMW_KERNEL}. */
export interface AdamWAttrs {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Factor applied to the gradient first (global-norm clipping). */
  scale: number;
  /** Bias corrections 1 − β₁ᵗ and 1 − β₂ᵗ. */
  bc1: number;
  bc2: number;
}

/**
 * The AdamW kernel's checks, shared with the native kernel (native-adamw.ts): grad, m and v have the parameter's
 * shape, and all four are float32.
 * @throws ShapeError / ArgumentError naming the input at fault.
 */
export function checkAdamW(param: tf.TensorInfo, grad: tf.TensorInfo, m: tf.TensorInfo, v: tf.TensorInfo): void {
  for (const [name, t] of [['grad', grad], ['m', m], ['v', v]] as const) {
    if (!sameShape(t.shape, param.shape)) throw new ShapeError(ADAMW_KERNEL, name, `[${param.shape.join(', ')}] (the parameter's shape)`, t.shape);
  }
  for (const [name, t] of [['param', param], ['grad', grad], ['m', m], ['v', v]] as const) {
    if (t.dtype !== 'float32') throw new ArgumentError(ADAMW_KERNEL, name, t.dtype, 'float32');
  }
}

/** The `SplamAdamW` kernel. */
export function makeAdamW(_stock?: StockKernels): tf.KernelFunc {
  return ({ inputs, backend: be, attrs }) => {
    const { param, grad, m, v } = inputs as TensorInputs<'param' | 'grad' | 'm' | 'v'>;
    checkAdamW(param, grad, m, v);
    const { lr, beta1, beta2, eps, weightDecay, scale, bc1, bc2 } = attrs as unknown as AdamWAttrs;
    const backend = be as WasmBackendLike;
    const pOut = backend.makeOutput(param.shape, 'float32');
    const mOut = backend.makeOutput(param.shape, 'float32');
    const vOut = backend.makeOutput(param.shape, 'float32');
    // Views only after every allocation (growing the heap detaches older views).
    const P = heapF32(backend, param);
    const G = heapF32(backend, grad);
    const M = heapF32(backend, m);
    const V = heapF32(backend, v);
    const P2 = heapF32(backend, pOut);
    const M2 = heapF32(backend, mOut);
    const V2 = heapF32(backend, vOut);
    const decay = 1 - lr * weightDecay;
    const c1 = 1 - beta1;
    const c2 = 1 - beta2;
    const step = lr / bc1;
    const invBc2 = 1 / bc2;
    for (let i = 0; i < P.length; i++) {
      const g = G[i] * scale;
      const mi = beta1 * M[i] + c1 * g;
      const vi = beta2 * V[i] + c2 * g * g;
      M2[i] = mi;
      V2[i] = vi;
      P2[i] = P[i] * decay - (step * mi) / (Math.sqrt(vi * invBc2) + eps);
    }
    return [pOut, mOut, vOut];
  };
}

/** The `SplamSumSquares` kernel. */
export function makeSumSquares(_stock?: StockKernels): tf.KernelFunc {
  return ({ inputs, backend: be }) => {
    const backend = be as WasmBackendLike;
    const xs = Object.keys(inputs)
      .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))
      .map((k) => inputs[k] as tf.TensorInfo);
    const out = backend.makeOutput([], 'float32');
    let total = 0;
    for (const x of xs) {
      if (x.dtype !== 'float32') throw new ArgumentError(SUM_SQUARES_KERNEL, 'x', x.dtype, 'float32');
      const X = heapF32(backend, x);
      let s = 0;
      for (let i = 0; i < X.length; i++) s += X[i] * X[i];
      total += s;
    }
    heapF32(backend, out)[0] = total;
    return out;
  };
}
