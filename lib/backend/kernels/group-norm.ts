/**
 * Group normalisation (Wu & He 2018) as two fused wasm kernels, forward and gradient, looping over the wasm heap.
 *
 * Composed from tfjs ops, GroupNorm on `[B, H, W, C]` needs moments over axes that are not innermost (the stock wasm
 * reductions transpose first), several broadcasting element-wise ops (stock wasm broadcasts other than along the
 * last axis take a slow generic path), and autodiff then doubles all of it. Each kernel here is two passes over the
 * data (per-channel strided loops with scalar accumulators, which V8 keeps in registers). For `[64, 28, 28, 32]`
 * with 8 groups, forward and forward + backward (with a weighted-sum loss): composed 49 / 170 ms, fused 19 / 60 ms;
 * the kernels alone 8 ms forward, 12 ms gradient (JS, ~5–8 ns per value; medians under a load average of ~3.4 on 2
 * cores, so roughly halve them for an idle machine).
 *
 * Layout: x `[B, …, C]` seen as `[B, S, C]`; group g holds channels g·C/G … (g+1)·C/G − 1 (PyTorch's order);
 * n = S·C/G values per (sample, group).
 *
 * Forward `SplamGroupNorm`: μ_{b,g} = mean, σ²_{b,g} = mean of squares − μ² (both accumulated in float64; activations
 * with |μ|/σ beyond ~10⁶ would lose precision), r = 1/√(σ² + ε); y = γ_c·(x − μ)·r + β_c. Outputs y, μ `[B, G]`,
 * r `[B, G]` (kept for the gradient).
 *
 * Gradient `SplamGroupNormGrad`, with x̂ = (x − μ)·r and per (b, g) the sums A = Σ γ_c·dy, Bₓ = Σ γ_c·dy·x̂:
 *   dβ_c = Σ_{b,s} dy,  dγ_c = Σ_{b,s} dy·x̂,  dx = r·(γ_c·dy − A/n − x̂·Bₓ/n)
 * (the standard normalisation gradient; the last two terms remove the components along 1 and x̂ within each group).
 *
 * lib/nn/groupnorm.ts wires them together with tf.customGrad and falls back to composed ops on backends without them.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, ShapeError } from '../../errors.js';
import { heapF32, sameShape, type StockKernels, type TensorInputs, type WasmBackendLike } from './wasm-ops.js';

/** Kernel names (splam-lab's own; tfjs has no GroupNorm op). */
export const GROUP_NORM_KERNEL = 'SplamGroupNorm';
export const GROUP_NORM_GRAD_KERNEL = 'SplamGroupNormGrad';

export interface GroupNormAttrs {
  groups: number;
  epsilon: number;
}

export interface Geometry {
  B: number;
  S: number;
  C: number;
  G: number;
  /** Channels per group. */
  cg: number;
}

/** Check x, γ and groups and read the layout. */
function geometry(fn: string, x: tf.TensorInfo, gamma: tf.TensorInfo, groups: number): Geometry {
  if (x.shape.length < 2) throw new ShapeError(fn, 'x', '[B, …, C] (rank ≥ 2)', x.shape);
  const C = x.shape[x.shape.length - 1];
  const B = x.shape[0];
  if (!Number.isInteger(groups) || groups < 1 || C % groups !== 0) throw new ArgumentError(fn, 'groups', groups, `a divisor of the ${C} channels`);
  if (gamma.shape.length !== 1 || gamma.shape[0] !== C) throw new ShapeError(fn, 'gamma', `[${C}]`, gamma.shape);
  const size = x.shape.reduce((p, v) => p * v, 1);
  return { B, S: B * C === 0 ? 0 : size / (B * C), C, G: groups, cg: C / groups };
}

/**
 * The forward kernel's checks (x, γ, β, groups), shared with the native kernel (native-group-norm.ts).
 * @throws ShapeError / ArgumentError naming the input at fault.
 */
