/**
 * Exact analytic teachers for Gaussian-mixture data under the VP forward process x_t = α_t·x_0 + σ_t·ε
 * (Wang & Vastola, arXiv 2311.10892; Karras et al. 2022, arXiv 2206.00364, §2 for the ideal denoiser).
 *
 * Data p_0 = Σ_k π_k N(μ_k, Σ_k) with isotropic (Σ_k = s_k² I) or diagonal components in any dimension D. At DDPM
 * index t the noisy marginal is again a mixture, p_t = Σ_k π_k N(α_t μ_k, C_k(t)), C_k(t) = α_t² Σ_k + σ_t² I, and
 *   score      ∇ log p_t(x) = −Σ_k r_k C_k⁻¹ (x − α_t μ_k)
 *   denoiser   E[x_0 | x_t = x] = Σ_k r_k [μ_k + α_t Σ_k C_k⁻¹ (x − α_t μ_k)] = (x + σ_t² ∇ log p_t)/α_t  (Tweedie)
 *   ε*         (x − α_t E[x_0|x])/σ_t = −σ_t ∇ log p_t = Σ_k r_k σ_t C_k⁻¹ (x − α_t μ_k)
 * with responsibilities r_k = π_k N(x; α_t μ_k, C_k)/p_t(x) from a log-sum-exp. ε* is computed in the direct form,
 * which stays well-conditioned as σ_t → 0 (no (x − α_t D)/σ_t cancellation).
 *
 * Tensor functions take x of shape [B, D] (float32) and t a {@link TimeArg} (one DDPM index, or [B] of them); they
 * run in `tf.tidy`, never dispose their inputs, and return one new float32 tensor the caller owns.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, ShapeError } from '../errors.js';
import type { Schedule } from '../diffusion/schedules.js';
import type { Denoiser, TimeArg } from '../diffusion/types.js';
import { makeRng, type Rng } from '../data/rng.js';
import { checkX, posterior, timeCoefs, type Components } from './gmm-kernel.js';

/** A Gaussian mixture as written in a config: K components in dimension D. */
export interface MixtureSpec {
  /** Mixture weights π_k > 0, K ≥ 1 of them; normalised internally (need not sum to 1). */
  weights: number[];
  /** Means μ_k, K arrays of length D. */
  means: number[][];
  /**
   * Per component: a number s_k² > 0 (isotropic Σ_k = s_k² I) or a length-D array (diagonal Σ_k); components may
   * mix the two forms (so `number[]` and `number[][]` are both accepted).
   */
  variances: (number | number[])[];
}

/** A validated mixture: host float64 arrays, weights normalised, variances expanded to diagonals. */
export interface Mixture extends Components {
  /** Number of components. */
  readonly K: number;
  /** Dimension. */
  readonly D: number;
  /** π_k, summing to 1. */
  readonly weights: Float64Array;
  /** log π_k. */
  readonly logWeights: Float64Array;
  /** μ_k, row-major [K, D]: μ_kd at k·D + d. */
  readonly means: Float64Array;
  /** Diagonal of Σ_k, row-major [K, D] like `means` (isotropic components repeat s_k²). */
  readonly variances: Float64Array;
  /** True when every component was given as isotropic (a number). */
  readonly isotropic: boolean;
}

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Validate a {@link MixtureSpec} and build the {@link Mixture}.
 * @param fn the public function to name in errors (callers that validate nested specs pass their own).
 * @param path prefix for argument names (for example `classes[2].`).
 * @throws ArgumentError for K = 0, a weight ≤ 0, a variance ≤ 0, or any non-finite number (arg such as
 *   `weights[1]`, `means[0][2]`, `variances[1][0]`); ShapeError for means or variances whose count or length
 *   disagree with K and D.
 */
