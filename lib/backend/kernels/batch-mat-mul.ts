/**
 * `BatchMatMul` and `_FusedMatMul` for wasm: keep every matmul on XNNPACK's GEMM.
 *
 * Stock tfjs-backend-wasm 4.22 uses XNNPACK only when neither operand is transposed and both batch sizes are 1;
 * everything else runs a blocked scalar loop at ~2 GFLOP/s instead of ~30 (a 512×512 matmul: 10 ms plain, 265 ms with
 * transposeA; bench/results/kernels.json). Every matMul gradient uses a transposed product, so training pays this.
 *
 * The replacement transposes the operands physically (an O(size) copy) and then maps every shape it can onto plain
 * batch-1 products:
 * - b has batch size 1 (2-D weights, the common case): a is folded to `[1, batch·m, k]`, one GEMM;
 * - a has batch size 1: b's batches are laid side by side (`[k, batch·n]`), one GEMM, then one transpose back;
 * - equal batch shapes on both sides: one GEMM per batch entry, copied straight on the wasm heap;
 * - broadcasting between two batched operands: the stock kernel on the untransposed operands (slow, but correct).
 *
 * A hazard inherited from the stock kernel: XNNPACK's packed right operand is cached by data id alone, so one
 * data used as `b` under two different shapes (tf.reshape shares data) reuses a stale packing and gives wrong
 * products. The reshapes here keep b's own last two axes, so they never create a second shape for one data; the
 * hazard (stock as well as here) is a caller reshaping a weight to other [k, n] and multiplying with both.
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../../errors.js';
import { sameShape, sizeOf, withScope, type StockKernels, type TensorInputs, type WasmBackendLike, type WasmScope } from './wasm-ops.js';

/**
 * Smallest per-entry product m·k·n for which a batched matmul is split into one GEMM per entry. Below it the fixed
 * cost per call (operator creation and weight packing) outweighs the GEMM, and the stock loop is kept.
 */
export const PER_ENTRY_GEMM_MIN_MACS = 16 * 32 * 32;

/** x `[...batch, r, c]` → `[...batch, c, r]`, as a rank-3 transpose (stock wasm is slow above rank 4). */
function transposeLastTwo(s: WasmScope, x: tf.TensorInfo): tf.TensorInfo {
  const outer = x.shape.slice(0, -2);
  const [r, c] = x.shape.slice(-2);
  const t = s.transpose(s.reshape(x, [sizeOf(outer), r, c]), [0, 2, 1]);
  return s.reshape(t, [...outer, c, r]);
}

/** Copy entry `i` of a `[batch, rows, cols]` heap tensor into a new `[1, rows, cols]` one. */
function copyEntry(s: WasmScope, x: tf.TensorInfo, i: number, rows: number, cols: number): tf.TensorInfo {
  const out = s.own(s.backend.makeOutput([1, rows, cols], 'float32'));
  const n = rows * cols;
  // Views are taken after the allocation: growing the heap detaches older views.
  s.backend.typedArrayFromHeap(out).set(s.backend.typedArrayFromHeap(x).subarray(i * n, (i + 1) * n));
  return out;
}

/** `[batch, m, k] × [batch, k, n]` as one XNNPACK GEMM per batch entry, written into one `[batch, m, n]` output. */
function perEntryMatMul(s: WasmScope, a: tf.TensorInfo, b: tf.TensorInfo, batch: number, m: number, k: number, n: number) {
  const out = s.own(s.backend.makeOutput([batch, m, n], 'float32'));
  for (let i = 0; i < batch; i++) {
    const ai = copyEntry(s, a, i, m, k);
    const bi = copyEntry(s, b, i, k, n);
    const ci = s.matMul(ai, bi);
    s.backend.typedArrayFromHeap(out).set(s.backend.typedArrayFromHeap(ci), i * m * n);
    s.release(ai);
    s.release(bi);
    s.release(ci);
  }
  return out;
}

/**
 * Check ranks and inner dimensions before any work.
 * @throws ShapeError naming the operand at fault.
 */
function checkMatMulShapes(a: readonly number[], b: readonly number[], transposeA: boolean, transposeB: boolean): void {
  if (a.length < 2) throw new ShapeError('matMul', 'a', 'rank ≥ 2', a);
  if (b.length < 2) throw new ShapeError('matMul', 'b', 'rank ≥ 2', b);
  const innerA = transposeA ? a[a.length - 2] : a[a.length - 1];
  const innerB = transposeB ? b[b.length - 1] : b[b.length - 2];
  if (innerA !== innerB) {
    const axis = transposeB ? 'last' : 'second-to-last';
    throw new ShapeError(
      'matMul',
      'b',
      `${axis} axis ${innerA} to match a = [${a.join(', ')}] (transposeA=${transposeA}, transposeB=${transposeB})`,
      b,
    );
  }
}

