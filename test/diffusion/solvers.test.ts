import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { makeSchedule } from '../../lib/diffusion/schedules.js';
import { timeGrid } from '../../lib/diffusion/grids.js';
import { SOLVERS, SOLVER_NAMES, ddim, dpmpp2m, euler, heun, reference } from '../../lib/diffusion/solvers/index.js';
import { makeMixture, mixtureDenoiser } from '../../lib/analytic/mixture.js';
import { gaussianFlowMap, mixture1dFlowMap } from '../../lib/analytic/flow-maps.js';
import { assertArgumentError, convergenceOrder, maxAbsDiff, setup } from '../helpers.js';

await setup();
const sd = makeSchedule({ name: 'scaled-linear' });

// A single anisotropic Gaussian in 2-D: its PF-ODE flow map is linear and known in closed form.
const gaussMean = [0.7, -0.4];
const gaussVar = [0.3, 1.6];
const gauss = makeMixture({ weights: [1], means: [gaussMean], variances: [gaussVar] });
const gaussEps = mixtureDenoiser(gauss, sd);

// A two-mode 1-D mixture: its flow map is the CDF-matching transport, computed in float64.
const mix1d = makeMixture({ weights: [0.3, 0.7], means: [[-1], [1.2]], variances: [0.2, 0.35] });
const mix1dEps = mixtureDenoiser(mix1d, sd);

function startPoints(d: number, n: number, seed: number): tf.Tensor2D {
  // x_T ~ the noisy marginal's scale at t = 999 (≈ N(0, I)).
  return tf.randomNormal([n, d], 0, 1, 'float32', seed) as tf.Tensor2D;
}

test('20,000-step DDIM reproduces the single-Gaussian closed-form flow map to 1e-4, converging at first order', () => {
  // DDIM is first order, so its error at 20,000 steps is set by the Gaussian: measured in float64, a unit-variance
  // component at |x_T| = 3 still leaves ~2e-4 (scratch check), a variance of 0.05-0.2 leaves < 1e-4. We use the
  // latter, and also check that the gap halves with the step count, i.e. that the two really converge to each other.
  const mean = [0.7, -0.4];
  const variances = [0.05, 0.2];
  const eps = mixtureDenoiser(makeMixture({ weights: [1], means: [mean], variances: [variances] }), sd);
  const x = startPoints(2, 64, 1);
  const exact = gaussianFlowMap(mean, variances, sd, x, 999, 0);
  const errs = [5000, 10000, 20000].map((n) => {
    const out = ddim(eps, sd, x, timeGrid(sd, n, { spacing: 'lambda' })).x;
    const e = maxAbsDiff(out, exact);
    out.dispose();
    return e;
  });
  assert.ok(errs[2] <= 1e-4, `max abs error at 20,000 steps ${errs[2]}`);
  const p = convergenceOrder([5000, 10000, 20000], errs);
  assert.ok(Math.abs(p - 1) <= 0.3, `DDIM → closed form at order ${p.toFixed(3)} (${errs.map((e) => e.toExponential(2)).join(', ')})`);
  tf.dispose([x, exact]);
});

test('the reference integrator matches the single-Gaussian closed form to 1e-5', () => {
  const x = startPoints(2, 64, 2);
  const out = reference(gaussEps, sd, x, [999, 0], { substeps: 400 }).x;
  const exact = gaussianFlowMap(gaussMean, gaussVar, sd, x, 999, 0);
  const err = maxAbsDiff(out, exact);
  assert.ok(err <= 1e-5, `max abs error ${err}`);
  tf.dispose([x, out, exact]);
});

test('the reference integrator matches the 1-D mixture CDF map to 1e-4 at every grid time', () => {
  const x = startPoints(1, 256, 3);
  const ts = [999, 600, 300, 100, 20, 0];
  const { trajectory } = reference(mix1dEps, sd, x, ts, { substeps: 800, returnTrajectory: true });
  const xs = Array.from(x.dataSync());
  for (let i = 1; i < ts.length; i++) {
    const exact = mixture1dFlowMap(mix1d, sd, xs, 999, ts[i]);
    const err = maxAbsDiff(trajectory![i], exact);
    assert.ok(err <= 1e-4, `t=${ts[i]}: max abs error ${err}`);
  }
  tf.dispose([x, ...trajectory!]);
});

/**
 * Max abs end-point error at t = 0 of a solver with n λ-uniform steps on the 1-D mixture (exact: CDF map).
 * λ-uniform, because on a t-uniform grid the last step shrinks only like log n in λ, so DPM-Solver++(2M), a
 * multistep method in λ, is still pre-asymptotic at 320 steps (measured orders 0.9 → 1.7 over 10 → 320 steps).
 */
function endError(solver: (typeof SOLVERS)[keyof typeof SOLVERS], n: number, x: tf.Tensor, exact: Float64Array | number[]): number {
  const out = solver(mix1dEps, sd, x, timeGrid(sd, n, { spacing: 'lambda' })).x;
  const e = maxAbsDiff(out, exact);
  out.dispose();
  return e;
}

