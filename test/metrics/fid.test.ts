import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import * as mathjs from 'mathjs';
import { makeRng, type Rng } from '../../lib/data/rng.js';
import { featureStats, fid, frechetDistance } from '../../lib/metrics/fid.js';
import { matMul64, trace } from '../../lib/metrics/linalg.js';
import { assertArgumentError, setup } from '../helpers.js';
import { randomOrthogonal, withSpectrum } from './matrices.js';
import { assertShapeError } from './shape-error.js';

await setup();

const diag = (d: number[]) => Float64Array.from({ length: d.length * d.length }, (_, i) => (i % (d.length + 1) === 0 ? d[i / (d.length + 1)] : 0));

/** Gauss–Jordan inverse with partial pivoting (float64), for the oracle below. */
function inverse(a: Float64Array, n: number): Float64Array {
  const m = Float64Array.from(a);
  const inv = diag(new Array(n).fill(1));
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * n + c]) > Math.abs(m[p * n + c])) p = r;
    for (const x of [m, inv]) for (let j = 0; j < n; j++) [x[c * n + j], x[p * n + j]] = [x[p * n + j], x[c * n + j]];
    const d = m[c * n + c];
    for (let j = 0; j < n; j++) {
      m[c * n + j] /= d;
      inv[c * n + j] /= d;
    }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r * n + c];
      for (let j = 0; j < n; j++) {
        m[r * n + j] -= f * m[c * n + j];
        inv[r * n + j] -= f * inv[c * n + j];
      }
    }
  }
  return inv;
}

/**
 * The independent route: tr √(Σ₁Σ₂) by the Denman–Beavers iteration on the non-symmetric product (Y → √A,
 * Z → A^{−1/2}; Higham, Functions of Matrices, eq. 6.15), the sqrtm route of pytorch-fid, in float64.
 */
function traceSqrtDenmanBeavers(s1: Float64Array, s2: Float64Array, n: number): number {
  let y = matMul64(s1, s2, n);
  let z = diag(new Array(n).fill(1));
  for (let i = 0; i < 60; i++) {
    const yi = inverse(y, n);
    const zi = inverse(z, n);
    y = y.map((v, k) => 0.5 * (v + zi[k]));
    z = z.map((v, k) => 0.5 * (v + yi[k]));
  }
  return trace(y, n);
}

/** n samples of N(μ, QΛQᵀ) as x = μ + Q·diag(√λ)·z, float32 [n, F]. */
function gaussianSamples(n: number, mean: number[], q: Float64Array, lambda: number[], rng: Rng): tf.Tensor2D {
  const F = mean.length;
  const out = new Float32Array(n * F);
  for (let i = 0; i < n; i++) {
    const z = rng.normalArray(F, 'float64');
    for (let a = 0; a < F; a++) {
      let v = mean[a];
      for (let k = 0; k < F; k++) v += q[a * F + k] * Math.sqrt(lambda[k]) * z[k];
      out[i * F + a] = v;
    }
  }
  return tf.tensor2d(out, [n, F]);
}

test('featureStats: float64 mean and unbiased covariance (divisor n − 1) of a hand-computed 3×2 set', async () => {
  const s = await featureStats({ data: [1, 2, 3, 4, 5, 0], shape: [3, 2] });
  assert.deepEqual([...s.mean], [3, 2]);
  // Centred rows (−2, 0), (0, 2), (2, −2): Σ = [[8, −4], [−4, 8]] / 2.
  assert.deepEqual([...s.cov], [4, -2, -2, 4]);
  const t = tf.tensor2d([1, 2, 3, 4, 5, 0], [3, 2]);
  assert.deepEqual(await featureStats(t), s, 'a tensor gives the same statistics');
  t.dispose();
});

test('diagonal Gaussians: FID = ‖Δμ‖² + Σ(√a − √b)² to 1e-12', () => {
  const a = [4, 1, 0.25, 9, 2];
  const b = [1, 1, 1, 0.5, 8];
  const m1 = [0, 1, 2, 3, 4];
  const m2 = [1, 1, 0, 3, 4.5];
  const exactMean = m1.reduce((s, v, i) => s + (v - m2[i]) ** 2, 0);
  const exactTrace = a.reduce((s, v, i) => s + (Math.sqrt(v) - Math.sqrt(b[i])) ** 2, 0);
  const d = frechetDistance({ mean: Float64Array.from(m1), cov: diag(a) }, { mean: Float64Array.from(m2), cov: diag(b) });
  assert.equal(d.meanTerm, exactMean);
  assert.ok(Math.abs(d.traceTerm - exactTrace) < 1e-12, `${d.traceTerm} vs ${exactTrace}`);
  assert.ok(Math.abs(d.fid - (exactMean + exactTrace)) < 1e-12);
});

test('non-commuting 2×2 covariances: the trace term matches tr Σ₁ + tr Σ₂ − 2√(tr Σ₁Σ₂ + 2√(det Σ₁ det Σ₂))', () => {
  // Σ₂ = R Σ₁ Rᵀ, a rotation by 0.6 rad of an anisotropic Σ₁, and a general pair.
  const c = Math.cos(0.6);
  const s = Math.sin(0.6);
  const s1 = diag([3, 0.2]);
  const r = Float64Array.from([c, -s, s, c]);
  const rt = Float64Array.from([c, s, -s, c]);
  const pairs: [Float64Array, Float64Array][] = [
    [s1, matMul64(matMul64(r, s1, 2), rt, 2)],
    [Float64Array.from([2, 0.7, 0.7, 1]), Float64Array.from([0.5, -0.3, -0.3, 3])],
  ];
  for (const [a, b] of pairs) {
    const det = (m: Float64Array) => m[0] * m[3] - m[1] * m[2];
    const exact = trace(a, 2) + trace(b, 2) - 2 * Math.sqrt(trace(matMul64(a, b, 2), 2) + 2 * Math.sqrt(det(a) * det(b)));
    const d = frechetDistance({ mean: new Float64Array(2), cov: a }, { mean: new Float64Array(2), cov: b });
    assert.ok(Math.abs(d.fid - exact) < 1e-13, `${d.fid} vs ${exact}`);
  }
});

