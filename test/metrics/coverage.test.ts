import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { logDensity, makeMixture, marginalAt, sampleMixture, type MixtureSpec } from '../../lib/analytic/mixture.js';
import { makeSchedule } from '../../lib/diffusion/schedules.js';
import { cleanLogResponsibilities, meanLogDensity, modeCoverage } from '../../lib/metrics/coverage.js';
import { makeRng } from '../../lib/data/rng.js';
import { refLogDensity, rows } from '../analytic/gmm-reference.js';
import { assertArgumentError, setup } from '../helpers.js';
import { assertShapeError } from './shape-error.js';

await setup();

/** 8 equal-weight modes on a circle of radius 4, σ = 0.25: well separated (adjacent means 3.06 = 12σ apart). */
const ring: MixtureSpec = {
  weights: new Array(8).fill(1),
  means: Array.from({ length: 8 }, (_, k) => [4 * Math.cos((k * Math.PI) / 4), 4 * Math.sin((k * Math.PI) / 4)]),
  variances: new Array(8).fill(0.0625),
};
const m8 = makeMixture(ring);
/** The same first four components only (the mode-dropping student). */
const half = makeMixture({ weights: ring.weights.slice(0, 4), means: ring.means.slice(0, 4), variances: ring.variances.slice(0, 4) });

test('samples of the mixture itself cover all 8 modes, with KL(p̂ ‖ π) ≈ 0 and high-quality fraction ≈ P(χ²₂ ≤ 9)', () => {
  const n = 4000;
  const { x, labels } = sampleMixture(m8, n, 1);
  const c = modeCoverage(m8, x);
  assert.equal(c.n, n);
  assert.equal(c.coverage, 1);
  assert.deepEqual(c.covered, new Array(8).fill(true));
  assert.equal(c.counts.reduce((a, b) => a + b, 0), n);
  // Well-separated modes: the most responsible component is the one each sample was drawn from.
  const truth = new Array(8).fill(0);
  labels.forEach((k) => truth[k]++);
  assert.deepEqual(c.counts, truth);
  assert.deepEqual(c.expected, new Array(8).fill(n / 8));
  // E[KL] ≈ (K − 1)/(2n) ≈ 9e-4 for multinomial counts.
  assert.ok(c.kl >= 0 && c.kl < 5e-3, `KL ${c.kl}`);
  // P(χ²₂ ≤ 9) = 1 − e^{−4.5} = 0.98889; binomial s.d. at n = 4000 is 0.0017.
  assert.ok(c.highQuality > 0.9, `highQuality ${c.highQuality}`);
  assert.ok(Math.abs(c.highQuality - (1 - Math.exp(-4.5))) < 0.01, `highQuality ${c.highQuality}`);
  assert.equal(c.minFraction, 0.1);
  assert.equal(c.kSigma, 3);
  x.dispose();
});

test('samples from only half of 8 equal-weight modes give coverage 0.5 and KL ≈ log 2', () => {
  const { x } = sampleMixture(half, 4000, 2);
  const c = modeCoverage(m8, x);
  assert.equal(c.coverage, 0.5);
  assert.deepEqual(c.covered, [true, true, true, true, false, false, false, false]);
  assert.deepEqual(c.counts.slice(4), [0, 0, 0, 0]);
  assert.ok(Math.abs(c.kl - Math.LN2) < 5e-3, `KL ${c.kl} vs log 2`);
  x.dispose();
});

test('minFraction and kSigma move the thresholds: a mode at ~6% of its share is missed at the default 0.1, covered at 0.01', () => {
  // 7 modes at weight 1 and mode 7 at 0.05: E[count_7] = 2000·0.05/7.05 ≈ 14, against m8's expected share 250.
  const skew = makeMixture({ weights: [...new Array(7).fill(1), 0.05], means: ring.means, variances: ring.variances });
  const { x } = sampleMixture(skew, 2000, 3);
  const c = modeCoverage(m8, x);
  assert.ok(c.counts[7] > 2.5 && c.counts[7] < 25, `count of mode 7: ${c.counts[7]}`);
  assert.equal(c.coverage, 7 / 8);
  assert.equal(c.covered[7], false);
  assert.equal(modeCoverage(m8, x, { minFraction: 0.01 }).coverage, 1);
  // kSigma = 1 in 2-D: P(χ²₂ ≤ 1) = 1 − e^{−1/2} = 0.393 (binomial s.d. 0.011 at n = 2000).
  const q1 = modeCoverage(m8, x, { kSigma: 1 }).highQuality;
  assert.ok(Math.abs(q1 - (1 - Math.exp(-0.5))) < 0.04, `kSigma=1: ${q1}`);
  x.dispose();
});

test('samples far from every mode are assigned but not high-quality', () => {
  // Midpoints between adjacent modes: 1.53 from each mean = 6.1σ.
  const mids = ring.means.map((mu, k) => {
    const nu = ring.means[(k + 1) % 8];
    return [(mu[0] + nu[0]) / 2, (mu[1] + nu[1]) / 2];
  });
  const x = tf.tensor2d(mids);
  const c = modeCoverage(m8, x);
  assert.equal(c.highQuality, 0);
  assert.equal(c.counts.reduce((a, b) => a + b, 0), 8);
  x.dispose();
});

