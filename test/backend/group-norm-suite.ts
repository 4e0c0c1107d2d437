/**
 * GroupNorm cases every backend with the fused GroupNorm kernels (`wasm`: JS on the heap; `native`: the addon) must
 * pass: values and gradients for x, γ, β against the same formula composed from tfjs ops on cpu (protocol:
 * ./cpu-oracle.ts), and argument errors that name the argument. Called by the backend's test file after it
 * initialised that backend.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { GROUP_NORM_GRAD_KERNEL, GROUP_NORM_KERNEL } from '../../lib/backend/kernels/group-norm.js';
import { ArgumentError, ShapeError } from '../../lib/errors.js';
import { composedGroupNorm, groupNorm, hasFusedGroupNorm } from '../../lib/nn/groupnorm.js';
import { assertMatchesCpu, inputs, make } from './cpu-oracle.js';

/** Define the shared GroupNorm cases as tests of the calling file. */
export function groupNormSuite(): void {
  const input = inputs(300);

for (const c of [
  { x: [2, 5, 5, 8], groups: 4, offset: 0 },
  { x: [3, 4, 4, 6], groups: 3, offset: 3 },
  { x: [2, 3, 3, 4], groups: 1, offset: 0 },
  { x: [2, 6, 2, 5], groups: 5, offset: -2 },
  { x: [16, 14, 14, 64], groups: 8, offset: 1 },
]) {
  test(`fused GroupNorm x=[${c.x}] G=${c.groups} (values offset by ${c.offset}): value and gradients for x, γ, β match composed ops on cpu`, async () => {
    const x = input(c.x, c.offset);
    const C = c.x[3];
    const gamma = input([C], 1);
    const beta = input([C]);
    await tf.setBackend('wasm');
    assert.ok(hasFusedGroupNorm(), 'the fused kernels are registered on wasm');
    const r = input(c.x);
    const run = (fn: typeof groupNorm) => () => {
      const xs = [x, gamma, beta].map(make);
      const f = (xt: tf.Tensor, gt: tf.Tensor, bt: tf.Tensor) => fn(xt as tf.Tensor4D, gt as tf.Tensor1D, bt as tf.Tensor1D, c.groups);
      const grads = tf.grads((xt: tf.Tensor, gt: tf.Tensor, bt: tf.Tensor) => tf.sum(tf.mul(f(xt, gt, bt), make(r))) as tf.Scalar)(xs);
      return [f(xs[0], xs[1], xs[2]), ...grads];
    };
    await assertMatchesCpu('groupNorm', run(composedGroupNorm), run(groupNorm));
  });
}

test('GroupNorm kernels reject groups that do not divide C and mis-shaped γ, dy and statistics, naming the argument', async () => {
  await tf.setBackend('wasm');
  const x = tf.zeros([2, 3, 3, 6]);
  const gamma = tf.ones([6]);
  const beta = tf.zeros([6]);
  assert.throws(
    () => tf.engine().runKernel(GROUP_NORM_KERNEL, { x, gamma, beta }, { groups: 4, epsilon: 1e-5 }),
    (e: unknown) => e instanceof ArgumentError && e.arg === 'groups' && e.value === 4,
  );
  assert.throws(
    () => tf.engine().runKernel(GROUP_NORM_KERNEL, { x, gamma: tf.ones([5]), beta }, { groups: 3, epsilon: 1e-5 }),
    (e: unknown) => e instanceof ShapeError && e.arg === 'gamma',
  );
  const mean = tf.zeros([2, 3]);
  const rstd = tf.ones([2, 3]);
  assert.throws(
    () => tf.engine().runKernel(GROUP_NORM_GRAD_KERNEL, { dy: tf.zeros([2, 3, 3, 5]), x, gamma, mean, rstd }, { groups: 3 }),
    (e: unknown) => e instanceof ShapeError && e.arg === 'dy',
  );
  assert.throws(
    () => tf.engine().runKernel(GROUP_NORM_GRAD_KERNEL, { dy: x, x, gamma, mean: tf.zeros([2, 2]), rstd }, { groups: 3 }),
    (e: unknown) => e instanceof ShapeError && e.arg === 'mean',
  );
});
}
