import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { makeRng } from '../../lib/data/rng.js';
import { gammaEmbedding, sinusoidal, timeEmbedding } from '../../lib/nn/embeddings.js';
import { makeMlp } from '../../lib/nn/mlp.js';
import { assignFrom, countParams, entriesOf, flatten, disposeParams } from '../../lib/nn/params.js';
import { emaUpdate } from '../../lib/nn/ema.js';
import { ShapeError } from '../../lib/errors.js';
import { assertArgumentError, maxAbsDiff, setup } from '../helpers.js';

await setup();

test('the γ-embedding follows the official code: g = 10 − 10γ, times 1000, ω_j = exp(−j·ln 10⁴/(half − 1)), sin first', () => {
  const e = gammaEmbedding(tf.tensor1d([1, 0.25]), 8).arraySync();
  assert.deepEqual(e[0], [0, 0, 0, 0, 1, 1, 1, 1], 'γ = 1 (inference) embeds g = 0');
  const v = 1000 * (10 - 10 * 0.25);
  const want = [0, 1, 2, 3].map((j) => Math.sin(v * Math.exp((-j * Math.log(10000)) / 3))).concat([0, 1, 2, 3].map((j) => Math.cos(v * Math.exp((-j * Math.log(10000)) / 3))));
  assert.ok(maxAbsDiff(e[1], want) < 2e-3, 'float32 sin of arguments up to 7500');
});

test('the time embedding is diffusers\' flip_sin_to_cos with shift 0', () => {
  const e = timeEmbedding(tf.tensor1d([3]), 4).arraySync()[0];
  const w = [1, Math.exp(-Math.log(10000) / 2)];
  assert.ok(maxAbsDiff(e, [Math.cos(3 * w[0]), Math.cos(3 * w[1]), Math.sin(3 * w[0]), Math.sin(3 * w[1])]) < 1e-6);
  assertArgumentError(() => sinusoidal(tf.tensor1d([1]), 3), { fn: 'sinusoidal', arg: 'dim', value: 3 });
});

test('the same seed builds the same network; outputs have the input\'s shape', () => {
  const a = makeMlp({ dim: 3, hidden: 16, blocks: 2, timeEmbedDim: 8 }, makeRng(1));
  const b = makeMlp({ dim: 3, hidden: 16, blocks: 2, timeEmbedDim: 8 }, makeRng(1));
  assert.deepEqual(flatten(a.params), flatten(b.params));
  const x = tf.randomNormal([5, 3], 0, 1, 'float32', 0);
  const y = a.apply(x, tf.tensor1d([0, 10, 100, 500, 999]));
  assert.deepEqual(y.shape, [5, 3]);
  assert.equal(countParams(a.params), entriesOf(a.params).reduce((n, e) => n + e.shape.reduce((p, q) => p * q, 1), 0));
});

test('without a γ-embedding the output ignores γ; with one, γ changes it', () => {
  const x = tf.randomNormal([4, 2], 0, 1, 'float32', 0);
  const t = tf.tensor1d([500, 500, 500, 500]);
  const plain = makeMlp({ dim: 2, hidden: 16, blocks: 1, timeEmbedDim: 8 }, makeRng(2));
  assert.equal(maxAbsDiff(plain.apply(x, t, tf.fill([4], 0.3) as tf.Tensor1D), plain.apply(x, t, tf.ones([4]) as tf.Tensor1D)), 0);
  const withGamma = makeMlp({ dim: 2, hidden: 16, blocks: 1, timeEmbedDim: 8, gammaEmbedDim: 16 }, makeRng(2));
  assert.ok(maxAbsDiff(withGamma.apply(x, t, tf.fill([4], 0.3) as tf.Tensor1D), withGamma.apply(x, t, tf.ones([4]) as tf.Tensor1D)) > 1e-4);
});

