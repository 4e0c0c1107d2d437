import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { makeSchedule, SCHEDULE_NAMES, alphaSigma } from '../../lib/diffusion/schedules.js';
import { epsToX0, x0ToEps, epsToV, vToEps, vToX0 } from '../../lib/diffusion/parameterisation.js';
import { timeGrid } from '../../lib/diffusion/grids.js';
import { assertArgumentError, maxAbsDiff, setup } from '../helpers.js';

await setup();
const sd = makeSchedule({ name: 'scaled-linear' });

test('scaled-linear β runs from 0.00085 to 0.012 over N = 1000 steps, as in Stable Diffusion v1.5', () => {
  assert.equal(sd.N, 1000);
  assert.ok(Math.abs(sd.betas[0] - 0.00085) < 1e-15);
  assert.ok(Math.abs(sd.betas[999] - 0.012) < 1e-15);
});

test('scaled-linear α_t, σ_t match the SD v1.5 reference values', () => {
  // Computed independently from SD v1.5's scaled-linear β (0.00085 → 0.012, 1000 steps), to 4 decimals.
  const ref: [number, number, number][] = [[19, 0.9911, 0.1333], [99, 0.9463, 0.3233], [499, 0.5269, 0.8499], [759, 0.2285, 0.9735], [999, 0.0683, 0.9977]];
  for (const [t, a, s] of ref) {
    assert.ok(Math.abs(sd.alpha(t) - a) < 5e-5, `α_${t} = ${sd.alpha(t)}`);
    assert.ok(Math.abs(sd.sigma(t) - s) < 5e-5, `σ_${t} = ${sd.sigma(t)}`);
  }
  assert.ok(Math.abs(sd.alpha(0) - 0.99957) < 5e-6);
  assert.ok(Math.abs(sd.sigma(0) - 0.0292) < 5e-5);
});

test('every schedule keeps α² + σ² = 1 at fractional t and is exact at the integers', () => {
  for (const name of SCHEDULE_NAMES) {
    const s = makeSchedule({ name });
    for (const t of [0, 0.5, 1, 17.25, 500, 998.9, 999]) assert.ok(Math.abs(s.alpha(t) ** 2 + s.sigma(t) ** 2 - 1) < 1e-12, `${name} t=${t}`);
    for (const t of [0, 1, 250, 999]) assert.ok(Math.abs(s.alpha(t) ** 2 - s.alphasCumprod[t]) < 1e-15);
  }
});

test('λ is strictly decreasing and tOfLambda inverts it to 1e-9', () => {
  for (const name of SCHEDULE_NAMES) {
    const s = makeSchedule({ name });
    let prev = Infinity;
    for (let t = 0; t <= 999; t += 0.5) {
      const l = s.lambda(t);
      assert.ok(l < prev, `${name}: λ not decreasing at t=${t}`);
      prev = l;
    }
    for (const t of [0, 0.3, 19, 123.456, 700, 999]) assert.ok(Math.abs(s.tOfLambda(s.lambda(t)) - t) < 1e-9, `${name} t=${t}`);
    assert.ok(Math.abs(s.varsigma(300) - s.sigma(300) / s.alpha(300)) < 1e-12);
  }
});

test('linear and cosine schedules have β in (0, 1) and decreasing ᾱ', () => {
  for (const name of ['linear', 'cosine'] as const) {
    const s = makeSchedule({ name });
    for (let i = 0; i < s.N; i++) {
      assert.ok(s.betas[i] > 0 && s.betas[i] < 1);
      if (i > 0) assert.ok(s.alphasCumprod[i] < s.alphasCumprod[i - 1]);
    }
  }
  assert.ok(Math.abs(makeSchedule({ name: 'linear' }).betas[999] - 0.02) < 1e-15);
});