const ORDER_CASES: { name: 'ddim' | 'euler' | 'heun' | 'dpmpp2m'; order: number; ns: number[] }[] = [
  { name: 'ddim', order: 1, ns: [20, 40, 80, 160] },
  { name: 'euler', order: 1, ns: [20, 40, 80, 160] },
  { name: 'heun', order: 2, ns: [10, 20, 40, 80] },
  { name: 'dpmpp2m', order: 2, ns: [10, 20, 40, 80] },
];

for (const c of ORDER_CASES) {
  test(`${c.name} is order ${c.order} (±0.3) on the exact 1-D mixture teacher`, () => {
    const x = startPoints(1, 128, 4);
    const exact = mixture1dFlowMap(mix1d, sd, Array.from(x.dataSync()), 999, 0);
    const errs = c.ns.map((n) => endError(SOLVERS[c.name], n, x, exact));
    const p = convergenceOrder(c.ns, errs);
    assert.ok(Math.abs(p - c.order) <= 0.3, `measured order ${p.toFixed(3)} from errors ${errs.map((e) => e.toExponential(2)).join(', ')}`);
    x.dispose();
  });
}

test('every solver can return its whole trajectory, starting at x and ending at the result', () => {
  const x = startPoints(2, 8, 5);
  const ts = timeGrid(sd, 6);
  for (const name of SOLVER_NAMES) {
    const r = SOLVERS[name](gaussEps, sd, x, ts, { returnTrajectory: true, ...(name === 'reference' ? { substeps: 12 } : {}) });
    assert.equal(r.trajectory!.length, ts.length, name);
    assert.equal(maxAbsDiff(r.trajectory![0], x), 0, name);
    assert.equal(maxAbsDiff(r.trajectory![ts.length - 1], r.x), 0, name);
    tf.dispose([r.x, ...r.trajectory!]);
  }
  x.dispose();
});

test('solvers count function evaluations: 1 per step for ddim, euler and dpmpp2m, 2 for heun', () => {
  const x = startPoints(2, 4, 6);
  const ts = timeGrid(sd, 7);
  const nfe = { ddim: 7, euler: 7, dpmpp2m: 7, heun: 14 } as const;
  for (const [name, expected] of Object.entries(nfe)) {
    let calls = 0;
    const counted = (xx: tf.Tensor, t: number | tf.Tensor1D) => {
      calls++;
      return gaussEps(xx, t);
    };
    const r = SOLVERS[name as keyof typeof nfe](counted, sd, x, ts);
    assert.equal(r.nfe, expected, name);
    assert.equal(calls, expected, name);
    r.x.dispose();
  }
  x.dispose();
});

test('onStep reports the same keys for every solver, once per step', () => {
  const x = startPoints(2, 4, 7);
  const ts = timeGrid(sd, 3);
  for (const name of ['ddim', 'euler', 'heun', 'dpmpp2m'] as const) {
    const seen: number[] = [];
    const r = SOLVERS[name](gaussEps, sd, x, ts, {
      onStep: (info) => {
        seen.push(info.i);
        assert.equal(info.t, ts[info.i]);
        assert.equal(info.tNext, ts[info.i + 1]);
        assert.deepEqual(info.denoised.shape, x.shape);
      },
    });
    assert.deepEqual(seen, [0, 1, 2], name);
    r.x.dispose();
  }
  x.dispose();
});

test('the tensor count stays flat over a 200-step solve loop', () => {
  const x = startPoints(2, 16, 8);
  for (const solver of [ddim, euler, heun, dpmpp2m]) {
    solver(gaussEps, sd, x, timeGrid(sd, 5)).x.dispose(); // warm-up (kernels may cache constants)
    const before = tf.memory().numTensors;
    const r = solver(gaussEps, sd, x, timeGrid(sd, 200));
    r.x.dispose();
    assert.equal(tf.memory().numTensors, before, solver.name);
  }
  const before = tf.memory().numTensors;
  reference(gaussEps, sd, x, timeGrid(sd, 4), { substeps: 200 }).x.dispose();
  assert.equal(tf.memory().numTensors, before, 'reference');
  x.dispose();
});

test('solvers reject grids that are too short, not decreasing, or out of range, naming the time', () => {
  const x = startPoints(2, 2, 9);
  for (const name of SOLVER_NAMES) {
    assertArgumentError(() => SOLVERS[name](gaussEps, sd, x, [999]), { fn: name, arg: 'ts' });
    assertArgumentError(() => SOLVERS[name](gaussEps, sd, x, [999, 500, 600]), { fn: name, arg: 'ts[2]', value: 600 });
    assertArgumentError(() => SOLVERS[name](gaussEps, sd, x, [1200, 0]), { fn: name, arg: 'ts[0]', value: 1200 });
    assertArgumentError(() => SOLVERS[name](gaussEps, sd, x, [999, -1]), { fn: name, arg: 'ts[1]', value: -1 });
  }
  assertArgumentError(() => reference(gaussEps, sd, x, [999, 0], { substeps: 0 }), { fn: 'reference', arg: 'substeps', value: 0 });
  x.dispose();
});
