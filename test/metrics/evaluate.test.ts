import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { makeMixture, sampleMixture } from '../../lib/analytic/mixture.js';
import { makeRng } from '../../lib/data/rng.js';
import {
  evaluateSamples,
  meanLogDensity,
  mmd,
  modeCoverage,
  sameNoiseError,
  slicedWasserstein2,
} from '../../lib/metrics/index.js';
import { assertArgumentError, setup } from '../helpers.js';
import { assertShapeError } from './shape-error.js';

await setup();
const m = makeMixture({ weights: [1, 1, 2], means: [[-3, 0], [3, 0], [0, 3]], variances: [0.3, 0.3, [0.2, 0.5]] });
const { x: samples } = sampleMixture(m, 400, 1);
const { x: reference } = sampleMixture(m, 300, 2);
const endpoints = samples.add(0.1) as tf.Tensor2D;

test('evaluateSamples with reference, endpoints and mixture equals the individual metrics, seeded by split streams', () => {
  const r = evaluateSamples(samples, { reference, endpoints, mixture: m, seed: 9 });
  const root = makeRng(9);
  const sw2Rng = root.split();
  const mmdRng = root.split();
  const e = sameNoiseError(samples, endpoints);
  const k = mmd(samples, reference, { rng: mmdRng });
  const c = modeCoverage(m, samples);
  assert.deepEqual(r, {
    n: 400,
    sameNoiseMean: e.mean,
    sameNoiseStd: e.std,
    sameNoiseMax: e.max,
    sw2: slicedWasserstein2(samples, reference, { rng: sw2Rng }),
    mmd2: k.mmd2,
    mmdBandwidth: k.bandwidths[0],
    coverage: c.coverage,
    highQuality: c.highQuality,
    modeKl: c.kl,
    logDensity: meanLogDensity(m, samples),
  });
  assert.ok(Math.abs(r.sameNoiseMean! - 0.1) < 1e-6);
  assert.equal(r.coverage, 1);
});

test('evaluateSamples returns only the groups whose inputs are given, as plain JSON numbers, deterministically', () => {
  assert.deepEqual(evaluateSamples(samples), { n: 400 });
  const onlyMixture = evaluateSamples(samples, { mixture: m });
  assert.deepEqual(Object.keys(onlyMixture).sort(), ['coverage', 'highQuality', 'logDensity', 'modeKl', 'n']);
  const a = evaluateSamples(samples, { reference, sw2: { projections: 64 } });
  assert.deepEqual(Object.keys(a).sort(), ['mmd2', 'mmdBandwidth', 'n', 'sw2']);
  assert.deepEqual(JSON.parse(JSON.stringify(a)), a);
  assert.deepEqual(evaluateSamples(samples, { reference, sw2: { projections: 64 } }), a, 'default seed 0, deterministic');
  for (const v of Object.values(a)) assert.equal(typeof v, 'number');
});

test('evaluateSamples rejects bad samples and seeds, and passes on the metrics’ own errors', () => {
  const flat = tf.zeros([4]) as unknown as tf.Tensor2D;
  const other = tf.zeros([10, 3]) as tf.Tensor2D;
  assertShapeError(() => evaluateSamples(flat), { fn: 'evaluateSamples', arg: 'samples', got: [4] });
  assertArgumentError(() => evaluateSamples(samples, { seed: 0.5 }), { fn: 'evaluateSamples', arg: 'seed', value: 0.5 });
  assertShapeError(() => evaluateSamples(samples, { reference: other }), { fn: 'slicedWasserstein2', arg: 'y', got: [10, 3] });
  assertShapeError(() => evaluateSamples(samples, { endpoints: reference }), { fn: 'sameNoiseError', arg: 'b', got: [300, 2] });
  assertShapeError(() => evaluateSamples(other, { mixture: m }), { fn: 'modeCoverage', arg: 'x', got: [10, 3] });
  tf.dispose([flat, other]);
});

test('evaluateSamples leaves the tensor count flat', () => {
  evaluateSamples(samples, { reference, endpoints, mixture: m });
  const before = tf.memory().numTensors;
  for (let i = 0; i < 2; i++) evaluateSamples(samples, { reference, endpoints, mixture: m, seed: i });
  assert.equal(tf.memory().numTensors, before);
});
