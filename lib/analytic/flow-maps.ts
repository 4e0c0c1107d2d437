/**
 * Exact PF-ODE flow maps Φ_{t→s}: the point at DDPM index s on the probability-flow
 * trajectory through x at index t. Valid in both directions (s < t denoises, s > t noises).
 *
 *  - One Gaussian N(μ, Σ), Σ diagonal: the ODE is linear and
 *      x_s − α_s μ = C(s)^{1/2} C(t)^{−1/2} (x_t − α_t μ),   C(τ) = α_τ² Σ + σ_τ² I   (elementwise)
 *    (Wang & Vastola, arXiv 2311.10892).
 *  - Any 1-D mixture: the flow of a 1-D ODE is increasing and pushes p_t to p_s, so it is the monotone transport
 *      Φ_{t→s}(x) = F_s⁻¹(F_t(x)),   F_τ(x) = Σ_k π_k Φ((x − α_τ μ_k)/√C_k(τ)),
 *    computed on the host in float64: F in log space from whichever tail is smaller (so F near 0 or 1 keeps its
 *    relative precision), and F_s⁻¹ by a bracketed, safeguarded Newton iteration.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, ShapeError } from '../errors.js';
import type { Schedule } from '../diffusion/schedules.js';
import type { TimeArg } from '../diffusion/types.js';
import { checkX, timeCoefs } from './gmm-kernel.js';
import type { Mixture } from './mixture.js';
import { normalLogCdf, normalLogPdf, normalQuantileFromLog } from './normal.js';

/**
 * Exact flow map of the PF-ODE for data N(μ, Σ), Σ = diag(variances) (or v·I for a number):
 * x_s = α_s μ + √(C(s)/C(t))·(x_t − α_t μ) elementwise, C(τ) = α_τ² Σ + σ_τ² I.
 * @param mean μ, length D. @param variances diagonal of Σ (length D) or one isotropic variance, all > 0.
 * @param x points x_t, [B, D]. @param t start DDPM index (or [B] of them). @param s target DDPM index (or [B]).
 * @returns x_s, [B, D] (float32; coefficients computed in float64).
 * @throws ArgumentError for a non-finite mean, a variance ≤ 0, or t, s outside [0, N−1]; ShapeError for x not
 *   [B, D] or variances of the wrong length.
 */
export function gaussianFlowMap(
  mean: number[],
  variances: number[] | number,
  schedule: Schedule,
  x: tf.Tensor2D,
  t: TimeArg,
  s: TimeArg,
): tf.Tensor2D {
  const fn = 'gaussianFlowMap';
  if (!Array.isArray(mean) || mean.length === 0) throw new ArgumentError(fn, 'mean', mean, 'a non-empty array of finite numbers');
  const D = mean.length;
  mean.forEach((v, d) => {
    if (!Number.isFinite(v)) throw new ArgumentError(fn, `mean[${d}]`, v, 'a finite number');
  });
  let v: number[];
  if (typeof variances === 'number') {
    if (!(Number.isFinite(variances) && variances > 0)) throw new ArgumentError(fn, 'variances', variances, 'a finite number > 0');
    v = new Array(D).fill(variances);
  } else {
    if (!Array.isArray(variances) || variances.length !== D) {
      throw new ShapeError(fn, 'variances', `a number or [${D}] (the length of mean)`, Array.isArray(variances) ? [variances.length] : []);
    }
    variances.forEach((vd, d) => {
      if (!(Number.isFinite(vd) && vd > 0)) throw new ArgumentError(fn, `variances[${d}]`, vd, 'a finite number > 0');
    });
    v = variances;
  }
  const B = checkX(fn, x, D);
  const ct = timeCoefs(fn, schedule, t, B, 't');
  const cs = timeCoefs(fn, schedule, s, B, 's');
  // x_s = A ⊙ x + b with A = √(C(s)/C(t)), b = α_s μ − A α_t μ; rows per sample when t or s is per sample.
  const rows = Math.max(ct.alpha.length, cs.alpha.length);
  const A = new Float32Array(rows * D);
  const b = new Float32Array(rows * D);
  for (let i = 0; i < rows; i++) {
    const at = ct.alpha[ct.alpha.length === 1 ? 0 : i];
    const st = ct.sigma[ct.sigma.length === 1 ? 0 : i];
    const as = cs.alpha[cs.alpha.length === 1 ? 0 : i];
    const ss = cs.sigma[cs.sigma.length === 1 ? 0 : i];
    for (let d = 0; d < D; d++) {
      const scale = Math.sqrt((as * as * v[d] + ss * ss) / (at * at * v[d] + st * st));
      A[i * D + d] = scale;
      b[i * D + d] = as * mean[d] - scale * at * mean[d];
    }
  }
  return tf.tidy(() => x.mul(tf.tensor2d(A, [rows, D])).add(tf.tensor2d(b, [rows, D])) as tf.Tensor2D);
}