test('meanLogDensity for K = 1 equals the closed-form diagonal Gaussian log-density (float64 mean)', () => {
  const mu = [0.7, -0.4, 2];
  const v = [0.3, 1.6, 0.01];
  const g = makeMixture({ weights: [3], means: [mu], variances: [v] });
  const pts = rows(makeRng(4).normalArray(50 * 3, 'float64'), 3);
  const want =
    pts
      .map((p) => p.reduce((acc, pd, d) => acc - 0.5 * ((pd - mu[d]) ** 2 / v[d] + Math.log(2 * Math.PI * v[d])), 0))
      .reduce((a, b) => a + b) / pts.length;
  const x = tf.tensor2d(pts);
  const got = meanLogDensity(g, x);
  assert.ok(Math.abs(got - want) < 1e-5 * Math.max(1, Math.abs(want)), `${got} vs ${want}`);
  x.dispose();
});

test('meanLogDensity matches a float64 host reference of log p_0 (no σ_0² noise) for K = 3 in 2-D', () => {
  const spec: MixtureSpec = { weights: [1, 2, 1.5], means: [[0, 0], [2, -1], [-1.5, 3]], variances: [0.2, [0.35, 0.05], [0.02, 0.4]] };
  const m = makeMixture(spec);
  const { x } = sampleMixture(m, 200, 5);
  const pts = rows(x.dataSync(), 2);
  const want = pts.map((p) => refLogDensity(spec, 1, 0, p)).reduce((a, b) => a + b) / pts.length;
  const got = meanLogDensity(m, x);
  assert.ok(Math.abs(got - want) < 1e-5 * Math.max(1, Math.abs(want)), `${got} vs ${want}`);
  // Same kernel as lib/analytic: the t = 0 marginal (which includes σ_0²) through meanLogDensity equals
  // the mean of lib/analytic's logDensity at DDPM index 0.
  const sd = makeSchedule({ name: 'scaled-linear' });
  const lp = logDensity(m, sd, x, 0);
  const analytic = Array.from(lp.dataSync()).reduce((a, b) => a + b, 0) / 200;
  assert.ok(Math.abs(meanLogDensity(marginalAt(m, sd, 0), x) - analytic) < 1e-5);
  assert.ok(Math.abs(got - analytic) > 1e-3, 'σ_0² noise is really absent from the clean density');
  tf.dispose([x, lp]);
});

test('cleanLogResponsibilities are normalised and agree with the float64 reference', () => {
  const x = tf.tensor2d([
    [2.5, 1.5],
    [0, 3.9],
    [10, -10],
  ]);
  const lr = cleanLogResponsibilities(m8, x);
  assert.deepEqual(lr.shape, [3, 8]);
  const v = rows(lr.dataSync(), 8);
  rows(x.dataSync(), 2).forEach((p, i) => {
    const sum = v[i].reduce((a, b) => a + Math.exp(b), 0);
    assert.ok(Math.abs(sum - 1) < 1e-5, `row ${i}: Σ r = ${sum}`);
    // log r_k = log π_k + log N_k − log p_0, each piece from the reference with a one-component spec.
    const lp = refLogDensity(ring, 1, 0, p);
    v[i].forEach((got, k) => {
      if (got < -50) return; // negligible responsibilities: float32 relative agreement only
      const lk = refLogDensity({ weights: [1], means: [ring.means[k]], variances: [ring.variances[k]] }, 1, 0, p);
      const want = Math.log(1 / 8) + lk - lp;
      assert.ok(Math.abs(got - want) < 1e-4 * Math.max(1, Math.abs(want)), `row ${i} k ${k}: ${got} vs ${want}`);
    });
  });
  tf.dispose([x, lr]);
});

test('coverage functions reject a mismatched D, empty sets and bad thresholds, naming the field', () => {
  const x3 = tf.zeros([5, 3]) as tf.Tensor2D;
  const empty = tf.zeros([0, 2]) as tf.Tensor2D;
  const x = tf.zeros([5, 2]) as tf.Tensor2D;
  assertShapeError(() => modeCoverage(m8, x3), { fn: 'modeCoverage', arg: 'x', got: [5, 3] });
  assertShapeError(() => modeCoverage(m8, empty), { fn: 'modeCoverage', arg: 'x', got: [0, 2] });
  assertShapeError(() => meanLogDensity(m8, x3), { fn: 'meanLogDensity', arg: 'x', got: [5, 3] });
  assertShapeError(() => meanLogDensity(m8, empty), { fn: 'meanLogDensity', arg: 'x', got: [0, 2] });
  assertShapeError(() => cleanLogResponsibilities(m8, x3), { fn: 'cleanLogResponsibilities', arg: 'x', got: [5, 3] });
  assertArgumentError(() => modeCoverage(m8, x, { minFraction: 0 }), { fn: 'modeCoverage', arg: 'minFraction', value: 0 });
  assertArgumentError(() => modeCoverage(m8, x, { minFraction: 1.5 }), { arg: 'minFraction', value: 1.5 });
  assertArgumentError(() => modeCoverage(m8, x, { kSigma: -1 }), { arg: 'kSigma', value: -1 });
  assertArgumentError(() => modeCoverage(m8, x, { kSigma: Infinity }), { arg: 'kSigma', value: Infinity });
  tf.dispose([x3, empty, x]);
});

test('coverage functions leave the tensor count flat', () => {
  const { x } = sampleMixture(m8, 300, 6);
  modeCoverage(m8, x);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) {
    modeCoverage(m8, x);
    meanLogDensity(m8, x);
  }
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
});
