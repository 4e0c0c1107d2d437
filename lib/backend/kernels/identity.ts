/**
 * `Identity`, and `Cast` to the dtype a tensor already has, for wasm: share the data instead of copying it.
 *
 * tfjs's engine clones (`Identity`) every tensor a gradient needs while the tape records — the inputs of every conv2d,
 * matMul and element-wise op of a training step. Stock tfjs-backend-wasm 4.22 copies the data for each clone (the cpu
 * backend shares it): a clone of `[64, 28, 28, 32]` costs 0.22 ms copied against 0.02 ms shared, and a 64-image
 * 28×28 U-Net training step makes several hundred clones (~3% of its kernel time in a bench/engine.ts profile).
 * Tensors are immutable and no wasm kernel writes into an input (a `Variable.assign` swaps the data id), so sharing
 * is safe: this kernel returns a view with the same data id and shape and bumps the reference count, exactly as the
 * stock `Reshape` does (it is that kernel, called with x's own shape). String tensors keep the stock copy.
 *
 * `Cast` to the same dtype is the same case: tfjs's gradients of `Mul`, `Div` and others cast their saved inputs to
 * float32 whatever they are, and stock wasm copies each one (38 casts, 11 ms of a 64-image pixel U-Net step on the
 * native backend). A real conversion keeps the stock kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { StockKernels, TensorInputs } from './wasm-ops.js';

/** The replacement `Identity` kernel. Inputs: x. Output: a tensor sharing x's data, x's shape and dtype. */
export function makeIdentity(stock: StockKernels): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as TensorInputs<'x'>;
    if (x.dtype === 'string') return stock.Identity(args);
    return stock.Reshape({ inputs: { x }, backend: args.backend, attrs: { shape: x.shape } });
  };
}

/** The replacement `Cast` kernel: x shared when it already has the target dtype, else the stock conversion. */
export function makeCast(stock: StockKernels): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as TensorInputs<'x'>;
    const { dtype } = args.attrs as unknown as tf.CastAttrs;
    if (x.dtype !== dtype || x.dtype === 'string') return stock.Cast(args);
    return stock.Reshape({ inputs: { x }, backend: args.backend, attrs: { shape: x.shape } });
  };
}
