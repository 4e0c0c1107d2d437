import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Adam } from '../../lib/train/adam.js';
import { decodeCheckpoint, encodeCheckpoint } from '../../lib/train/checkpoint.js';
import { NonFiniteLossError, trainLoop } from '../../lib/train/loop.js';
import { assertArgumentError, setup } from '../helpers.js';

await setup();

function scalarParam(v: number) {
  return new Map([['w', tf.variable(tf.tensor1d([v]))]]);
}

test('one Adam step moves a parameter by lr·sign(g) (bias-corrected m/√v = g/|g| at step 1)', () => {
  const params = scalarParam(3);
  const adam = new Adam(params, { lr: 0.1, gradClip: 0 });
  const r = adam.step(() => params.get('w')!.square().sum() as tf.Scalar);
  assert.equal(r.loss, 9);
  assert.ok(Math.abs(r.gradNorm - 6) < 1e-6);
  assert.ok(Math.abs(params.get('w')!.dataSync()[0] - (3 - 0.1 * (6 / (6 + 1e-8)))) < 1e-6);
});

test('AdamW minimises a quadratic, and weight decay is decoupled', () => {
  const params = scalarParam(2);
  const adam = new Adam(params, { lr: 0.05 });
  for (let i = 0; i < 400; i++) adam.step(() => params.get('w')!.sub(0.5).square().sum() as tf.Scalar);
  assert.ok(Math.abs(params.get('w')!.dataSync()[0] - 0.5) < 1e-2);
  const p2 = scalarParam(1);
  const decay = new Adam(p2, { lr: 0.1, weightDecay: 0.5, gradClip: 0 });
  decay.step(() => p2.get('w')!.mul(0).sum() as tf.Scalar); // zero gradient: only decay acts
  assert.ok(Math.abs(p2.get('w')!.dataSync()[0] - (1 - 0.1 * 0.5)) < 1e-6);
});

test('gradients are clipped to the global norm before the moments see them', () => {
  const params = new Map([['a', tf.variable(tf.tensor1d([3]))], ['b', tf.variable(tf.tensor1d([4]))]]);
  const adam = new Adam(params, { lr: 0.1, gradClip: 1 });
  const r = adam.step(() => tf.addN([params.get('a')!.mul(3), params.get('b')!.mul(4)]).sum() as tf.Scalar);
  assert.ok(Math.abs(r.gradNorm - 5) < 1e-6);
  // m = (1 − β1)·g·(1/5): Adam's step is still lr per coordinate at step 1, but the stored moment is clipped.
  assert.ok(Math.abs(adam.state.m.get('a')!.dataSync()[0] - 0.1 * 3 / 5) < 1e-6);
});

test('a non-finite loss leaves the parameters unchanged', () => {
  const params = scalarParam(1);
  const adam = new Adam(params, { lr: 0.1 });
  const r = adam.step(() => params.get('w')!.mul(NaN).sum() as tf.Scalar);
  assert.ok(Number.isNaN(r.loss));
  assert.equal(params.get('w')!.dataSync()[0], 1);
  assert.equal(adam.state.step, 0);
});

test('Adam rejects bad hyper-parameters by name', () => {
  assertArgumentError(() => new Adam(scalarParam(0), { lr: 0 }), { fn: 'Adam', arg: 'lr', value: 0 });
  assertArgumentError(() => new Adam(scalarParam(0), { beta2: 1 }), { fn: 'Adam', arg: 'beta2', value: 1 });
});

test('checkpoints round-trip meta and tensors exactly, and bad bytes are refused', () => {
  const bytes = encodeCheckpoint({ meta: { step: 7, note: 'x' }, tensors: [{ name: 'a/w', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }, { name: 'b', shape: [1], data: Float32Array.from([Math.PI]) }] });
  const ck = decodeCheckpoint<{ step: number; note: string }>(bytes);
  assert.deepEqual(ck.meta, { step: 7, note: 'x' });
  assert.deepEqual(Array.from(ck.tensors[0].data), [1, 2, 3, 4, 5, 6]);
  assert.equal(ck.tensors[1].data[0], Math.fround(Math.PI));
  assertArgumentError(() => decodeCheckpoint(Buffer.from('not a checkpoint')), { fn: 'decodeCheckpoint', arg: 'bytes' });
  assertArgumentError(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 4)), { fn: 'decodeCheckpoint', arg: 'bytes' });
});

