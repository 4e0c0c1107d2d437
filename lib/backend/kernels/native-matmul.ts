/**
 * `BatchMatMul` and `_FusedMatMul` on the wasm backend computed by oneDNN's SGEMM (the splam-native addon), reading
 * and writing the wasm heap in place: no copy, no physical transpose (SGEMM takes transposed operands as they are).
 *
 * Handled natively (float32):
 * - b with batch size 1 (weights): a untransposed is folded to one `[batch·m, k]` GEMM; transposed, one GEMM per
 *   entry of a against the same b;
 * - a with batch size 1, or equal batch shapes: one GEMM per batch entry (strides 0 for the shared operand).
 * `_FusedMatMul` additionally adds a bias of shape `[n]` when its activation is linear.
 * Anything else (broadcasting between two batched operands, other biases, activations, non-float32) goes to the
 * `fallback` kernel, the wasm replacement of ./batch-mat-mul.ts, so every case still computes.
 */
import * as tf from '@tensorflow/tfjs';
import type { NativeKernels } from '../native.js';
import { allFloat32, heapF32, sameShape, sizeOf, type TensorInputs, type WasmBackendLike } from './wasm-ops.js';


/** The GEMM plan for one matmul, or undefined when it broadcasts between two batched operands. */
interface GemmPlan {
  outShape: number[];
  /** [batch, m, n, k, transA, transB, strideA, strideB, strideC] for the addon. */
  dims: number[];
}

/** Plan a `[...batchA, m, k] × [...batchB, k, n]` product (shapes before the transposes are applied). */
export function planGemm(a: readonly number[], b: readonly number[], transposeA: boolean, transposeB: boolean): GemmPlan | undefined {
  if (a.length < 2 || b.length < 2) return undefined;
  const [a0, a1] = a.slice(-2);
  const [b0, b1] = b.slice(-2);
  const [m, k] = transposeA ? [a1, a0] : [a0, a1];
  const [kb, n] = transposeB ? [b1, b0] : [b0, b1];
  if (k !== kb) return undefined; // the fallback reports the shape error
  const outerA = a.slice(0, -2);
  const outerB = b.slice(0, -2);
  const batchA = sizeOf(outerA);
  const batchB = sizeOf(outerB);
  const ta = transposeA ? 1 : 0;
  const tb = transposeB ? 1 : 0;
  if (batchB === 1) {
    const outShape = [...outerA, m, n];
    if (!transposeA) return { outShape, dims: [1, batchA * m, n, k, 0, tb, 0, 0, 0] };
    return { outShape, dims: [batchA, m, n, k, 1, tb, m * k, 0, m * n] };
  }
  if (batchA === 1) return { outShape: [...outerB, m, n], dims: [batchB, m, n, k, ta, tb, 0, k * n, m * n] };
  if (sameShape(outerA, outerB)) return { outShape: [...outerA, m, n], dims: [batchA, m, n, k, ta, tb, m * k, k * n, m * n] };
  return undefined;
}

/** Run a planned GEMM into a new heap tensor, starting every output row from `bias` ([n]) when given. */
function runGemm(native: NativeKernels, backend: WasmBackendLike, a: tf.TensorInfo, b: tf.TensorInfo, plan: GemmPlan, bias?: tf.TensorInfo): tf.TensorInfo {
  const out = backend.makeOutput(plan.outShape, 'float32');
  // Views are taken after the allocation: growing the heap detaches older views.
  native.gemm(heapF32(backend, a), heapF32(backend, b), heapF32(backend, out), plan.dims, bias ? heapF32(backend, bias) : null);
  return out;
}

/** The native `BatchMatMul` kernel; `fallback` computes the cases {@link planGemm} does not take. */
export function makeNativeBatchMatMul(native: NativeKernels, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as TensorInputs<'a' | 'b'>;
    const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
    const plan = allFloat32(a, b) ? planGemm(a.shape, b.shape, transposeA, transposeB) : undefined;
    if (!plan) return fallback(args);
    return runGemm(native, args.backend as WasmBackendLike, a, b, plan, undefined);
  };
}

/**
 * The native `_FusedMatMul` kernel: GEMM starting from a bias of shape `[n]` (the dense layers' bias; added inside
 * the GEMM call, no second pass), for the linear activation; `fallback` takes every other case (other biases and
 * activations: the wasm replacement, which adds them with the stock kernels).
 */
export function makeNativeFusedMatMul(native: NativeKernels, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const attrs = args.attrs as unknown as tf._FusedMatMulAttrs;
    const { a, b, bias, preluActivationWeights } = args.inputs as Partial<TensorInputs<'a' | 'b' | 'bias' | 'preluActivationWeights'>>;
    if (!a || !b || preluActivationWeights || attrs.activation !== 'linear') return fallback(args);
    const plan = allFloat32(a, b) ? planGemm(a.shape, b.shape, attrs.transposeA, attrs.transposeB) : undefined;
    const n = plan?.outShape[plan.outShape.length - 1];
    const biasOk = !bias || (allFloat32(bias) && sameShape(bias.shape, [n!]));
    if (!plan || !biasOk) return fallback(args);
    return runGemm(native, args.backend as WasmBackendLike, a, b, plan, bias);
  };
}
