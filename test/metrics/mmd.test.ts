import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { mmd } from '../../lib/metrics/mmd.js';
import { makeRng } from '../../lib/data/rng.js';
import { assertArgumentError, setup } from '../helpers.js';
import { assertShapeError } from './shape-error.js';

await setup();
const rng = makeRng(11);
/** [n, D] host rows of N(shift, scale² I). */
const rows = (n: number, D: number, shift = 0, scale = 1): number[][] =>
  Array.from({ length: n }, () => Array.from(rng.normalArray(D, 'float64'), (v) => shift + scale * v));

const sqDist = (a: number[], b: number[]): number => a.reduce((s, v, d) => s + (v - b[d]) ** 2, 0);

/** Naive O(n²) float64 MMD²_u with k = Σ_h exp(−‖a − b‖²/(2h²)), straight from Gretton et al. 2012, eq. 3. */
function naiveMmd2(x: number[][], y: number[][], hs: number[]): number {
  const k = (a: number[], b: number[]): number => hs.reduce((s, h) => s + Math.exp(-sqDist(a, b) / (2 * h * h)), 0);
  const n = x.length;
  const m = y.length;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) sxx += k(x[i], x[j]);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) if (i !== j) syy += k(y[i], y[j]);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) sxy += k(x[i], y[j]);
  return sxx / (n * (n - 1)) + syy / (m * (m - 1)) - (2 * sxy) / (n * m);
}

/** Median of all pairwise distances of the pooled rows. */
function naiveMedian(z: number[][]): number {
  const d: number[] = [];
  for (let i = 0; i < z.length; i++) for (let j = i + 1; j < z.length; j++) d.push(Math.sqrt(sqDist(z[i], z[j])));
  d.sort((a, b) => a - b);
  const mid = d.length >> 1;
  return d.length % 2 ? d[mid] : (d[mid - 1] + d[mid]) / 2;
}

const xs = rows(20, 3, 5);
const ys = rows(15, 3, 5.4, 1.3);

test('MMD² with fixed bandwidths [0.5, 2] matches a naive O(n²) float64 reference to 1e-6 (n = 20, m = 15, D = 3)', () => {
  const x = tf.tensor2d(xs);
  const y = tf.tensor2d(ys);
  const r = mmd(x, y, { bandwidth: { kind: 'fixed', values: [0.5, 2] } });
  assert.deepEqual(r.bandwidths, [0.5, 2]);
  const ref = naiveMmd2(xs, ys, [0.5, 2]);
  assert.ok(Math.abs(r.mmd2 - ref) < 1e-6, `${r.mmd2} vs ${ref}`);
  tf.dispose([x, y]);
});

test('MMD² with the median heuristic uses the pooled median distance (all pairs when the pool is small) and matches the reference', () => {
  const x = tf.tensor2d(xs);
  const y = tf.tensor2d(ys);
  const med = naiveMedian([...xs, ...ys]);
  const r = mmd(x, y, { bandwidth: { kind: 'median', scales: [1, 0.5] } });
  assert.ok(Math.abs(r.bandwidths[0] / med - 1) < 1e-5, `${r.bandwidths[0]} vs ${med}`);
  assert.ok(Math.abs(r.bandwidths[1] / r.bandwidths[0] - 0.5) < 1e-12);
  const ref = naiveMmd2(xs, ys, [med, med / 2]);
  assert.ok(Math.abs(r.mmd2 - ref) < 1e-6, `${r.mmd2} vs ${ref}`);
  assert.equal(mmd(x, y).bandwidths.length, 1, 'default: one kernel at the median');
  tf.dispose([x, y]);
});

test('blockwise MMD² equals the one-block computation (blockSize 1, 7, 16, 1000)', () => {
  const x = tf.tensor2d(rows(50, 2));
  const y = tf.tensor2d(rows(37, 2, 0.5));
  const whole = mmd(x, y, { blockSize: 1000 }).mmd2;
  for (const blockSize of [1, 7, 16]) {
    const b = mmd(x, y, { blockSize }).mmd2;
    assert.ok(Math.abs(b - whole) < 1e-6, `blockSize ${blockSize}: ${b} vs ${whole}`);
  }
  tf.dispose([x, y]);
});