test('8-D non-commuting covariances: the trace term matches the Denman–Beavers sqrtm of Σ₁Σ₂ to 1e-10; FID is symmetric', () => {
  const F = 8;
  const a = withSpectrum(randomOrthogonal(F, makeRng(11)), [5, 3, 2, 1, 0.7, 0.3, 0.1, 0.02]);
  const b = withSpectrum(randomOrthogonal(F, makeRng(12)), [4, 4, 1.5, 1, 0.5, 0.5, 0.2, 0.05]);
  const mean1 = Float64Array.from(makeRng(13).normalArray(F, 'float64'));
  const mean2 = Float64Array.from(makeRng(14).normalArray(F, 'float64'));
  const exact = trace(a, F) + trace(b, F) - 2 * traceSqrtDenmanBeavers(a, b, F);
  const ab = frechetDistance({ mean: mean1, cov: a }, { mean: mean2, cov: b });
  const ba = frechetDistance({ mean: mean2, cov: b }, { mean: mean1, cov: a });
  assert.ok(Math.abs(ab.traceTerm - exact) < 1e-10, `${ab.traceTerm} vs ${exact}`);
  assert.ok(Math.abs(ab.fid - ba.fid) < 1e-11);
  // A third, independent route: mathjs's general sqrtm of the non-symmetric product.
  const rows = (m: Float64Array) => Array.from({ length: F }, (_, i) => Array.from(m.subarray(i * F, (i + 1) * F)));
  const viaMathjs = trace(a, F) + trace(b, F) - 2 * (mathjs.trace(mathjs.sqrtm(mathjs.multiply(rows(a), rows(b)) as number[][]) as number[][]) as number);
  assert.ok(Math.abs(ab.traceTerm - viaMathjs) < 1e-9, `${ab.traceTerm} vs mathjs ${viaMathjs}`);
});

test('FID of samples from two known 4-D Gaussians approaches the closed form as n grows (n = 500 → 64,000)', async () => {
  const F = 4;
  const q1 = randomOrthogonal(F, makeRng(21));
  const q2 = randomOrthogonal(F, makeRng(22));
  const l1 = [2, 1, 0.5, 0.25];
  const l2 = [1.5, 1.5, 0.3, 0.1];
  const m1 = [0, 0, 0, 0];
  const m2 = [0.5, -0.5, 0, 1];
  const exact = frechetDistance({ mean: Float64Array.from(m1), cov: withSpectrum(q1, l1) }, { mean: Float64Array.from(m2), cov: withSpectrum(q2, l2) }).fid;
  const errs: number[] = [];
  const rng = makeRng(23);
  for (const n of [500, 64000]) {
    const x = gaussianSamples(n, m1, q1, l1, rng);
    const y = gaussianSamples(n, m2, q2, l2, rng);
    errs.push(Math.abs((await fid(x, y)).fid - exact) / exact);
    tf.dispose([x, y]);
  }
  assert.ok(errs[1] < 0.01, `relative error ${errs[1]} at n = 64,000 (closed form ${exact})`);
  assert.ok(errs[1] < errs[0], `error shrinks with n: ${errs}`);
});

test('FID of a set with itself is 0; shifting one set by c adds ‖c‖² exactly to the mean term', async () => {
  const rng = makeRng(31);
  const x = tf.tensor2d(rng.normalArray(400 * 6), [400, 6]);
  const self = await fid(x, x);
  assert.ok(self.fid < 1e-10, `fid(x, x) = ${self.fid}`);
  assert.equal(self.meanTerm, 0);
  const c = [1, -2, 0.5, 0, 0, 3];
  const y = x.add(tf.tensor1d(c)) as tf.Tensor2D;
  const shifted = await fid(x, y);
  assert.ok(Math.abs(shifted.meanTerm - c.reduce((s, v) => s + v * v, 0)) < 1e-4);
  assert.ok(Math.abs(shifted.traceTerm) < 1e-4, 'same covariance up to float32 rounding');
  tf.dispose([x, y]);
});

test('fid and frechetDistance reject bad shapes and mismatched dimensions, naming the argument', () => {
  const x = tf.zeros([5, 3]) as tf.Tensor2D;
  const y = tf.zeros([5, 4]) as tf.Tensor2D;
  const one = tf.zeros([1, 3]) as tf.Tensor2D;
  assertShapeError(() => fid(x, y), { fn: 'fid', arg: 'y', got: [5, 4] });
  assertShapeError(() => fid(one, x), { fn: 'fid', arg: 'x', got: [1, 3] });
  assertArgumentError(() => frechetDistance({ mean: new Float64Array(2), cov: diag([1, 1]) }, { mean: new Float64Array(3), cov: diag([1, 1, 1]) }), { fn: 'frechetDistance', arg: 'b.mean' });
  assertArgumentError(() => frechetDistance({ mean: new Float64Array(2), cov: Float64Array.from([1, 0.5, 0, 1]) }, { mean: new Float64Array(2), cov: diag([1, 1]) }), { fn: 'frechetDistance', arg: 'a.cov[0][1]', value: 0.5 });
  assertArgumentError(() => featureStats({ data: [1, 2], shape: [1, 2] }), { fn: 'featureStats', arg: 'x.shape' });
  tf.dispose([x, y, one]);
});
