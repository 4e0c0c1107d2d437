/**
 * `DepthwiseConv2dNativeBackpropInput` and `DepthwiseConv2dNativeBackpropFilter` for wasm, each as one XNNPACK
 * depthwise convolution plus cheap reshapes.
 *
 * Stock tfjs-backend-wasm 4.22 registers neither, so `tf.grad` through `tf.depthwiseConv2d` (and `separableConv2d`)
 * fails on wasm. Both kernels accept strides and dilations (tfjs's gradient itself only allows dilation 1; the kernels
 * also compute dilated cases correctly when called directly) and every padding form tfjs accepts.
 *
 * Speed (batch 32, 28×28, 64 channels, 3×3, stride 1): forward 3.9 ms, input gradient 3.8 ms, filter gradient
 * 41 ms. The filter gradient's kernel is the whole dy image, a size XNNPACK has no depthwise microkernel for, so it
 * takes a slower generic path; it is correct and still cheap next to any dense conv2d of the same layer.
 */
import * as tf from '@tensorflow/tfjs';
import { axesOf, checkDy, transposedCorrelation, type Correlate } from './transposed-correlation.js';
import { backpropFilterWindow, isEmptyWindow, needsCrop } from './conv-geometry.js';
import { pair, withScope, type StockKernels, type TensorInputs, type WasmBackendLike } from './wasm-ops.js';

function depthwiseInfo(
  inShape: number[],
  filterShape: number[],
  attrs: tf.DepthwiseConv2dNativeBackpropInputAttrs | tf.DepthwiseConv2dNativeBackpropFilterAttrs,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    pair(attrs.dilations ?? 1),
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
}

/**
 * The replacement `DepthwiseConv2dNativeBackpropInput` kernel (stock has none).
 *
 * dx[b, i, j, c] = Σ_{t,u,k} dy[b, o, q, c·M + k] · w[t, u, c, k] with i = o·s + t·d − p: a depthwise correlation of
 * the zero-dilated dy (channels c·M + k) with the 180°-rotated filter reshaped to `[fh, fw, C·M, 1]`, followed by a
 * sum over the channel multiplier M when M > 1.
 *
 * Inputs: dy `[batch, outHeight, outWidth, inChannels·multiplier]`, filter `[fh, fw, inChannels, multiplier]`.
 * Attributes: strides, dilations, pad, dimRoundingMode, inputShape. Output: dx of shape `inputShape`
 * (`[batch, height, width, inChannels]`).
 */
export function makeDepthwiseBackpropInput(stock: StockKernels): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, filter } = inputs as TensorInputs<'dy' | 'filter'>;
    const a = attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
    const info = depthwiseInfo(a.inputShape, filter.shape, a);
    checkDy('DepthwiseConv2dNativeBackpropInput', dy, info.outShape);
    const [fh, fw, channels, multiplier] = filter.shape;
    const [batch, height, width] = a.inputShape;
    return withScope(backend as WasmBackendLike, stock, (s) => {
      const flipped = s.reshape(s.reverse(filter, [0, 1]), [fh, fw, channels * multiplier, 1]);
      const dilations: [number, number] = [info.dilationHeight, info.dilationWidth];
      const outShape = [batch, height, width, channels * multiplier];
      const correlate: Correlate = (z, kernel, zPad) => s.depthwise(z, kernel, [1, 1], dilations, zPad);
      // Zero-dilation, not the sub-pixel split, for strides > 1: faster for depthwise (transposed-correlation.ts).
      const perPair = transposedCorrelation(s, dy, flipped, axesOf(info), outShape, correlate, 'zeroDilate');
      if (multiplier === 1) return perPair;
      return s.sum(s.reshape(perPair, [batch, height, width, channels, multiplier]), [4]);
    });
  };
}

/**
 * The replacement `DepthwiseConv2dNativeBackpropFilter` kernel (stock has none).
 *
 * dw[t, u, c, k] = Σ_{b,o,q} x[b, t·d + o·s − p, …, c] · dy[b, o, q, c·M + k]: a depthwise convolution whose
 * channels are the (batch, channel) pairs — input x as `[1, height, width, batch·C]`, kernel dy as
 * `[outHeight, outWidth, batch·C, M]`, stride = forward dilation, dilation = forward stride — followed by a sum over
 * the batch.
 *
 * Inputs: x `[batch, height, width, inChannels]`, dy `[batch, outHeight, outWidth, inChannels·multiplier]`.
 * Attributes: strides, dilations, pad, dimRoundingMode, filterShape. Output: dw `[fh, fw, inChannels, multiplier]`.
 */
export function makeDepthwiseBackpropFilter(stock: StockKernels): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as TensorInputs<'x' | 'dy'>;
    const a = attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
    const info = depthwiseInfo(x.shape, a.filterShape, a);
    checkDy('DepthwiseConv2dNativeBackpropFilter', dy, info.outShape);
    const [fh, fw, channels, multiplier] = a.filterShape;
    const [batch, height, width] = x.shape;
    const [, outH, outW] = dy.shape;
    const g = axesOf(info);
    return withScope(backend as WasmBackendLike, stock, (s) => {
      const wh = backpropFilterWindow(g.height);
      const ww = backpropFilterWindow(g.width);
      if (isEmptyWindow(wh) || isEmptyWindow(ww)) return s.zeros(a.filterShape);
      let xt = s.reshape(s.transpose(x, [1, 2, 0, 3]), [1, height, width, batch * channels]);
      const dyt = s.reshape(s.transpose(dy, [1, 2, 0, 3]), [outH, outW, batch * channels, multiplier]);
      if (needsCrop(wh, height) || needsCrop(ww, width)) {
        xt = s.slice(
          xt,
          [0, wh.cropStart, ww.cropStart, 0],
          [1, wh.cropEnd - wh.cropStart, ww.cropEnd - ww.cropStart, batch * channels],
        );
      }
      const perBatch = s.depthwise(
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
      const summed = batch === 1 ? perBatch : s.sum(s.reshape(perBatch, [fh, fw, batch, channels * multiplier]), [2]);
      return s.reshape(summed, [fh, fw, channels, multiplier]);
    });
  };
}
