/** The latent teacher's training state on the committed autoencoder's latents (needs the installed Fashion-MNIST). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../lib/config.js';
import { fashionMnistDir } from '../../lib/data/fashion-mnist.js';
import { latentTeacherSchema } from '../../lib/experiments/latent-teacher/config.js';
import { latentTeacherKind } from '../../lib/experiments/latent-teacher/index.js';
import { disposeLatentTeacher, setupLatentTeacher } from '../../lib/experiments/latent-teacher/run.js';
import { sessionSteps } from './sessions.js';
import { flatten } from '../../lib/nn/params.js';
import { setup } from '../helpers.js';

await setup();

const installed = existsSync(join(fashionMnistDir(), 'train-images-idx3-ubyte.gz')) || existsSync(join(fashionMnistDir(), 'train-images-idx3-ubyte'));
const skip = installed ? false : `no Fashion-MNIST at ${fashionMnistDir()}`;

const config = parseConfig(
  latentTeacherSchema,
  {
    kind: 'latent-teacher',
    seed: 4,
    data: { trainLimit: 128 },
    architecture: { baseChannels: 8, channelMults: [1, 2], groups: 4, timeEmbedDim: 8, timeHidden: 16 },
    train: { steps: 6, batch: 16 },
  },
  'test config',
);

test('the teacher trains on scaled latents of unit variance (s = 1/std from the autoencoder file)', { skip }, async () => {
  const s = await setupLatentTeacher(config);
  const v = s.latents.images;
  let mean = 0;
  for (const x of v) mean += x;
  mean /= v.length;
  let sq = 0;
  for (const x of v) sq += (x - mean) ** 2;
  const std = Math.sqrt(sq / v.length);
  assert.deepEqual(s.latents.shape, [128, 7, 7, 4]);
  assert.ok(Math.abs(std - 1) < 0.15, `std of the scaled latents ${std} (s was computed on another batch of 1,024 images)`);
  disposeLatentTeacher(s);
});

test('resuming the latent teacher from its checkpoint gives exactly the uninterrupted run, EMA included', { skip }, async () => {
  const k = latentTeacherKind;
  const run = (n: number, from?: Uint8Array) => sessionSteps(k, config, n, { from });
  const straight = await run(6);
  const first = await run(3);
  const rest = await run(3, k.encode(first.t));
  assert.deepEqual([...first.losses, ...rest.losses], straight.losses);
  assert.deepEqual(flatten(rest.s.net.params), flatten(straight.s.net.params));
  assert.deepEqual(flatten(rest.s.ema.params), flatten(straight.s.ema.params));
  assert.equal(rest.t.stepsDone, 6);
  [straight, first, rest].forEach((r) => k.close(r.t));
});
