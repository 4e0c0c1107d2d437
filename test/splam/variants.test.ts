// The objective's switches beyond the official code: noise-level-matched conditioning, γ mixtures and curricula,
// and the diagnostics that split the objective by γ and t. LCM and the code's SPLAM must stay exactly as they were.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { makeSchedule } from '../../lib/diffusion/schedules.js';
import { makeMixture, mixtureDenoiser } from '../../lib/analytic/mixture.js';
import { makeRng } from '../../lib/data/rng.js';
import { solverGrid } from '../../lib/splam/grid.js';
import { disposeBatch, prepareSplamBatch, studentPrediction, type SplamObjective } from '../../lib/splam/objective.js';
import type { GammaEpsModel } from '../../lib/diffusion/types.js';
import { checkGammaDistribution, isLcm, LCM_GAMMA, sampleGamma, type GammaDistribution } from '../../lib/splam/gamma.js';
import { matchedView, studentView } from '../../lib/splam/consistency.js';
import { sigmaGamma, subPathCoefs } from '../../lib/splam/sl-ode.js';
import { splamDiagnostics } from '../../lib/splam/update.js';
import { makeMlp } from '../../lib/nn/mlp.js';
import { netGammaModel } from '../../lib/nn/eps-net.js';
import { assertArgumentError, setup } from '../helpers.js';

await setup();
const sd = makeSchedule({ name: 'scaled-linear' });
const mix = makeMixture({ weights: [1], means: [[0.4, -0.6]], variances: [[0.3, 0.1]] });
const teacher = mixtureDenoiser(mix, sd);
/** The exact teacher standing in for a student that has not learnt to read γ (a teacher-initialised student). */
const teacherAsStudent: GammaEpsModel = (x, t) => teacher(x, t);
const x0 = tf.tensor2d(Array.from({ length: 256 }, (_, i) => [0.4 + 0.5 * Math.sin(i), -0.6 + 0.3 * Math.cos(3 * i)]));
const objective = (o: Partial<SplamObjective> = {}): SplamObjective => ({ grid: solverGrid(1000, 50), gamma: { kind: 'uniform' }, sigmaGammaForm: 'rss', loss: { kind: 'l2' }, ...o });

test('the matched view puts an SL-ODE point at its own noise level: t_γ ∈ [s, t], α(t_γ) = c·α_t, σ(t_γ) = c·σ_γ, and at γ = 0 the point is the solver point x̂_s at s', () => {
  for (const [t, s] of [[999, 979], [499, 479], [19, 0]]) {
    const c = subPathCoefs(sd, t, s);
    for (const g of [0, 0.3, 0.7, 0.99]) {
      const sg = sigmaGamma(c, g) as number;
      const v = matchedView(sd, t, s, sg);
      assert.ok(v.time >= s && v.time <= t, `t_γ = ${v.time} in [${s}, ${t}]`);
      assert.ok(Math.abs(sd.alpha(v.time) - v.alpha) < 1e-9 && Math.abs(sd.sigma(v.time) - v.sigma) < 1e-9, `VP point at t_γ (t = ${t}, γ = ${g})`);
      assert.ok(Math.abs(v.alpha ** 2 + v.sigma ** 2 - 1) < 1e-12);
    }
    const v0 = matchedView(sd, t, s, c.r * c.sigmaS);
    assert.ok(Math.abs(v0.time - s) < 1e-6, `γ = 0 is the sub-path's start s = ${s} (got ${v0.time})`);
    assert.ok(Math.abs(v0.scale * c.r - 1) < 1e-9, 'c·r_t = 1: c·x_{0,t} = x̂_s');
  }
  // γ = 1 is the code's view, whatever the conditioning.
  assert.deepEqual(studentView('matched', sd, 999, 979, 1, sd.sigma(999)), studentView('code', sd, 999, 979, 1, sd.sigma(999)));
  assertArgumentError(() => studentView('other' as never, sd, 999, 979, 0.5, 0.9), { fn: 'studentView', arg: 'conditioning' });
});

