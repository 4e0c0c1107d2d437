import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend.js';
import { makeSchedule } from '../../lib/diffusion/schedules.js';
import { ArgumentError, ShapeError } from '../../lib/errors.js';
import {
  denoise,
  epsStar,
  logDensity,
  logResponsibilities,
  makeMixture,
  marginalAt,
  mixtureDenoiser,
  sampleMixture,
  sampleMixtureArray,
  score,
  type MixtureSpec,
} from '../../lib/analytic/mixture.js';
import { refLogDensity, refScoreFD, rows } from './gmm-reference.js';

await initBackend('cpu');
const sd = makeSchedule({ name: 'scaled-linear' });
const TIMES = [0, 20, 500, 999];

// Three components in 2-D: one isotropic, two diagonal, unnormalised weights.
const spec3: MixtureSpec = {
  weights: [1, 2, 1.5],
  means: [
    [-1, 0.5],
    [1.2, -0.3],
    [0.2, 1.5],
  ],
  variances: [0.2, [0.35, 0.05], [0.02, 0.4]],
};
const m3 = makeMixture(spec3);
const xHost = [
  [0.1, 0.2],
  [-1.3, 0.7],
  [2.5, -2],
  [0.2, 1.4],
  [-4, 3],
];
const x = tf.tensor2d(xHost);

function host(t: tf.Tensor): number[] {
  const v = Array.from(t.dataSync());
  t.dispose();
  return v;
}

/** Assert |got − want| ≤ atol + rtol·|want| elementwise. */
function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, atol: number, rtol: number, what: string) {
  assert.equal(got.length, want.length, `${what}: lengths differ`);
  for (let i = 0; i < got.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    assert.ok(err <= atol + rtol * Math.abs(want[i]), `${what}[${i}]: got ${got[i]}, want ${want[i]}, |diff| ${err.toExponential(2)}`);
  }
}

test('makeMixture normalises the weights and expands isotropic variances to diagonals', () => {
  assert.equal(m3.K, 3);
  assert.equal(m3.D, 2);
  assertClose(m3.weights, [1 / 4.5, 2 / 4.5, 1.5 / 4.5], 1e-16, 0, 'weights');
  assertClose(m3.logWeights, [1 / 4.5, 2 / 4.5, 1.5 / 4.5].map(Math.log), 1e-15, 0, 'logWeights');
  assert.deepEqual(Array.from(m3.variances), [0.2, 0.2, 0.35, 0.05, 0.02, 0.4]);
  assert.equal(m3.isotropic, false);
  assert.equal(makeMixture({ weights: [1], means: [[0, 0]], variances: [2] }).isotropic, true);
});

test('logDensity matches the float64 reference Σ π_k N(α_t μ_k, α_t² Σ_k + σ_t² I) to float32 precision at t = 0…999', () => {
  for (const t of TIMES) {
    const got = host(logDensity(m3, sd, x, t));
    const want = xHost.map((xi) => refLogDensity(spec3, sd.alpha(t), sd.sigma(t), xi));
    // A float32 sum of D + 2 terms per component, the largest ≲ 400 here: a few ulps (6e-8 relative) of it.
    assertClose(got, want, 2e-6, 5e-7, `log p_${t}`);
  }
});

test('logDensity for K = 1 equals the closed-form Gaussian log-density', () => {
  const mu = [0.7, -0.4, 2];
  const v = [0.3, 1.6, 0.01];
  const g = makeMixture({ weights: [3], means: [mu], variances: [v] });
  const pts = [
    [0, 0, 0],
    [1, -1, 2.1],
    [-3, 4, 1],
  ];
  for (const t of TIMES) {
    const a = sd.alpha(t);
    const s = sd.sigma(t);
    const want = pts.map((p) =>
      p.reduce((acc, pd, d) => {
        const C = a * a * v[d] + s * s;
        return acc - 0.5 * ((pd - a * mu[d]) ** 2 / C + Math.log(2 * Math.PI * C));
      }, 0),
    );
    const xt = tf.tensor2d(pts);
    assertClose(host(logDensity(g, sd, xt, t)), want, 2e-6, 5e-7, `K=1 log p_${t}`);
    xt.dispose();
  }
});