test('a teacher\'s weights load into a student that adds a γ-projection; only time.cond_proj is missing', () => {
  const teacher = makeMlp({ dim: 2, hidden: 16, blocks: 1, timeEmbedDim: 8 }, makeRng(3));
  const student = makeMlp({ dim: 2, hidden: 16, blocks: 1, timeEmbedDim: 8, gammaEmbedDim: 16 }, makeRng(4));
  const { missing, unused } = assignFrom(student.params, entriesOf(teacher.params), flatten(teacher.params));
  assert.deepEqual(missing, ['time.cond_proj.weight']);
  assert.deepEqual(unused, []);
  assert.equal(maxAbsDiff(student.params.get('out.weight')!, teacher.params.get('out.weight')!), 0);
});

test('class labels select embeddings; −1 is the null label; bad labels are named', () => {
  const net = makeMlp({ dim: 2, hidden: 8, blocks: 1, timeEmbedDim: 8, numClasses: 3 }, makeRng(5));
  const x = tf.zeros([2, 2]);
  const t = tf.tensor1d([100, 100]);
  assert.ok(maxAbsDiff(net.apply(x, t, undefined, [0, 0]), net.apply(x, t, undefined, [1, 1])) > 0);
  assert.equal(maxAbsDiff(net.apply(x, t, undefined, [-1, -1]), net.apply(x, t)), 0);
  assertArgumentError(() => net.apply(x, t, undefined, [0, 3]), { fn: 'Mlp.apply', arg: 'labels[1]', value: 3 });
  assert.throws(() => net.apply(tf.zeros([2, 3]), t), (e: unknown) => e instanceof ShapeError && e.arg === 'x');
  assertArgumentError(() => makeMlp({ dim: 2, timeEmbedDim: 7 }, makeRng(0)), { fn: 'makeMlp', arg: 'timeEmbedDim', value: 7 });
});

test('EMA: θ⁻ ← μ·θ⁻ + (1 − μ)·θ', () => {
  const a = makeMlp({ dim: 2, hidden: 4, blocks: 0, timeEmbedDim: 4 }, makeRng(6));
  const b = makeMlp({ dim: 2, hidden: 4, blocks: 0, timeEmbedDim: 4 }, makeRng(7));
  const before = flatten(a.params);
  const online = flatten(b.params);
  emaUpdate(a.params, b.params, 0.95);
  const after = flatten(a.params);
  for (let i = 0; i < after.length; i++) assert.ok(Math.abs(after[i] - (0.95 * before[i] + 0.05 * online[i])) < 1e-6);
  assertArgumentError(() => emaUpdate(a.params, b.params, 1.5), { fn: 'emaUpdate', arg: 'mu', value: 1.5 });
  const n = tf.memory().numTensors;
  emaUpdate(a.params, b.params);
  assert.equal(tf.memory().numTensors, n);
  disposeParams(a.params);
  disposeParams(b.params);
});

test('a class-conditional network trains on the default backend (class-embedding gradients exist)', () => {
  const net = makeMlp({ dim: 2, hidden: 8, blocks: 1, timeEmbedDim: 8, numClasses: 3 }, makeRng(8));
  const x = tf.randomNormal([6, 2], 0, 1, 'float32', 1);
  const t = tf.tensor1d([1, 2, 3, 4, 5, 6]);
  const vars = [...net.params.values()];
  const { value, grads } = tf.variableGrads(() => net.apply(x, t, undefined, [0, 1, 2, -1, 0, 1]).square().mean() as tf.Scalar, vars);
  const emb = net.params.get('class_embedding')!;
  assert.ok(Number.isFinite(value.dataSync()[0]));
  assert.ok(grads[emb.name].abs().sum().dataSync()[0] > 0);
});

test('the γ-embedding scale multiplies g = 10 − 10γ (1000 in the code; smaller values give smooth features)', () => {
  const coded = gammaEmbedding(tf.tensor1d([0.5]), 8, 1).arraySync()[0];
  const v = 10 - 10 * 0.5;
  assert.ok(Math.abs(coded[0] - Math.sin(v)) < 1e-6);
  assert.ok(Math.abs(coded[4] - Math.cos(v)) < 1e-6);
  assertArgumentError(() => makeMlp({ dim: 2, gammaEmbedDim: 8, gammaEmbedScale: 0 }, makeRng(0)), { fn: 'makeMlp', arg: 'gammaEmbedScale', value: 0 });
});
