/**
 * Unbiased squared maximum mean discrepancy with Gaussian (RBF) kernels (Gretton, Borgwardt, Rasch, Schölkopf &
 * Smola 2012, "A kernel two-sample test", JMLR 13, Lemma 6, eq. 3):
 *   MMD²_u = 1/(n(n−1)) Σ_{i≠j} k(x_i, x_j) + 1/(m(m−1)) Σ_{i≠j} k(y_i, y_j) − 2/(nm) Σ_{i,j} k(x_i, y_j),
 *   k(a, b) = Σ_{h ∈ H} exp(−‖a − b‖² / (2h²)).
 * A sum over several bandwidths H is again a characteristic kernel and avoids betting on one scale (Li, Swersky &
 * Zemel 2015, "Generative moment matching networks"); MMD² of the sum is the sum of the per-bandwidth MMD²s.
 * The estimator is unbiased, so for two samples of one distribution it scatters around 0 and can be slightly
 * negative; it is returned as is, never clamped.
 *
 * Bandwidth by default: the median heuristic, h = median{‖z_i − z_j‖ : i < j} over the pooled sample Z = X ∪ Y
 * (Gretton et al. 2012, §8), taken over at most {@link DEFAULT_MEDIAN_POINTS} pooled points drawn without
 * replacement with a seeded generator (all pairs when the pool is smaller).
 *
 * Memory: the kernel sums run over row blocks of `blockSize` points ([blockSize, blockSize] kernel tiles, row sums
 * accumulated on the host in float64), so n = m = 4096 needs a few 4 MiB tiles at a time, never an [n, m] matrix.
 * Squared distances use ‖a‖² + ‖b‖² − 2⟨a, b⟩ (clamped at 0) on data centred at the pooled mean, which keeps the
 * float32 cancellation small; the diagonal i = j of the within-set sums is masked out exactly.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError } from '../errors.js';
import { makeRng, type Rng } from '../data/rng.js';
import { checkPoints, checkSeed } from './checks.js';

/** How the Gaussian kernel bandwidths h are chosen; the kernel sums over all of them. */
export type MmdBandwidth =
  /** h = s·median pairwise distance of the pooled sample, one kernel per scale s > 0. Default scales [1]. */
  | { kind: 'median'; scales?: number[] }
  /** Fixed bandwidths h > 0, in the data's units. */
  | { kind: 'fixed'; values: number[] };

/** Default block size: a [1024, 1024] float32 kernel tile is 4 MiB. */
export const DEFAULT_BLOCK_SIZE = 1024;

/** Default cap on pooled points for the median heuristic: ≈ 5.2·10⁵ pairs, a stable median at a small cost. */
export const DEFAULT_MEDIAN_POINTS = 1024;

/** Default seed of the median heuristic's subsample (only drawn when the pool exceeds `medianPoints`). */
export const DEFAULT_MMD_SEED = 0;

/** Options of {@link mmd}. */
export interface MmdOptions {
  /** Kernel bandwidths. Default `{ kind: 'median', scales: [1] }` (the median heuristic). */
  bandwidth?: MmdBandwidth;
  /** Rows per block of the kernel sums, integer ≥ 1. Default {@link DEFAULT_BLOCK_SIZE} (1024). */
  blockSize?: number;
  /** Pooled points used by the median heuristic, integer ≥ 2. Default {@link DEFAULT_MEDIAN_POINTS} (1024). */
  medianPoints?: number;
  /** Seed or generator for the median heuristic's subsample. Default seed {@link DEFAULT_MMD_SEED} (0). */
  rng?: Rng | number;
}

/** Result of {@link mmd}. */
export interface MmdResult {
  /** MMD²_u for the summed kernel (may be slightly negative). */
  mmd2: number;
  /** The bandwidths h actually used, in the data's units. */
  bandwidths: number[];
}