test('a NaN loss stops the loop with the step, the key and the last good checkpoint', async () => {
  const saved: number[] = [];
  await assert.rejects(
    trainLoop({ startStep: 0, totalSteps: 10, step: (i) => ({ loss: i === 5 ? NaN : 1 / (i + 1) }), checkpointEvery: 2, checkpoint: async (d) => void saved.push(d) }),
    (e: unknown) => e instanceof NonFiniteLossError && e.step === 6 && e.key === 'loss' && e.lastCheckpointStep === 4 && /at step 6: loss is NaN/.test(e.message),
  );
  assert.deepEqual(saved, [2, 4]);
});

test('the loop checkpoints on schedule and at the end, logs averages, and stops on request with a checkpoint', async () => {
  const saved: number[] = [];
  const logs: [number, number][] = [];
  const r = await trainLoop({ startStep: 3, totalSteps: 10, step: (i) => ({ loss: i }), logEvery: 4, log: (s, m) => logs.push([s, m.loss]), checkpointEvery: 5, checkpoint: async (d) => void saved.push(d) });
  assert.equal(r.stepsDone, 10);
  assert.deepEqual(saved, [5, 10]);
  assert.deepEqual(logs, [[7, 4.5], [10, 8]]);
  let n = 0;
  const r2 = await trainLoop({ startStep: 0, totalSteps: 100, step: () => ({ loss: 1 }), checkpoint: async (d) => void saved.push(d), shouldStop: () => ++n >= 3 });
  assert.equal(r2.stopped, true);
  assert.equal(r2.stepsDone, 3);
  assert.equal(saved.at(-1), 3);
});

test('steps that return their loss as tensors (WebGPU) log the same averages and checkpoints, read a window at a time, and leak nothing', async () => {
  const lazy = (i: number) => ({ loss: tf.scalar(i), gradNorm: tf.scalar(2 * i) });
  const before = tf.memory().numTensors;
  const saved: number[] = [];
  const logs: [number, number, number][] = [];
  const r = await trainLoop({ startStep: 3, totalSteps: 10, step: lazy, logEvery: 4, log: (s, m) => logs.push([s, m.loss, m.gradNorm]), checkpointEvery: 5, checkpoint: async (d) => void saved.push(d) });
  assert.equal(r.stepsDone, 10);
  assert.deepEqual(saved, [5, 10]);
  assert.deepEqual(logs, [[7, 4.5, 9], [10, 8, 16]]);
  assert.deepEqual(r.lastMetrics, { loss: 9, gradNorm: 18 });
  assert.equal(tf.memory().numTensors, before);
});

test('a NaN loss in a tensor step still names its own step, and no checkpoint is written after it', async () => {
  const saved: number[] = [];
  const before = tf.memory().numTensors;
  await assert.rejects(
    trainLoop({ startStep: 0, totalSteps: 20, logEvery: 10, step: (i) => ({ loss: tf.scalar(i === 5 ? NaN : 1 / (i + 1)) }), checkpointEvery: 4, checkpoint: async (d) => void saved.push(d) }),
    (e: unknown) => e instanceof NonFiniteLossError && e.step === 6 && e.key === 'loss' && e.lastCheckpointStep === 4,
  );
  assert.deepEqual(saved, [4]);
  assert.equal(tf.memory().numTensors, before);
});

test('Adam.stepLazy is Adam.step where the backend reads synchronously (numbers, the same update)', () => {
  const a = scalarParam(1);
  const b = scalarParam(1);
  const ra = new Adam(a, { lr: 0.1 }).step(() => a.get('w')!.square().sum() as tf.Scalar);
  const rb = new Adam(b, { lr: 0.1 }).stepLazy(() => b.get('w')!.square().sum() as tf.Scalar);
  assert.deepEqual(rb, ra);
  assert.equal(b.get('w')!.dataSync()[0], a.get('w')!.dataSync()[0]);
});
