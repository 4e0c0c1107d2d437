/**
 * `Conv2DBackpropInput` for wasm: the input gradient of conv2d (also the forward pass of `conv2dTranspose`) on
 * XNNPACK convolutions.
 *
 * Stock tfjs-backend-wasm 4.22 runs a naive scalar loop here, 11.9× slower than this kernel on [32, 28, 28, 32] → 64,
 * 3×3, stride 1 (bench/kernels.ts, bench/results/kernels.json). This kernel computes the same sum as a stride-1
 * correlation of dy with the spatially flipped filter whose in/out channels are swapped (dx = dy ⋆ rot180(w)ᵀ). For
 * stride s > 1 it correlates each of the s_h·s_w output phases with that phase's taps and interleaves the results (the
 * sub-pixel split, no wasted multiply-adds; see `transposed-correlation.ts`). Padding 'same' / 'valid' / numeric /
 * explicit and `dimRoundingMode` follow from tfjs's own `computeConv2DInfo`; NCHW is handled by transposing to NHWC and
 * back. The op has no dilation attribute (tfjs rejects gradients of dilated conv2d before reaching a kernel).
 */
import * as tf from '@tensorflow/tfjs';
import { axesOf, checkDy, transposedCorrelation, type Correlate } from './transposed-correlation.js';
import { withScope, type StockKernels, type TensorInputs, type WasmBackendLike } from './wasm-ops.js';

/**
 * The replacement `Conv2DBackpropInput` kernel.
 *
 * Inputs: dy `[batch, outHeight, outWidth, outChannels]` (NCHW: `[batch, outChannels, outHeight, outWidth]`), filter
 * `[filterHeight, filterWidth, inChannels, outChannels]`. Attributes as tfjs's: strides, pad, dataFormat,
 * dimRoundingMode, inputShape. Output: dx of shape `inputShape`.
 */
export function makeConv2DBackpropInput(stock: StockKernels): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, filter } = inputs as TensorInputs<'dy' | 'filter'>;
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as tf.Conv2DBackpropInputAttrs;
    const info = tf.backend_util.computeConv2DInfo(
      inputShape,
      filter.shape as [number, number, number, number],
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      tf.backend_util.convertConv2DDataFormat(dataFormat),
    );
    checkDy('Conv2DBackpropInput', dy, info.outShape);
    const channelsFirst = info.dataFormat === 'channelsFirst';
    return withScope(backend as WasmBackendLike, stock, (s) => {
      const dyNhwc = channelsFirst ? s.transpose(dy, [0, 2, 3, 1]) : dy;
      // [fh, fw, inC, outC] → rotated by 180° and channel-swapped: [fh, fw, outC, inC].
      const flipped = s.transpose(s.reverse(filter, [0, 1]), [0, 1, 3, 2]);
      const nhwcShape = [info.batchSize, info.inHeight, info.inWidth, info.inChannels];
      const correlate: Correlate = (z, kernel, zPad) => s.conv2d(z, kernel, [1, 1], [1, 1], zPad);
      const dx = transposedCorrelation(s, dyNhwc, flipped, axesOf(info), nhwcShape, correlate, 'subPixel');
      return channelsFirst ? s.transpose(dx, [0, 3, 1, 2]) : dx;
    });
  };
}
