/**
 * Building blocks for the replacement wasm kernels: the stock tfjs-backend-wasm 4.22 kernels we compose, captured
 * once as plain functions, and {@link withScope}, which runs a kernel body and frees every intermediate it made.
 *
 * Kernel bodies work on `TensorInfo`s (data ids on the wasm heap), not on engine tensors: intermediates never reach
 * the engine, so `tf.memory().numTensors` cannot see a leak. The scope disposes them with `backend.disposeData`, and
 * the tests check the backend's own count (`numDataIds()`).
 */
import * as tf from '@tensorflow/tfjs';
import { BackendError } from '../../errors.js';

/** The part of tfjs-backend-wasm's `BackendWasm` that kernels use (all public methods in 4.22). */
export interface WasmBackendLike {
  /** Decrement the data's reference count and free its heap memory when it reaches zero. */
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
  /** Allocate an uninitialised heap tensor. */
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  /** A view of a tensor's heap memory; invalid after any allocation (the heap may grow and move). */
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  /** Number of live data ids on the backend, intermediates included. */
  numDataIds(): number;
}

/** Stock wasm kernels the replacements compose. Captured before any of them is replaced. */
export const STOCK_KERNEL_NAMES = [
  'BatchMatMul',
  '_FusedMatMul',
  'Conv2D',
  'DepthwiseConv2dNative',
  'Transpose',
  'Reverse',
  'PadV2',
  'Reshape',
  'Slice',
  'StridedSlice',
  'Sum',
  'Fill',
  'SplitV',
  'AvgPool',
  'ResizeNearestNeighbor',
  'Multiply',
  'AvgPoolGrad',
  'ResizeNearestNeighborGrad',
  'Identity',
  'Add',
  'Relu',
  'Relu6',
  'Elu',
  'Sigmoid',
  'LeakyRelu',
  'Prelu',
  'Cast',
] as const;
export type StockKernelName = (typeof STOCK_KERNEL_NAMES)[number];
export type StockKernels = Readonly<Record<StockKernelName, tf.KernelFunc>>;

/**
 * Look up the stock wasm kernels by name.
 * @throws BackendError when one is missing (tfjs-backend-wasm not imported, or a version without it).
 */
export function captureStockKernels(): StockKernels {
  const found: Partial<Record<StockKernelName, tf.KernelFunc>> = {};
  const missing: string[] = [];
  for (const name of STOCK_KERNEL_NAMES) {
    const config = tf.getKernel(name, 'wasm');
    if (config) found[name] = config.kernelFunc;
    else missing.push(name);
  }
  if (missing.length > 0) {
    throw new BackendError(
      'wasm',
      `stock kernels ${missing.join(', ')} are not registered`,
      "import '@tensorflow/tfjs-backend-wasm' (4.22) before registering replacement kernels",
    );
  }
  return found as StockKernels;
}

