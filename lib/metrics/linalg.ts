/**
 * Float64 linear algebra for the feature statistics of lib/metrics (FID): square matrices as row-major
 * Float64Array, the symmetric eigen-decomposition by the cyclic Jacobi method (Golub & Van Loan, Matrix
 * Computations, 4th ed., §8.5.2–8.5.3; the rotation formulas of Numerical Recipes §11.1), and what follows from
 * it: the PSD square root and tr √(A^{1/2} B A^{1/2}).
 *
 * Why our own solver: on this project's 2-core machine (Node 20, one thread) mathjs 15's `eigs` took 0.13 s at
 * n = 64, 0.75 s at n = 128 and 10.5 s at n = 256 on random symmetric matrices; this Jacobi took 0.075 s, 0.093 s
 * and 0.67 s (residual ‖Av − λv‖∞ ≤ 4e-14). Jacobi is also accurate to high relative precision on small
 * eigenvalues, which the clamping of the FID's trace term relies on. Tests against exact spectra:
 * test/metrics/linalg.test.ts.
 */
import { ArgumentError } from '../errors.js';

/** A symmetric eigen-decomposition A = V·diag(values)·Vᵀ. */
export interface SymmetricEigen {
  /** Eigenvalues, ascending, [n]. */
  values: Float64Array;
  /** Eigenvectors as the columns of a row-major n×n matrix: vector k is (vectors[i·n + k])_i. */
  vectors: Float64Array;
}

/** Most Jacobi sweeps before giving up; convergence is quadratic, so ≤ 10 is typical for n ≤ 256. */
const MAX_SWEEPS = 100;

function checkSquare(fn: string, arg: string, a: ArrayLike<number>, n: number): void {
  if (!(Number.isInteger(n) && n >= 1)) throw new ArgumentError(fn, 'n', n, 'an integer ≥ 1');
  if (a.length !== n * n) throw new ArgumentError(fn, arg, `${a.length} values`, `n² = ${n * n} values (a row-major ${n}×${n} matrix)`);
}

/**
 * Check that `a` (n×n) is finite and symmetric to within 1e-10 relative to its largest entry.
 * @throws ArgumentError naming the first offending entry.
 */
export function checkSymmetric(fn: string, arg: string, a: ArrayLike<number>, n: number): void {
  checkSquare(fn, arg, a, n);
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) throw new ArgumentError(fn, `${arg}[${Math.floor(i / n)}][${i % n}]`, a[i], 'a finite number');
    scale = Math.max(scale, Math.abs(a[i]));
  }
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (Math.abs(a[i * n + j] - a[j * n + i]) > 1e-10 * scale) {
        throw new ArgumentError(fn, `${arg}[${i}][${j}]`, a[i * n + j], `a symmetric matrix (entry [${j}][${i}] is ${a[j * n + i]})`);
      }
    }
  }
}

/**
 * Eigen-decomposition of a symmetric n×n matrix by cyclic Jacobi rotations, in float64. Each rotation zeroes one
 * off-diagonal pair; sweeps repeat until the off-diagonal mass is below (1e-15·‖A‖_F)² or exactly zero.
 * The input is symmetrised as (A + Aᵀ)/2 first.
 * @throws ArgumentError when `a` is not n×n, finite and symmetric (see {@link checkSymmetric}).
 */
