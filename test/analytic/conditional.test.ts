import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend.js';
import { makeSchedule } from '../../lib/diffusion/schedules.js';
import { ArgumentError, ShapeError } from '../../lib/errors.js';
import { epsStar, denoise, makeMixture, mixtureDenoiser, type MixtureSpec } from '../../lib/analytic/mixture.js';
import {
  NULL_LABEL,
  classMixture,
  conditionalDenoise,
  conditionalDenoiser,
  conditionalEpsStar,
  guided,
  makeConditionalMixture,
  type ClassCond,
} from '../../lib/analytic/conditional.js';
import { cfgScaleOf, lcmScaleOf } from '../../lib/diffusion/guidance.js';
import type { Denoiser } from '../../lib/diffusion/types.js';

await initBackend('cpu');
const sd = makeSchedule({ name: 'scaled-linear' });

const class0: MixtureSpec = { weights: [1, 1], means: [[-2, 0], [-1, 1]], variances: [0.1, [0.2, 0.05]] };
const class1: MixtureSpec = { weights: [3], means: [[1.5, -0.5]], variances: [0.3] };
const class2: MixtureSpec = { weights: [1, 2, 1], means: [[0, 2], [0.5, 2.5], [-0.5, 2.2]], variances: [0.05, 0.05, 0.1] };
const cm = makeConditionalMixture({ classes: [class0, class1, class2], classWeights: [1, 2, 1] });
const xHost = [
  [0, 0],
  [-1.5, 0.4],
  [1, -1],
  [0.2, 2.1],
  [3, 3],
  [-0.3, -0.2],
];
const x = tf.tensor2d(xHost);
const B = xHost.length;

function host(t: tf.Tensor): number[] {
  const v = Array.from(t.dataSync());
  t.dispose();
  return v;
}

function maxDiff(a: number[], b: number[]): number {
  assert.equal(a.length, b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
}

/** Assert fn throws `cls` with these fields. */
function assertThrowsWith(fn: () => unknown, cls: typeof ArgumentError | typeof ShapeError, fields: Record<string, unknown>) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
    for (const [key, want] of Object.entries(fields)) assert.deepEqual((err as unknown as Record<string, unknown>)[key], want, key);
    return true;
  });
}

test('the unconditional marginal is the class-weighted union of the class mixtures', () => {
  assert.equal(cm.numClasses, 3);
  assert.equal(cm.marginal.K, 6);
  assert.deepEqual(Array.from(cm.offsets), [0, 2, 3, 6]);
  const want = [0.25 * 0.5, 0.25 * 0.5, 0.5, 0.25 * 0.25, 0.25 * 0.5, 0.25 * 0.25];
  assert.ok(maxDiff(Array.from(cm.marginal.weights), want) < 1e-16);
  // The same union written as one mixture spec gives the same ε*.
  const union = makeMixture({
    weights: want,
    means: [...class0.means, ...class1.means, ...class2.means],
    variances: [[0.1, 0.1], [0.2, 0.05], [0.3, 0.3], [0.05, 0.05], [0.05, 0.05], [0.1, 0.1]],
  });
  const eps = conditionalDenoiser(cm, sd);
  for (const t of [0, 300, 999]) {
    const got = host(eps(x, t, { labels: new Array(B).fill(NULL_LABEL) }));
    assert.deepEqual(got, host(epsStar(union, sd, x, t)));
  }
});

test('a conditional mixture with one class equals that class mixture, for its label and for NULL_LABEL', () => {
  const one = makeConditionalMixture({ classes: [class0] });
  const m0 = makeMixture(class0);
  const eps = conditionalDenoiser(one, sd);
  for (const t of [0, 20, 500, 999]) {
    const want = host(epsStar(m0, sd, x, t));
    assert.deepEqual(host(eps(x, t, { labels: new Array(B).fill(0) })), want);
    assert.deepEqual(host(eps(x, t, { labels: new Array(B).fill(NULL_LABEL) })), want);
    assert.deepEqual(host(conditionalDenoise(one, sd, x, t, { labels: new Array(B).fill(0) })), host(denoise(m0, sd, x, t)));
  }
});