test('dLogAlphaBar is the slope of the segment a step moves into', () => {
  const t = 10;
  assert.ok(Math.abs(sd.dLogAlphaBar(t, -1) - (sd.logAlphaBar(10) - sd.logAlphaBar(9))) < 1e-15);
  assert.ok(Math.abs(sd.dLogAlphaBar(t, 1) - (sd.logAlphaBar(11) - sd.logAlphaBar(10))) < 1e-15);
  assert.ok(Math.abs(sd.dLogAlphaBar(10.5, -1) - sd.dLogAlphaBar(10.5, 1)) < 1e-15);
});

test('alphaSigma gives float32 per-sample α, σ', () => {
  const { alpha, sigma } = alphaSigma(sd, [0, 499, 999]);
  assert.ok(maxAbsDiff(alpha, [sd.alpha(0), sd.alpha(499), sd.alpha(999)]) < 1e-7);
  assert.ok(maxAbsDiff(sigma, [sd.sigma(0), sd.sigma(499), sd.sigma(999)]) < 1e-7);
  tf.dispose([alpha, sigma]);
});

test('ε, x0 and v predictions convert into each other exactly', () => {
  const x = tf.randomNormal([8, 3], 0, 1, 'float32', 1);
  const eps = tf.randomNormal([8, 3], 0, 1, 'float32', 2);
  const t = 300;
  const [a, s] = [sd.alpha(t), sd.sigma(t)];
  const x0 = epsToX0(x, eps, a, s);
  assert.ok(maxAbsDiff(x0ToEps(x, x0, a, s), eps) < 1e-5);
  const v = epsToV(x, eps, a, s);
  assert.ok(maxAbsDiff(vToEps(x, v, a, s), eps) < 1e-5);
  assert.ok(maxAbsDiff(vToX0(x, v, a, s), x0) < 1e-5);
  // v = α·ε − σ·x0 (definition)
  assert.ok(maxAbsDiff(v, eps.mul(a).sub(x0.mul(s))) < 1e-5);
  // per-sample coefficients broadcast over [B, D]
  const ts = tf.tensor1d(Array.from({ length: 8 }, () => a));
  const ss = tf.tensor1d(Array.from({ length: 8 }, () => s));
  assert.ok(maxAbsDiff(epsToX0(x, eps, ts, ss), x0) < 1e-6);
});

test('timeGrid gives n + 1 decreasing times, uniform in t or in λ', () => {
  const g = timeGrid(sd, 4);
  assert.deepEqual(g, [999, 749.25, 499.5, 249.75, 0]);
  const gl = timeGrid(sd, 5, { spacing: 'lambda' });
  assert.equal(gl.length, 6);
  const dl = gl.slice(1).map((t, i) => sd.lambda(t) - sd.lambda(gl[i]));
  for (const d of dl) assert.ok(Math.abs(d - dl[0]) < 1e-9);
  assertArgumentError(() => timeGrid(sd, 0), { fn: 'timeGrid', arg: 'n', value: 0 });
});

test('bad schedule input names the argument, the value and what is allowed', () => {
  assertArgumentError(() => makeSchedule({ name: 'quadratic' as never }), { fn: 'makeSchedule', arg: 'name', value: 'quadratic' });
  assertArgumentError(() => makeSchedule({ name: 'linear', N: 10.5 }), { fn: 'makeSchedule', arg: 'N', value: 10.5 });
  assertArgumentError(() => makeSchedule({ name: 'linear', betaStart: 0 }), { fn: 'makeSchedule', arg: 'betaStart', value: 0 });
  assertArgumentError(() => makeSchedule({ name: 'linear', betaStart: 0.02, betaEnd: 0.01 }), { arg: 'betaEnd' });
  assertArgumentError(() => sd.alpha(1000), { fn: 'Schedule.logAlphaBar', arg: 't', value: 1000 });
  assertArgumentError(() => sd.sigma(-1), { arg: 't', value: -1 });
  assertArgumentError(() => sd.tOfLambda(100), { fn: 'Schedule.tOfLambda', arg: 'lambda', value: 100 });
});