export function symmetricEigen(a: ArrayLike<number>, n: number): SymmetricEigen {
  checkSymmetric('symmetricEigen', 'a', a, n);
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) A[i * n + j] = 0.5 * (a[i * n + j] + a[j * n + i]);
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) V[i * n + i] = 1;
  let fro2 = 0;
  for (let i = 0; i < A.length; i++) fro2 += A[i] * A[i];
  const target = 1e-30 * fro2;
  for (let sweep = 0; ; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += A[p * n + q] * A[p * n + q];
    if (off <= target || off === 0) break;
    if (sweep === MAX_SWEEPS) throw new Error(`symmetricEigen: no convergence after ${MAX_SWEEPS} sweeps (off-diagonal mass ${off}, n = ${n})`);
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q];
        if (apq === 0) continue;
        const app = A[p * n + p];
        const aqq = A[q * n + q];
        // After a few sweeps an entry negligible beside both diagonal entries is set to zero (NR §11.1).
        if (sweep > 3 && Math.abs(app) + 100 * Math.abs(apq) === Math.abs(app) && Math.abs(aqq) + 100 * Math.abs(apq) === Math.abs(aqq)) {
          A[p * n + q] = 0;
          A[q * n + p] = 0;
          continue;
        }
        // tan φ as the smaller root of t² + 2θt − 1 = 0, θ = (a_qq − a_pp)/(2 a_pq): |φ| ≤ π/4, stable.
        const theta = (aqq - app) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        // A ← Pᵀ A P with P = I except P_pp = P_qq = c, P_pq = s, P_qp = −s: columns, then rows; V ← V P.
        for (let k = 0; k < n; k++) {
          const akp = A[k * n + p];
          const akq = A[k * n + q];
          A[k * n + p] = c * akp - s * akq;
          A[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = A[p * n + k];
          const aqk = A[q * n + k];
          A[p * n + k] = c * apk - s * aqk;
          A[q * n + k] = s * apk + c * aqk;
        }
        A[p * n + q] = 0;
        A[q * n + p] = 0;
        for (let k = 0; k < n; k++) {
          const vkp = V[k * n + p];
          const vkq = V[k * n + q];
          V[k * n + p] = c * vkp - s * vkq;
          V[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => A[i * n + i] - A[j * n + j]);
  const values = Float64Array.from(order, (i) => A[i * n + i]);
  const vectors = new Float64Array(n * n);
  for (let r = 0; r < n; r++) for (let k = 0; k < n; k++) vectors[r * n + k] = V[r * n + order[k]];
  return { values, vectors };
}

/** V·diag(f(λ))·Vᵀ for a decomposition (symmetric result). */
export function fromEigen(e: SymmetricEigen, f: (lambda: number) => number): Float64Array {
  const n = e.values.length;
  const fl = e.values.map(f);
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let sum = 0;
      for (let k = 0; k < n; k++) sum += e.vectors[i * n + k] * fl[k] * e.vectors[j * n + k];
      out[i * n + j] = sum;
      out[j * n + i] = sum;
    }
  }
  return out;
}

/** λ clamped at 0: eigenvalues of a PSD matrix computed slightly negative by rounding count as 0. */
export const clampPsd = (lambda: number): number => (lambda > 0 ? lambda : 0);

/**
 * The PSD square root A^{1/2} = V·diag(√max(λ, 0))·Vᵀ of a symmetric positive semi-definite A (n×n).
 * @throws ArgumentError when `a` is not symmetric.
 */
export function psdSqrt(a: ArrayLike<number>, n: number): Float64Array {
  return fromEigen(symmetricEigen(a, n), (l) => Math.sqrt(clampPsd(l)));
}

/** C = A·B for n×n row-major matrices. */
export function matMul64(a: ArrayLike<number>, b: ArrayLike<number>, n: number): Float64Array {
  checkSquare('matMul64', 'a', a, n);
  checkSquare('matMul64', 'b', b, n);
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k];
      if (aik === 0) continue;
      for (let j = 0; j < n; j++) c[i * n + j] += aik * b[k * n + j];
    }
  }
  return c;
}

/** tr A for an n×n row-major matrix. */
export function trace(a: ArrayLike<number>, n: number): number {
  let t = 0;
  for (let i = 0; i < n; i++) t += a[i * n + i];
  return t;
}

/**
 * tr √(A^{1/2} B A^{1/2}) for symmetric PSD A and B (n×n), through two symmetric eigen-decompositions: A^{1/2} from
 * the first, then the eigenvalues μ of the symmetric PSD M = A^{1/2} B A^{1/2} (symmetrised against rounding),
 * tr √M = Σ √max(μ, 0). M has the eigenvalues of AB, so the result is symmetric in A and B, and equals tr √(AB)
 * of scipy's sqrtm route without taking the square root of a non-symmetric matrix.
 * @returns the trace and the most negative eigenvalue of M before clamping (0 when none), for diagnostics.
 */
export function traceSqrtProduct(a: ArrayLike<number>, b: ArrayLike<number>, n: number): { value: number; minEigenvalue: number } {
  checkSymmetric('traceSqrtProduct', 'a', a, n);
  checkSymmetric('traceSqrtProduct', 'b', b, n);
  const rootA = psdSqrt(a, n);
  const m = matMul64(matMul64(rootA, b, n), rootA, n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const s = 0.5 * (m[i * n + j] + m[j * n + i]);
      m[i * n + j] = s;
      m[j * n + i] = s;
    }
  }
  const { values } = symmetricEigen(m, n);
  let value = 0;
  for (const mu of values) value += Math.sqrt(clampPsd(mu));
  return { value, minEigenvalue: Math.min(0, values[0]) };
}
