import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { makeRng } from '../../lib/data/rng.js';
import { ArgumentError, ShapeError } from '../../lib/errors.js';
import { latentScale, makeAutoencoder, mapBatched } from '../../lib/nn/autoencoder.js';
import { disposeParams } from '../../lib/nn/params.js';
import { Adam } from '../../lib/train/adam.js';
import { assertArgumentError, setup } from '../helpers.js';

await setup();

const SMALL = { channels1: 4, channels2: 8, latentChannels: 4 };

test('the autoencoder maps 28×28×1 images to a 7×7×4 latent and back to 28×28×1', () => {
  const ae = makeAutoencoder(SMALL, makeRng(0));
  const x = tf.randomUniform([3, 28, 28, 1], -1, 1) as tf.Tensor4D;
  const z = ae.encode(x);
  const y = ae.decode(z);
  assert.deepEqual(ae.latentShape, [7, 7, 4]);
  assert.deepEqual(z.shape, [3, 7, 7, 4]);
  assert.deepEqual(y.shape, [3, 28, 28, 1]);
  tf.dispose([x, z, y]);
  disposeParams(ae.params);
});

test('encode and decode reject tensors of the wrong shape with a ShapeError naming the argument', () => {
  const ae = makeAutoencoder(SMALL, makeRng(0));
  const bad = tf.zeros([2, 14, 14, 1]) as tf.Tensor4D;
  assert.throws(() => ae.encode(bad), (e: unknown) => e instanceof ShapeError && e.arg === 'x' && e.got.join() === '2,14,14,1');
  assert.throws(() => ae.decode(bad), (e: unknown) => e instanceof ShapeError && e.arg === 'z');
  bad.dispose();
  disposeParams(ae.params);
});

test('an image size that two 2×2 downsamplings cannot halve is rejected, naming the field', () => {
  assertArgumentError(() => makeAutoencoder({ height: 30 }, makeRng(0)), { fn: 'makeAutoencoder', arg: 'height', value: 30 });
});

test('the latent scale is 1/std over every element (population std about the mean), as Stable Diffusion chose 0.18215', async () => {
  const cases: [number[], number][] = [
    [[-2, 2, -2, 2], 0.5], // mean 0, std 2
    [[1, 3, 1, 3, 1, 3], 1], // mean 2, std 1: the mean does not count
    [[10, 10, 10, 18], 1 / Math.sqrt(12)], // mean 12, variance (3·4 + 36)/4 = 12
  ];
  for (const [values, want] of cases) {
    const z = tf.tensor(values, [values.length / 2, 2]);
    const got = await latentScale(z);
    assert.ok(Math.abs(got - want) < 1e-6, `${values}: ${got} vs ${want}`);
    assert.equal(await latentScale(values), got, 'host values give the same scale as a tensor');
    z.dispose();
  }
  // Scaled latents have unit variance.
  const z = tf.randomNormal([64, 7, 7, 4], 0.3, 2.5);
  const s = await latentScale(z);
  const scaled = z.mul(s);
  const { variance } = tf.moments(scaled);
  assert.ok(Math.abs(variance.dataSync()[0] - 1) < 1e-4);
  tf.dispose([z, scaled, variance]);
});

test('constant latents have no scale: ArgumentError', async () => {
  const z = tf.fill([4, 2], 3);
  await assert.rejects(latentScale(z), (e: unknown) => e instanceof ArgumentError && e.fn === 'latentScale' && e.arg === 'z');
  z.dispose();
});

test('mapBatched gives the same values as one call over the whole array, whatever the batch', async () => {
  const ae = makeAutoencoder(SMALL, makeRng(1));
  const rng = makeRng(2);
  const images = Float32Array.from(rng.normalArray(5 * 28 * 28));
  const whole = tf.tidy(() => ae.encode(tf.tensor4d(images, [5, 28, 28, 1])).dataSync());
  const parts = await mapBatched((x) => ae.encode(x), images, [28, 28, 1], 2);
  assert.equal(parts.length, whole.length);
  for (let i = 0; i < parts.length; i++) assert.ok(Math.abs(parts[i] - whole[i]) < 1e-5);
  disposeParams(ae.params);
});

test('training lowers the reconstruction error of a fixed batch, and the tensor count stays flat', () => {
  const ae = makeAutoencoder(SMALL, makeRng(3));
  // Eight structured images (centred boxes of different sizes, background −1): compressible, unlike white noise.
  const images = new Float32Array(8 * 28 * 28).fill(-1);
  for (let b = 0; b < 8; b++) for (let i = 14 - b - 3; i < 14 + b + 3; i++) for (let j = 14 - 2 * b; j < 14 + 2 * b + 1; j++) images[(b * 28 + i) * 28 + j] = 0.8;
  const x = tf.tensor4d(images, [8, 28, 28, 1]);
  const adam = new Adam(ae.params, { lr: 3e-3 });
  const loss = () => tf.tidy(() => ae.decode(ae.encode(x)).sub(x).square().mean() as tf.Scalar);
  const before = tf.tidy(() => loss().dataSync()[0]);
  adam.step(loss);
  const count = tf.memory().numTensors;
  for (let i = 0; i < 30; i++) adam.step(loss);
  assert.equal(tf.memory().numTensors, count);
  const after = tf.tidy(() => loss().dataSync()[0]);
  assert.ok(after < 0.5 * before, `loss ${before} → ${after}`);
  x.dispose();
  adam.dispose();
  disposeParams(ae.params);
});
