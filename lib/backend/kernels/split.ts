/**
 * `SplitV` for wasm: the pieces of a split as block copies on the wasm heap.
 *
 * The gradient of `tf.concat` is a split, so every U-Net skip connection pays one in the backward pass. Stock
 * tfjs-backend-wasm 4.22 splits by calling its `Slice` kernel per piece, which first copies the whole input out of
 * the heap (`readSync`) and then copies one innermost row at a time: 46 ms for `[64, 28, 28, 96]` split 64 + 32 on
 * the channel axis. Viewed as a matrix `[outer, size(axis)·inner]`, each piece is a column block of width
 * size_k·inner, so it is `outer` contiguous copies straight from the heap: 5.4 ms for the same case (medians, same
 * process, load average ~4.5 on 2 cores).
 */
import * as tf from '@tensorflow/tfjs';
import type { StockKernels, TensorInputs, WasmBackendLike } from './wasm-ops.js';

type Heap = Float32Array | Int32Array | Uint8Array;

/** Copy `rows` runs of `run` values: src[srcStart + r·srcStride …] → dst[r·run …]. */
export function copyColumnBlock(src: Heap, srcStart: number, srcStride: number, dst: Heap, rows: number, run: number): void {
  if (run === srcStride) {
    dst.set(src.subarray(srcStart, srcStart + rows * run));
    return;
  }
  for (let r = 0, at = srcStart, o = 0; r < rows; r++, at += srcStride, o += run) dst.set(src.subarray(at, at + run), o);
}

/**
 * The replacement `SplitV` kernel. Inputs: x. Attributes: numOrSizeSplits (a count of equal pieces, or sizes with at
 * most one −1), axis. Outputs: the pieces, in order. String tensors go to the stock kernel.
 */
export function makeSplitV(stock: StockKernels): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as TensorInputs<'x'>;
    const { numOrSizeSplits, axis } = args.attrs as unknown as tf.SplitVAttrs;
    if (x.dtype === 'string') return stock.SplitV(args);
    const backend = args.backend as WasmBackendLike;
    const $axis = tf.util.parseAxisParam(axis, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as unknown as tf.Tensor, numOrSizeSplits, $axis);
    const outer = x.shape.slice(0, $axis).reduce((p, v) => p * v, 1);
    const inner = x.shape.slice($axis + 1).reduce((p, v) => p * v, 1);
    const rowLength = x.shape[$axis] * inner;
    // Allocate every output first: an allocation may grow the heap and detach earlier views.
    const outs = sizes.map((size) => backend.makeOutput(x.shape.map((v, i) => (i === $axis ? size : v)), x.dtype));
    const src = backend.typedArrayFromHeap(x);
    let offset = 0;
    sizes.forEach((size, k) => {
      if (size > 0 && outer > 0 && inner > 0) copyColumnBlock(src, offset * inner, rowLength, backend.typedArrayFromHeap(outs[k]), outer, size * inner);
      offset += size;
    });
    return outs;
  };
}