test('MMD² of two independent samples of one distribution is near 0, well below a pair shifted by 0.5σ', () => {
  const n = 600;
  const x = tf.tensor2d(rows(n, 2));
  const same = tf.tensor2d(rows(n, 2));
  const shifted = tf.tensor2d(rows(n, 2, 0.5));
  const r0 = mmd(x, same).mmd2;
  const r1 = mmd(x, shifted).mmd2;
  assert.ok(r1 > 0.02, `shifted ${r1}`);
  assert.ok(Math.abs(r0) < 0.1 * r1, `same ${r0} vs shifted ${r1}`);
  tf.dispose([x, same, shifted]);
});

test('MMD² of n = m = 4096 runs in blocks and leaves the tensor count flat', () => {
  const x = tf.tensor2d(rng.normalArray(4096 * 2), [4096, 2]);
  const y = tf.tensor2d(rng.normalArray(4096 * 2), [4096, 2]);
  const before = tf.memory().numTensors;
  const r = mmd(x, y);
  assert.equal(tf.memory().numTensors, before);
  assert.ok(Math.abs(r.mmd2) < 2e-3, `${r.mmd2}`);
  // The median heuristic subsamples 1024 of the 8192 pooled points; for N(0, I_2) pairs the distance is
  // √2·Rayleigh, median 2·√(ln 2) ≈ 1.665.
  assert.ok(Math.abs(r.bandwidths[0] - 2 * Math.sqrt(Math.LN2)) < 0.05, `${r.bandwidths[0]}`);
  tf.dispose([x, y]);
});

test('MMD² rejects bad sets, bandwidths, block sizes and a zero median, naming the field', () => {
  const x = tf.zeros([4, 2]) as tf.Tensor2D;
  const one = tf.zeros([1, 2]) as tf.Tensor2D;
  const y3 = tf.ones([4, 3]) as tf.Tensor2D;
  const y = tf.ones([5, 2]) as tf.Tensor2D;
  assertShapeError(() => mmd(one, y), { fn: 'mmd', arg: 'x', got: [1, 2] });
  assertShapeError(() => mmd(x, one), { fn: 'mmd', arg: 'y', got: [1, 2] });
  assertShapeError(() => mmd(x, y3), { fn: 'mmd', arg: 'y', got: [4, 3] });
  assertArgumentError(() => mmd(x, y, { bandwidth: { kind: 'fixed', values: [] } }), { fn: 'mmd', arg: 'bandwidth.values' });
  assertArgumentError(() => mmd(x, y, { bandwidth: { kind: 'fixed', values: [1, -2] } }), { arg: 'bandwidth.values[1]', value: -2 });
  assertArgumentError(() => mmd(x, y, { bandwidth: { kind: 'median', scales: [NaN] } }), { arg: 'bandwidth.scales[0]' });
  assertArgumentError(() => mmd(x, y, { bandwidth: { kind: 'gauss' } as never }), { arg: 'bandwidth.kind', value: 'gauss' });
  assertArgumentError(() => mmd(x, y, { blockSize: 0 }), { arg: 'blockSize', value: 0 });
  assertArgumentError(() => mmd(x, y, { medianPoints: 1 }), { arg: 'medianPoints', value: 1 });
  // 8 zeros and 2 ones: 29 of the 45 pooled pairs coincide, so the median distance is 0.
  const x8 = tf.zeros([8, 2]) as tf.Tensor2D;
  const y2 = tf.ones([2, 2]) as tf.Tensor2D;
  assertArgumentError(() => mmd(x8, y2), { fn: 'mmd', arg: 'bandwidth' });
  tf.dispose([x, one, y3, y, x8, y2]);
});

test('MMD² leaves the tensor count flat, also when it throws', () => {
  const x = tf.tensor2d(rows(30, 2));
  const y = tf.tensor2d(rows(25, 2, 1));
  const zeros = tf.zeros([10, 2]) as tf.Tensor2D;
  mmd(x, y);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) mmd(x, y, { blockSize: 8, bandwidth: { kind: 'median', scales: [0.5, 1, 2] } });
  assert.throws(() => mmd(zeros, zeros));
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([x, y, zeros]);
});
