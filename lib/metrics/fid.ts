/**
 * Fréchet distance between Gaussians fitted to two feature sets (Heusel et al. 2017, "GANs trained by a two
 * time-scale update rule converge to a local Nash equilibrium", the FID; Dowson & Landau 1982 for the formula):
 *
 *   d² = ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2·(Σ₁^{1/2} Σ₂ Σ₁^{1/2})^{1/2})
 *
 * the squared 2-Wasserstein distance between N(μ₁, Σ₁) and N(μ₂, Σ₂). Statistics are float64 (mean, and the
 * unbiased covariance with divisor n − 1, as numpy's `np.cov` in pytorch-fid). The trace term uses two symmetric
 * eigen-decompositions (lib/metrics/linalg.ts), never the square root of the non-symmetric product Σ₁Σ₂ that
 * pytorch-fid hands to scipy's `sqrtm`; eigenvalues that rounding makes slightly negative are clamped to 0.
 *
 * Features here are the penultimate layer of our own Fashion-MNIST classifier (lib/nn/classifier.ts), not
 * Inception-v3: values are comparable only between runs that use the same feature network.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError } from '../errors.js';
import { checkPoints } from './checks.js';
import { checkSymmetric, trace, traceSqrtProduct } from './linalg.js';

/** Mean and covariance of a feature set, float64. */
export interface GaussianStats {
  /** Number of samples n the statistics come from. */
  n: number;
  /** Feature dimension F. */
  dim: number;
  /** μ, [F]. */
  mean: Float64Array;
  /** Σ, [F, F] row-major, unbiased (divisor n − 1). */
  cov: Float64Array;
}

/**
 * Mean and unbiased covariance of the rows of a feature matrix, accumulated in float64 (two passes: the mean,
 * then the centred products). Async because a tensor's values are read with `await t.data()` (tfjs's WebGPU backend
 * in Node cannot read synchronously); host values are used as they are.
 * @param x features [n, F] with n ≥ 2, as a tensor or as row-major values with their shape.
 * @throws ShapeError (fn `featureStats`, arg `x`) for n < 2 or a non-matrix; ArgumentError (arg `x.shape`) for host
 *   values that do not match their shape. Both thrown synchronously, before any read.
 */
export function featureStats(x: tf.Tensor2D | { data: ArrayLike<number>; shape: [number, number] }): Promise<GaussianStats> {
  const fn = 'featureStats';
  if (x instanceof tf.Tensor) {
    const [n, F] = checkPoints(fn, 'x', x, 2);
    return x.data().then((data) => statsOf(data, n, F));
  }
  const [n, F] = x.shape;
  if (!(Number.isInteger(n) && n >= 2 && Number.isInteger(F) && F >= 1 && x.data.length === n * F)) {
    throw new ArgumentError(fn, 'x.shape', x.shape, `[n, F] with n ≥ 2, F ≥ 1 and n·F = data.length (${x.data.length})`);
  }
  return Promise.resolve(statsOf(x.data, n, F));
}

/** {@link featureStats} of row-major host values [n, F] (checked by the caller). */
function statsOf(data: ArrayLike<number>, n: number, F: number): GaussianStats {
  const mean = new Float64Array(F);
  for (let i = 0; i < n; i++) for (let j = 0; j < F; j++) mean[j] += data[i * F + j];
  for (let j = 0; j < F; j++) mean[j] /= n;
  const cov = new Float64Array(F * F);
  const d = new Float64Array(F);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < F; j++) d[j] = data[i * F + j] - mean[j];
    for (let a = 0; a < F; a++) {
      const da = d[a];
      if (da === 0) continue;
      const row = a * F;
      for (let b = a; b < F; b++) cov[row + b] += da * d[b];
    }
  }
  for (let a = 0; a < F; a++) {
    for (let b = a; b < F; b++) {
      const v = cov[a * F + b] / (n - 1);
      cov[a * F + b] = v;
      cov[b * F + a] = v;
    }
  }
  return { n, dim: F, mean, cov };
}

/** The Fréchet distance and its two parts. */
export interface FrechetDistance {
  /** d² = meanTerm + traceTerm, clamped at 0 (rounding can leave −1e−13 for identical statistics). */
  fid: number;
  /** ‖μ₁ − μ₂‖². */
  meanTerm: number;
  /** tr Σ₁ + tr Σ₂ − 2·tr (Σ₁^{1/2} Σ₂ Σ₁^{1/2})^{1/2}. */
  traceTerm: number;
  /** The most negative eigenvalue of Σ₁^{1/2} Σ₂ Σ₁^{1/2} clamped to 0 (0 when none): how much rounding there was. */
  clampedEigenvalue: number;
}

/**
 * Fréchet distance between N(μ₁, Σ₁) and N(μ₂, Σ₂) (see the file's doc). Symmetric in its arguments.
 * @param a, b statistics of the same dimension F: `mean` [F], `cov` [F, F] symmetric PSD.
 * @throws ArgumentError when the dimensions differ, or a covariance is not finite and symmetric.
 */
export function frechetDistance(a: Pick<GaussianStats, 'mean' | 'cov'>, b: Pick<GaussianStats, 'mean' | 'cov'>): FrechetDistance {
  const fn = 'frechetDistance';
  const F = a.mean.length;
  if (F < 1) throw new ArgumentError(fn, 'a.mean', `${F} values`, 'a mean of dimension F ≥ 1');
  if (b.mean.length !== F) throw new ArgumentError(fn, 'b.mean', `${b.mean.length} values`, `the dimension of a.mean (${F})`);
  checkSymmetric(fn, 'a.cov', a.cov, F);
  checkSymmetric(fn, 'b.cov', b.cov, F);
  let meanTerm = 0;
  for (let j = 0; j < F; j++) meanTerm += (a.mean[j] - b.mean[j]) ** 2;
  const cross = traceSqrtProduct(a.cov, b.cov, F);
  const traceTerm = trace(a.cov, F) + trace(b.cov, F) - 2 * cross.value;
  return { fid: Math.max(0, meanTerm + traceTerm), meanTerm, traceTerm, clampedEigenvalue: cross.minEigenvalue };
}

/**
 * FID between two feature sets: {@link frechetDistance} of their {@link featureStats} (each set read to the host with
 * `await`, so it runs on every backend, WebGPU included).
 * @param x features [n, F], n ≥ 2; @param y features [m, F], m ≥ 2 (m may differ from n).
 * @throws ShapeError (synchronously) when either is not [≥ 2, F] or their F differ.
 */
export function fid(x: tf.Tensor2D, y: tf.Tensor2D): Promise<FrechetDistance> {
  const [, F] = checkPoints('fid', 'x', x, 2);
  checkPoints('fid', 'y', y, 2, F);
  return Promise.all([featureStats(x), featureStats(y)]).then(([a, b]) => frechetDistance(a, b));
}