/** Row-blocked Σ k(a_i, b_j) for the summed kernel; `same` skips i = j and uses symmetry. Host float64. */
function kernelSum(a: tf.Tensor2D, b: tf.Tensor2D, bandwidths: number[], same: boolean, blockSize: number): number {
  const n = a.shape[0];
  const m = b.shape[0];
  const D = a.shape[1];
  const coefs = bandwidths.map((h) => -1 / (2 * h * h));
  const [aSq, bT, bSq] = tf.tidy(() => [a.square().sum(1, true), b.transpose(), b.square().sum(1).reshape([1, m])]);
  let total = 0;
  try {
    for (let i0 = 0; i0 < n; i0 += blockSize) {
      const bi = Math.min(blockSize, n - i0);
      for (let j0 = same ? i0 : 0; j0 < m; j0 += blockSize) {
        const bj = Math.min(blockSize, m - j0);
        const rowSums = tf.tidy(() => {
          const A = a.slice([i0, 0], [bi, D]);
          const d2 = aSq
            .slice([i0, 0], [bi, 1])
            .add(bSq.slice([0, j0], [1, bj]))
            .sub(tf.matMul(A, bT.slice([0, j0], [D, bj])).mul(2))
            .relu();
          let K = coefs.map((c) => d2.mul(c).exp()).reduce((s, k) => s.add(k));
          if (same && i0 === j0) K = K.mul(tf.scalar(1).sub(tf.eye(bi)));
          return K.sum(1);
        });
        const rows = rowSums.dataSync();
        rowSums.dispose();
        let s = 0;
        for (let r = 0; r < rows.length; r++) s += rows[r];
        // An off-diagonal tile of a within-set sum stands for itself and its transpose.
        total += same && j0 !== i0 ? 2 * s : s;
      }
    }
  } finally {
    tf.dispose([aSq, bT, bSq]);
  }
  return total;
}

/** Median pairwise distance among (at most `maxPoints` of) the pooled, centred points. */
function medianDistance(z: tf.Tensor2D, maxPoints: number, rng: Rng): number {
  const N = z.shape[0];
  let idx: number[] | null = null;
  if (N > maxPoints) {
    // Partial Fisher–Yates: the first maxPoints entries are a uniform sample without replacement.
    const perm = Int32Array.from({ length: N }, (_, i) => i);
    for (let i = 0; i < maxPoints; i++) {
      const j = i + rng.int(N - i);
      [perm[i], perm[j]] = [perm[j], perm[i]];
    }
    idx = Array.from(perm.subarray(0, maxPoints));
  }
  const d2 = tf.tidy(() => {
    const s = idx === null ? z : tf.gather(z, tf.tensor1d(idx, 'int32'));
    const sq = s.square().sum(1);
    return sq.reshape([-1, 1]).add(sq.reshape([1, -1])).sub(tf.matMul(s, s, false, true).mul(2)).relu();
  });
  const S = d2.shape[0];
  const all = d2.dataSync();
  d2.dispose();
  const upper = new Float64Array((S * (S - 1)) / 2);
  let k = 0;
  for (let i = 0; i < S; i++) for (let j = i + 1; j < S; j++) upper[k++] = all[i * S + j];
  upper.sort();
  const mid = upper.length >> 1;
  return upper.length % 2 === 1 ? Math.sqrt(upper[mid]) : (Math.sqrt(upper[mid - 1]) + Math.sqrt(upper[mid])) / 2;
}

function checkPositiveList(fn: string, arg: string, values: unknown): number[] {
  if (!Array.isArray(values) || values.length === 0) {
    throw new ArgumentError(fn, arg, values, 'a non-empty array of finite numbers > 0');
  }
  values.forEach((v, i) => {
    if (!(typeof v === 'number' && Number.isFinite(v) && v > 0)) {
      throw new ArgumentError(fn, `${arg}[${i}]`, v, 'a finite number > 0');
    }
  });
  return values as number[];
}

