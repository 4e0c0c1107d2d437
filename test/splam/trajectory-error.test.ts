import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { makeSchedule } from '../../lib/diffusion/schedules.js';
import { ddim } from '../../lib/diffusion/solvers/ddim.js';
import { makeMixture, mixtureDenoiser } from '../../lib/analytic/mixture.js';
import { gaussianFlowMap } from '../../lib/analytic/flow-maps.js';
import { boundaries, gridForSkip } from '../../lib/splam/grid.js';
import {
  consistencyJump,
  dataEndErrors,
  denoiserJump,
  gammaErrors,
  trajectoryErrors,
  type ConsistencyMap,
  type FlowMap,
} from '../../lib/splam/trajectory-error.js';
import { perSampleRms, stat } from '../../lib/metrics/per-sample.js';
import { assertArgumentError, convergenceOrder, maxAbsDiff, setup } from '../helpers.js';

await setup();
const sd = makeSchedule({ name: 'scaled-linear' });
const mean = [0.5, -1];
const variances = [0.2, 0.6];
const eps = mixtureDenoiser(makeMixture({ weights: [1], means: [mean], variances: [variances] }), sd);
const exact: FlowMap = (x, t, s) => gaussianFlowMap(mean, variances, sd, x as tf.Tensor2D, t, s);
/** The exact consistency map f*(x_t, t) = Φ_{t→0}(x_t); it ignores γ. */
const exactF: ConsistencyMap = (x, t) => exact(x, t, 0);
const xT = tf.randomNormal([128, 2], 0, 1, 'float32', 11);

test('the exact flow has zero local and cumulative error on every sub-path', () => {
  const r = trajectoryErrors(exact, exact, xT, boundaries(gridForSkip(1000, 100)));
  assert.equal(r.subPaths.length, 10);
  for (const sp of r.subPaths) {
    assert.ok(sp.local.max < 1e-5, `local ${sp.local.max} on [${sp.s}, ${sp.t}]`);
    assert.ok(sp.cumulative.max < 1e-5, `cumulative ${sp.cumulative.max}`);
  }
});

test('the cumulative DDIM error at the data end equals the error of a DDIM solve on the same split', () => {
  const times = boundaries(gridForSkip(1000, 50));
  const r = trajectoryErrors(denoiserJump(eps, sd), exact, xT, times);
  const solved = ddim(eps, sd, xT, times).x;
  const ref = exact(xT, 999, 0);
  const direct = perSampleRms(solved, ref);
  const mean = direct.reduce((a, b) => a + b) / direct.length;
  assert.ok(Math.abs(r.endError.mean - mean) < 1e-6, `${r.endError.mean} vs ${mean}`);
  assert.ok(r.endError.mean > 1e-4, 'DDIM with 20 sub-paths is not exact');
  tf.dispose([solved, ref]);
});

test('the local error of one DDIM jump grows as k² with the skip k (local order 2 of a first-order method)', () => {
  const ks = [10, 20, 40, 80];
  const errs = ks.map((k) => trajectoryErrors(denoiserJump(eps, sd), exact, xT, [600, 600 - k]).subPaths[0].local.mean);
  // errors ~ k^2, i.e. ~ (1/k)^−2: the measured order in 1/k is 2.
  const p = convergenceOrder(ks.map((k) => 1 / k), errs);
  assert.ok(Math.abs(p - 2) <= 0.3, `measured ${p.toFixed(3)} from ${errs.map((e) => e.toExponential(2)).join(', ')}`);
});

test('the exact consistency map has zero data-end error from every point of the trajectory', async () => {
  const r = await dataEndErrors(exactF, exact, xT, boundaries(gridForSkip(1000, 200)));
  assert.equal(r.length, 5);
  for (const p of r) assert.ok(p.error.max < 1e-5, `t=${p.t}: ${p.error.max}`);
});

test('along each SL-ODE the exact (γ-blind) consistency map is exact at γ = 1 only', () => {
  const curves = gammaErrors(exactF, exact, sd, xT, [999, 899, 499, 0], { gammas: [0, 0.5, 1] });
  assert.equal(curves.length, 3);
  for (const c of curves) {
    assert.ok(c.error[2].max < 1e-5, `γ = 1 on [${c.s}, ${c.t}]: ${c.error[2].max}`);
    assert.ok(c.error[0].mean > 1e-3, `γ = 0 leaves the trajectory on [${c.s}, ${c.t}]`);
    assert.ok(c.error[0].mean > c.error[1].mean, 'error shrinks towards γ = 1');
  }
});

test('with the teacher as the SL-ODE start, γ-errors use the DDIM point x̂_{t−k}', () => {
  const teacher = denoiserJump(eps, sd);
  const a = gammaErrors(exactF, exact, sd, xT, [999, 979], { gammas: [0], start: teacher })[0].error[0].mean;
  const b = gammaErrors(exactF, exact, sd, xT, [999, 979], { gammas: [0] })[0].error[0].mean;
  assert.notEqual(a, b);
});

test('the consistency jump re-noises f\'s data-end estimate with the implied noise ε̂ = (x_t − α_t·f)/σ_t', () => {
  const jump = consistencyJump(exactF, sd);
  const x = exact(xT, 999, 499);
  const got = jump(x, 499, 199);
  const x0 = exactF(x, 499, 1);
  const e = x.sub(x0.mul(sd.alpha(499))).div(sd.sigma(499));
  assert.ok(maxAbsDiff(got, x0.mul(sd.alpha(199)).add(e.mul(sd.sigma(199)))) < 1e-5);
  tf.dispose([x, got, x0, e]);
});

test('bad splits and γ values are rejected with the argument named', () => {
  assertArgumentError(() => trajectoryErrors(exact, exact, xT, [999]), { fn: 'trajectoryErrors', arg: 'times' });
  assertArgumentError(() => trajectoryErrors(exact, exact, xT, [500, 900]), { fn: 'trajectoryErrors', arg: 'times[1]', value: 900 });
  assertArgumentError(() => gammaErrors(exactF, exact, sd, xT, [999, 0], { gammas: [0, 1.2] }), { fn: 'gammaErrors', arg: 'gammas[1]', value: 1.2 });
  assertArgumentError(() => perSampleRms(tf.zeros([2, 2]), tf.zeros([2, 3])), { fn: 'perSampleRms', arg: 'b' });
});

test('error analyses do not leak tensors', async () => {
  const times = boundaries(gridForSkip(1000, 250));
  trajectoryErrors(denoiserJump(eps, sd), exact, xT, times);
  const before = tf.memory().numTensors;
  trajectoryErrors(denoiserJump(eps, sd), exact, xT, times);
  gammaErrors(exactF, exact, sd, xT, times, { gammas: [0, 1], start: denoiserJump(eps, sd) });
  await dataEndErrors(exactF, exact, xT, times);
  assert.equal(tf.memory().numTensors, before);
});

test('stat: mean, population std, max and the 10 % / 90 % quantiles (linear interpolation)', () => {
  const v = Array.from({ length: 11 }, (_, i) => i); // 0 … 10
  const s = stat([...v].reverse());
  assert.equal(s.mean, 5);
  assert.equal(s.max, 10);
  assert.ok(Math.abs(s.std - Math.sqrt(10)) < 1e-12);
  assert.equal(s.q10, 1);
  assert.equal(s.q90, 9);
  assert.deepEqual(stat([2]), { mean: 2, std: 0, max: 2, q10: 2, q90: 2 });
  const two = stat([0, 1]);
  assert.ok(Math.abs(two.q10! - 0.1) < 1e-12 && Math.abs(two.q90! - 0.9) < 1e-12);
});