test('logDensity stays finite and accurate at |x| = 1e3, where a naive float32 sum of exps underflows to −Infinity', () => {
  const far = [
    [1e3, -1e3],
    [-1e3, 1e3],
    [1e3, 1e3],
  ];
  const xf = tf.tensor2d(far);
  for (const t of [0, 500]) {
    const got = host(logDensity(m3, sd, xf, t));
    const want = far.map((p) => refLogDensity(spec3, sd.alpha(t), sd.sigma(t), p));
    got.forEach((v) => assert.ok(Number.isFinite(v), `log p_${t} = ${v}`));
    // |log p| ~ 1e7 at t = 0: float32 keeps ~7 significant digits (a few ulps of 6e-8).
    assertClose(got, want, 0, 3e-7, `far log p_${t}`);
    // The naive evaluation this guards against: log Σ_k π_k·exp(log N_k) in float32.
    const naive = tf.tidy(() => {
      const lr = logResponsibilities(m3, sd, xf, t); // log r_k = log π_k + log N_k − log p
      const lp = logDensity(m3, sd, xf, t);
      return lr.add(lp.reshape([3, 1])).exp().sum(1).log();
    });
    host(naive).forEach((v) => assert.equal(v, -Infinity));
    const r = host(logResponsibilities(m3, sd, xf, t));
    r.forEach((v) => assert.ok(!Number.isNaN(v)));
  }
  xf.dispose();
});

test('responsibilities sum to 1 (to 1e-6) near and far from the modes, with per-sample times', () => {
  const pts = tf.tensor2d([...xHost, [1e3, -1e3], [-50, 70]]);
  const tPer = tf.tensor1d([0, 3.5, 20, 250, 500, 999, 10]);
  for (const t of [...TIMES, tPer]) {
    const sums = host(tf.tidy(() => logResponsibilities(m3, sd, pts, t).exp().sum(1)));
    assertClose(sums, new Array(sums.length).fill(1), 1e-6, 0, `Σ r_k at t=${typeof t === 'number' ? t : 'per-sample'}`);
  }
  tf.dispose([pts, tPer]);
});

test('score equals the central finite-difference gradient of the float64 log-density reference', () => {
  for (const t of TIMES) {
    const got = host(score(m3, sd, x, t));
    const want = xHost.flatMap((xi) => refScoreFD(spec3, sd.alpha(t), sd.sigma(t), xi));
    // FD error ≈ 1e-9 (h = 1e-5); the float32 score has a few ulps of its largest term |C⁻¹(x − αμ)| ≲ 100.
    assertClose(got, want, 1e-5, 1e-6, `score_${t}`);
  }
});

test('score equals tf.grad of logDensity (autodiff through the float32 log-sum-exp)', () => {
  for (const t of TIMES) {
    const grad = tf.grad((xx: tf.Tensor) => logDensity(m3, sd, xx as tf.Tensor2D, t).sum());
    const auto = host(grad(x));
    const got = host(score(m3, sd, x, t));
    assertClose(got, auto, 1e-5, 1e-6, `score vs tf.grad at t=${t}`);
  }
});

test('denoise equals Tweedie (x + σ_t²·score)/α_t, and ε* equals −σ_t·score', () => {
  for (const t of TIMES) {
    const a = sd.alpha(t);
    const s = sd.sigma(t);
    const sc = host(score(m3, sd, x, t));
    const flatX = xHost.flat();
    const tweedie = flatX.map((xi, i) => (xi + s * s * sc[i]) / a);
    // Both sides are float32: the score's rounding (a few ulps of σ²·|score| ≲ 4) is amplified by 1/α_t (≈ 15 at t = 999).
    assertClose(host(denoise(m3, sd, x, t)), tweedie, 1e-6 / a, 1e-6, `denoise_${t}`);
    assertClose(host(epsStar(m3, sd, x, t)), sc.map((v) => -s * v), 1e-7, 2e-7, `eps*_${t}`);
  }
});

test('ε* equals (x − α_t·denoise)/σ_t and stays finite and bounded as σ_t → 0 (t = 0)', () => {
  for (const t of TIMES) {
    const a = sd.alpha(t);
    const s = sd.sigma(t);
    const d = host(denoise(m3, sd, x, t));
    const want = xHost.flat().map((xi, i) => (xi - a * d[i]) / s);
    // The (x − α·D)/σ form loses a few ulps of |x|/σ_t (|x| ≤ 4; σ_0 = 0.029): the reference's error, not ε*'s.
    assertClose(host(epsStar(m3, sd, x, t)), want, 2e-7 * (1 + 4 / s), 1e-6, `eps* vs (x − αD)/σ at t=${t}`);
  }
});