export function checkGroupNorm(x: tf.TensorInfo, gamma: tf.TensorInfo, beta: tf.TensorInfo, groups: number): Geometry {
  const g = geometry(GROUP_NORM_KERNEL, x, gamma, groups);
  if (beta.shape.length !== 1 || beta.shape[0] !== g.C) throw new ShapeError(GROUP_NORM_KERNEL, 'beta', `[${g.C}]`, beta.shape);
  return g;
}

/**
 * The gradient kernel's checks (dy against x, the statistics against [B, G]), shared with the native kernel.
 * @throws ShapeError / ArgumentError naming the input at fault.
 */
export function checkGroupNormGrad(dy: tf.TensorInfo, x: tf.TensorInfo, gamma: tf.TensorInfo, mean: tf.TensorInfo, rstd: tf.TensorInfo, groups: number): Geometry {
  const g = geometry(GROUP_NORM_GRAD_KERNEL, x, gamma, groups);
  if (!sameShape(dy.shape, x.shape)) throw new ShapeError(GROUP_NORM_GRAD_KERNEL, 'dy', `[${x.shape.join(', ')}] (x's shape)`, dy.shape);
  for (const [name, t] of [['mean', mean], ['rstd', rstd]] as const) {
    if (!sameShape(t.shape, [g.B, g.G])) throw new ShapeError(GROUP_NORM_GRAD_KERNEL, name, `[${g.B}, ${g.G}]`, t.shape);
  }
  return g;
}


/** The `SplamGroupNorm` kernel. Inputs: x `[B, …, C]`, gamma `[C]`, beta `[C]`. Attrs: groups, epsilon. Outputs: y, mean `[B, G]`, rstd `[B, G]`. */
export function makeGroupNorm(_stock?: StockKernels): tf.KernelFunc {
  return ({ inputs, backend: be, attrs }) => {
    const { x, gamma, beta } = inputs as TensorInputs<'x' | 'gamma' | 'beta'>;
    const { groups, epsilon } = attrs as unknown as GroupNormAttrs;
    const g = checkGroupNorm(x, gamma, beta, groups);
    const backend = be as WasmBackendLike;
    const y = backend.makeOutput(x.shape, 'float32');
    const meanOut = backend.makeOutput([g.B, g.G], 'float32');
    const rstdOut = backend.makeOutput([g.B, g.G], 'float32');
    // Views only after every allocation (growing the heap detaches older views).
    const X = heapF32(backend, x);
    const Y = heapF32(backend, y);
    const M = heapF32(backend, meanOut);
    const R = heapF32(backend, rstdOut);
    const gam = heapF32(backend, gamma);
    const bet = heapF32(backend, beta);
    const { B, S, C, G, cg } = g;
    const n = S * cg;
    const sum = new Float64Array(C);
    const sq = new Float64Array(C);
    const a = new Float32Array(C);
    const k = new Float32Array(C);
    const end = S * C;
    for (let b = 0; b < B; b++) {
      const base = b * end;
      // Per channel, strided, with scalar accumulators: V8 keeps them in registers (read-modify-writes of a typed
      // array in the inner loop were ~4× slower).
      for (let c = 0; c < C; c++) {
        let s1 = 0;
        let s2 = 0;
        for (let o = base + c, e = base + end; o < e; o += C) {
          const v = X[o];
          s1 += v;
          s2 += v * v;
        }
        sum[c] = s1;
        sq[c] = s2;
      }
      for (let gi = 0; gi < G; gi++) {
        let s1 = 0;
        let s2 = 0;
        for (let c = gi * cg; c < (gi + 1) * cg; c++) {
          s1 += sum[c];
          s2 += sq[c];
        }
        const mu = s1 / n;
        const r = 1 / Math.sqrt(Math.max(s2 / n - mu * mu, 0) + epsilon);
        M[b * G + gi] = mu;
        R[b * G + gi] = r;
        for (let c = gi * cg; c < (gi + 1) * cg; c++) {
          a[c] = r * gam[c];
          k[c] = bet[c] - mu * r * gam[c];
        }
      }
      for (let o = base, e = base + end; o < e; o += C) {
        for (let c = 0; c < C; c++) Y[o + c] = X[o + c] * a[c] + k[c];
      }
    }
    return [y, meanOut, rstdOut];
  };
}

