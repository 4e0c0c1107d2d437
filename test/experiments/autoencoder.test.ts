import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../lib/config.js';
import type { ImageSet } from '../../lib/data/fashion-mnist.js';
import { makeRng } from '../../lib/data/rng.js';
import { autoencoderSchema, type AutoencoderExperimentConfig } from '../../lib/experiments/autoencoder/config.js';
import { autoencoderKind } from '../../lib/experiments/autoencoder/index.js';
import { scaleOver, setupAutoencoder } from '../../lib/experiments/autoencoder/run.js';
import { sessionSteps } from './sessions.js';
import { ConfigError } from '../../lib/errors.js';
import { disposeParams, flatten } from '../../lib/nn/params.js';
import { setup } from '../helpers.js';

await setup();

/** 48 synthetic 28×28 images in [−1, 1]. */
function images(): ImageSet {
  const rng = makeRng(11);
  return { images: Float32Array.from(rng.normalArray(48 * 784), (v) => Math.tanh(v)), labels: Int32Array.from({ length: 48 }, (_, i) => i % 10), shape: [48, 28, 28, 1], classNames: Array.from({ length: 10 }, (_, i) => String(i)) };
}

const config = (over: Record<string, unknown> = {}): AutoencoderExperimentConfig =>
  parseConfig(autoencoderSchema, { kind: 'autoencoder', seed: 2, architecture: { channels1: 4, channels2: 8 }, train: { steps: 6, batch: 8 }, ...over }, 'test config');

test('resuming the autoencoder from its checkpoint gives exactly the uninterrupted run (weights, moments, batches, learning rate)', async () => {
  const c = config();
  const k = autoencoderKind;
  const run = (n: number, from?: Uint8Array) => sessionSteps(k, c, n, { from, data: images() });
  const straight = await run(6);
  const first = await run(2);
  const rest = await run(4, k.encode(first.t));
  assert.deepEqual([...first.losses, ...rest.losses], straight.losses);
  assert.deepEqual(flatten(rest.s.ae.params), flatten(straight.s.ae.params));
  assert.equal(rest.t.stepsDone, 6);
  for (const r of [straight, first, rest]) k.close(r.t);
});

test('the scale over a seeded batch of training images is reproducible, and close (not equal) across batches', async () => {
  const s = setupAutoencoder(config(), images());
  const a = await scaleOver(s.ae, s.train, 32, 5);
  const b = await scaleOver(s.ae, s.train, 32, 5);
  const other = await scaleOver(s.ae, s.train, 32, 6);
  assert.equal(a, b);
  assert.ok(a > 0 && Number.isFinite(a));
  assert.notEqual(a, other, 'another subset gives another (close) value');
  assert.ok(Math.abs(a / other - 1) < 0.2);
  disposeParams(s.ae.params);
  s.adam.dispose();
});

test('an unknown reconstruction loss is rejected, naming the field and the allowed values', () => {
  assert.throws(
    () => config({ loss: { reconstruction: 'huber' } }),
    (e: unknown) => e instanceof ConfigError && e.issues.some((i) => i.path === 'loss.reconstruction' && /l2/.test(i.allowed ?? '') && /l1/.test(i.allowed ?? '')),
  );
});