test('for K = 1 the denoiser equals the Gaussian posterior mean μ + α_t Σ (α_t² Σ + σ_t² I)⁻¹ (x − α_t μ)', () => {
  const mu = [0.7, -0.4];
  const v = [0.3, 1.6];
  const g = makeMixture({ weights: [1], means: [mu], variances: [v] });
  for (const t of TIMES) {
    const a = sd.alpha(t);
    const s = sd.sigma(t);
    const want = xHost.flatMap((p) => p.map((pd, k) => mu[k] + (a * v[k] * (pd - a * mu[k])) / (a * a * v[k] + s * s)));
    assertClose(host(denoise(g, sd, x, t)), want, 5e-7, 5e-7, `K=1 denoise_${t}`);
  }
});

test('a diagonal mixture with equal per-axis variances gives exactly the isotropic results', () => {
  const iso = makeMixture({ weights: [1, 2], means: [[0, 1], [1, -1]], variances: [0.3, 0.7] });
  const diag = makeMixture({ weights: [1, 2], means: [[0, 1], [1, -1]], variances: [[0.3, 0.3], [0.7, 0.7]] });
  for (const t of TIMES) {
    for (const f of [logDensity, score, denoise, epsStar, logResponsibilities]) {
      assert.deepEqual(host(f(iso, sd, x, t)), host(f(diag, sd, x, t)), `${f.name} at t=${t}`);
    }
  }
});

test('per-sample times [B] give the same results as one call per time', () => {
  const times = [0, 20.25, 500, 999, 137];
  const tt = tf.tensor1d(times);
  for (const f of [logDensity, score, denoise, epsStar]) {
    const batched = host(f(m3, sd, x, tt));
    const per = times.flatMap((t, i) => {
      const xi = tf.tensor2d([xHost[i]]);
      const v = host(f(m3, sd, xi, t));
      xi.dispose();
      return v;
    });
    assertClose(batched, per, 1e-6, 1e-6, f.name);
  }
  tt.dispose();
});

test('marginalAt(t) holds the noisy components: means α_t μ_k, variances α_t² Σ_k + σ_t² I, the same weights', () => {
  const t = 500;
  const mt = marginalAt(m3, sd, t);
  const a = sd.alpha(t);
  const s = sd.sigma(t);
  assertClose(mt.means, Array.from(m3.means, (mu) => a * mu), 0, 1e-15, 'means');
  assertClose(mt.variances, Array.from(m3.variances, (v) => a * a * v + s * s), 0, 1e-15, 'variances');
  assert.deepEqual(mt.weights, m3.weights);
});

test('mixtureDenoiser returns ε*, and accepts image-shaped x [B, H, W, C] with D values per sample', () => {
  const eps = mixtureDenoiser(m3, sd);
  assert.deepEqual(host(eps(x, 250)), host(epsStar(m3, sd, x, 250)));
  const img = makeMixture({ weights: [1, 1], means: [[0, 0, 0, 0], [1, 1, -1, -1]], variances: [0.5, 0.2] });
  const xi = tf.randomNormal([3, 2, 2, 1], 0, 1, 'float32', 1);
  const out = mixtureDenoiser(img, sd)(xi, 100);
  assert.deepEqual(out.shape, [3, 2, 2, 1]);
  const flat = xi.reshape([3, 4]) as tf.Tensor2D;
  assert.deepEqual(host(out), host(epsStar(img, sd, flat, 100)));
  tf.dispose([xi, flat]);
});

test('tensor count stays flat over 200 calls of the denoiser and the other tensor functions', () => {
  const eps = mixtureDenoiser(m3, sd);
  const tt = tf.tensor1d([0, 10, 100, 500, 999]);
  const warm = eps(x, 10);
  warm.dispose();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 200; i++) {
    eps(x, i % 2 ? 10 : tt).dispose();
    denoise(m3, sd, x, tt).dispose();
    logDensity(m3, sd, x, 999).dispose();
  }
  assert.equal(tf.memory().numTensors, before);
  tt.dispose();
});

