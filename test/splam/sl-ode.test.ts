import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { makeSchedule } from '../../lib/diffusion/schedules.js';
import { ddim } from '../../lib/diffusion/solvers/ddim.js';
import { makeMixture, mixtureDenoiser } from '../../lib/analytic/mixture.js';
import { distDelta, driftPush, sigmaGamma, slOdePoint, subPathCoefs, disposeCoefs } from '../../lib/splam/sl-ode.js';
import { cOut, cSkip } from '../../lib/splam/boundary.js';
import { consistencyFromEps } from '../../lib/splam/consistency.js';
import { assertArgumentError, maxAbsDiff, setup } from '../helpers.js';

await setup();
const sd = makeSchedule({ name: 'scaled-linear' });
const mix = makeMixture({ weights: [0.5, 0.5], means: [[-1, 0.5], [1, -0.5]], variances: [0.1, [0.2, 0.05]] });
const eps = mixtureDenoiser(mix, sd);

test('SL-ODE endpoints: γ = 1 gives x_t and γ = 0 gives the drift-pushed start r_t·x̂_{t−k}', () => {
  const xt = tf.randomNormal([16, 2], 0, 1, 'float32', 1);
  const xs = tf.randomNormal([16, 2], 0, 1, 'float32', 2);
  const { r } = subPathCoefs(sd, 499, 479);
  assert.ok(maxAbsDiff(slOdePoint(xt, xs, 1, r), xt) < 1e-7);
  assert.ok(maxAbsDiff(slOdePoint(xt, xs, 0, r), driftPush(xs, r)) < 1e-7);
  // x_{γ,t} = r·x̂_s + γ·dist_Δ
  const g = 0.3;
  assert.ok(maxAbsDiff(slOdePoint(xt, xs, g, r), driftPush(xs, r).add(distDelta(xt, xs, r).mul(g))) < 1e-6);
});

test('on a DDIM pair, x_{γ,t} = α_t·x̂_0 + s(γ)·ε̂ with s(γ) the linear σ_γ form', () => {
  const xt = tf.randomNormal([32, 2], 0, 1.2, 'float32', 3);
  for (const [t, s] of [[999, 979], [499, 479], [19, 0], [600, 500]] as const) {
    const c = subPathCoefs(sd, t, s);
    const e = eps(xt, t);
    const x0 = xt.sub(e.mul(c.sigmaT)).div(c.alphaT);
    const xs = ddim(eps, sd, xt, [t, s]).x;
    assert.ok(maxAbsDiff(distDelta(xt, xs, c.r), e.mul(c.sigmaT - c.r * c.sigmaS)) < 2e-5, `dist_Δ ∝ ε̂ at t=${t}`);
    for (const g of [0, 0.25, 0.5, 0.9, 1]) {
      const lhs = slOdePoint(xt, xs, g, c.r);
      const rhs = x0.mul(c.alphaT).add(e.mul(sigmaGamma(c, g, 'linear') as number));
      assert.ok(maxAbsDiff(lhs, rhs) < 2e-5, `t=${t} γ=${g}: ${maxAbsDiff(lhs, rhs)}`);
    }
  }
});

test('both σ_γ forms equal r_t·σ_{t−k} at γ = 0 and σ_t at γ = 1, and differ in between', () => {
  for (const [t, s] of [[19, 0], [499, 479], [999, 979], [999, 899]] as const) {
    const c = subPathCoefs(sd, t, s);
    for (const form of ['rss', 'linear'] as const) {
      assert.ok(Math.abs((sigmaGamma(c, 0, form) as number) - c.r * c.sigmaS) < 1e-12);
      assert.ok(Math.abs((sigmaGamma(c, 1, form) as number) - c.sigmaT) < 1e-12, `${form} γ=1 at t=${t}`);
    }
    assert.ok((sigmaGamma(c, 0.5, 'linear') as number) > (sigmaGamma(c, 0.5, 'rss') as number));
  }
});

test('σ_γ matches reference values for SD v1.5, k = 20', () => {
  // Computed independently: t=499 → σ_γ(0) = 0.7953, rss(0.5) = 0.8093, linear(0.5) = 0.823.
  const c = subPathCoefs(sd, 499, 479);
  assert.ok(Math.abs((sigmaGamma(c, 0) as number) - 0.7953) < 5e-5);
  assert.ok(Math.abs((sigmaGamma(c, 0.5, 'rss') as number) - 0.8093) < 5e-5);
  assert.ok(Math.abs((sigmaGamma(c, 0.5, 'linear') as number) - 0.823) < 5e-4);
  const c999 = subPathCoefs(sd, 999, 979);
  assert.ok(Math.abs((sigmaGamma(c999, 0.5, 'rss') as number) - 0.9146) < 5e-5);
});

