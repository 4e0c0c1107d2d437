import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { makeSchedule } from '../../lib/diffusion/schedules.js';
import { makeMixture, mixtureDenoiser } from '../../lib/analytic/mixture.js';
import { gaussianFlowMap } from '../../lib/analytic/flow-maps.js';
import { makeRng } from '../../lib/data/rng.js';
import { gridForSkip, solverGrid } from '../../lib/splam/grid.js';
import { disposeBatch, prepareSplamBatch, studentLoss, studentPrediction, type SplamObjective } from '../../lib/splam/objective.js';
import { oracleStudent } from '../../lib/splam/oracle.js';
import { LCM_GAMMA, sampleGamma } from '../../lib/splam/gamma.js';
import { lcmSample, lcmTimesteps } from '../../lib/splam/sampler.js';
import type { FlowMap } from '../../lib/splam/trajectory-error.js';
import { assertArgumentError, maxAbsDiff, setup } from '../helpers.js';

await setup();
const sd = makeSchedule({ name: 'scaled-linear' });
const mean = [0.4, -0.6];
const variances = [0.3, 0.1];
const mix = makeMixture({ weights: [1], means: [mean], variances: [variances] });
const teacher = mixtureDenoiser(mix, sd);
const exact: FlowMap = (x, t, s) => gaussianFlowMap(mean, variances, sd, x as tf.Tensor2D, t, s);
const oracle = oracleStudent(exact, sd);
const x0 = tf.tensor2d(Array.from({ length: 64 }, (_, i) => [0.4 + 0.5 * Math.sin(i), -0.6 + 0.3 * Math.cos(3 * i)]));

const objective = (o: Partial<SplamObjective> = {}): SplamObjective => ({
  grid: solverGrid(1000, 50),
  gamma: { kind: 'uniform' },
  sigmaGammaForm: 'rss',
  loss: { kind: 'l2' },
  ...o,
});

test('SPLAM with γ ≡ 1 is LCM: the student sees x_t itself with σ_γ = σ_t', () => {
  const b = prepareSplamBatch({ x0, teacher, target: oracle, schedule: sd, objective: objective({ gamma: LCM_GAMMA }), rng: makeRng(1) });
  // Rebuild x_t from the same rng stream: t indices, γ, then the noise.
  const rng = makeRng(1);
  for (let i = 0; i < 64; i++) rng.int(50);
  sampleGamma(LCM_GAMMA, 64, rng);
  const eps = tf.tensor(rng.normalArray(x0.size), x0.shape);
  const a = tf.tensor1d(b.t.map((t) => sd.alpha(t))).reshape([64, 1]);
  const s = tf.tensor1d(b.t.map((t) => sd.sigma(t))).reshape([64, 1]);
  assert.ok(maxAbsDiff(b.xGamma, x0.mul(a).add(eps.mul(s))) < 1e-6);
  assert.ok(maxAbsDiff(b.sigmaGamma, b.t.map((t) => sd.sigma(t))) < 1e-6);
  assert.ok(b.gamma.every((g) => g === 1));
  disposeBatch(b);
});

test('the target and the student prediction follow the code: at the oracle student the L2 loss is the DDIM error pushed to the data end', () => {
  // For a single Gaussian Φ_{s→0} is linear with slope A_s = √(C(0)/C(s)) per dimension, so with the oracle
  // student (γ = 1) ŷ − y = Φ_{t→0}(x_t) − Φ_{s→0}(x̂_s) = A_s·(Φ_{t→s}(x_t) − x̂_s): the teacher's one-step error.
  const b = prepareSplamBatch({ x0, teacher, target: oracle, schedule: sd, objective: objective({ gamma: LCM_GAMMA }), rng: makeRng(2) });
  const loss = studentLoss(oracle, b, { kind: 'l2' }).dataSync()[0];
  const xt = b.xGamma;
  const rows = b.t.map((t, i) => {
    const s = b.s[i];
    const xi = xt.slice([i, 0], [1, 2]) as tf.Tensor2D;
    const ddim = tf.tidy(() => {
      const e = teacher(xi, t);
      const x0h = xi.sub(e.mul(sd.sigma(t))).div(sd.alpha(t));
      return x0h.mul(sd.alpha(s)).add(e.mul(sd.sigma(s)));
    });
    const diff = exact(xi, t, s).sub(ddim);
    const C = (tt: number, v: number) => sd.alpha(tt) ** 2 * v + sd.sigma(tt) ** 2;
    const A = tf.tensor1d(variances.map((v) => Math.sqrt(C(0, v) / C(s, v))));
    return Array.from(diff.mul(A).square().dataSync());
  });
  const expected = rows.flat().reduce((p, q) => p + q, 0) / (64 * 2);
  assert.ok(expected > 0, 'DDIM with k = 20 is not exact');
  assert.ok(Math.abs(loss - expected) <= 1e-3 * expected + 1e-9, `loss ${loss} vs ${expected}`);
  disposeBatch(b);
});