test('a teacher-initialised student is off by about (σ_t − σ_γ)/α_t·|ε̂| under the code conditioning and right at every γ under the matched one', () => {
  const errors = (g: number, conditioning: 'code' | 'matched') => {
    const b = prepareSplamBatch({ x0, teacher, target: teacherAsStudent, schedule: sd, objective: objective({ gamma: { kind: 'fixed', value: g }, conditioning }), rng: makeRng(3) });
    // Every point of the DDIM line shares the teacher's clean estimate at x_t.
    const out = tf.tidy(() => {
      const col = (v: tf.Tensor1D) => v.reshape([-1, 1]);
      const epsT = teacher(b.xT, b.tTensor);
      const ref = b.xT.sub(epsT.mul(col(b.sigmaT))).div(col(b.alphaT));
      const err = studentPrediction(teacherAsStudent, b).sub(ref).square().mean(1).sqrt();
      const expected = col(b.sigmaT.sub(b.sigmaGamma).div(b.alphaT)).squeeze().mul(epsT.square().mean(1).sqrt());
      return { err: err.arraySync() as number[], expected: expected.arraySync() as number[] };
    });
    const hi = b.t.flatMap((t, i) => (t >= 750 ? [i] : []));
    disposeBatch(b);
    const mean = (a: number[]) => hi.reduce((s, i) => s + a[i], 0) / hi.length;
    return { err: mean(out.err), expected: mean(out.expected) };
  };
  for (const g of [0, 0.5]) {
    const code = errors(g, 'code');
    const matched = errors(g, 'matched');
    assert.ok(code.err > 0.3, `code conditioning at γ = ${g}: x̂₀ off by ${code.err} at t ≥ 750`);
    assert.ok(code.err > 0.6 * code.expected && code.err < 1.2 * code.expected, `≈ (σ_t − σ_γ)/α_t·|ε̂|: ${code.err} vs ${code.expected}`);
    assert.ok(matched.err < 0.02 * code.err, `matched conditioning at γ = ${g}: ${matched.err}`);
  }
  // γ = 1: the on-trajectory point (σ_γ = σ_t up to float32 rounding of the rss form).
  assert.ok(errors(1, 'code').err < 1e-6 && errors(1, 'matched').err < 1e-6);
});

test('LCM is unchanged by the conditioning switch: with γ ≡ 1 the matched batch is the code batch bit for bit', () => {
  const batch = (conditioning: 'code' | 'matched') => prepareSplamBatch({ x0, teacher, target: teacherAsStudent, schedule: sd, objective: objective({ gamma: LCM_GAMMA, conditioning }), rng: makeRng(5) });
  const [a, b] = [batch('code'), batch('matched')];
  for (const k of ['x', 't', 'alpha', 'sigma', 'cSkip', 'cOut'] as const) assert.deepEqual(a.studentIn[k].dataSync(), b.studentIn[k].dataSync(), k);
  assert.deepEqual(studentPrediction(teacherAsStudent, a).dataSync(), studentPrediction(teacherAsStudent, b).dataSync());
  // With γ < 1 it is not.
  const c = prepareSplamBatch({ x0, teacher, target: teacherAsStudent, schedule: sd, objective: objective({ conditioning: 'matched' }), rng: makeRng(5) });
  assert.notDeepEqual(c.studentIn.t.dataSync(), a.studentIn.t.dataSync());
  [a, b, c].forEach(disposeBatch);
});

test('γ mixture: γ = 1 with probability p, else uniform; p = 0 draws like U[0, 1] and p = 1 is LCM', () => {
  const n = 20000;
  const g = sampleGamma({ kind: 'mixture', p: 0.25 }, n, makeRng(9));
  const ones = g.filter((v) => v === 1).length;
  const sd4 = 4 * Math.sqrt(n * 0.25 * 0.75);
  assert.ok(Math.abs(ones - 0.25 * n) < sd4, `${ones} ones of ${n}`);
  const rest = g.filter((v) => v !== 1);
  const m = rest.reduce((a, v) => a + v, 0) / rest.length;
  assert.ok(Math.abs(m - 0.5) < 0.01 && rest.every((v) => v >= 0 && v < 1));
  assert.ok(sampleGamma({ kind: 'mixture', p: 1 }, 100, makeRng(1)).every((v) => v === 1));
  assert.ok(isLcm({ kind: 'mixture', p: 1 }) && isLcm(LCM_GAMMA) && !isLcm({ kind: 'mixture', p: 0.5 }) && !isLcm({ kind: 'uniform' }));
  assertArgumentError(() => checkGammaDistribution({ kind: 'mixture', p: 1.5 }), { fn: 'checkGammaDistribution', arg: 'p', value: 1.5 });
});