export function makeMixture(spec: MixtureSpec, fn = 'makeMixture', path = ''): Mixture {
  const { weights, means, variances } = spec ?? ({} as MixtureSpec);
  if (!Array.isArray(weights) || weights.length === 0) {
    throw new ArgumentError(fn, `${path}weights`, weights, 'a non-empty array of numbers > 0 (K ≥ 1)');
  }
  const K = weights.length;
  weights.forEach((w, k) => {
    if (!(isFiniteNumber(w) && w > 0)) throw new ArgumentError(fn, `${path}weights[${k}]`, w, 'a finite number > 0');
  });
  if (!Array.isArray(means) || means.length !== K || !means.every(Array.isArray)) {
    const got = Array.isArray(means) ? [means.length, ...(Array.isArray(means[0]) ? [means[0].length] : [])] : [];
    throw new ShapeError(fn, `${path}means`, `[${K}, D] (one mean per weight)`, got);
  }
  const D = means[0].length;
  if (D < 1) throw new ShapeError(fn, `${path}means[0]`, '[D] with D ≥ 1', [0]);
  const mu = new Float64Array(K * D);
  means.forEach((row, k) => {
    if (row.length !== D) throw new ShapeError(fn, `${path}means[${k}]`, `[${D}] (the dimension of means[0])`, [row.length]);
    row.forEach((v, d) => {
      if (!isFiniteNumber(v)) throw new ArgumentError(fn, `${path}means[${k}][${d}]`, v, 'a finite number');
      mu[k * D + d] = v;
    });
  });
  if (!Array.isArray(variances) || variances.length !== K) {
    throw new ShapeError(
      fn,
      `${path}variances`,
      `[${K}] or [${K}, ${D}] (one variance or diagonal per weight)`,
      Array.isArray(variances) ? [variances.length] : [],
    );
  }
  const v = new Float64Array(K * D);
  let isotropic = true;
  variances.forEach((vk, k) => {
    if (Array.isArray(vk)) {
      isotropic = false;
      if (vk.length !== D) throw new ShapeError(fn, `${path}variances[${k}]`, `a number or [${D}]`, [vk.length]);
      vk.forEach((vkd, d) => {
        if (!(isFiniteNumber(vkd) && vkd > 0)) {
          throw new ArgumentError(fn, `${path}variances[${k}][${d}]`, vkd, 'a finite number > 0');
        }
        v[k * D + d] = vkd;
      });
    } else {
      if (!(isFiniteNumber(vk) && vk > 0)) throw new ArgumentError(fn, `${path}variances[${k}]`, vk, 'a finite number > 0');
      v.fill(vk, k * D, (k + 1) * D);
    }
  });
  const total = weights.reduce((s, w) => s + w, 0);
  const pi = Float64Array.from(weights, (w) => w / total);
  return { K, D, weights: pi, logWeights: pi.map(Math.log), means: mu, variances: v, isotropic };
}

/**
 * The noisy marginal p_t = Σ_k π_k N(α_t μ_k, α_t² Σ_k + σ_t² I) as a {@link Mixture} (float64, one time t).
 * @param t DDPM index in [0, N−1].
 * @throws ArgumentError for t out of range.
 */
export function marginalAt(m: Mixture, schedule: Schedule, t: number): Mixture {
  const { alpha, sigma } = timeCoefs('marginalAt', schedule, t, 1);
  const a = alpha[0];
  const s2 = sigma[0] * sigma[0];
  return {
    ...m,
    means: m.means.map((mu) => a * mu),
    variances: m.variances.map((v) => a * a * v + s2),
  };
}

/** Run the posterior kernel for a public function: validate x and t, then compute inside tidy. */
function withPosterior<T extends tf.Tensor>(
  fn: string,
  m: Mixture,
  schedule: Schedule,
  x: tf.Tensor2D,
  t: TimeArg,
  pick: (p: ReturnType<typeof posterior>, sigma: Float64Array) => T,
  withX0 = false,
): T {
  const B = checkX(fn, x, m.D);
  const tc = timeCoefs(fn, schedule, t, B);
  return tf.tidy(() => pick(posterior(m, tf.tensor1d(Float32Array.from(m.logWeights)), x, tc, withX0), tc.sigma));
}

/** Per-sample coefficient [B, 1] (or scalar) for outputs of shape [B, D]. */
function col(values: Float64Array): tf.Tensor {
  return values.length === 1 ? tf.scalar(values[0]) : tf.tensor2d(Float32Array.from(values), [values.length, 1]);
}

/**
 * Log responsibilities log r_k(x, t) = log π_k + log N(x; α_t μ_k, C_k(t)) − log p_t(x) (log-sum-exp normalised).
 * @param x noisy samples x_t, [B, D]. @param t DDPM index, or [B] of them.
 * @returns [B, K].
 * @throws ShapeError for x not [B, D] or t not [B]; ArgumentError for t outside [0, N−1].
 */
export function logResponsibilities(m: Mixture, schedule: Schedule, x: tf.Tensor2D, t: TimeArg): tf.Tensor2D {
  return withPosterior('logResponsibilities', m, schedule, x, t, (p) => p.logR);
}

/**
 * Log-density of the noisy marginal, log p_t(x) = LSE_k[log π_k + log N(x; α_t μ_k, α_t² Σ_k + σ_t² I)]; finite
 * for any finite x (no underflow far from the modes).
 * @param x [B, D]. @param t DDPM index, or [B] of them. @returns [B].
 * @throws ShapeError / ArgumentError as {@link logResponsibilities}.
 */
export function logDensity(m: Mixture, schedule: Schedule, x: tf.Tensor2D, t: TimeArg): tf.Tensor1D {
  return withPosterior('logDensity', m, schedule, x, t, (p) => p.logDensity.reshape([x.shape[0]]) as tf.Tensor1D);
}

/**
 * Score of the noisy marginal, ∇_x log p_t(x) = −Σ_k r_k C_k(t)⁻¹ (x − α_t μ_k).
 * @param x [B, D]. @param t DDPM index, or [B] of them. @returns [B, D].
 * @throws ShapeError / ArgumentError as {@link logResponsibilities}.
 */