test('the oracle student has a much smaller loss than the teacher used as a student, and larger skips raise it', () => {
  const teacherAsStudent = (x: tf.Tensor, t: tf.Tensor1D) => teacher(x, t);
  const lossAt = (k: number, student = oracle) => {
    const b = prepareSplamBatch({ x0, teacher, target: oracle, schedule: sd, objective: objective({ grid: gridForSkip(1000, k), gamma: LCM_GAMMA }), rng: makeRng(3) });
    const l = studentLoss(student, b, { kind: 'l2' }).dataSync()[0];
    disposeBatch(b);
    return l;
  };
  assert.ok(lossAt(20) < 0.1 * lossAt(20, teacherAsStudent));
  assert.ok(lossAt(100) > lossAt(20));
});

test('along the SL-ODE, γ < 1 moves the student input towards the drift-pushed start, and both σ_γ forms agree at the ends', () => {
  const b1 = prepareSplamBatch({ x0, teacher, target: oracle, schedule: sd, objective: objective({ gamma: { kind: 'fixed', value: 0 } }), rng: makeRng(4) });
  const b2 = prepareSplamBatch({ x0, teacher, target: oracle, schedule: sd, objective: objective({ gamma: { kind: 'fixed', value: 0 }, sigmaGammaForm: 'linear' }), rng: makeRng(4) });
  assert.ok(maxAbsDiff(b1.sigmaGamma, b2.sigmaGamma) < 1e-6);
  assert.ok(maxAbsDiff(b1.sigmaGamma, b1.t.map((t, i) => (sd.alpha(t) / sd.alpha(b1.s[i])) * sd.sigma(b1.s[i]))) < 1e-6);
  // The targets do not depend on γ.
  const b3 = prepareSplamBatch({ x0, teacher, target: oracle, schedule: sd, objective: objective({ gamma: LCM_GAMMA }), rng: makeRng(4) });
  assert.equal(maxAbsDiff(b1.target, b3.target), 0);
  [b1, b2, b3].forEach(disposeBatch);
});

test('the gradient of the SPLAM loss reaches only the student\'s variables', () => {
  const w = tf.variable(tf.scalar(0.5));
  const student = (x: tf.Tensor, t: tf.Tensor1D) => teacher(x, t).mul(w);
  const b = prepareSplamBatch({ x0, teacher, target: oracle, schedule: sd, objective: objective({ loss: { kind: 'pseudoHuber', c: 0.001 } }), rng: makeRng(5) });
  const { value, grads } = tf.variableGrads(() => studentLoss(student, b, { kind: 'pseudoHuber', c: 0.001 }), [w]);
  assert.ok(Number.isFinite(value.dataSync()[0]));
  assert.ok(Math.abs(grads[w.name].dataSync()[0]) > 0);
  disposeBatch(b);
  tf.dispose([value, grads[w.name], w]);
});

test('the same seed gives the same batch; preparing and scoring batches does not leak tensors', () => {
  const b1 = prepareSplamBatch({ x0, teacher, target: oracle, schedule: sd, objective: objective(), rng: makeRng(6) });
  const b2 = prepareSplamBatch({ x0, teacher, target: oracle, schedule: sd, objective: objective(), rng: makeRng(6) });
  assert.deepEqual(b1.t, b2.t);
  assert.equal(maxAbsDiff(b1.xGamma, b2.xGamma), 0);
  [b1, b2].forEach(disposeBatch);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) {
    const b = prepareSplamBatch({ x0, teacher, target: oracle, schedule: sd, objective: objective(), rng: makeRng(i) });
    studentLoss(oracle, b, { kind: 'l2' }).dispose();
    studentPrediction(oracle, b).dispose();
    disposeBatch(b);
  }
  assert.equal(tf.memory().numTensors, before);
});