test('per-sample sub-paths give the same σ_γ as the scalar form', () => {
  const c = subPathCoefs(sd, [999, 499, 19], [979, 479, 0]);
  const g = tf.tensor1d([0.2, 0.5, 0.8]);
  for (const form of ['rss', 'linear'] as const) {
    const got = (sigmaGamma(c, g, form) as tf.Tensor1D).dataSync();
    [[999, 979, 0.2], [499, 479, 0.5], [19, 0, 0.8]].forEach(([t, s, gg], i) => {
      assert.ok(Math.abs(got[i] - (sigmaGamma(subPathCoefs(sd, t, s), gg, form) as number)) < 1e-6);
    });
  }
  disposeCoefs(c);
  g.dispose();
});

test('LCM boundary scalings: c_skip(0) = 1, c_out(0) = 0, and reference values at t = 1 and 999', () => {
  assert.equal(cSkip(0), 1);
  assert.equal(cOut(0), 0);
  assert.ok(Math.abs(cSkip(1) - 0.0025) < 1e-4);
  assert.ok(Math.abs(cOut(1) - 0.9988) < 1e-4);
  assert.ok(Math.abs(cSkip(999) - 2.5e-9) < 1e-10);
  // c_out² = (10t)²/((10t)² + σ_d²) = 1 − c_skip
  for (const t of [0, 0.05, 1, 19, 500]) assert.ok(Math.abs(cOut(t) ** 2 - (1 - cSkip(t))) < 1e-12, `t=${t}`);
  const x = tf.ones([2, 2]);
  // The one consistency map with ε̂ = x (so x̂_0 = (x − σx)/α = 0 at α = 1, σ = 1): f = c_skip(t)·x.
  const f = (t: number[]) => consistencyFromEps(x, x, { alpha: 1, sigma: 1, cSkip: tf.tensor1d(t.map((v) => cSkip(v))), cOut: tf.tensor1d(t.map((v) => cOut(v))) });
  assert.equal(maxAbsDiff(f([0, 0]), x), 0, 'f(x, 0) = x');
  assert.ok(maxAbsDiff(f([0, 999]), [1, 1, 2.5e-9, 2.5e-9]) < 1e-9);
});

test('γ outside [0, 1], s ≥ t and times out of range are rejected with the argument named', () => {
  const xt = tf.zeros([2, 2]);
  const c = subPathCoefs(sd, 499, 479);
  assertArgumentError(() => slOdePoint(xt, xt, 1.5, c.r), { fn: 'slOdePoint', arg: 'gamma', value: 1.5 });
  assertArgumentError(() => slOdePoint(xt, xt, -0.1, c.r), { fn: 'slOdePoint', arg: 'gamma', value: -0.1 });
  assertArgumentError(() => slOdePoint(xt, xt, tf.tensor1d([0.5, 2]), c.r), { fn: 'slOdePoint', arg: 'gamma[1]', value: 2 });
  assertArgumentError(() => sigmaGamma(c, NaN), { fn: 'sigmaGamma', arg: 'gamma' });
  assertArgumentError(() => sigmaGamma(c, 0.5, 'cubic' as never), { fn: 'sigmaGamma', arg: 'form', value: 'cubic' });
  assertArgumentError(() => subPathCoefs(sd, 479, 499), { fn: 'subPathCoefs', arg: 's', value: 499 });
  assertArgumentError(() => subPathCoefs(sd, 1000, 980), { fn: 'subPathCoefs', arg: 't', value: 1000 });
  assertArgumentError(() => slOdePoint(xt, tf.zeros([2, 3]), 0.5, c.r), { fn: 'slOdePoint', arg: 'xs' });
  assertArgumentError(() => cSkip(-1), { fn: 'cSkip', arg: 't', value: -1 });
});

test('the degenerate sub-path [0, 0] of skip k = 1 is allowed (r = 1), as the code clamps t − k at 0', () => {
  const c = subPathCoefs(sd, 0, 0);
  assert.equal(c.r, 1);
  assert.ok(Math.abs((sigmaGamma(c, 0.5) as number) - c.sigmaT) < 1e-12);
  assertArgumentError(() => subPathCoefs(sd, 5, 5), { fn: 'subPathCoefs', arg: 's', value: 5 });
});
