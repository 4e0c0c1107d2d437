import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend.js';
import { makeSchedule } from '../../lib/diffusion/schedules.js';
import { ArgumentError, ShapeError } from '../../lib/errors.js';
import { epsStar, makeMixture } from '../../lib/analytic/mixture.js';
import { gaussianFlowMap, mixture1dFlowMap, mixture1dLogCdf } from '../../lib/analytic/flow-maps.js';

await initBackend('cpu');
const sd = makeSchedule({ name: 'scaled-linear' });

// A two-mode 1-D mixture with unequal widths, and a three-mode one with a narrow mode.
const mix2 = makeMixture({ weights: [0.3, 0.7], means: [[-1], [1.2]], variances: [0.2, 0.35] });
const mix3 = makeMixture({ weights: [1, 1, 2], means: [[-2], [0.1], [2.5]], variances: [0.01, 0.5, 0.1] });
const XS = [-1e3, -40, -7, -2, -1, -0.3, 0, 0.4, 1.1, 3, 9, 35, 1e3];
const PAIRS: [number, number][] = [
  [999, 0],
  [0, 999],
  [500, 20],
  [20, 500],
  [740.5, 3.25],
  [1, 0],
];

function host(t: tf.Tensor): number[] {
  const v = Array.from(t.dataSync());
  t.dispose();
  return v;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Assert fn throws `cls` with these fields. */
function assertThrowsWith(fn: () => unknown, cls: typeof ArgumentError | typeof ShapeError, fields: Record<string, unknown>) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
    for (const [key, want] of Object.entries(fields)) assert.deepEqual((err as unknown as Record<string, unknown>)[key], want, key);
    return true;
  });
}

test('the 1-D CDF map round-trips: Φ_{s→t}(Φ_{t→s}(x)) = x to 1e-9 (relative beyond |x| = 1), from x = −1e3 to 1e3', () => {
  for (const m of [mix2, mix3]) {
    for (const [t, s] of PAIRS) {
      const y = mixture1dFlowMap(m, sd, XS, t, s);
      const back = mixture1dFlowMap(m, sd, y, s, t);
      XS.forEach((x, i) => {
        const err = Math.abs(back[i] - x);
        assert.ok(err <= 1e-9 * Math.max(1, Math.abs(x)), `K=${m.K} ${t}→${s}→${t} at x=${x}: ${back[i]} (err ${err})`);
      });
    }
  }
});

test('the 1-D CDF map preserves CDF values, in the smaller tail, to 1e-12 relative', () => {
  for (const m of [mix2, mix3]) {
    for (const [t, s] of PAIRS) {
      const y = mixture1dFlowMap(m, sd, XS, t, s);
      const at = mixture1dLogCdf(m, sd, XS, t);
      const as = mixture1dLogCdf(m, sd, y, s);
      XS.forEach((x, i) => {
        const lower = at.logCdf[i] <= at.logSf[i];
        const before = lower ? at.logCdf[i] : at.logSf[i];
        const after = lower ? as.logCdf[i] : as.logSf[i];
        // log-tail values agree to 1e-12 absolute (= relative precision of the tail probability itself).
        assert.ok(Math.abs(after - before) <= 1e-12 * Math.max(1, Math.abs(before)), `x=${x} ${t}→${s}: ${before} vs ${after}`);
      });
    }
  }
});

test('the 1-D CDF map is strictly increasing and the identity for s = t', () => {
  const xs = Array.from({ length: 401 }, (_, i) => -5 + i / 40);
  for (const [t, s] of PAIRS) {
    const y = mixture1dFlowMap(mix3, sd, xs, t, s);
    for (let i = 1; i < y.length; i++) assert.ok(y[i] > y[i - 1], `${t}→${s}: not increasing at x=${xs[i]}`);
  }
  assert.deepEqual(Array.from(mixture1dFlowMap(mix3, sd, XS, 300, 300)), XS);
});