test('a grid for another N than the schedule is rejected', () => {
  assertArgumentError(() => prepareSplamBatch({ x0, teacher, target: oracle, schedule: makeSchedule({ name: 'linear', N: 500 }), objective: objective(), rng: makeRng(0) }), {
    fn: 'prepareSplamBatch',
    arg: 'grid.N',
    value: 1000,
  });
});

test('LCM inference timesteps follow both diffusers conventions', () => {
  const g = solverGrid(1000, 50);
  assert.deepEqual(lcmTimesteps(g, 1), [999]);
  assert.deepEqual(lcmTimesteps(g, 2), [999, 499]);
  assert.deepEqual(lcmTimesteps(g, 4), [999, 759, 499, 259]);
  assert.deepEqual(lcmTimesteps(g, 8), [999, 879, 759, 639, 499, 379, 259, 139]);
  assert.deepEqual(lcmTimesteps(g, 4, 'legacy'), [999, 759, 519, 279]);
  assert.deepEqual(lcmTimesteps(g, 8, 'legacy'), [999, 879, 759, 639, 519, 399, 279, 159]);
  assertArgumentError(() => lcmTimesteps(g, 51), { fn: 'lcmTimesteps', arg: 'n', value: 51 });
});

test('one step of the multistep sampler with the oracle student is the exact PF-ODE endpoint', () => {
  const xT = tf.randomNormal([32, 2], 0, 1, 'float32', 7);
  const { x, nfe } = lcmSample(oracle, sd, xT, [999], { rng: makeRng(0) });
  assert.equal(nfe, 1);
  assert.ok(maxAbsDiff(x, exact(xT, 999, 0)) < 1e-5);
  const before = tf.memory().numTensors;
  const r = lcmSample(oracle, sd, xT, lcmTimesteps(solverGrid(), 8), { rng: makeRng(0), returnDenoised: true });
  assert.equal(r.denoised!.length, 8);
  tf.dispose([r.x, ...r.denoised!]);
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([xT, x]);
});

test('with implied noise the multistep sampler is a deterministic chain of consistency jumps', () => {
  const xT = tf.randomNormal([16, 2], 0, 1, 'float32', 9);
  const ts = lcmTimesteps(solverGrid(), 4);
  const a = lcmSample(oracle, sd, xT, ts, { rng: makeRng(1), noise: 'implied' }).x;
  const b = lcmSample(oracle, sd, xT, ts, { rng: makeRng(2), noise: 'implied' }).x;
  assert.equal(maxAbsDiff(a, b), 0);
  const fresh = lcmSample(oracle, sd, xT, ts, { rng: makeRng(1) }).x;
  assert.ok(maxAbsDiff(a, fresh) > 1e-3);
  // onStep hands out each step's starting state: x_T first, then α_τ′·f + σ_τ′·ε̂ with ε̂ = (x − α_τ·f)/σ_τ.
  const seen: { x: tf.Tensor; f: tf.Tensor }[] = [];
  const c = lcmSample(oracle, sd, xT, ts, { rng: makeRng(1), noise: 'implied', onStep: ({ x, denoised }) => void seen.push({ x: x.clone(), f: denoised.clone() }) }).x;
  assert.equal(seen.length, ts.length);
  assert.equal(maxAbsDiff(seen[0].x, xT), 0);
  for (let i = 1; i < ts.length; i++) {
    const [t, tn] = [ts[i - 1], ts[i]];
    const want = tf.tidy(() => seen[i - 1].f.mul(sd.alpha(tn)).add(seen[i - 1].x.sub(seen[i - 1].f.mul(sd.alpha(t))).div(sd.sigma(t)).mul(sd.sigma(tn))));
    assert.ok(maxAbsDiff(seen[i].x, want) < 1e-6, `state ${i}`);
    want.dispose();
  }
  assert.equal(maxAbsDiff(c, a), 0, 'watching the chain does not change it');
  tf.dispose([xT, a, b, c, fresh, ...seen.flatMap((s) => [s.x, s.f])]);
});