test('each sample is denoised under its own label: a mixed batch equals per-label calls on the class mixtures', () => {
  const labels = [0, 1, 2, NULL_LABEL, 1, 0];
  const tt = tf.tensor1d([0, 100, 250.5, 500, 999, 40]);
  const got = host(conditionalEpsStar(cm, sd, x, tt, { labels: tf.tensor1d(labels, 'int32') }));
  const gotX0 = host(conditionalDenoise(cm, sd, x, tt, { labels }));
  const times = Array.from(tt.dataSync());
  const want: number[] = [];
  const wantX0: number[] = [];
  labels.forEach((c, i) => {
    const xi = tf.tensor2d([xHost[i]]);
    want.push(...host(epsStar(classMixture(cm, c), sd, xi, times[i])));
    wantX0.push(...host(denoise(classMixture(cm, c), sd, xi, times[i])));
    xi.dispose();
  });
  // Same float32 kernel; the masked (−∞-weight) components contribute exact zeros, so only summation order differs.
  assert.ok(maxDiff(got, want) < 1e-6, `ε* max diff ${maxDiff(got, want)}`);
  assert.ok(maxDiff(gotX0, wantX0) < 1e-6, `x̂₀ max diff ${maxDiff(gotX0, wantX0)}`);
  tt.dispose();
});

test("guidance with w = 0 ('lcm') and s = 1 ('cfg') equals the conditional teacher", () => {
  const teacher = conditionalDenoiser(cm, sd);
  const cond: ClassCond = { labels: [0, 1, 2, 2, 1, 0] };
  for (const t of [0, 500, 999]) {
    const want = host(teacher(x, t, cond));
    assert.deepEqual(host(guided(teacher, 0)(x, t, cond)), want); // 'lcm' is the default
    assert.deepEqual(host(guided(teacher, 0, 'lcm')(x, t, cond)), want);
    assert.ok(maxDiff(host(guided(teacher, 1, 'cfg')(x, t, cond)), want) < 1e-6);
  }
});

test("'lcm' guidance w equals 'cfg' guidance s = 1 + w, and 'cfg' s = 0 is the unconditional teacher", () => {
  assert.equal(cfgScaleOf(8), 9);
  assert.equal(lcmScaleOf(9), 8);
  const teacher = conditionalDenoiser(cm, sd);
  const cond: ClassCond = { labels: [2, 1, 0, 2, 0, 1] };
  for (const w of [0.5, 3, 8]) {
    for (const t of [10, 600]) {
      const lcm = host(guided(teacher, w, 'lcm')(x, t, cond));
      const cfg = host(guided(teacher, cfgScaleOf(w), 'cfg')(x, t, cond));
      // Two float32 evaluations of equal formulas: a few ulps (1.2e-7 relative) of the largest |ε̂|.
      const scale = Math.max(...lcm.map(Math.abs));
      assert.ok(maxDiff(lcm, cfg) <= 4e-7 * scale, `w=${w} t=${t}: ${maxDiff(lcm, cfg)} (max |ε̂| ${scale})`);
    }
  }
  const uncond = host(teacher(x, 300, { labels: new Array(B).fill(NULL_LABEL) }));
  assert.ok(maxDiff(host(guided(teacher, 0, 'cfg')(x, 300, cond)), uncond) < 1e-6);
});

test("'lcm' guidance is ε_c + w(ε_c − ε_u) with ε_u from the NULL label, for any Denoiser<ClassCond>", () => {
  // A stand-in network: ε = x·(label + 2); NULL_LABEL gives x·1. Records the labels it was called with.
  const seen: number[][] = [];
  const fake: Denoiser<ClassCond> = (xx, _t, cond) => {
    const labels = cond!.labels as number[];
    seen.push(labels.slice());
    return tf.tidy(() => xx.mul(tf.tensor2d(labels.map((c) => c + 2), [labels.length, 1])));
  };
  const w = 8;
  const out = host(guided(fake, w)(x, 5, { labels: [0, 1, 2, NULL_LABEL, 0, 1] }));
  assert.deepEqual(seen, [
    [0, 1, 2, NULL_LABEL, 0, 1],
    new Array(B).fill(NULL_LABEL),
  ]);
  const want = xHost.flatMap((row, i) => {
    const c = [0, 1, 2, NULL_LABEL, 0, 1][i] + 2;
    return row.map((v) => v * c + w * (v * c - v * 1));
  });
  assert.ok(maxDiff(out, want) < 1e-5);
});

test('the guided exact teacher at w = 8 moves ε̂ away from the unconditional ε by 9× the class difference', () => {
  const teacher = conditionalDenoiser(cm, sd);
  const cond: ClassCond = { labels: [1, 1, 1, 1, 1, 1] };
  const t = 400;
  const c = host(teacher(x, t, cond));
  const u = host(teacher(x, t, { labels: new Array(B).fill(NULL_LABEL) }));
  const g = host(guided(teacher, 8)(x, t, cond));
  const want = c.map((ci, i) => u[i] + 9 * (ci - u[i]));
  assert.ok(maxDiff(g, want) < 1e-5);
});

