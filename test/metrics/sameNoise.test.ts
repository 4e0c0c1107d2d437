import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { sameNoiseError } from '../../lib/metrics/sameNoise.js';
import { perSampleRms, stat } from '../../lib/metrics/per-sample.js';
import { makeRng } from '../../lib/data/rng.js';
import { setup } from '../helpers.js';
import { assertShapeError } from './shape-error.js';

await setup();
const rng = makeRng(3);

test('sameNoiseError of a batch with itself is exactly 0 for every sample', () => {
  const a = tf.tensor2d(rng.normalArray(64 * 3), [64, 3]);
  const e = sameNoiseError(a, a);
  assert.deepEqual(e.perSample, new Array(64).fill(0));
  assert.deepEqual([e.mean, e.std, e.max], [0, 0, 0]);
  a.dispose();
});

test('sameNoiseError of a constant offset c on [B, H, W, C] is |c| per sample (RMS, not norm)', () => {
  const a = tf.tensor4d(rng.normalArray(5 * 4 * 4 * 2), [5, 4, 4, 2]);
  const b = a.add(0.25);
  const e = sameNoiseError(a, b);
  assert.equal(e.perSample.length, 5);
  for (const v of e.perSample) assert.ok(Math.abs(v - 0.25) < 1e-6, `${v}`);
  assert.ok(Math.abs(e.mean - 0.25) < 1e-6 && e.std < 1e-6);
  tf.dispose([a, b]);
});

test('sameNoiseError equals stat(perSampleRms) of lib/splam, plus the per-sample list', () => {
  const a = tf.tensor2d(rng.normalArray(32 * 2), [32, 2]);
  const b = tf.tensor2d(rng.normalArray(32 * 2), [32, 2]);
  const per = perSampleRms(a, b);
  assert.deepEqual(sameNoiseError(a, b), { ...stat(per), perSample: per });
  tf.dispose([a, b]);
});

test('sameNoiseError rejects mismatched shapes and an empty batch, naming the argument', () => {
  const a = tf.zeros([4, 2]);
  const b = tf.zeros([4, 3]);
  const c = tf.zeros([3, 2]);
  const empty = tf.zeros([0, 2]);
  assertShapeError(() => sameNoiseError(a, b), { fn: 'sameNoiseError', arg: 'b', got: [4, 3] });
  assertShapeError(() => sameNoiseError(a, c), { fn: 'sameNoiseError', arg: 'b', got: [3, 2] });
  assertShapeError(() => sameNoiseError(empty, empty), { fn: 'sameNoiseError', arg: 'a', got: [0, 2] });
  tf.dispose([a, b, c, empty]);
});

test('sameNoiseError leaves the tensor count flat', () => {
  const a = tf.tensor2d(rng.normalArray(16 * 2), [16, 2]);
  const b = tf.zerosLike(a);
  sameNoiseError(a, b);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) sameNoiseError(a, b);
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([a, b]);
});
