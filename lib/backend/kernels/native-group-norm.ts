/**
 * `SplamGroupNorm` / `SplamGroupNormGrad` on the native backend: the same formulas and checks as ./group-norm.ts
 * (which documents them) in the splam-native addon (native/src/group_norm.cc), parallel over the batch with OpenMP,
 * on the wasm heap in place. The JS kernels of ./group-norm.ts stay the fallback for non-float32 inputs.
 */
import * as tf from '@tensorflow/tfjs';
import type { NativeKernels } from '../native.js';
import { checkGroupNorm, checkGroupNormGrad, type GroupNormAttrs } from './group-norm.js';
import { allFloat32, heapF32 as heap, type TensorInputs, type WasmBackendLike } from './wasm-ops.js';

/** The native `SplamGroupNorm` kernel: x `[B, …, C]`, gamma, beta `[C]` → y, mean `[B, G]`, rstd `[B, G]`. */
export function makeNativeGroupNorm(native: NativeKernels, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x, gamma, beta } = args.inputs as TensorInputs<'x' | 'gamma' | 'beta'>;
    if (!allFloat32(x, gamma, beta)) return fallback(args);
    const { groups, epsilon } = args.attrs as unknown as GroupNormAttrs;
    const g = checkGroupNorm(x, gamma, beta, groups);
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
    if (!allFloat32(dy, x, gamma, mean, rstd)) return fallback(args);
    const { groups } = args.attrs as unknown as Pick<GroupNormAttrs, 'groups'>;
    const g = checkGroupNormGrad(dy, x, gamma, mean, rstd, groups);
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
