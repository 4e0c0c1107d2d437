/**
 * Sample quality under a KNOWN data mixture p_0 = Σ_k π_k N(μ_k, Σ_k), Σ_k diagonal (lib/analytic/mixture.ts):
 * mode coverage, per-mode mass against the weights, the fraction of "high-quality" samples near their mode, and the
 * mean log-density of the samples under p_0.
 *
 * Each sample is assigned to its most responsible clean component, k̂(x) = argmax_k r_k(x) with
 *   r_k(x) = π_k N(x; μ_k, Σ_k) / p_0(x)
 * (the t = 0 responsibilities WITHOUT the schedule's σ_0² noise, which lib/analytic's logResponsibilities would
 * add at DDPM index 0). They come from lib/analytic's own posterior kernel evaluated with α = 1, σ = 0, whose
 * covariances C_k = α²Σ_k + σ²I are then exactly Σ_k — the same formulas, not a copy of them.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError } from '../errors.js';
import type { Mixture } from '../analytic/mixture.js';
import { posterior, type TimeCoefs } from '../analytic/gmm-kernel.js';
import { checkPoints } from './checks.js';

/** α = 1, σ = 0: the posterior kernel's noisy marginal p_t collapses to the clean mixture p_0. */
const CLEAN: TimeCoefs = { alpha: Float64Array.of(1), sigma: Float64Array.of(0) };

/** Rows per posterior call, so that the kernel's [rows, K, D] intermediates stay near 2²² values. */
function rowBlock(m: Mixture): number {
  return Math.max(1, Math.floor((1 << 22) / (m.K * m.D)));
}

/** log p_0(x) per sample and the most responsible component per sample, host arrays, in row blocks. */
function cleanEval(m: Mixture, x: tf.Tensor2D): { logDensity: Float64Array; assigned: Int32Array } {
  const n = x.shape[0];
  const logDensity = new Float64Array(n);
  const assigned = new Int32Array(n);
  const block = rowBlock(m);
  for (let i0 = 0; i0 < n; i0 += block) {
    const b = Math.min(block, n - i0);
    const [lp, arg] = tf.tidy(() => {
      const xb = (b === n ? x : x.slice([i0, 0], [b, m.D])) as tf.Tensor2D;
      const p = posterior(m, tf.tensor1d(Float32Array.from(m.logWeights)), xb, CLEAN);
      return [p.logDensity, p.logR.argMax(1)];
    });
    logDensity.set(lp.dataSync(), i0);
    assigned.set(arg.dataSync(), i0);
    tf.dispose([lp, arg]);
  }
  return { logDensity, assigned };
}

/**
 * Log responsibilities of the clean mixture, log r_k(x) = log π_k + log N(x; μ_k, Σ_k) − log p_0(x)
 * (log-sum-exp normalised; no σ_0² noise).
 * @param x samples, [B, D] with D = m.D, B ≥ 1. @returns [B, K] float32; the caller owns it.
 * @throws ShapeError (arg `x`) for x not [B, m.D] with B ≥ 1.
 */
export function cleanLogResponsibilities(m: Mixture, x: tf.Tensor2D): tf.Tensor2D {
  checkPoints('cleanLogResponsibilities', 'x', x, 1, m.D);
  return tf.tidy(() => posterior(m, tf.tensor1d(Float32Array.from(m.logWeights)), x, CLEAN).logR);
}

/**
 * Mean log-density of samples under the clean mixture, (1/n) Σ_i log p_0(x_i) with
 * log p_0(x) = LSE_k[log π_k − ½ Σ_d ((x_d − μ_kd)²/v_kd + log 2π v_kd)]: a precision-like score in nats
 * (high when samples sit where p_0 has mass; pair it with {@link modeCoverage}, since collapsing onto the
 * heaviest mode also scores well). Per-sample terms are float32, the mean is float64.
 * @param x samples, [n, D] with D = m.D, n ≥ 1. @returns a host number. Leaves no tensors.
 * @throws ShapeError (arg `x`) for x not [n, m.D] with n ≥ 1.
 */
export function meanLogDensity(m: Mixture, x: tf.Tensor2D): number {
  const [n] = checkPoints('meanLogDensity', 'x', x, 1, m.D);
  const { logDensity } = cleanEval(m, x);
  let s = 0;
  for (let i = 0; i < n; i++) s += logDensity[i];
  return s / n;
}