/** A float32 tensor's heap memory as a view; valid until the next allocation (the heap may grow and move). */
export function heapF32(backend: WasmBackendLike, t: tf.TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

/** Whether every tensor given is float32 (absent optional inputs count as float32). */
export function allFloat32(...ts: (tf.TensorInfo | undefined)[]): boolean {
  return ts.every((t) => !t || t.dtype === 'float32');
}

/** Number of elements of a shape. */
export const sizeOf = (shape: readonly number[]) => shape.reduce((p, v) => p * v, 1);

/** Whether two shapes are equal. */
export const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/** A kernel's named tensor inputs, all present (tfjs ops guarantee it for the kernels here). */
export type TensorInputs<K extends string> = Record<K, tf.TensorInfo>;

/** Explicit padding in NHWC order, as the stock Conv2D kernel takes it: `[[0,0],[top,bottom],[left,right],[0,0]]`. */
export type ExplicitPad4 = [[number, number], [number, number], [number, number], [number, number]];

/** Stock kernels bound to one backend call; every result is recorded for disposal by {@link withScope}. */
export class WasmScope {
  readonly #temps: tf.TensorInfo[] = [];

  constructor(
    readonly backend: WasmBackendLike,
    readonly stock: StockKernels,
  ) {}

  /** Run a stock kernel and record its output as an intermediate. */
  run(name: StockKernelName, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}): tf.TensorInfo {
    const out = this.stock[name]({ inputs, backend: this.backend, attrs }) as tf.TensorInfo;
    this.#temps.push(out);
    return out;
  }

  /** Record a tensor this scope allocated itself (for example with `backend.makeOutput`). */
  own(info: tf.TensorInfo): tf.TensorInfo {
    this.#temps.push(info);
    return info;
  }

  transpose(x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }

  /** A view with another shape: shares x's data (the stock kernel only bumps its reference count). */
  reshape(x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  reverse(x: tf.TensorInfo, dims: number[]): tf.TensorInfo {
    return this.run('Reverse', { x }, { dims });
  }

  /** Zero padding; `paddings[i] = [before, after]` for axis i. */
  pad(x: tf.TensorInfo, paddings: [number, number][]): tf.TensorInfo {
    return this.run('PadV2', { x }, { paddings, constantValue: 0 });
  }

  slice(x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
    return this.run('Slice', { x }, { begin, size });
  }

  /** x[begin + strides·j] along every axis, j up to (end − begin)/strides. */
  stridedSlice(x: tf.TensorInfo, begin: number[], end: number[], strides: number[]): tf.TensorInfo {
    return this.run('StridedSlice', { x }, {
      begin, end, strides, beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0,
    });
  }

  sum(x: tf.TensorInfo, axis: number[]): tf.TensorInfo {
    return this.run('Sum', { x }, { axis, keepDims: false });
  }

  zeros(shape: number[]): tf.TensorInfo {
    return this.run('Fill', {}, { shape, value: 0, dtype: 'float32' });
  }

  /** XNNPACK convolution: x `[batch, height, width, inChannels]`, filter `[fh, fw, inChannels, outChannels]`. */
  conv2d(x: tf.TensorInfo, filter: tf.TensorInfo, strides: [number, number], dilations: [number, number], pad: ExplicitPad4) {
    return this.run('Conv2D', { x, filter }, { strides, dilations, pad, dataFormat: 'NHWC' });
  }

  /** XNNPACK depthwise convolution: x `[batch, height, width, channels]`, filter `[fh, fw, channels, multiplier]`. */
  depthwise(x: tf.TensorInfo, filter: tf.TensorInfo, strides: [number, number], dilations: [number, number], pad: ExplicitPad4) {
    return this.run('DepthwiseConv2dNative', { x, filter }, { strides, dilations, pad });
  }

  /** Plain (untransposed) stock matmul: `[batch, m, k] × [batch, k, n]`, XNNPACK when both batches are 1. */
  matMul(a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
    return this.run('BatchMatMul', { a, b }, { transposeA: false, transposeB: false });
  }

  /** Dispose one intermediate now (inside loops, to keep the heap small). */
  release(info: tf.TensorInfo): void {
    const i = this.#temps.indexOf(info);
    if (i < 0) return; // not made here: not ours to free
    this.#temps.splice(i, 1);
    this.backend.disposeData(info.dataId);
  }

  /** Dispose every intermediate except `keep` (compared by identity). */
  disposeExcept(keep: tf.TensorInfo | undefined): void {
    for (const t of this.#temps) if (t !== keep) this.backend.disposeData(t.dataId);
    this.#temps.length = 0;
  }
}

/**
 * Run a kernel body with a fresh {@link WasmScope}; free every intermediate except the result, also when the body
 * throws. The body must return a tensor made inside the scope (never one of its inputs).
 */
export function withScope(
  backend: WasmBackendLike,
  stock: StockKernels,
  body: (scope: WasmScope) => tf.TensorInfo,
): tf.TensorInfo {
  const scope = new WasmScope(backend, stock);
  let result: tf.TensorInfo | undefined;
  try {
    result = body(scope);
    return result;
  } finally {
    scope.disposeExcept(result);
  }
}

/** Normalise a `number | [number, number]` attribute. */
export function pair(value: number | [number, number]): [number, number] {
  return typeof value === 'number' ? [value, value] : value;
}