export function score(m: Mixture, schedule: Schedule, x: tf.Tensor2D, t: TimeArg): tf.Tensor2D {
  return withPosterior('score', m, schedule, x, t, (p) => p.precDiff.neg() as tf.Tensor2D);
}

/**
 * Exact denoiser (posterior mean, Tweedie): E[x_0 | x_t = x] = Σ_k r_k [μ_k + α_t Σ_k C_k(t)⁻¹ (x − α_t μ_k)].
 * @param x [B, D]. @param t DDPM index, or [B] of them. @returns x̂_0, [B, D].
 * @throws ShapeError / ArgumentError as {@link logResponsibilities}.
 */
export function denoise(m: Mixture, schedule: Schedule, x: tf.Tensor2D, t: TimeArg): tf.Tensor2D {
  return withPosterior('denoise', m, schedule, x, t, (p) => p.x0 as tf.Tensor2D, true);
}

/**
 * Exact noise prediction ε*(x, t) = −σ_t ∇ log p_t(x) = Σ_k r_k σ_t C_k(t)⁻¹ (x − α_t μ_k), equal to
 * (x − α_t E[x_0|x])/σ_t but without that form's cancellation at small σ_t.
 * @param x [B, D]. @param t DDPM index, or [B] of them. @returns ε*, [B, D].
 * @throws ShapeError / ArgumentError as {@link logResponsibilities}.
 */
export function epsStar(m: Mixture, schedule: Schedule, x: tf.Tensor2D, t: TimeArg): tf.Tensor2D {
  return withPosterior('epsStar', m, schedule, x, t, (p, sigma) => p.precDiff.mul(col(sigma)) as tf.Tensor2D);
}

/**
 * The mixture's exact ε-prediction as a {@link Denoiser}: (x, t) ↦ ε*(x, t). Accepts x of shape [B, D] or
 * [B, …] with D values per sample (reshaped, so a mixture over flattened images serves image-shaped solvers);
 * the result has x's shape. `cond` is ignored.
 * @throws ShapeError (fn `mixtureDenoiser`, arg `x`) when x does not hold D values per sample.
 */
export function mixtureDenoiser(m: Mixture, schedule: Schedule): Denoiser {
  const FN = 'mixtureDenoiser';
  return (x: tf.Tensor, t: TimeArg): tf.Tensor => {
    const perSampleSize = x instanceof tf.Tensor ? x.shape.slice(1).reduce((a, b) => a * b, 1) : NaN;
    if (!(x instanceof tf.Tensor) || x.rank < 2 || perSampleSize !== m.D) {
      throw new ShapeError(FN, 'x', `[B, ${m.D}] or [B, …] with ${m.D} values per sample`, x instanceof tf.Tensor ? x.shape : []);
    }
    const B = x.shape[0];
    const tc = timeCoefs(FN, schedule, t, B);
    return tf.tidy(() => {
      const x2 = x.reshape([B, m.D]) as tf.Tensor2D;
      const p = posterior(m, tf.tensor1d(Float32Array.from(m.logWeights)), x2, tc);
      return p.precDiff.mul(col(tc.sigma)).reshape(x.shape);
    });
  };
}

/** Host samples from a mixture: values row-major [n, D] (float64) and each sample's component. */
export interface MixtureSamples {
  values: Float64Array;
  labels: Int32Array;
}

/**
 * Draw n samples x_0 ~ Σ_k π_k N(μ_k, Σ_k) on the host in float64: component k by inverse-CDF on the weights, then
 * μ_k + √Σ_k·z. Deterministic given the generator or seed.
 * @throws ArgumentError for n not an integer ≥ 0.
 */
export function sampleMixtureArray(m: Mixture, n: number, rng: Rng | number): MixtureSamples {
  if (!(Number.isInteger(n) && n >= 0)) throw new ArgumentError('sampleMixture', 'n', n, 'an integer ≥ 0');
  const r = typeof rng === 'number' ? makeRng(rng) : rng;
  const { K, D } = m;
  const cum = new Float64Array(K);
  let acc = 0;
  for (let k = 0; k < K; k++) cum[k] = acc += m.weights[k];
  const values = new Float64Array(n * D);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const u = r.uniform() * acc;
    let k = 0;
    while (k < K - 1 && u >= cum[k]) k++;
    labels[i] = k;
    for (let d = 0; d < D; d++) {
      values[i * D + d] = m.means[k * D + d] + Math.sqrt(m.variances[k * D + d]) * r.normal();
    }
  }
  return { values, labels };
}

/**
 * Draw n samples x_0 from the mixture as a float32 tensor [n, D] plus their component labels [n] (host Int32Array).
 * Same stream as {@link sampleMixtureArray}. The caller owns `x`.
 * @throws ArgumentError for n not an integer ≥ 0.
 */
export function sampleMixture(m: Mixture, n: number, rng: Rng | number): { x: tf.Tensor2D; labels: Int32Array } {
  const { values, labels } = sampleMixtureArray(m, n, rng);
  return { x: tf.tensor2d(Float32Array.from(values), [n, m.D]), labels };
}
