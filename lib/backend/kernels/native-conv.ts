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
import { allFloat32, heapF32, sameShape, type TensorInputs, type WasmBackendLike } from './wasm-ops.js';

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

/** tfjs's geometry of an NHWC convolution of input `inShape` by filter `filterShape` (HWIO). */
function nhwcInfo(
  inShape: readonly number[],
  filterShape: readonly number[],
  attrs: { strides: number | [number, number]; pad: tf.Conv2DAttrs['pad']; dimRoundingMode?: 'floor' | 'round' | 'ceil' },
  dilations: number | [number, number] = 1,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(inShape as Shape4, filterShape as Shape4, attrs.strides, dilations, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
}

/** y = conv2d(x, filter) (+ bias) natively, into a new heap tensor. */
function forward(native: NativeKernels, args: Parameters<tf.KernelFunc>[0], x: tf.TensorInfo, filter: tf.TensorInfo, bias: tf.TensorInfo | undefined, attrs: tf.Conv2DAttrs): tf.TensorInfo {
  const info = nhwcInfo(x.shape, filter.shape, attrs, attrs.dilations);
  const backend = args.backend as WasmBackendLike;
  const y = backend.makeOutput(info.outShape, 'float32');
  native.conv2d(heapF32(backend, x), heapF32(backend, filter), bias ? heapF32(backend, bias) : null, heapF32(backend, y), geometryOf(info));
  return y;
}

/** The native `Conv2D` kernel. */
export function makeNativeConv2D(native: NativeKernels, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x, filter } = args.inputs as TensorInputs<'x' | 'filter'>;
    const attrs = args.attrs as unknown as tf.Conv2DAttrs;
    if (!isNhwc(attrs.dataFormat) || !allFloat32(x, filter) || x.shape.length !== 4) return fallback(args);
    return forward(native, args, x, filter, undefined, attrs);
  };
}

/** The native `FusedConv2D` kernel (conv2d + bias; other activations and biases go to `fallback`). */
export function makeNativeFusedConv2D(native: NativeKernels, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x, filter, bias, preluActivationWeights } = args.inputs as Partial<TensorInputs<'x' | 'filter' | 'bias' | 'preluActivationWeights'>>;
    const attrs = args.attrs as unknown as tf.FusedConv2DAttrs;
    if (!x || !filter || preluActivationWeights || attrs.activation !== 'linear') return fallback(args);
    if (!isNhwc(attrs.dataFormat) || !allFloat32(x, filter, bias) || x.shape.length !== 4) return fallback(args);
    if (bias && !sameShape(bias.shape, [filter.shape[3]])) return fallback(args);
    return forward(native, args, x, filter, bias, attrs);
  };
}

/** The native `Conv2DBackpropInput` kernel (the conv2d input gradient and conv2dTranspose). */
export function makeNativeConv2DBackpropInput(native: NativeKernels, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { dy, filter } = args.inputs as TensorInputs<'dy' | 'filter'>;
    const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
    if (!isNhwc(attrs.dataFormat) || !allFloat32(dy, filter)) return fallback(args);
    const info = nhwcInfo(attrs.inputShape, filter.shape, attrs);
    checkDy('Conv2DBackpropInput', dy, info.outShape);
    const backend = args.backend as WasmBackendLike;
    const dx = backend.makeOutput(info.inShape, 'float32');
    native.conv2dBackpropInput(heapF32(backend, dy), heapF32(backend, filter), heapF32(backend, dx), geometryOf(info));
    return dx;
  };
}

/** The native `Conv2DBackpropFilter` kernel (the conv2d filter gradient). */
export function makeNativeConv2DBackpropFilter(native: NativeKernels, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x, dy } = args.inputs as TensorInputs<'x' | 'dy'>;
    const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    if (!isNhwc(attrs.dataFormat) || !allFloat32(x, dy)) return fallback(args);
    const info = nhwcInfo(x.shape, attrs.filterShape, attrs);
    checkDy('Conv2DBackpropFilter', dy, info.outShape);
    const backend = args.backend as WasmBackendLike;
    const dw = backend.makeOutput(attrs.filterShape, 'float32');
    native.conv2dBackpropFilter(heapF32(backend, x), heapF32(backend, dy), heapF32(backend, dw), geometryOf(info));
    return dw;
  };
}