/** a `[...batchA, m, k]` × b `[...batchB, k, n]` with both operands already untransposed. */
function plainMatMul(s: WasmScope, a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
  const [m, k] = a.shape.slice(-2);
  const n = b.shape[b.shape.length - 1];
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const outShape = [...tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB), m, n];
  const batchA = sizeOf(outerA);
  const batchB = sizeOf(outerB);
  if (batchB === 1) {
    const c = s.matMul(s.reshape(a, [1, batchA * m, k]), s.reshape(b, [1, k, n]));
    return s.reshape(c, outShape);
  }
  if (batchA === 1) {
    const side = s.transpose(s.reshape(b, [batchB, k, n]), [1, 0, 2]); // [k, batchB, n]
    const c = s.matMul(s.reshape(a, [1, m, k]), s.reshape(side, [1, k, batchB * n])); // [1, m, batchB·n]
    return s.reshape(s.transpose(s.reshape(c, [m, batchB, n]), [1, 0, 2]), outShape);
  }
  if (sameShape(outerA, outerB) && m * k * n >= PER_ENTRY_GEMM_MIN_MACS) {
    const c = perEntryMatMul(s, s.reshape(a, [batchA, m, k]), s.reshape(b, [batchB, k, n]), batchA, m, k, n);
    return s.reshape(c, outShape);
  }
  return s.matMul(a, b);
}

/**
 * The replacement `BatchMatMul` kernel.
 *
 * Inputs: a `[...batch, m, k]` (transposeA: `[...batch, k, m]`), b `[...batch, k, n]` (transposeB: `[...batch, n, k]`),
 * batch shapes broadcast. Output `[...broadcastBatch, m, n]`. Non-float32 inputs go to the stock kernel (which
 * rejects them).
 */
export function makeBatchMatMul(stock: StockKernels): tf.KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as TensorInputs<'a' | 'b'>;
    const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return stock.BatchMatMul(args);
    checkMatMulShapes(a.shape, b.shape, transposeA, transposeB);
    return withScope(args.backend as WasmBackendLike, stock, (s) => {
      const a2 = transposeA ? transposeLastTwo(s, a) : a;
      const b2 = transposeB ? transposeLastTwo(s, b) : b;
      return plainMatMul(s, a2, b2);
    });
  };
}

/**
 * The epilogue of a fused matmul or convolution: y + bias, then the activation, each as its stock wasm kernel
 * (tfjs's `fused` ops: linear, relu, relu6, elu, sigmoid, leakyrelu with `leakyreluAlpha`, prelu with its weights).
 */
export function fusedEpilogue(
  s: WasmScope,
  y: tf.TensorInfo,
  inputs: { bias?: tf.TensorInfo; preluActivationWeights?: tf.TensorInfo },
  attrs: { activation: tf.fused.Activation; leakyreluAlpha?: number },
): tf.TensorInfo {
  let out = inputs.bias ? s.run('Add', { a: y, b: inputs.bias }) : y;
  switch (attrs.activation) {
    case 'linear':
      return out;
    case 'relu':
      return s.run('Relu', { x: out });
    case 'relu6':
      return s.run('Relu6', { x: out });
    case 'elu':
      return s.run('Elu', { x: out });
    case 'sigmoid':
      return s.run('Sigmoid', { x: out });
    case 'leakyrelu':
      return s.run('LeakyRelu', { x: out }, { alpha: attrs.leakyreluAlpha ?? 0.2 });
    case 'prelu':
      if (!inputs.preluActivationWeights) throw new ShapeError('fused', 'preluActivationWeights', 'a tensor for the prelu activation', []);
      out = s.run('Prelu', { x: out, alpha: inputs.preluActivationWeights });
      return out;
  }
}

/**
 * The replacement `_FusedMatMul` kernel (matmul + bias + activation, used by `tf.fused.matMul` and tfjs-layers).
 *
 * Stock tfjs-backend-wasm 4.22 computes wrong values whenever either operand has a batch size above 1 (measured:
 * max error 1.9 on [3,12,10]·[10,8] and on [3,12,10]·[3,10,8]), so batched products run as the replacement
 * `BatchMatMul` above followed by the stock bias and activation kernels ({@link fusedEpilogue}). Unbatched products
 * keep the stock fused kernel, with transposed operands transposed physically first.
 *
 * Inputs: a, b as for {@link makeBatchMatMul}, optional bias and preluActivationWeights. Output `[...batch, m, n]`.
 */
export function makeFusedMatMul(stock: StockKernels): tf.KernelFunc {
  return (args) => {
    const attrs = args.attrs as unknown as tf._FusedMatMulAttrs;
    const { a, b, bias, preluActivationWeights } = args.inputs as Partial<TensorInputs<'a' | 'b' | 'bias' | 'preluActivationWeights'>>;
    if (!a || !b || a.dtype !== 'float32' || b.dtype !== 'float32') return stock._FusedMatMul(args);
    checkMatMulShapes(a.shape, b.shape, attrs.transposeA, attrs.transposeB);
    const batched = sizeOf(a.shape.slice(0, -2)) > 1 || sizeOf(b.shape.slice(0, -2)) > 1;
    if (!batched && !(attrs.transposeA || attrs.transposeB)) return stock._FusedMatMul(args);
    return withScope(args.backend as WasmBackendLike, stock, (s) => {
      const a2 = attrs.transposeA ? transposeLastTwo(s, a) : a;
      const b2 = attrs.transposeB ? transposeLastTwo(s, b) : b;
      if (batched) return fusedEpilogue(s, plainMatMul(s, a2, b2), { bias, preluActivationWeights }, attrs);
      return s.run('_FusedMatMul', { ...args.inputs, a: a2, b: b2 }, {
        ...(args.attrs as tf.NamedAttrMap),
        transposeA: false,
        transposeB: false,
      });
    });
  };
}
