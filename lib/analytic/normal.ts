/**
 * The scalar standard normal distribution in float64 on the host: erf, erfc, the scaled erfcx, the CDF Φ and its
 * logarithm, the density, and the quantile Φ⁻¹ (also from a log-probability, for tails beyond 1e-308).
 *
 * erfc keeps full relative precision in the upper tail: for x ≥ 1 it is e^{−x²}·erfcx(x), with erfcx from the
 * even contraction of Laplace's continued fraction (Abramowitz & Stegun 7.1.14; evaluated by the modified Lentz
 * method, Press et al., Numerical Recipes §5.2):
 *   erfcx(x) = (2x/√π) / (2x²+1 − 1·2/(2x²+5 − 3·4/(2x²+9 − …))),
 * which converges in ≤ 95 terms for x ≥ 1. For |x| < 1, erf is its Maclaurin series (A&S 7.1.5) and erfc = 1 − erf
 * (erfc ≥ 0.157 there, so the subtraction loses under 3 bits). Relative error is a few 1e-15 everywhere (checked
 * against mpmath in test/analytic/normal.test.ts). log Φ(x) = log ½ − x²/2 + log erfcx(−x/√2) for x < 0 never
 * underflows, so tails far beyond Φ = 1e-308 keep their relative precision in log space.
 */

const SQRT_PI = Math.sqrt(Math.PI);
const SQRT1_2 = Math.SQRT1_2;
/** log √(2π). */
export const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** erf(x) for |x| < 1 by its Maclaurin series (2/√π)·Σ (−1)ⁿ x^{2n+1}/(n!(2n+1)) (A&S 7.1.5). */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x; // (−1)ⁿ x^{2n+1}/n!
  let sum = x;
  for (let n = 1; n < 60; n++) {
    term *= -x2 / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) <= 1e-17 * Math.abs(sum)) break;
  }
  return (2 / SQRT_PI) * sum;
}

/**
 * e^{−c·x²} for c ∈ {1, ½} without the error of rounding x² (up to x²·2⁻⁵³ in the exponent, i.e. 1e-13 relative
 * at x = 27): with x = h + l, h = x rounded to float32, h² is exact in float64 and x² = h² + l·(x + h).
 */
function expNegSquare(x: number, c: 1 | 0.5): number {
  if (!(Math.abs(x) < 1e4)) return Math.exp(-c * x * x); // 0 (or NaN for NaN): no float32 split beyond ~3e38
  const h = Math.fround(x);
  const l = x - h;
  return Math.exp(-c * h * h) * Math.exp(-c * l * (x + h));
}

/** erfcx(x) = e^{x²}·erfc(x) for x ≥ 1 by the contracted Laplace continued fraction (A&S 7.1.14), modified Lentz. */
function erfcxContinuedFraction(x: number): number {
  // Beyond 1e8 the asymptotic 1/(x√π)·(1 − 1/(2x²)) is exact to double precision (and 2x² would overflow later).
  if (x > 1e8) return 1 / (x * SQRT_PI);
  const TINY = 1e-300;
  const x2 = 2 * x * x;
  let f = x2 + 1;
  let C = f;
  let D = 0;
  for (let n = 1; n < 500; n++) {
    const a = -(2 * n - 1) * (2 * n);
    const b = x2 + 1 + 4 * n;
    D = b + a * D;
    if (D === 0) D = TINY;
    D = 1 / D;
    C = b + a / C;
    if (C === 0) C = TINY;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-17) break;
  }
  return (2 * x) / SQRT_PI / f;
}

/**
 * Scaled complementary error function erfcx(x) = e^{x²}·erfc(x). Finite and ≈ 1/(x√π) for large x; overflows to
 * Infinity for x below about −26.6 (where erfc(x) ≈ 2).
 */
export function erfcx(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x >= 1) return x === Infinity ? 0 : erfcxContinuedFraction(x);
  if (x > -1) return Math.exp(x * x) * (1 - erfSeries(x));
  return 2 * Math.exp(x * x) - erfcxContinuedFraction(-x);
}

