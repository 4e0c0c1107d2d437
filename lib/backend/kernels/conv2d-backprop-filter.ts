/**
 * `Conv2DBackpropFilter` for wasm: the filter gradient of conv2d as one XNNPACK convolution.
 *
 * Stock tfjs-backend-wasm 4.22 does not register this kernel, so `tf.grad` of anything with a conv2d fails on wasm.
 * The gradient dw[t, u, ci, co] = Σ_{b,o,q} x[b, t·d + o·s − p, u·d + q·s − p', ci] · dy[b, o, q, co] is a
 * convolution in which the input channels play the batch, the batch plays the channels and dy is the kernel:
 * input `[inChannels, height, width, batch]`, kernel `[outHeight, outWidth, batch, outChannels]`, stride = the
 * forward dilation (1 for conv2d), dilation = the forward stride; its output `[inChannels, fh, fw, outChannels]` is
 * transposed to the filter layout. When it was chosen it took 154 ms against 746 ms for one GEMM per kernel tap;
 * bench/kernels.ts measures ~52 ms (~17 GFLOP/s) for batch 32, 28×28, 32 → 64 channels, 3×3,
 * against ~33 ms for the forward conv2d. Padding 'same' / 'valid' / numeric / explicit, `dimRoundingMode` and NCHW
 * are all supported.
 */
import * as tf from '@tensorflow/tfjs';
import { checkDy, axesOf } from './transposed-correlation.js';
import { backpropFilterWindow, isEmptyWindow, needsCrop } from './conv-geometry.js';
import { withScope, type StockKernels, type TensorInputs, type WasmBackendLike } from './wasm-ops.js';

/**
 * The replacement `Conv2DBackpropFilter` kernel (stock has none).
 *
 * Inputs: x `[batch, height, width, inChannels]`, dy `[batch, outHeight, outWidth, outChannels]` (NCHW: channels
 * second). Attributes as tfjs's: strides, pad, dataFormat, dimRoundingMode, filterShape. Output: dw
 * `[filterHeight, filterWidth, inChannels, outChannels]`.
 */
export function makeConv2DBackpropFilter(stock: StockKernels): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as TensorInputs<'x' | 'dy'>;
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filterShape,
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      tf.backend_util.convertConv2DDataFormat(dataFormat),
    );
    checkDy('Conv2DBackpropFilter', dy, info.outShape);
    const channelsFirst = info.dataFormat === 'channelsFirst';
    const g = axesOf(info);
    return withScope(backend as WasmBackendLike, stock, (s) => {
      const wh = backpropFilterWindow(g.height);
      const ww = backpropFilterWindow(g.width);
      if (isEmptyWindow(wh) || isEmptyWindow(ww)) return s.zeros(filterShape);
      // x → [inC, H, W, batch]; dy → [outH, outW, batch, outC].
      let xt = s.transpose(x, channelsFirst ? [1, 2, 3, 0] : [3, 1, 2, 0]);
      const dyt = s.transpose(dy, channelsFirst ? [2, 3, 0, 1] : [1, 2, 0, 3]);
      if (needsCrop(wh, info.inHeight) || needsCrop(ww, info.inWidth)) {
        xt = s.slice(
          xt,
          [0, wh.cropStart, ww.cropStart, 0],
          [info.inChannels, wh.cropEnd - wh.cropStart, ww.cropEnd - ww.cropStart, info.batchSize],
        );
      }
      const dwT = s.conv2d(
        xt,
        dyt,
        [info.dilationHeight, info.dilationWidth],
        [info.strideHeight, info.strideWidth],
        [
          [0, 0],
          [wh.padBefore, wh.padAfter],
          [ww.padBefore, ww.padAfter],
          [0, 0],
        ],
      );
      return s.transpose(dwT, [1, 2, 0, 3]);
    });
  };
}