/**
 * Unbiased MMD² between two point sets with a (sum of) Gaussian kernel(s); see the module comment.
 * @param x samples, [n, D], n ≥ 2. @param y samples, [m, D], m ≥ 2 (m may differ from n).
 * @returns `{ mmd2, bandwidths }` as host numbers. Leaves no tensors.
 * @throws ShapeError (arg `x`/`y`) for sets not [·, D] with at least 2 points or differing D; ArgumentError for an
 *   unknown `bandwidth.kind`, a scale or fixed bandwidth that is not finite and > 0, `blockSize` not an integer ≥ 1,
 *   `medianPoints` not an integer ≥ 2, a bad `rng`, or (arg `bandwidth`) a pooled median distance of 0.
 */
export function mmd(x: tf.Tensor2D, y: tf.Tensor2D, opts: MmdOptions = {}): MmdResult {
  const fn = 'mmd';
  const [n, D] = checkPoints(fn, 'x', x, 2);
  const [m] = checkPoints(fn, 'y', y, 2, D);
  const bandwidth: MmdBandwidth = opts.bandwidth ?? { kind: 'median' };
  let scales: number[] | null = null;
  let fixed: number[] | null = null;
  if (bandwidth?.kind === 'median') scales = checkPositiveList(fn, 'bandwidth.scales', bandwidth.scales ?? [1]);
  else if (bandwidth?.kind === 'fixed') fixed = checkPositiveList(fn, 'bandwidth.values', bandwidth.values);
  else throw new ArgumentError(fn, 'bandwidth.kind', (bandwidth as { kind?: unknown })?.kind, `'median' or 'fixed'`);
  const blockSize = opts.blockSize ?? DEFAULT_BLOCK_SIZE;
  if (!(Number.isInteger(blockSize) && blockSize >= 1)) throw new ArgumentError(fn, 'blockSize', blockSize, 'an integer ≥ 1');
  const medianPoints = opts.medianPoints ?? DEFAULT_MEDIAN_POINTS;
  if (!(Number.isInteger(medianPoints) && medianPoints >= 2)) {
    throw new ArgumentError(fn, 'medianPoints', medianPoints, 'an integer ≥ 2');
  }
  checkSeed(fn, 'rng', opts.rng);

  // MMD is translation invariant: centre both sets at the pooled mean to limit float32 cancellation.
  const [xc, yc] = tf.tidy(() => {
    const xf = x.toFloat();
    const yf = y.toFloat();
    const mean = xf.sum(0).add(yf.sum(0)).div(n + m);
    return [xf.sub(mean) as tf.Tensor2D, yf.sub(mean) as tf.Tensor2D];
  });
  try {
    let bandwidths: number[];
    if (scales !== null) {
      const rng = typeof opts.rng === 'object' ? opts.rng : makeRng(opts.rng ?? DEFAULT_MMD_SEED);
      const z = tf.concat([xc, yc]) as tf.Tensor2D;
      let med: number;
      try {
        med = medianDistance(z, medianPoints, rng);
      } finally {
        z.dispose();
      }
      if (!(med > 0 && Number.isFinite(med))) {
        throw new ArgumentError(fn, 'bandwidth', bandwidth, `a fixed bandwidth: the pooled median pairwise distance is ${med}`);
      }
      bandwidths = scales.map((s) => s * med);
    } else {
      bandwidths = [...(fixed as number[])];
    }
    const sxx = kernelSum(xc, xc, bandwidths, true, blockSize);
    const syy = kernelSum(yc, yc, bandwidths, true, blockSize);
    const sxy = kernelSum(xc, yc, bandwidths, false, blockSize);
    const mmd2 = sxx / (n * (n - 1)) + syy / (m * (m - 1)) - (2 * sxy) / (n * m);
    return { mmd2, bandwidths };
  } finally {
    tf.dispose([xc, yc]);
  }
}