test('tensor count stays flat over 200 calls of the conditional and guided denoisers', () => {
  const teacher = conditionalDenoiser(cm, sd);
  const g = guided(teacher, 8);
  const labelsT = tf.tensor1d([0, 1, 2, NULL_LABEL, 1, 0], 'int32');
  const img = tf.zeros([B, 2, 1]);
  g(x, 10, { labels: labelsT }).dispose();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 200; i++) {
    teacher(x, i % 999, { labels: labelsT }).dispose();
    g(x, 500, { labels: [0, 1, 2, 0, 1, 2] }).dispose();
    teacher(img, 3, { labels: labelsT }).dispose();
  }
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([labelsT, img]);
});

test('a denoiser that throws inside guided leaks nothing', () => {
  const teacher = conditionalDenoiser(cm, sd);
  let calls = 0;
  const flaky: Denoiser<ClassCond> = (xx, t, cond) => {
    if (++calls % 2 === 0) throw new Error('boom');
    return teacher(xx, t, cond);
  };
  const before = tf.memory().numTensors;
  assert.throws(() => guided(flaky, 2)(x, 10, { labels: [0, 0, 0, 0, 0, 0] }), /boom/);
  assert.equal(tf.memory().numTensors, before);
});

test('makeConditionalMixture rejects bad specs, naming fn, arg and value', () => {
  const fn = 'makeConditionalMixture';
  assertThrowsWith(() => makeConditionalMixture({ classes: [] }), ArgumentError, { fn, arg: 'classes', value: [] });
  assertThrowsWith(() => makeConditionalMixture({ classes: [class0, { ...class1, variances: [-1] }] }), ArgumentError, {
    fn,
    arg: 'classes[1].variances[0]',
    value: -1,
  });
  assertThrowsWith(() => makeConditionalMixture({ classes: [class0, { weights: [1], means: [[0, 0, 0]], variances: [1] }] }), ShapeError, {
    fn,
    arg: 'classes[1].means',
    got: [1, 3],
  });
  assertThrowsWith(() => makeConditionalMixture({ classes: [class0, class1], classWeights: [1, 0] }), ArgumentError, {
    fn,
    arg: 'classWeights[1]',
    value: 0,
  });
  assertThrowsWith(() => makeConditionalMixture({ classes: [class0, class1], classWeights: [1] }), ShapeError, {
    fn,
    arg: 'classWeights',
    got: [1],
  });
});

test('the conditional denoiser and guided reject bad labels, x and w, naming fn, arg and value', () => {
  const teacher = conditionalDenoiser(cm, sd);
  const fn = 'conditionalDenoiser';
  assertThrowsWith(() => teacher(x, 10, { labels: [0, 1] }), ShapeError, { fn, arg: 'cond.labels', got: [2] });
  assertThrowsWith(() => teacher(x, 10), ShapeError, { fn, arg: 'cond.labels', got: [] });
  assertThrowsWith(() => teacher(x, 10, { labels: [0, 5, 0, 0, 0, 0] }), ArgumentError, { fn, arg: 'cond.labels[1]', value: 5 });
  assertThrowsWith(() => teacher(x, 10, { labels: [0, 0, 0.5, 0, 0, 0] }), ArgumentError, { fn, arg: 'cond.labels[2]', value: 0.5 });
  assertThrowsWith(() => teacher(x, 10, { labels: [0, 0, 0, -2, 0, 0] }), ArgumentError, { fn, arg: 'cond.labels[3]', value: -2 });
  const x3 = tf.zeros([2, 3]);
  assertThrowsWith(() => teacher(x3, 10, { labels: [0, 0] }), ShapeError, { fn, arg: 'x', got: [2, 3] });
  assertThrowsWith(() => teacher(x, 1000, { labels: new Array(B).fill(0) }), ArgumentError, { fn, arg: 't', value: 1000 });
  assertThrowsWith(() => guided(teacher, NaN), ArgumentError, { fn: 'guided', arg: 'w', value: NaN });
  assertThrowsWith(() => guided(teacher, 1, 'diffusers' as 'cfg'), ArgumentError, { fn: 'guided', arg: 'convention', value: 'diffusers' });
  assertThrowsWith(() => guided(teacher, 1)(x, 10), ShapeError, { fn: 'guided', arg: 'cond.labels' });
  assertThrowsWith(() => classMixture(cm, 3), ArgumentError, { fn: 'classMixture', arg: 'label', value: 3 });
  x3.dispose();
});

test('the mixture denoiser of a class equals the conditional denoiser for that label', () => {
  const eps1 = mixtureDenoiser(makeMixture(class1), sd);
  const got = host(conditionalDenoiser(cm, sd)(x, 77, { labels: new Array(B).fill(1) }));
  assert.ok(maxDiff(got, host(eps1(x, 77))) < 1e-6);
});
