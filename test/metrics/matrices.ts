/** Test matrices with known spectra, in float64 (row-major n×n), shared by the linalg and FID tests. */
import type { Rng } from '../../lib/data/rng.js';
import { matMul64 } from '../../lib/metrics/linalg.js';

/** A random orthogonal n×n matrix: the product of n Householder reflections I − 2vvᵀ/‖v‖². */
export function randomOrthogonal(n: number, rng: Rng): Float64Array {
  let q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) q[i * n + i] = 1;
  for (let r = 0; r < n; r++) {
    const v = rng.normalArray(n, 'float64');
    const vv = v.reduce((s, x) => s + x * x, 0);
    const h = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) h[i * n + j] = (i === j ? 1 : 0) - (2 * v[i] * v[j]) / vv;
    q = matMul64(q, h, n);
  }
  return q;
}

/** Q·diag(λ)·Qᵀ. */
export function withSpectrum(q: Float64Array, lambda: number[]): Float64Array {
  const n = lambda.length;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) a[i * n + j] += q[i * n + k] * lambda[k] * q[j * n + k];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) a[j * n + i] = a[i * n + j];
  return a;
}