test('γ curriculum: U[lo, hi] with both ends moving linearly over training, the same draws for the same progress', () => {
  const d: GammaDistribution = { kind: 'curriculum', lo: { from: 0, to: 1 }, hi: { from: 1, to: 1 } };
  const start = sampleGamma(d, 5000, makeRng(2), 0);
  const mid = sampleGamma(d, 5000, makeRng(2), 0.5);
  const end = sampleGamma(d, 100, makeRng(2), 1);
  assert.ok(Math.min(...start) < 0.01, 'starts at U[0, 1]');
  assert.ok(Math.min(...mid) >= 0.5 && Math.max(...mid) <= 1, 'halfway: U[0.5, 1]');
  assert.ok(end.every((v) => v === 1), 'ends at γ = 1 (LCM)');
  assert.deepEqual(sampleGamma(d, 50, makeRng(4), 0.3), sampleGamma(d, 50, makeRng(4), 0.3));
  assertArgumentError(() => sampleGamma(d, 5, makeRng(1), 1.2), { fn: 'sampleGamma', arg: 'progress', value: 1.2 });
  assertArgumentError(() => checkGammaDistribution({ kind: 'curriculum', lo: { from: 0.8, to: 1 }, hi: { from: 0.5, to: 1 } }), { fn: 'checkGammaDistribution', arg: 'lo.from', value: 0.8 });
});

test('diagnostics split the objective by γ and t bin without changing the student; under LCM the γ = 1 bin is LCM itself (cosine 1)', async () => {
  const net = makeMlp({ dim: 2, hidden: 16, blocks: 1, timeEmbedDim: 8, gammaEmbedDim: 8, numClasses: 0 }, makeRng(1));
  const target = makeMlp(net.config, makeRng(2));
  const x64 = x0.slice([0, 0], [64, 2]);
  const args = (gamma: GammaDistribution) => ({ x0: x64, teacher, student: { model: netGammaModel(net), params: net.params }, target: { model: netGammaModel(target), params: target.params }, schedule: sd, objective: objective({ gamma }), rng: makeRng(7) });
  const before = [...net.params.values()].map((p) => p.dataSync().slice());
  const tensors = tf.memory().numTensors;
  const lcm = await splamDiagnostics(args(LCM_GAMMA));
  assert.equal(lcm['count/g1'], 64);
  assert.ok(Math.abs(lcm['cos/g1'] - 1) < 1e-9, `cos ${lcm['cos/g1']}`);
  assert.ok(Math.abs(lcm['loss/g1'] - lcm['loss/lcm']) < 1e-6 * lcm['loss/lcm'], `loss ${lcm['loss/g1']} vs ${lcm['loss/lcm']}`);
  assert.ok(Math.abs(lcm['grad/g1'] - lcm['grad/lcm']) < 1e-5 * lcm['grad/lcm'], `grad ${lcm['grad/g1']} vs ${lcm['grad/lcm']}`);
  const splam = await splamDiagnostics(args({ kind: 'uniform' }));
  const gammaCounts = ['g0.00-0.25', 'g0.25-0.50', 'g0.50-0.75', 'g0.75-1.00'].reduce((a, k) => a + (splam[`count/${k}`] ?? 0), 0);
  const tCounts = ['t0-249', 't250-499', 't500-749', 't750-999'].reduce((a, k) => a + (splam[`count/${k}`] ?? 0), 0);
  assert.equal(gammaCounts, 64);
  assert.equal(tCounts, 64);
  assert.ok(Object.entries(splam).filter(([k]) => k.startsWith('cos/')).every(([, v]) => v >= -1 - 1e-9 && v <= 1 + 1e-9));
  assert.deepEqual([...net.params.values()].map((p) => p.dataSync().slice()), before, 'parameters unchanged');
  assert.equal(tf.memory().numTensors, tensors, 'no tensor leaks');
  x64.dispose();
});