test('the Gaussian flow map of a single-component 1-D mixture equals mixture1dFlowMap', () => {
  const mu = 0.7;
  const v = 0.3;
  const g = makeMixture({ weights: [1], means: [[mu]], variances: [v] });
  const xs = [-50, -3, -1, 0, 0.5, 2, 4, 60];
  const x = tf.tensor2d(xs, [xs.length, 1]);
  for (const [t, s] of PAIRS) {
    const closed = host(gaussianFlowMap([mu], v, sd, x, t, s));
    const cdf = mixture1dFlowMap(g, sd, xs, t, s);
    // float32 closed form vs float64 CDF map: a few ulps of |x_s| (≤ 1e3 here).
    cdf.forEach((c, i) => assert.ok(Math.abs(closed[i] - c) <= 3e-7 * Math.max(1, Math.abs(c)), `${t}→${s} x=${xs[i]}: ${closed[i]} vs ${c}`));
  }
  x.dispose();
});

test('the Gaussian flow map composes: t→u→s equals t→s, both directions, diagonal Σ in D = 3, per-sample times', () => {
  const mu = [0.7, -0.4, 2];
  const v = [0.3, 1.6, 0.01];
  const x = tf.tensor2d([
    [0.1, 0.2, 0.3],
    [-2, 1, 3],
    [5, -5, 0],
    [0, 0, 2],
  ]);
  for (const [t, u, s] of [
    [999, 400, 0],
    [0, 600, 999],
    [250, 999, 10],
    [700.5, 2.5, 300],
  ]) {
    const xu = gaussianFlowMap(mu, v, sd, x, t, u);
    const two = host(gaussianFlowMap(mu, v, sd, xu, u, s));
    const one = host(gaussianFlowMap(mu, v, sd, x, t, s));
    // Float32 twice vs once: a few ulps (1.2e-7 relative) of the largest |x_s|.
    const scale = Math.max(...one.map(Math.abs));
    assert.ok(maxDiff(two, one) <= 4e-7 * scale, `${t}→${u}→${s}: ${maxDiff(two, one)} (max |x_s| ${scale})`);
    xu.dispose();
  }
  const tt = tf.tensor1d([999, 10, 500, 0]);
  const ss = tf.tensor1d([0, 900, 500, 3]);
  const batched = host(gaussianFlowMap(mu, v, sd, x, tt, ss));
  const rows = [0, 1, 2, 3].flatMap((i) => {
    const xi = x.slice([i, 0], [1, 3]) as tf.Tensor2D;
    const out = host(gaussianFlowMap(mu, v, sd, xi, [999, 10, 500, 0][i], [0, 900, 500, 3][i]));
    xi.dispose();
    return out;
  });
  assert.ok(maxDiff(batched, rows) <= 1e-6);
  tf.dispose([x, tt, ss]);
});

