/**
 * The splam-native addon (native/): matmul and convolution kernels built at install against Debian's oneDNN
 * (`apt-get install libdnnl-dev g++`, then `npm run build:native`; scripts/setup.sh does both). oneDNN 2.6 is the
 * library PyTorch's CPU convolutions run on (Debian's python3-torch links the same version).
 *
 * The addon works on Float32Arrays in place (views of tfjs-backend-wasm's heap included) and checks every size
 * against the view it is given before touching memory. oneDNN threads through OpenMP; the thread count belongs to the
 * calling thread, so each Node worker thread sets its own (see {@link NativeKernels.setThreads}).
 *
 * `SPLAM_NATIVE_ADDON` points at another build of the addon (a path to `splam_native.node`).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { BackendError, firstLine } from '../errors.js';

/** The addon's exports (native/src/addon.cc). Shapes are row-major; all sizes are element counts. */
export interface NativeKernels {
  /**
   * c_i = op(a_i)·op(b_i) for i < batch, op(·) transposing where asked; a_i starts at i·strideA (0: broadcast).
   * dims = [batch, m, n, k, transA (0|1), transB (0|1), strideA, strideB, strideC]; a_i is [m, k] ([k, m] when
   * transposed), b_i [k, n] ([n, k]), c_i [m, n]. With `bias` ([n]) every row of c_i starts from it.
   */
  gemm(a: Float32Array, b: Float32Array, c: Float32Array, dims: number[], bias: Float32Array | null): void;
  /** y [n, oh, ow, co] = conv2d(x [n, h, w, ci], filter [kh, kw, ci, co]) + bias [co] (when not null). */
  conv2d(x: Float32Array, filter: Float32Array, bias: Float32Array | null, y: Float32Array, geometry: number[]): void;
  /** dx [n, h, w, ci] = ∂⟨dy, conv2d(x, filter)⟩/∂x for dy [n, oh, ow, co]. */
  conv2dBackpropInput(dy: Float32Array, filter: Float32Array, dx: Float32Array, geometry: number[]): void;
  /** dFilter [kh, kw, ci, co] = ∂⟨dy, conv2d(x, filter)⟩/∂filter. */
  conv2dBackpropFilter(x: Float32Array, dy: Float32Array, dFilter: Float32Array, geometry: number[]): void;
  /** GroupNorm of x seen as [b, s, c] with g groups: y (x's size), mean and rstd [b, g]. */
  groupNorm(x: Float32Array, gamma: Float32Array, beta: Float32Array, y: Float32Array, mean: Float32Array, rstd: Float32Array, geometry: [number, number, number, number], eps: number): void;
  /** Its gradient: dx (x's size), dGamma and dBeta [c], from dy and the forward's x, mean, rstd. */
  groupNormGrad(dy: Float32Array, x: Float32Array, gamma: Float32Array, mean: Float32Array, rstd: Float32Array, dx: Float32Array, dGamma: Float32Array, dBeta: Float32Array, geometry: [number, number, number, number]): void;
  /** One AdamW step (lib/backend/kernels/adamw.ts) of p, m, v with gradient g into p2, m2, v2; hyper = [lr, β₁, β₂, ε, λ, scale, bc₁, bc₂]. */
  adamw(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, p2: Float32Array, m2: Float32Array, v2: Float32Array, hyper: number[]): void;
  /** Σ_i Σ x_i², in float64. */
  sumSquares(xs: Float32Array[]): number;
  /** y = sin x, element-wise (y at least as long as x). */
  sin(x: Float32Array, y: Float32Array): void;
  /** y = cos x, element-wise. */
  cos(x: Float32Array, y: Float32Array): void;
  /** y = x·σ(x), element-wise. */
  silu(x: Float32Array, y: Float32Array): void;
  /** dx = dy·σ(x)·(1 + x·(1 − σ(x))), element-wise. */
  siluGrad(dy: Float32Array, x: Float32Array, dx: Float32Array): void;
  /** y [outer, inner] = Σ over mid of x [outer, mid, inner] (float64 accumulation). */
  sumMid(x: Float32Array, y: Float32Array, dims: [number, number, number]): void;
  /** OpenMP threads the calling thread's kernels use (default: every core, or `OMP_NUM_THREADS`). */
  threads(): number;
  /** Set the OpenMP thread count of the calling thread (the main thread and each worker thread have their own). */
  setThreads(n: number): void;
  /** oneDNN's version, the instruction set it dispatches to, and the thread count. */
  info(): NativeInfo;
}

/** What the addon reports about its engine; recorded in a run's provenance. */
export interface NativeInfo {
  /** e.g. `oneDNN 2.6.3 (OpenMP)`. */
  library: string;
  /** The instruction set oneDNN's JIT dispatches to on this CPU, e.g. `avx512_core_bf16`. */
  isa: string;
  /** OpenMP threads of the calling thread. */
  threads: number;
}

/**
 * Geometry of one convolution as the addon takes it:
 * [n, h, w, ci, oh, ow, co, kh, kw, strideH, strideW, dilationH, dilationW, padTop, padLeft].
 */
export type ConvGeometryArray = [number, number, number, number, number, number, number, number, number, number, number, number, number, number, number];

export const NATIVE_BUILD_HINT =
  'install the build tools and oneDNN, then build the addon: apt-get install g++ make python3 libdnnl-dev && npm run build:native (scripts/setup.sh does both)';

/** Where the addon is looked for: `SPLAM_NATIVE_ADDON`, else native/build/Release/splam_native.node. */
export function nativeAddonPath(): string {
  const forced = process.env.SPLAM_NATIVE_ADDON;
  if (forced) return forced;
  return fileURLToPath(new URL('../../native/build/Release/splam_native.node', import.meta.url));
}

/**
 * Environment for one of `parallel` child processes that run at once: each child's oneDNN gets its share of the
 * cores (`OMP_NUM_THREADS`), since OpenMP teams that together exceed the cores spin against each other: notebook 05
 * in quick mode (sweeps, 2 points at once on 2 cores) took 255 s with both children on both cores, 49 s with one
 * core each. An `OMP_NUM_THREADS` already set is kept.
 */
export function childThreadEnv(parallel: number, cores = availableParallelism()): Record<string, string> {
  if (process.env.OMP_NUM_THREADS) return { OMP_NUM_THREADS: process.env.OMP_NUM_THREADS };
  return { OMP_NUM_THREADS: String(Math.max(1, Math.floor(cores / Math.max(1, parallel)))) };
}

let loaded: NativeKernels | undefined;

/**
 * Load the addon (once per thread).
 * @throws BackendError (backend `native`) when it is not built or cannot load (for example libdnnl missing).
 */
export function loadNative(): NativeKernels {
  if (loaded) return loaded;
  const path = nativeAddonPath();
  if (!existsSync(path)) throw new BackendError('native', `the native addon is not built (no ${path})`, NATIVE_BUILD_HINT);
  try {
    loaded = createRequire(import.meta.url)(path) as NativeKernels;
  } catch (err) {
    throw new BackendError('native', `the native addon at ${path} failed to load: ${firstLine(err)}`, NATIVE_BUILD_HINT);
  }
  return loaded;
}