test('sampleMixture is deterministic given a seed and matches the mixture mean and weights', () => {
  const a = sampleMixture(m3, 50, 123);
  const b = sampleMixture(m3, 50, 123);
  assert.deepEqual(host(a.x), host(b.x));
  assert.deepEqual(a.labels, b.labels);
  const c = sampleMixture(m3, 50, 124);
  assert.notDeepEqual(host(c.x), Array.from(sampleMixtureArray(m3, 50, 123).values, Math.fround));
  const n = 20_000;
  const { values, labels } = sampleMixtureArray(m3, n, 7);
  for (let k = 0; k < 3; k++) {
    const freq = labels.filter((l) => l === k).length / n;
    const se = Math.sqrt((m3.weights[k] * (1 - m3.weights[k])) / n);
    assert.ok(Math.abs(freq - m3.weights[k]) < 5 * se, `component ${k}: frequency ${freq} vs π_k ${m3.weights[k]}`);
  }
  for (let d = 0; d < 2; d++) {
    const mean = rows(values, 2).reduce((s, r) => s + r[d], 0) / n;
    const want = [0, 1, 2].reduce((s, k) => s + m3.weights[k] * spec3.means[k][d], 0);
    // Var of one coordinate ≤ 1.5 for this mixture, so SE ≤ 0.0087.
    assert.ok(Math.abs(mean - want) < 0.045, `axis ${d}: sample mean ${mean} vs ${want}`);
  }
});

/** Assert fn throws `cls` with these fields. */
function assertThrowsWith(fn: () => unknown, cls: typeof ArgumentError | typeof ShapeError, fields: Record<string, unknown>) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
    for (const [key, want] of Object.entries(fields)) assert.deepEqual((err as unknown as Record<string, unknown>)[key], want, key);
    return true;
  });
}

test('makeMixture rejects bad specs, naming fn, arg and value', () => {
  const base = { weights: [1, 1], means: [[0, 0], [1, 1]], variances: [1, 1] };
  const fn = 'makeMixture';
  assertThrowsWith(() => makeMixture({ ...base, variances: [1, 0] }), ArgumentError, { fn, arg: 'variances[1]', value: 0 });
  assertThrowsWith(() => makeMixture({ ...base, variances: [[1, -2], [1, 1]] }), ArgumentError, {
    fn,
    arg: 'variances[0][1]',
    value: -2,
  });
  assertThrowsWith(() => makeMixture({ ...base, weights: [1, 0] }), ArgumentError, { fn, arg: 'weights[1]', value: 0 });
  assertThrowsWith(() => makeMixture({ ...base, weights: [-1, 1] }), ArgumentError, { fn, arg: 'weights[0]', value: -1 });
  assertThrowsWith(() => makeMixture({ ...base, weights: [] }), ArgumentError, { fn, arg: 'weights', value: [] });
  assertThrowsWith(() => makeMixture({ ...base, means: [[0, NaN], [1, 1]] }), ArgumentError, { fn, arg: 'means[0][1]', value: NaN });
  assertThrowsWith(() => makeMixture({ ...base, means: [[0, 0], [1, 1, 1]] }), ShapeError, { fn, arg: 'means[1]', got: [3] });
  assertThrowsWith(() => makeMixture({ ...base, means: [[0, 0]] }), ShapeError, { fn, arg: 'means', got: [1, 2] });
  assertThrowsWith(() => makeMixture({ ...base, variances: [[1, 1, 1], [1, 1]] }), ShapeError, { fn, arg: 'variances[0]', got: [3] });
  assertThrowsWith(() => makeMixture({ ...base, variances: [1] }), ShapeError, { fn, arg: 'variances', got: [1] });
});

test('the tensor functions reject x with the wrong D and t out of range, naming fn, arg and value', () => {
  const x3 = tf.zeros([4, 3]) as tf.Tensor2D;
  assertThrowsWith(() => denoise(m3, sd, x3, 10), ShapeError, { fn: 'denoise', arg: 'x', got: [4, 3] });
  assertThrowsWith(() => mixtureDenoiser(m3, sd)(x3, 10), ShapeError, { fn: 'mixtureDenoiser', arg: 'x', got: [4, 3] });
  assertThrowsWith(() => score(m3, sd, x, 1000), ArgumentError, { fn: 'score', arg: 't', value: 1000 });
  assertThrowsWith(() => epsStar(m3, sd, x, -0.5), ArgumentError, { fn: 'epsStar', arg: 't', value: -0.5 });
  assertThrowsWith(() => logDensity(m3, sd, x, NaN), ArgumentError, { fn: 'logDensity', arg: 't', value: NaN });
  const tBad = tf.tensor1d([0, 1, 2000, 3, 4]);
  assertThrowsWith(() => logResponsibilities(m3, sd, x, tBad), ArgumentError, {
    fn: 'logResponsibilities',
    arg: 't[2]',
    value: 2000,
  });
  const tShort = tf.tensor1d([0, 1]);
  assertThrowsWith(() => denoise(m3, sd, x, tShort), ShapeError, { fn: 'denoise', arg: 't', got: [2] });
  tf.dispose([x3, tBad, tShort]);
});