test('the flow maps are flows of the PF-ODE of ε*: d/ds Φ_{t→s}(x) at s = t equals (d log ᾱ/dt)/2·(x − ε*/σ_t)', () => {
  // VP PF-ODE in the DDPM index: dx/dt = (α̇/α)x + (σ̇ − (α̇/α)σ)ε* = ½(d log ᾱ/dt)(x − ε*/σ_t). Inside one unit
  // segment log ᾱ is linear, so a central difference with h = 1e-3 has O(h²) error.
  const t = 400.5;
  const h = 1e-3;
  const L = sd.dLogAlphaBar(t, 1);
  const s = sd.sigma(t);
  const xs = [-3, -1, 0, 0.5, 2];
  const x = tf.tensor2d(xs, [xs.length, 1]);
  const eps = host(epsStar(mix3, sd, x, t));
  const fwd = mixture1dFlowMap(mix3, sd, xs, t, t + h);
  const bwd = mixture1dFlowMap(mix3, sd, xs, t, t - h);
  xs.forEach((xi, i) => {
    const fd = (fwd[i] - bwd[i]) / (2 * h);
    const ode = 0.5 * L * (xi - eps[i] / s);
    // ε* is float32 (~1e-7 relative), the difference quotient ~1e-10: 1e-5 relative is generous but decisive.
    assert.ok(Math.abs(fd - ode) <= 1e-5 * Math.max(1e-3, Math.abs(ode)), `x=${xi}: FD ${fd} vs ODE ${ode}`);
  });
  const g = makeMixture({ weights: [1], means: [[0.7, -0.4]], variances: [[0.3, 0.02]] });
  const x2 = tf.tensor2d([
    [1, 1],
    [-2, 0.5],
  ]);
  const e2 = host(epsStar(g, sd, x2, t));
  const f2 = host(gaussianFlowMap([0.7, -0.4], [0.3, 0.02], sd, x2, t, t + h));
  const b2 = host(gaussianFlowMap([0.7, -0.4], [0.3, 0.02], sd, x2, t, t - h));
  [1, 1, -2, 0.5].forEach((xi, i) => {
    const fd = (f2[i] - b2[i]) / (2 * h);
    const ode = 0.5 * L * (xi - e2[i] / s);
    // Float32 outputs differenced over 2h = 2e-3: ~1e-7·|x|/2e-3 ≈ 1e-4 absolute.
    assert.ok(Math.abs(fd - ode) <= 3e-4, `Gaussian x=${xi}: FD ${fd} vs ODE ${ode}`);
  });
  tf.dispose([x, x2]);
});

test('gaussianFlowMap leaves the tensor count flat', () => {
  const x = tf.ones([3, 2]) as tf.Tensor2D;
  gaussianFlowMap([0, 0], [1, 2], sd, x, 10, 0).dispose();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 200; i++) gaussianFlowMap([0, 0], 0.5, sd, x, 999, i).dispose();
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
});

test('the flow maps reject bad inputs, naming fn, arg and value', () => {
  const mix2d = makeMixture({ weights: [1], means: [[0, 0]], variances: [1] });
  const fn = 'mixture1dFlowMap';
  assertThrowsWith(() => mixture1dFlowMap(mix2d, sd, [0], 10, 0), ArgumentError, { fn, arg: 'm.D', value: 2 });
  assertThrowsWith(() => mixture1dFlowMap(mix2, sd, [0, NaN], 10, 0), ArgumentError, { fn, arg: 'x[1]', value: NaN });
  assertThrowsWith(() => mixture1dFlowMap(mix2, sd, [0], 10, 1000), ArgumentError, { fn, arg: 's', value: 1000 });
  assertThrowsWith(() => mixture1dFlowMap(mix2, sd, [0], -1, 0), ArgumentError, { fn, arg: 't', value: -1 });
  assertThrowsWith(() => mixture1dLogCdf(mix2, sd, [Infinity], 0), ArgumentError, { fn: 'mixture1dLogCdf', arg: 'x[0]', value: Infinity });
  const x = tf.zeros([2, 2]) as tf.Tensor2D;
  const g = 'gaussianFlowMap';
  assertThrowsWith(() => gaussianFlowMap([0, 0], [1, 0], sd, x, 10, 0), ArgumentError, { fn: g, arg: 'variances[1]', value: 0 });
  assertThrowsWith(() => gaussianFlowMap([0, 0], -1, sd, x, 10, 0), ArgumentError, { fn: g, arg: 'variances', value: -1 });
  assertThrowsWith(() => gaussianFlowMap([0, NaN], 1, sd, x, 10, 0), ArgumentError, { fn: g, arg: 'mean[1]', value: NaN });
  assertThrowsWith(() => gaussianFlowMap([0, 0], [1, 1, 1], sd, x, 10, 0), ShapeError, { fn: g, arg: 'variances', got: [3] });
  assertThrowsWith(() => gaussianFlowMap([0, 0, 0], 1, sd, x, 10, 0), ShapeError, { fn: g, arg: 'x', got: [2, 2] });
  assertThrowsWith(() => gaussianFlowMap([0, 0], 1, sd, x, 10, 1e4), ArgumentError, { fn: g, arg: 's', value: 1e4 });
  x.dispose();
});