/**
 * Default share threshold: a component is covered once it received ≥ 10% of its expected count π_k·n. A project
 * choice: VEEGAN's "at least one sample" rule (Srivastava et al. 2017, §5.1) is fooled by a few stray samples at
 * large n, while 10% still flags a mode that a student visits an order of magnitude too rarely.
 */
export const DEFAULT_MIN_FRACTION = 0.1;

/**
 * Default radius of a high-quality sample, in standard deviations (Mahalanobis distance to its assigned mode):
 * 3, as VEEGAN's "within three standard deviations" (Srivastava et al. 2017, §5.1; also PacGAN). For exact
 * samples the expected fraction is P(χ²_D ≤ 9): 0.989 in 2-D (1 − e^{−4.5}), 0.97 in 3-D, 0.83 in 8-D.
 */
export const DEFAULT_K_SIGMA = 3;

/** Options of {@link modeCoverage}. */
export interface CoverageOptions {
  /** Share of the expected count π_k·n that a component needs to count as covered, in (0, 1]. Default 0.1. */
  minFraction?: number;
  /** High-quality radius in standard deviations (Mahalanobis, diagonal Σ_k), > 0. Default 3. */
  kSigma?: number;
}

/** What {@link modeCoverage} found; plain JSON. Component arrays have length K, in the mixture's order. */
export interface ModeCoverage {
  /** Number of samples n. */
  n: number;
  /** Fraction of components that are covered, in [0, 1]. */
  coverage: number;
  /** Components covered: count_k ≥ minFraction·π_k·n. */
  covered: boolean[];
  /** Samples assigned to each component. */
  counts: number[];
  /** Expected counts π_k·n. */
  expected: number[];
  /** Fraction of samples whose Mahalanobis distance to their assigned mode is ≤ kSigma. */
  highQuality: number;
  /**
   * KL(p̂ ‖ π) = Σ_k p̂_k log(p̂_k/π_k) in nats, p̂_k = count_k/n (0·log 0 = 0): 0 when the modes get their
   * weights' share, log 2 when half of K equal-weight modes take all the mass. This direction stays finite when
   * a mode is missed (KL(π ‖ p̂) would be +∞).
   */
  kl: number;
  /** The thresholds used. */
  minFraction: number;
  kSigma: number;
}

/**
 * Mode coverage and quality of samples under a known mixture (see the module comment and {@link ModeCoverage}).
 * @param x samples, [n, D] with D = m.D, n ≥ 1.
 * @throws ShapeError (arg `x`) for x not [n, m.D] with n ≥ 1; ArgumentError for `minFraction` outside (0, 1] or
 *   `kSigma` not a finite number > 0.
 */
export function modeCoverage(m: Mixture, x: tf.Tensor2D, opts: CoverageOptions = {}): ModeCoverage {
  const fn = 'modeCoverage';
  const [n, D] = checkPoints(fn, 'x', x, 1, m.D);
  const minFraction = opts.minFraction ?? DEFAULT_MIN_FRACTION;
  if (!(typeof minFraction === 'number' && minFraction > 0 && minFraction <= 1)) {
    throw new ArgumentError(fn, 'minFraction', minFraction, 'a number in (0, 1]');
  }
  const kSigma = opts.kSigma ?? DEFAULT_K_SIGMA;
  if (!(typeof kSigma === 'number' && Number.isFinite(kSigma) && kSigma > 0)) {
    throw new ArgumentError(fn, 'kSigma', kSigma, 'a finite number > 0');
  }
  const { assigned } = cleanEval(m, x);
  const values = x.dataSync();
  const counts = new Array<number>(m.K).fill(0);
  const r2 = kSigma * kSigma;
  let good = 0;
  for (let i = 0; i < n; i++) {
    const k = assigned[i];
    counts[k]++;
    let q = 0; // squared Mahalanobis distance (x − μ_k)ᵀ Σ_k⁻¹ (x − μ_k), Σ_k diagonal
    for (let d = 0; d < D; d++) q += (values[i * D + d] - m.means[k * D + d]) ** 2 / m.variances[k * D + d];
    if (q <= r2) good++;
  }
  const expected = Array.from(m.weights, (w) => w * n);
  const covered = counts.map((c, k) => c >= minFraction * expected[k]);
  let kl = 0;
  counts.forEach((c, k) => {
    if (c > 0) kl += (c / n) * Math.log(c / n / m.weights[k]);
  });
  return {
    n,
    coverage: covered.filter(Boolean).length / m.K,
    covered,
    counts,
    expected,
    highQuality: good / n,
    kl,
    minFraction,
    kSigma,
  };
}