/** The noisy 1-D marginal at one time: log π_k, means α_τ μ_k, standard deviations √C_k(τ). */
interface Marginal1d {
  logW: Float64Array;
  mean: Float64Array;
  sd: Float64Array;
}

function marginal1d(m: Mixture, alpha: number, sigma: number): Marginal1d {
  return {
    logW: m.logWeights,
    mean: m.means.map((mu) => alpha * mu),
    sd: m.variances.map((v) => Math.sqrt(alpha * alpha * v + sigma * sigma)),
  };
}

/** log Σ_k e^{a_k}, stable; −Infinity for an empty or all −Infinity input. */
function logSumExp(a: Float64Array): number {
  let max = -Infinity;
  for (const v of a) if (v > max) max = v;
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (const v of a) sum += Math.exp(v - max);
  return max + Math.log(sum);
}

/**
 * log F(y) (lower tail, `upper` false) or log(1 − F(y)) (upper), and log p(y), of a 1-D marginal. Each tail is a sum
 * of component tails, so neither is computed as 1 − the other.
 */
function logTailAndPdf(g: Marginal1d, y: number, upper: boolean, buf: Float64Array, pbuf: Float64Array): [number, number] {
  for (let k = 0; k < g.mean.length; k++) {
    const z = (y - g.mean[k]) / g.sd[k];
    buf[k] = g.logW[k] + normalLogCdf(upper ? -z : z);
    pbuf[k] = g.logW[k] + normalLogPdf(z) - Math.log(g.sd[k]);
  }
  return [logSumExp(buf), logSumExp(pbuf)];
}

/** Relative tolerance of the F_s⁻¹ root (on y, with an absolute floor at |y| < 1). */
const ROOT_TOL = 1e-13;

/**
 * Solve log-tail(y) = target for y: `upper` false means log F(y) = target, true means log(1 − F(y)) = target.
 * h(y) = ±(log-tail(y) − target) is increasing; the root is bracketed by the component quantiles (F is a convex
 * combination of the component CDFs, so F ≤ p at the smallest component p-quantile and ≥ p at the largest), then
 * found by Newton's method with bisection whenever a step leaves the bracket or fails to halve (rtsafe,
 * Press et al., Numerical Recipes §9.4).
 */
function solveTail(g: Marginal1d, target: number, upper: boolean): number {
  const K = g.mean.length;
  const buf = new Float64Array(K);
  const pbuf = new Float64Array(K);
  const sign = upper ? -1 : 1;
  const h = (y: number): [number, number] => {
    const [lt, lp] = logTailAndPdf(g, y, upper, buf, pbuf);
    // d/dy log F = p/F; d/dy log(1 − F) = −p/(1 − F).
    return [sign * (lt - target), Math.exp(lp - lt)];
  };
  const zStar = normalQuantileFromLog(target, upper);
  let lo = Infinity;
  let hi = -Infinity;
  for (let k = 0; k < K; k++) {
    const q = g.mean[k] + g.sd[k] * zStar;
    lo = Math.min(lo, q);
    hi = Math.max(hi, q);
  }
  // Rounding can put the root just outside the quantile bracket: widen until the signs are right.
  let width = Math.max(hi - lo, 1e-8 * Math.max(1, Math.abs(lo)));
  let hLo = h(lo)[0];
  for (let i = 0; hLo > 0 && i < 200; i++, width *= 2) hLo = h((lo -= width))[0];
  width = Math.max(hi - lo, 1e-8 * Math.max(1, Math.abs(hi)));
  let hHi = h(hi)[0];
  for (let i = 0; hHi < 0 && i < 200; i++, width *= 2) hHi = h((hi += width))[0];
  if (hLo === 0) return lo;
  if (hHi === 0) return hi;
  let y = 0.5 * (lo + hi);
  let prevStep = hi - lo;
  for (let iter = 0; iter < 200; iter++) {
    const [hy, dh] = h(y);
    if (hy === 0) return y;
    if (hy < 0) lo = y;
    else hi = y;
    let next = y - hy / dh;
    if (!(next > lo && next < hi) || Math.abs(next - y) > 0.5 * prevStep) next = 0.5 * (lo + hi); // bisect
    prevStep = Math.abs(next - y);
    const tol = ROOT_TOL * Math.max(1, Math.abs(next));
    y = next;
    if (prevStep <= tol || hi - lo <= tol) return y;
  }
  return y;
}

