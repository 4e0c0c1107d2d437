import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeRng } from '../../lib/data/rng.js';
import { matMul64, psdSqrt, symmetricEigen, trace, traceSqrtProduct } from '../../lib/metrics/linalg.js';
import { assertArgumentError } from '../helpers.js';
import { randomOrthogonal, withSpectrum } from './matrices.js';

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

test('symmetricEigen recovers a prescribed spectrum (repeated, tiny and zero eigenvalues) to 1e-12, ascending', () => {
  const n = 12;
  const lambda = [5, 5, 3.25, 2, 1, 1, 1, 0.5, 1e-6, 1e-9, 0, 7.5];
  const a = withSpectrum(randomOrthogonal(n, makeRng(1)), lambda);
  const { values, vectors } = symmetricEigen(a, n);
  const want = [...lambda].sort((p, q) => p - q);
  assert.ok(maxAbs(values, want) < 1e-12, `${values} vs ${want}`);
  // A·v_k = λ_k·v_k and VᵀV = I.
  const av = matMul64(a, vectors, n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) assert.ok(Math.abs(av[i * n + k] - values[k] * vectors[i * n + k]) < 1e-12);
  const vt = Float64Array.from({ length: n * n }, (_, idx) => vectors[(idx % n) * n + Math.floor(idx / n)]);
  const vtv = matMul64(vt, vectors, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) assert.ok(Math.abs(vtv[i * n + j] - (i === j ? 1 : 0)) < 1e-13);
});

test('symmetricEigen of a 2×2 matrix matches (a + c)/2 ± √(((a − c)/2)² + b²)', () => {
  const [a, b, c] = [2.5, -1.2, 0.3];
  const { values } = symmetricEigen([a, b, b, c], 2);
  const r = Math.sqrt(((a - c) / 2) ** 2 + b * b);
  assert.ok(maxAbs(values, [(a + c) / 2 - r, (a + c) / 2 + r]) < 1e-15);
  // A diagonal matrix needs no rotation and keeps its values exactly.
  assert.deepEqual([...symmetricEigen([3, 0, 0, -1], 2).values], [-1, 3]);
});

test('psdSqrt(A)² = A for a random SPD matrix; tiny negative eigenvalues are clamped to 0', () => {
  const n = 8;
  const q = randomOrthogonal(n, makeRng(2));
  const a = withSpectrum(q, [4, 3, 2, 1, 0.5, 0.25, 0.1, 0.01]);
  const r = psdSqrt(a, n);
  assert.ok(maxAbs(matMul64(r, r, n), a) < 1e-13);
  const almost = withSpectrum(q, [4, 3, 2, 1, 0.5, 0.25, 0.1, -1e-14]);
  const ra = psdSqrt(almost, n);
  assert.ok(ra.every(Number.isFinite));
  assert.ok(Math.abs(trace(ra, n) - [4, 3, 2, 1, 0.5, 0.25, 0.1].reduce((s, l) => s + Math.sqrt(l), 0)) < 1e-12);
});

test('traceSqrtProduct equals √(tr(AB) + 2√(det A·det B)) for non-commuting 2×2 SPD matrices and is symmetric', () => {
  const A = [2, 0.7, 0.7, 1];
  const B = [0.5, -0.3, -0.3, 3];
  const det = (m: number[]) => m[0] * m[3] - m[1] * m[2];
  const trAB = trace(matMul64(A, B, 2), 2);
  assert.notEqual(maxAbs(matMul64(A, B, 2), matMul64(B, A, 2)), 0, 'A and B do not commute');
  const exact = Math.sqrt(trAB + 2 * Math.sqrt(det(A) * det(B)));
  assert.ok(Math.abs(traceSqrtProduct(A, B, 2).value - exact) < 1e-14);
  assert.ok(Math.abs(traceSqrtProduct(B, A, 2).value - exact) < 1e-14);
});

test('linalg helpers reject non-square, non-symmetric and non-finite input, naming the entry', () => {
  assertArgumentError(() => symmetricEigen([1, 2, 3], 2), { fn: 'symmetricEigen', arg: 'a' });
  assertArgumentError(() => symmetricEigen([1, 2, 2.5, 1], 2), { fn: 'symmetricEigen', arg: 'a[0][1]', value: 2 });
  assertArgumentError(() => symmetricEigen([1, NaN, NaN, 1], 2), { fn: 'symmetricEigen', arg: 'a[0][1]' });
  assertArgumentError(() => traceSqrtProduct([1, 0, 0, 1], [1, 1, 0, 1], 2), { fn: 'traceSqrtProduct', arg: 'b[0][1]', value: 1 });
});
