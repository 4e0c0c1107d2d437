/**
 * The fused AdamW kernels (lib/backend/kernels/adamw.ts, on wasm and native) against the composed tfjs ops that
 * every other backend runs (lib/train/adam.ts): the same five steps from the same start, with clipping and weight
 * decay active, agree to float32 rounding.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend.js';
import { ADAMW_KERNEL, SUM_SQUARES_KERNEL } from '../../lib/backend/kernels/adamw.js';
import { ArgumentError, ShapeError } from '../../lib/errors.js';
import { Adam, hasFusedAdamW } from '../../lib/train/adam.js';
import { inputs } from '../backend/cpu-oracle.js';

const info = await initBackend('wasm');
const input = inputs(900);
const w1 = input([6, 5]);
const b1 = input([5]);
const w2 = input([5, 3]);
const x = input([8, 6]);
const y = input([8, 3]);

/** Five AdamW steps on a two-layer net on `backend`; returns the final params, moments and the reported norms. */
async function fiveSteps(backend: 'cpu' | 'wasm') {
  await tf.setBackend(backend);
  const params = new Map([
    ['w1', tf.variable(tf.tensor(w1.data, w1.shape))],
    ['b1', tf.variable(tf.tensor(b1.data, b1.shape))],
    ['w2', tf.variable(tf.tensor(w2.data, w2.shape))],
  ]);
  const fused = hasFusedAdamW();
  const adam = new Adam(params, { lr: 0.05, weightDecay: 0.1, gradClip: 0.5 });
  const xt = tf.tensor2d(x.data, [8, 6]);
  const yt = tf.tensor(y.data, y.shape);
  const norms: number[] = [];
  for (let i = 0; i < 5; i++) {
    const r = adam.step(() => {
      const h = tf.tanh(tf.add(tf.matMul(xt, params.get('w1') as tf.Tensor2D), params.get('b1')!));
      return tf.losses.meanSquaredError(yt, tf.matMul(h, params.get('w2') as tf.Tensor2D)) as tf.Scalar;
    });
    norms.push(r.gradNorm);
  }
  const read = (m: Map<string, tf.Variable>) => [...m.values()].map((v) => Float32Array.from(v.dataSync()));
  const out = { fused, params: read(params), m: read(adam.state.m), v: read(adam.state.v), norms };
  adam.dispose();
  tf.dispose([...params.values(), xt, yt]);
  return out;
}

test('five fused AdamW steps on wasm equal five composed steps on cpu to 1e-5 (params, m, v, gradient norms)', async () => {
  assert.equal(info.tfBackend, 'wasm');
  const cpu = await fiveSteps('cpu');
  const wasm = await fiveSteps('wasm');
  assert.equal(cpu.fused, false, 'cpu composes AdamW from ops');
  assert.equal(wasm.fused, true, 'wasm runs the fused kernels');
  assert.ok(wasm.norms.some((n) => n > 0.5), 'clipping was active in at least one step');
  for (const key of ['params', 'm', 'v'] as const) {
    cpu[key].forEach((c, i) => {
      const w = wasm[key][i];
      const scale = Math.max(...c.map(Math.abs), 1e-30);
      const err = Math.max(...c.map((v, j) => Math.abs(v - w[j]))) / scale;
      assert.ok(err < 1e-5, `${key}[${i}]: relative error ${err}`);
    });
  }
  cpu.norms.forEach((n, i) => assert.ok(Math.abs(n - wasm.norms[i]) < 1e-5 * n, `norm ${i}: ${n} vs ${wasm.norms[i]}`));
});

test('SplamSumSquares sums the squares of every input in float64; SplamAdamW refuses mismatched shapes naming the input', async () => {
  await tf.setBackend('wasm');
  const a = tf.tensor1d([1, 2, 3]);
  const b = tf.tensor2d([[4], [5]]);
  const s = tf.engine().runKernel(SUM_SQUARES_KERNEL, { x0: a, x1: b }, {}) as tf.Tensor;
  assert.equal(s.dataSync()[0], 1 + 4 + 9 + 16 + 25);
  const attrs = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, scale: 1, bc1: 0.1, bc2: 0.001 };
  assert.throws(
    () => tf.engine().runKernel(ADAMW_KERNEL, { param: a, grad: a, m: a, v: b }, attrs),
    (e: unknown) => e instanceof ShapeError && e.arg === 'v',
  );
  assert.throws(
    () => tf.engine().runKernel(ADAMW_KERNEL, { param: a, grad: a, m: tf.tensor1d([1, 2, 3], 'int32'), v: a }, attrs),
    (e: unknown) => e instanceof ArgumentError && e.arg === 'm',
  );
  tf.dispose([a, b, s]);
});