/** Complementary error function erfc(x) = 1 − erf(x), with full relative precision for large positive x. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x >= 1) return x === Infinity ? 0 : expNegSquare(x, 1) * erfcxContinuedFraction(x);
  if (x > -1) return 1 - erfSeries(x);
  return 2 - erfc(-x);
}

/** Error function erf(x) = (2/√π)∫₀ˣ e^{−u²} du. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (Math.abs(x) < 1) return erfSeries(x);
  return x > 0 ? 1 - erfc(x) : erfc(-x) - 1;
}

/** Standard normal density φ(x) = e^{−x²/2}/√(2π). */
export function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x - LOG_SQRT_2PI);
}

/** log φ(x) = −x²/2 − log √(2π). */
export function normalLogPdf(x: number): number {
  return -0.5 * x * x - LOG_SQRT_2PI;
}

/**
 * Standard normal CDF Φ(x) = ½·erfc(−x/√2), with full relative precision in the lower tail (Φ(−10) ≈ 7.6e-24);
 * underflows to 0 below x ≈ −38.5 (use {@link normalLogCdf} there). For the upper tail use Φ(−x) = 1 − Φ(x).
 */
export function normalCdf(x: number): number {
  if (x === -Infinity) return 0;
  // Lower tail: ½·e^{−x²/2}·erfcx(−x/√2), so the rounding of −x/√2 does not enter the exponent.
  if (x < -Math.SQRT2) return 0.5 * expNegSquare(x, 0.5) * erfcxContinuedFraction(-x * SQRT1_2);
  return 0.5 * erfc(-x * SQRT1_2);
}

/**
 * log Φ(x), finite for every finite x: for x < −√2 it is log ½ − x²/2 + log erfcx(−x/√2) (no underflow); otherwise
 * log(½·erfc(−x/√2)), and log1p(−Φ(−x)) for x > 0 so that log Φ(x) ≈ −Φ(−x) keeps its precision in the upper tail.
 */
export function normalLogCdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === -Infinity) return -Infinity;
  if (x < -Math.SQRT2) return Math.log(0.5) - 0.5 * x * x + Math.log(erfcxContinuedFraction(-x * SQRT1_2));
  if (x <= 0) return Math.log(0.5 * erfc(-x * SQRT1_2));
  return Math.log1p(-normalCdf(-x));
}

/**
 * The lower-tail quantile z ≤ 0 with log Φ(z) = logp, for logp ∈ (−∞, log ½]. Newton's method on the concave,
 * increasing f(z) = log Φ(z) − logp: after the first step every iterate lies left of the root and increases
 * monotonically to it, so no safeguard is needed; convergence is quadratic.
 */
function lowerQuantileFromLog(logp: number): number {
  // Start from the leading term of the Mills-ratio asymptotics, z ≈ −√(−2·logp); any start converges (concavity).
  let z = -Math.sqrt(-2 * logp);
  for (let i = 0; i < 100; i++) {
    const lc = normalLogCdf(z);
    const step = (lc - logp) / Math.exp(normalLogPdf(z) - lc);
    z -= step;
    if (Math.abs(step) <= 1e-15 * Math.max(1, Math.abs(z))) break;
  }
  return z;
}

/**
 * Standard normal quantile Φ⁻¹ given log p: the z with log Φ(z) = logp, for logp ∈ [−∞, 0]. With `upper` true,
 * `logp` is log(1 − p) instead (the upper-tail probability Φ(−z)), so both tails keep relative precision.
 * Returns −Infinity / +Infinity at the ends and NaN outside the domain.
 */
export function normalQuantileFromLog(logp: number, upper = false): number {
  if (!(logp <= 0)) return NaN;
  if (upper) return -normalQuantileFromLog(logp, false);
  if (logp === -Infinity) return -Infinity;
  if (logp === 0) return Infinity;
  if (logp <= -Math.LN2) return lowerQuantileFromLog(logp);
  // Upper half: Φ(z) = p > ½ ⇔ Φ(−z) = 1 − p; log(1 − p) = log(−expm1(logp)).
  return -lowerQuantileFromLog(Math.log(-Math.expm1(logp)));
}

/** Standard normal quantile Φ⁻¹(p) for p ∈ [0, 1] (NaN outside). */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) return NaN;
  if (p <= 0.5) return normalQuantileFromLog(Math.log(p));
  return -normalQuantileFromLog(Math.log1p(-p));
}
