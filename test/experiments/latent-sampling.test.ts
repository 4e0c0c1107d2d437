import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { makeRng } from '../../lib/data/rng.js';
import { makeSchedule } from '../../lib/diffusion/schedules.js';
import { slug } from '../../lib/experiments/image-eval/run.js';
import { latentNoise, sameNoiseError, sampleAll, studentSampler, teacherSampler } from '../../lib/experiments/latent-sampling.js';
import { disposeParams } from '../../lib/nn/params.js';
import { makeUnet } from '../../lib/nn/unet.js';
import { solverGrid } from '../../lib/splam/grid.js';
import { maxAbsDiff, setup } from '../helpers.js';

await setup();

const UNET = { height: 7, width: 7, channels: 4, baseChannels: 8, channelMults: [1, 2], groups: 4, timeEmbedDim: 8, timeHidden: 16, numClasses: 10 };

test('the same-noise error is the mean over samples of each sample’s RMS difference', () => {
  const a = new Float32Array([0, 0, 0, 0, 0, 0, 0, 0]);
  const b = new Float32Array([1, -1, 1, -1, 3, 3, 3, 3]);
  assert.equal(sameNoiseError(a, b, 2), 2);
  assert.equal(sameNoiseError(b, b, 2), 0);
});

test('evaluation noise is fixed by its seed, and its labels are class-balanced (sample i has label i mod K)', () => {
  const a = latentNoise(25, [7, 7, 4], 10, 3);
  const b = latentNoise(25, [7, 7, 4], 10, 3);
  const c = latentNoise(25, [7, 7, 4], 10, 4);
  assert.deepEqual(a.xT, b.xT);
  assert.notDeepEqual(a.xT, c.xT);
  assert.deepEqual(a.shape, [25, 7, 7, 4]);
  assert.equal(a.xT.length, 25 * 196);
  assert.deepEqual(a.labels.slice(8, 13), [8, 9, 0, 1, 2]);
  assert.deepEqual(latentNoise(4, [7, 7, 4], 0, 3).labels, [], 'no labels for an unconditional model');
});

test('a guided teacher costs two network evaluations per solver step, the conditional one (w = 0) one', () => {
  const net = makeUnet(UNET, makeRng(0));
  const schedule = makeSchedule({ name: 'scaled-linear' });
  assert.equal(teacherSampler(net, schedule, { solver: 'ddim', steps: 5, w: 2, conditional: true }).nfe, 10);
  assert.equal(teacherSampler(net, schedule, { solver: 'ddim', steps: 5, w: 0, conditional: true }).nfe, 5);
  assert.equal(studentSampler(net, schedule, solverGrid(1000, 50), { steps: 4, method: 'SPLAM', seed: 0 }).nfe, 4);
  disposeParams(net.params);
});

test('sampling in chunks gives the samples of one call (the solvers act per sample) and leaks no tensor', async () => {
  const net = makeUnet(UNET, makeRng(1));
  const schedule = makeSchedule({ name: 'scaled-linear' });
  const noise = latentNoise(6, [7, 7, 4], 10, 5);
  const s = teacherSampler(net, schedule, { solver: 'dpmpp2m', steps: 3, w: 1.5, conditional: true });
  const before = tf.memory().numTensors;
  const chunked = await sampleAll(s, noise, 4);
  const whole = await sampleAll(s, noise, 6);
  assert.equal(tf.memory().numTensors, before, 'no tensor outlives a call');
  assert.ok(maxAbsDiff(chunked, whole) < 1e-4);
  disposeParams(net.params);
});

test('a student under implied noise is the deterministic chain: one step equals fresh noise, more steps do not depend on the seed', async () => {
  const net = makeUnet(UNET, makeRng(2));
  const schedule = makeSchedule({ name: 'scaled-linear' });
  const grid = solverGrid(1000, 50);
  const noise = latentNoise(4, [7, 7, 4], 10, 6);
  const at = (steps: number, seed: number, kind?: 'fresh' | 'implied') => studentSampler(net, schedule, grid, { steps, method: 'S', seed, noise: kind });
  assert.deepEqual(await sampleAll(at(1, 0, 'implied'), noise), await sampleAll(at(1, 0), noise), 'one step: nothing is re-noised');
  const det = await sampleAll(at(3, 0, 'implied'), noise);
  assert.deepEqual(await sampleAll(at(3, 9, 'implied'), noise), det, 'no fresh noise is drawn');
  assert.ok(maxAbsDiff(await sampleAll(at(3, 0), noise), det) > 1e-3, 'fresh noise gives other samples');
  assert.equal(at(3, 0, 'implied').noise, 'implied');
  assert.equal(at(3, 0).noise, undefined, 'fresh-noise samplers (and their rows) carry no noise field');
  disposeParams(net.params);
});

test('row labels become summary-key prefixes', () => {
  assert.equal(slug('teacher DDIM (w=2)'), 'teacher_ddim_w_2');
  assert.equal(slug('teacher DPM-Solver++ (w=1.5)'), 'teacher_dpm_solver_w_1_5');
  assert.equal(slug('SPLAM'), 'splam');
});
