/**
 * `SplamGroupNorm` / `SplamGroupNormGrad` on the native backend: the same formulas as ./group-norm.ts (which
 * documents them) in the splam-native addon (native/src/group_norm.cc), parallel over the batch with OpenMP, on the
 * wasm heap in place. The JS kernels of ./group-norm.ts stay the fallback for non-float32 inputs.
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../../errors.js';
import type { NativeKernels } from '../native.js';
import { geometry, GROUP_NORM_GRAD_KERNEL, GROUP_NORM_KERNEL, type GroupNormAttrs } from './group-norm.js';
import type { TensorInputs, WasmBackendLike } from './wasm-ops.js';

const heap = (backend: WasmBackendLike, t: tf.TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;
const allF32 = (...ts: tf.TensorInfo[]) => ts.every((t) => t.dtype === 'float32');

/** The native `SplamGroupNorm` kernel: x `[B, …, C]`, gamma, beta `[C]` → y, mean `[B, G]`, rstd `[B, G]`. */
export function makeNativeGroupNorm(native: NativeKernels, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x, gamma, beta } = args.inputs as TensorInputs<'x' | 'gamma' | 'beta'>;
    if (!allF32(x, gamma, beta)) return fallback(args);
    const { groups, epsilon } = args.attrs as unknown as GroupNormAttrs;
    const g = geometry(GROUP_NORM_KERNEL, x, gamma, groups);
    if (beta.shape.length !== 1 || beta.shape[0] !== g.C) throw new ShapeError(GROUP_NORM_KERNEL, 'beta', `[${g.C}]`, beta.shape);
    const backend = args.backend as WasmBackendLike;
    const y = backend.makeOutput(x.shape, 'float32');
    const mean = backend.makeOutput([g.B, g.G], 'float32');
    const rstd = backend.makeOutput([g.B, g.G], 'float32');
    // Views only after every allocation (growing the heap detaches older views).
    native.groupNorm(heap(backend, x), heap(backend, gamma), heap(backend, beta), heap(backend, y), heap(backend, mean), heap(backend, rstd), [g.B, g.S, g.C, g.G], epsilon);
    return [y, mean, rstd];
  };
}

/** The native `SplamGroupNormGrad` kernel: dy, x, gamma, mean, rstd → dx, dgamma `[C]`, dbeta `[C]`. */
export function makeNativeGroupNormGrad(native: NativeKernels, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { dy, x, gamma, mean, rstd } = args.inputs as TensorInputs<'dy' | 'x' | 'gamma' | 'mean' | 'rstd'>;
    if (!allF32(dy, x, gamma, mean, rstd)) return fallback(args);
    const { groups } = args.attrs as unknown as Pick<GroupNormAttrs, 'groups'>;
    const g = geometry(GROUP_NORM_GRAD_KERNEL, x, gamma, groups);
    if (dy.shape.length !== x.shape.length || dy.shape.some((v, i) => v !== x.shape[i])) {
      throw new ShapeError(GROUP_NORM_GRAD_KERNEL, 'dy', `[${x.shape.join(', ')}] (x's shape)`, dy.shape);
    }
    for (const [name, t] of [['mean', mean], ['rstd', rstd]] as const) {
      if (t.shape.length !== 2 || t.shape[0] !== g.B || t.shape[1] !== g.G) throw new ShapeError(GROUP_NORM_GRAD_KERNEL, name, `[${g.B}, ${g.G}]`, t.shape);
    }
    const backend = args.backend as WasmBackendLike;
    const dx = backend.makeOutput(x.shape, 'float32');
    const dgamma = backend.makeOutput([g.C], 'float32');
    const dbeta = backend.makeOutput([g.C], 'float32');
    native.groupNormGrad(
      heap(backend, dy), heap(backend, x), heap(backend, gamma), heap(backend, mean), heap(backend, rstd),
      heap(backend, dx), heap(backend, dgamma), heap(backend, dbeta), [g.B, g.S, g.C, g.G],
    );
    return [dx, dgamma, dbeta];
  };
}
