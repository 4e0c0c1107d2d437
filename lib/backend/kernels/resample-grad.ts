/**
 * `AvgPoolGrad` and `ResizeNearestNeighborGrad` for wasm: the integer-factor cases a U-Net uses (average-pool down,
 * nearest-neighbour up) as each other's forward kernels, which stock tfjs-backend-wasm 4.22 runs on XNNPACK.
 *
 * Stock wasm computes both gradients with generic scalar loops: 19.4 ms (AvgPoolGrad) and 12.6 ms
 * (ResizeNearestNeighborGrad) for `[64, 28, 28, 32]` ↔ `[64, 14, 14, 32]`. For non-overlapping s_h×s_w windows they are exact transposes of each other:
 * - average pooling with filter = stride = (s_h, s_w), no padding, sizes divisible: every input pixel belongs to one
 *   window, so dx = nearestUpsample(dy) / (s_h·s_w);
 * - nearest-neighbour resize by integer factors (alignCorners and halfPixelCenters false: source = ⌊dst/s⌋): every
 *   source pixel feeds one s_h×s_w block, so dImages = avgPool(dy, s) · (s_h·s_w).
 * 2.2 ms and 0.8 ms for the sizes above (medians, same process, load ~4.5 on 2 cores). Any other configuration goes
 * to the stock kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { pair, withScope, type StockKernels, type TensorInputs, type WasmBackendLike, type WasmScope } from './wasm-ops.js';

function scale(s: WasmScope, x: tf.TensorInfo, by: number): tf.TensorInfo {
  const k = s.run('Fill', {}, { shape: [], value: by, dtype: 'float32' });
  return s.run('Multiply', { a: x, b: k });
}

/** Whether a pooling pad attribute adds no padding when the windows tile the input exactly ('same' then pads 0). */
function noPadding(pad: tf.AvgPoolGradAttrs['pad']): boolean {
  return pad === 'valid' || pad === 'same' || pad === 0;
}

/**
 * The replacement `AvgPoolGrad` kernel. Inputs: dy `[batch, outHeight, outWidth, channels]`, input
 * `[batch, height, width, channels]`. Attributes: filterSize, strides, pad, dimRoundingMode. Output: dx of the input's
 * shape.
 */
export function makeAvgPoolGrad(stock: StockKernels): tf.KernelFunc {
  return (args) => {
    const { dy, input } = args.inputs as TensorInputs<'dy' | 'input'>;
    const a = args.attrs as unknown as tf.AvgPoolGradAttrs;
    const [fh, fw] = pair(a.filterSize);
    const [sh, sw] = pair(a.strides);
    const [batch, height, width, channels] = input.shape;
    const tiles =
      fh === sh && fw === sw && noPadding(a.pad) && height % sh === 0 && width % sw === 0 &&
      dy.shape[1] === height / sh && dy.shape[2] === width / sw && dy.dtype === 'float32';
    if (!tiles || input.shape.length !== 4 || dy.shape[0] !== batch || dy.shape[3] !== channels) return stock.AvgPoolGrad(args);
    return withScope(args.backend as WasmBackendLike, stock, (s) => {
      const up = s.run('ResizeNearestNeighbor', { images: dy }, { size: [height, width], alignCorners: false, halfPixelCenters: false });
      return scale(s, up, 1 / (sh * sw));
    });
  };
}

/**
 * The replacement `ResizeNearestNeighborGrad` kernel. Inputs: images `[batch, height, width, channels]` (the forward
 * input), dy `[batch, newHeight, newWidth, channels]`. Attributes: alignCorners, halfPixelCenters. Output: the
 * gradient for images, of its shape.
 */
export function makeResizeNearestNeighborGrad(stock: StockKernels): tf.KernelFunc {
  return (args) => {
    const { images, dy } = args.inputs as TensorInputs<'images' | 'dy'>;
    const a = args.attrs as unknown as tf.ResizeNearestNeighborGradAttrs;
    const [, height, width] = images.shape;
    const [, newHeight, newWidth] = dy.shape;
    const sh = newHeight / height;
    const sw = newWidth / width;
    const integer = Number.isInteger(sh) && Number.isInteger(sw) && sh >= 1 && sw >= 1;
    if (!integer || a.alignCorners || a.halfPixelCenters || dy.dtype !== 'float32') return stock.ResizeNearestNeighborGrad(args);
    if (sh === 1 && sw === 1) return withScope(args.backend as WasmBackendLike, stock, (s) => scale(s, dy, 1));
    return withScope(args.backend as WasmBackendLike, stock, (s) => {
      const pooled = s.run('AvgPool', { x: dy }, { filterSize: [sh, sw], strides: [sh, sw], pad: 'valid' });
      return scale(s, pooled, sh * sw);
    });
  };
}
