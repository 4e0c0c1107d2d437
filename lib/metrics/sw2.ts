/**
 * Sliced Wasserstein-2 distance between two point sets (Rabin, Peyré, Delon & Bernot 2011, "Wasserstein
 * barycenter and its application to texture mixing"; Bonneel et al. 2015; POT's `ot.sliced_wasserstein_distance`
 * computes the same Monte-Carlo estimate):
 *   SW2(μ, ν)² = E_{θ ~ U(S^{D−1})} W2²(θ#μ, θ#ν),   estimated as   (1/P) Σ_{p=1}^{P} W2²(⟨θ_p, X⟩, ⟨θ_p, Y⟩)
 * with P seeded random unit directions θ_p = z_p/‖z_p‖, z_p ~ N(0, I_D), the same directions for both sets, and
 * the one-dimensional W2² between the empirical measures computed exactly from sorted projections:
 *   W2²(a, b) = ∫₀¹ |F_a⁻¹(u) − F_b⁻¹(u)|² du.
 * Both quantile functions are step functions (steps at i/n and j/m), so the integral is an exact sum over the
 * merged breakpoints: O(n + m) after sorting. For n = m it is the mean squared difference of the sorted values;
 * for n ≠ m it equals quantile matching on the common grid of lcm(n, m) quantiles (exact, never interpolated).
 *
 * Reference values: for a rigid shift y = x + c, every projection gives W2 = |⟨θ, c⟩| and E_θ⟨θ, c⟩² = ‖c‖²/D,
 * so SW2 = ‖c‖/√D; in one dimension (D = 1) the directions are ±1 and SW2 is the exact W2.
 *
 * Projections run as one tfjs matMul per block ([n, D]·[D, P]); everything after (sorting, the integral, the
 * average) is host float64.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError } from '../errors.js';
import { makeRng, type Rng } from '../data/rng.js';
import { checkPoints, checkSeed } from './checks.js';

/**
 * Default number of projections P. POT's default is 50; we take 256 because projecting and sorting is cheap at
 * low D and the Monte-Carlo error shrinks as 1/√P: the one-direction relative standard deviation of ⟨θ, c⟩² is
 * √(2(D−1)/(D+2)) ≤ √2, so the relative standard error of SW2 (half that of SW2²) is ≤ 1/√(2P) ≈ 4.4% at P = 256
 * (≈ 2.2% in 2-D).
 */
export const DEFAULT_PROJECTIONS = 256;

/** Default seed for the projection directions: a fixed seed makes the metric a deterministic function of its inputs. */
export const DEFAULT_SW2_SEED = 0;

/** Projected values held at once per set (n·P_block): 2²² float32, 16 MiB, bounds memory for large n. */
const MAX_BLOCK_VALUES = 1 << 22;

/** Options of {@link slicedWasserstein2}. */
export interface Sw2Options {
  /** Number P ≥ 1 of random directions. Default {@link DEFAULT_PROJECTIONS} (256). */
  projections?: number;
  /** Seed or generator for the directions. Default seed {@link DEFAULT_SW2_SEED} (0). A generator is advanced. */
  rng?: Rng | number;
}

/**
 * Exact W2² between two one-dimensional empirical measures (uniform weights 1/n and 1/m), from values sorted
 * ascending: Σ over the merged quantile breakpoints of (width)·(a_i − b_j)². Host float64.
 * @param a sorted values, length n ≥ 1. @param b sorted values, length m ≥ 1.
 * @throws ArgumentError for an empty array.
 */
export function w2Squared1d(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  const m = b.length;
  if (n < 1) throw new ArgumentError('w2Squared1d', 'a', n, 'at least 1 value');
  if (m < 1) throw new ArgumentError('w2Squared1d', 'b', m, 'at least 1 value');
  if (n === m) {
    let s = 0;
    for (let i = 0; i < n; i++) s += (a[i] - b[i]) ** 2;
    return s / n;
  }
  // Positions on [0, 1] in integer units of 1/(n·m): a's i-th step ends at (i+1)·m, b's j-th at (j+1)·n. Integer
  // comparisons keep coinciding breakpoints exact (no float 1/n vs 1/m ties).
  let i = 0;
  let j = 0;
  let u = 0;
  let s = 0;
  while (i < n && j < m) {
    const ua = (i + 1) * m;
    const ub = (j + 1) * n;
    const next = Math.min(ua, ub);
    s += (next - u) * (a[i] - b[j]) ** 2;
    u = next;
    if (ua === next) i++;
    if (ub === next) j++;
  }
  return s / (n * m);
}