/**
 * The `SplamGroupNormGrad` kernel. Inputs: dy `[B, …, C]`, x (the forward input), gamma `[C]`, mean and rstd `[B, G]`
 * (the forward kernel's extra outputs). Attrs: groups. Outputs: dx (x's shape), dgamma `[C]`, dbeta `[C]`.
 */
export function makeGroupNormGrad(_stock?: StockKernels): tf.KernelFunc {
  return ({ inputs, backend: be, attrs }) => {
    const { dy, x, gamma, mean, rstd } = inputs as TensorInputs<'dy' | 'x' | 'gamma' | 'mean' | 'rstd'>;
    const { groups } = attrs as unknown as Pick<GroupNormAttrs, 'groups'>;
    const g = checkGroupNormGrad(dy, x, gamma, mean, rstd, groups);
    const backend = be as WasmBackendLike;
    const dxOut = backend.makeOutput(x.shape, 'float32');
    const dgOut = backend.makeOutput([g.C], 'float32');
    const dbOut = backend.makeOutput([g.C], 'float32');
    const DY = heapF32(backend, dy);
    const X = heapF32(backend, x);
    const gam = heapF32(backend, gamma);
    const M = heapF32(backend, mean);
    const R = heapF32(backend, rstd);
    const DX = heapF32(backend, dxOut);
    const { B, S, C, G, cg } = g;
    const n = S * cg;
    const dgamma = new Float64Array(C);
    const dbeta = new Float64Array(C);
    const s1 = new Float64Array(C);
    const s2 = new Float64Array(C);
    const P = new Float32Array(C);
    const Q = new Float32Array(C);
    const K = new Float32Array(C);
    const end = S * C;
    for (let b = 0; b < B; b++) {
      const base = b * end;
      for (let c = 0; c < C; c++) {
        const gi = (c / cg) | 0;
        const mu = M[b * G + gi];
        const r = R[b * G + gi];
        // Σ dy and Σ dy·x̂ for this channel, as Σ dy·x − μ·Σ dy, then times r.
        let sd = 0;
        let sdx = 0;
        for (let o = base + c, e = base + end; o < e; o += C) {
          const d = DY[o];
          sd += d;
          sdx += d * X[o];
        }
        s1[c] = sd;
        s2[c] = (sdx - mu * sd) * r;
      }
      for (let gi = 0; gi < G; gi++) {
        let A = 0;
        let Bx = 0;
        for (let c = gi * cg; c < (gi + 1) * cg; c++) {
          dbeta[c] += s1[c];
          dgamma[c] += s2[c];
          A += gam[c] * s1[c];
          Bx += gam[c] * s2[c];
        }
        const r = R[b * G + gi];
        const mu = M[b * G + gi];
        // dx = r·γ_c·dy + x·(−r²·Bₓ/n) + (−r·A/n + r²·μ·Bₓ/n)
        const q = (-r * r * Bx) / n;
        const kk = (-r * A) / n - q * mu;
        for (let c = gi * cg; c < (gi + 1) * cg; c++) {
          P[c] = r * gam[c];
          Q[c] = q;
          K[c] = kk;
        }
      }
      for (let o = base, e = base + end; o < e; o += C) {
        for (let c = 0; c < C; c++) DX[o + c] = DY[o + c] * P[c] + X[o + c] * Q[c] + K[c];
      }
    }
    heapF32(backend, dgOut).set(dgamma);
    heapF32(backend, dbOut).set(dbeta);
    return [dxOut, dgOut, dbOut];
  };
}
