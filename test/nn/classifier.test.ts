import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { makeRng } from '../../lib/data/rng.js';
import { applyBatched, crossEntropy, makeClassifier } from '../../lib/nn/classifier.js';
import { countParams, flatten } from '../../lib/nn/params.js';
import { ShapeError } from '../../lib/errors.js';
import { assertArgumentError, maxAbsDiff, setup } from '../helpers.js';

await setup();

const images = (n: number, seed: number) => tf.tensor4d(Float32Array.from(makeRng(seed).normalArray(n * 784), (v) => Math.tanh(v)), [n, 28, 28, 1]);

test('default 28×28×1 classifier: logits [B, 10], features [B, 128], 32/64 channels, parameter count by layer', () => {
  const net = makeClassifier({}, makeRng(0));
  const x = images(3, 1);
  assert.deepEqual(net.logits(x).shape, [3, 10]);
  assert.deepEqual(net.features(x).shape, [3, 128]);
  const conv = (cin: number, cout: number) => 9 * cin * cout + cout;
  assert.equal(countParams(net.params), conv(1, 32) + conv(32, 64) + (7 * 7 * 64 * 128 + 128) + (128 * 10 + 10));
  assert.deepEqual([...net.params.keys()], ['conv1.weight', 'conv1.bias', 'conv2.weight', 'conv2.bias', 'fc.weight', 'fc.bias', 'out.weight', 'out.bias']);
});

test('features are the penultimate layer: post-ReLU (≥ 0), and logits = features·W_out + b_out', () => {
  const net = makeClassifier({ conv1: 4, conv2: 8, features: 16 }, makeRng(2));
  const x = images(5, 3);
  const f = net.features(x);
  assert.deepEqual(f.shape, [5, 16]);
  assert.ok(f.dataSync().every((v) => v >= 0));
  assert.ok(f.dataSync().some((v) => v > 0));
  const byHand = tf.matMul(f, net.params.get('out.weight')! as tf.Tensor2D).add(net.params.get('out.bias')!);
  assert.ok(maxAbsDiff(net.logits(x), byHand) < 1e-5);
});

test('the same seed builds the same weights; another seed other weights', () => {
  const a = makeClassifier({ conv1: 4, conv2: 8, features: 16 }, makeRng(7));
  const b = makeClassifier({ conv1: 4, conv2: 8, features: 16 }, makeRng(7));
  const c = makeClassifier({ conv1: 4, conv2: 8, features: 16 }, makeRng(8));
  assert.deepEqual(flatten(a.params), flatten(b.params));
  assert.notDeepEqual(flatten(a.params), flatten(c.params));
  // PyTorch's default init: conv1 weights within ±1/√(9·1), fc within ±1/√(7·7·8).
  assert.ok(a.params.get('conv1.weight')!.dataSync().every((v) => Math.abs(v) <= 1 / 3));
  assert.ok(a.params.get('fc.weight')!.dataSync().every((v) => Math.abs(v) <= 1 / Math.sqrt(392)));
});

test('crossEntropy is −mean log softmax at the label (hand-computed for 2 rows)', () => {
  const logits = tf.tensor2d([
    [1, 2, 3],
    [0, 0, 0],
  ]);
  const lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
  const want = -((2 - lse) + -Math.log(3)) / 2;
  assert.ok(Math.abs(crossEntropy(logits, [1, 0]).dataSync()[0] - want) < 1e-6);
  assert.throws(() => crossEntropy(logits, [1]), (e: unknown) => e instanceof ShapeError && e.arg === 'labels');
});

test('applyBatched over odd batch sizes equals one pass; the tensor count stays flat', () => {
  const net = makeClassifier({ conv1: 4, conv2: 8, features: 16 }, makeRng(4));
  const x = images(7, 5);
  const data = x.dataSync() as Float32Array;
  const once = net.features(x);
  const batched = applyBatched((t) => net.features(t), data, [7, 28, 28, 1], 3);
  assert.ok(maxAbsDiff(once, batched) < 1e-6);
  batched.dispose();
  const before = tf.memory().numTensors;
  applyBatched((t) => net.logits(t), data, [7, 28, 28, 1], 2).dispose();
  tf.dispose(net.logits(x));
  assert.equal(tf.memory().numTensors, before);
});

test('rejects a wrong input shape and bad config fields, naming them', () => {
  const net = makeClassifier({ conv1: 4, conv2: 8, features: 16 }, makeRng(6));
  assert.throws(() => net.logits(tf.zeros([2, 28, 28, 3]) as tf.Tensor4D), (e: unknown) => e instanceof ShapeError && e.fn === 'Classifier.logits' && e.arg === 'x');
  assertArgumentError(() => makeClassifier({ height: 30 }, makeRng(0)), { fn: 'makeClassifier', arg: 'height', value: 30 });
  assertArgumentError(() => makeClassifier({ features: 0 }, makeRng(0)), { fn: 'makeClassifier', arg: 'features', value: 0 });
  assertArgumentError(() => makeClassifier({ numClasses: 1 }, makeRng(0)), { fn: 'makeClassifier', arg: 'numClasses', value: 1 });
});
