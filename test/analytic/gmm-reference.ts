/**
 * An independent float64 host reference for Gaussian-mixture marginals, written from the formulas (not from
 * lib/analytic), for the analytic-teacher tests.
 */
import type { MixtureSpec } from '../../lib/analytic/mixture.js';

/** Diagonal of component k's Σ_k, length D, read straight from a spec. */
export function specVariance(spec: MixtureSpec, k: number, D: number): number[] {
  const v = spec.variances[k];
  return Array.isArray(v) ? v : new Array(D).fill(v);
}

/** log p_t(x) = log Σ_k π_k N(x; α μ_k, α² Σ_k + σ² I), float64, for one point x (length D). */
export function refLogDensity(spec: MixtureSpec, alpha: number, sigma: number, x: number[]): number {
  const D = x.length;
  const total = spec.weights.reduce((a, b) => a + b, 0);
  const terms = spec.weights.map((w, k) => {
    const v = specVariance(spec, k, D);
    let s = Math.log(w / total);
    for (let d = 0; d < D; d++) {
      const C = alpha * alpha * v[d] + sigma * sigma;
      const r = x[d] - alpha * spec.means[k][d];
      s += -0.5 * ((r * r) / C + Math.log(2 * Math.PI * C));
    }
    return s;
  });
  const max = Math.max(...terms);
  return max + Math.log(terms.reduce((a, b) => a + Math.exp(b - max), 0));
}

/** ∇ log p_t(x) by central differences of {@link refLogDensity} (step h; error O(h²) + O(1e-16·|log p|/h)). */
export function refScoreFD(spec: MixtureSpec, alpha: number, sigma: number, x: number[], h = 1e-5): number[] {
  return x.map((_, d) => {
    const xp = x.slice();
    const xm = x.slice();
    xp[d] += h;
    xm[d] -= h;
    return (refLogDensity(spec, alpha, sigma, xp) - refLogDensity(spec, alpha, sigma, xm)) / (2 * h);
  });
}

/** Rows of a [B, D] host array. */
export function rows(values: ArrayLike<number>, D: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < values.length; i += D) out.push(Array.from({ length: D }, (_, d) => values[i + d]));
  return out;
}
