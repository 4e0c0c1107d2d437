/**
 * `Conv2D`, `FusedConv2D`, `Conv2DBackpropInput` and `Conv2DBackpropFilter` on the wasm backend computed by the
 * splam-native addon: oneDNN convolution primitives (native/src/conv.cc), on the wasm heap in place.
 *
 * Handled natively: float32 NHWC with any strides, dilations, padding (`same`, `valid`, numeric, explicit) and
 * `dimRoundingMode`; `FusedConv2D` with a bias of shape `[outChannels]` (or none) and the linear activation.
 * Everything else (NCHW, other biases, activations) goes to the `fallback` kernel, the stock or replacement wasm
 * kernel of the same name, so every case still computes.
 */
import * as tf from '@tensorflow/tfjs';
import type { ConvGeometryArray, NativeKernels } from '../native.js';
import { checkDy } from './transposed-correlation.js';
import type { TensorInputs, WasmBackendLike } from './wasm-ops.js';

type Shape4 = [number, number, number, number];

/** The addon's geometry array for a tfjs conv info (NHWC). */
export function geometryOf(info: tf.backend_util.Conv2DInfo): ConvGeometryArray {
  return [
    info.batchSize, info.inHeight, info.inWidth, info.inChannels,
    info.outHeight, info.outWidth, info.outChannels,
    info.filterHeight, info.filterWidth,
    info.strideHeight, info.strideWidth,
    info.dilationHeight, info.dilationWidth,
    info.padInfo.top, info.padInfo.left,
  ];
}

const isNhwc = (dataFormat: string) => tf.backend_util.convertConv2DDataFormat(dataFormat as 'NHWC' | 'NCHW') === 'channelsLast';
const f32 = (...ts: (tf.TensorInfo | undefined)[]) => ts.every((t) => !t || t.dtype === 'float32');
const heap = (backend: WasmBackendLike, t: tf.TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;

function forwardInfo(x: tf.TensorInfo, filter: tf.TensorInfo, attrs: tf.Conv2DAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    x.shape as Shape4,
    filter.shape as Shape4,
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
}

/** The native `Conv2D` kernel. */
export function makeNativeConv2D(native: NativeKernels, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x, filter } = args.inputs as TensorInputs<'x' | 'filter'>;
    const attrs = args.attrs as unknown as tf.Conv2DAttrs;
    if (!isNhwc(attrs.dataFormat) || !f32(x, filter) || x.shape.length !== 4) return fallback(args);
    const info = forwardInfo(x, filter, attrs);
    const backend = args.backend as WasmBackendLike;
    const y = backend.makeOutput(info.outShape, 'float32');
    native.conv2d(heap(backend, x), heap(backend, filter), null, heap(backend, y), geometryOf(info));
    return y;
  };
}

/** The native `FusedConv2D` kernel (conv2d + bias; other activations and biases go to `fallback`). */
export function makeNativeFusedConv2D(native: NativeKernels, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x, filter, bias, preluActivationWeights } = args.inputs as Partial<TensorInputs<'x' | 'filter' | 'bias' | 'preluActivationWeights'>>;
    const attrs = args.attrs as unknown as tf.FusedConv2DAttrs;
    if (!x || !filter || preluActivationWeights || attrs.activation !== 'linear') return fallback(args);
    if (!isNhwc(attrs.dataFormat) || !f32(x, filter, bias) || x.shape.length !== 4) return fallback(args);
    const co = filter.shape[3];
    if (bias && !(bias.shape.length === 1 && bias.shape[0] === co)) return fallback(args);
    const info = forwardInfo(x, filter, attrs);
    const backend = args.backend as WasmBackendLike;
    const y = backend.makeOutput(info.outShape, 'float32');
    native.conv2d(heap(backend, x), heap(backend, filter), bias ? heap(backend, bias) : null, heap(backend, y), geometryOf(info));
    return y;
  };
}

/** The native `Conv2DBackpropInput` kernel (the conv2d input gradient and conv2dTranspose). */
export function makeNativeConv2DBackpropInput(native: NativeKernels, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { dy, filter } = args.inputs as TensorInputs<'dy' | 'filter'>;
    const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
    if (!isNhwc(attrs.dataFormat) || !f32(dy, filter)) return fallback(args);
    const info = tf.backend_util.computeConv2DInfo(
      attrs.inputShape as Shape4,
      filter.shape as Shape4,
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      'channelsLast',
    );
    checkDy('Conv2DBackpropInput', dy, info.outShape);
    const backend = args.backend as WasmBackendLike;
    const dx = backend.makeOutput(info.inShape, 'float32');
    native.conv2dBackpropInput(heap(backend, dy), heap(backend, filter), heap(backend, dx), geometryOf(info));
    return dx;
  };
}

/** The native `Conv2DBackpropFilter` kernel (the conv2d filter gradient). */
export function makeNativeConv2DBackpropFilter(native: NativeKernels, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x, dy } = args.inputs as TensorInputs<'x' | 'dy'>;
    const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    if (!isNhwc(attrs.dataFormat) || !f32(x, dy)) return fallback(args);
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as Shape4,
      attrs.filterShape,
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      'channelsLast',
    );
    checkDy('Conv2DBackpropFilter', dy, info.outShape);
    const backend = args.backend as WasmBackendLike;
    const dw = backend.makeOutput(attrs.filterShape, 'float32');
    native.conv2dBackpropFilter(heap(backend, x), heap(backend, dy), heap(backend, dw), geometryOf(info));
    return dw;
  };
}