/** P unit directions as a row-major [D, P] float32 array (column p is θ_p). */
function directions(rng: Rng, D: number, P: number): Float32Array {
  const theta = new Float32Array(D * P);
  const z = new Float64Array(D);
  for (let p = 0; p < P; p++) {
    let norm = 0;
    while (!(norm > 0)) {
      norm = 0;
      for (let d = 0; d < D; d++) norm += (z[d] = rng.normal()) ** 2;
    }
    norm = Math.sqrt(norm);
    for (let d = 0; d < D; d++) theta[d * P + p] = z[d] / norm;
  }
  return theta;
}

/** Project x [n, D] onto θ [D, P] and return P sorted float64 columns. */
function sortedProjections(x: tf.Tensor2D, theta: tf.Tensor2D): Float64Array[] {
  const n = x.shape[0];
  const P = theta.shape[1];
  const proj = tf.tidy(() => tf.matMul(x.dtype === 'float32' ? x : x.toFloat(), theta));
  const values = proj.dataSync();
  proj.dispose();
  const cols: Float64Array[] = [];
  for (let p = 0; p < P; p++) {
    const col = new Float64Array(n);
    for (let i = 0; i < n; i++) col[i] = values[i * P + p];
    cols.push(col.sort());
  }
  return cols;
}

/**
 * Sliced Wasserstein-2 distance SW2 = √((1/P) Σ_p W2²(⟨θ_p, X⟩, ⟨θ_p, Y⟩)) between point sets, in the data's
 * units (see the module comment for the estimator).
 * @param x samples, [n, D], n ≥ 1. @param y samples, [m, D], m ≥ 1 (m may differ from n).
 * @returns SW2 ≥ 0, a host number; symmetric in x and y, and deterministic for a fixed seed. Leaves no tensors.
 * @throws ShapeError (arg `x`) for x not [n, D] with n, D ≥ 1; ShapeError (arg `y`) for y not [m, D] (same D);
 *   ArgumentError for `projections` not an integer ≥ 1 or a bad `rng`.
 */
export function slicedWasserstein2(x: tf.Tensor2D, y: tf.Tensor2D, opts: Sw2Options = {}): number {
  const fn = 'slicedWasserstein2';
  const [n, D] = checkPoints(fn, 'x', x, 1);
  const [m] = checkPoints(fn, 'y', y, 1, D);
  const P = opts.projections ?? DEFAULT_PROJECTIONS;
  if (!(Number.isInteger(P) && P >= 1)) throw new ArgumentError(fn, 'projections', P, 'an integer ≥ 1');
  checkSeed(fn, 'rng', opts.rng);
  const rng = typeof opts.rng === 'object' ? opts.rng : makeRng(opts.rng ?? DEFAULT_SW2_SEED);
  const theta = directions(rng, D, P);
  const block = Math.max(1, Math.min(P, Math.floor(MAX_BLOCK_VALUES / Math.max(n, m))));
  let total = 0;
  for (let p0 = 0; p0 < P; p0 += block) {
    const Pb = Math.min(block, P - p0);
    const sub = new Float32Array(D * Pb);
    for (let d = 0; d < D; d++) sub.set(theta.subarray(d * P + p0, d * P + p0 + Pb), d * Pb);
    const thetaT = tf.tensor2d(sub, [D, Pb]);
    try {
      const xs = sortedProjections(x, thetaT);
      const ys = sortedProjections(y, thetaT);
      for (let p = 0; p < Pb; p++) total += w2Squared1d(xs[p], ys[p]);
    } finally {
      thetaT.dispose();
    }
  }
  return Math.sqrt(total / P);
}