function check1d(fn: string, m: Mixture, x: ArrayLike<number>): void {
  if (m?.D !== 1) throw new ArgumentError(fn, 'm.D', m?.D, '1 (a 1-D mixture)');
  if (!(x instanceof Float64Array || Array.isArray(x))) throw new ArgumentError(fn, 'x', x, 'a Float64Array or number[]');
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) throw new ArgumentError(fn, `x[${i}]`, x[i], 'a finite number');
  }
}

/**
 * Log-CDF and log-survival of the noisy 1-D marginal, log F_t(x) and log(1 − F_t(x)), both with relative
 * precision in their own tail (float64, host).
 * @param x points, any length. @param t DDPM index. @returns two arrays of x's length.
 * @throws ArgumentError for a mixture with D ≠ 1, a non-finite x, or t outside [0, N−1].
 */
export function mixture1dLogCdf(
  m: Mixture,
  schedule: Schedule,
  x: Float64Array | number[],
  t: number,
): { logCdf: Float64Array; logSf: Float64Array } {
  const fn = 'mixture1dLogCdf';
  check1d(fn, m, x);
  const c = timeCoefs(fn, schedule, t, 1, 't');
  const g = marginal1d(m, c.alpha[0], c.sigma[0]);
  const buf = new Float64Array(m.K);
  const pbuf = new Float64Array(m.K);
  const logCdf = Float64Array.from(x, (xi) => logTailAndPdf(g, xi, false, buf, pbuf)[0]);
  const logSf = Float64Array.from(x, (xi) => logTailAndPdf(g, xi, true, buf, pbuf)[0]);
  return { logCdf, logSf };
}

/**
 * Exact PF-ODE flow map of a 1-D Gaussian mixture by CDF matching: Φ_{t→s}(x) = F_s⁻¹(F_t(x)) (float64, host).
 * Matches in the smaller tail (log F if F ≤ ½, else log(1 − F)); the root is found to 1e-13 relative.
 * @param m a mixture with D = 1. @param x points x_t, any length. @param t start DDPM index. @param s target DDPM index.
 * @returns x_s, same length as x.
 * @throws ArgumentError for a mixture with D ≠ 1, a non-finite x, or t, s outside [0, N−1].
 */
export function mixture1dFlowMap(
  m: Mixture,
  schedule: Schedule,
  x: Float64Array | number[],
  t: number,
  s: number,
): Float64Array {
  const fn = 'mixture1dFlowMap';
  check1d(fn, m, x);
  const ct = timeCoefs(fn, schedule, t, 1, 't');
  const cs = timeCoefs(fn, schedule, s, 1, 's');
  if (t === s) return Float64Array.from(x);
  const gt = marginal1d(m, ct.alpha[0], ct.sigma[0]);
  const gs = marginal1d(m, cs.alpha[0], cs.sigma[0]);
  const buf = new Float64Array(m.K);
  const pbuf = new Float64Array(m.K);
  return Float64Array.from(x, (xi) => {
    const logF = logTailAndPdf(gt, xi, false, buf, pbuf)[0];
    const logQ = logTailAndPdf(gt, xi, true, buf, pbuf)[0];
    return logF <= logQ ? solveTail(gs, logF, false) : solveTail(gs, logQ, true);
  });
}
