/**
 * The replacement wasm kernels against the cpu backend (tfjs's reference implementation).
 *
 * Every comparison runs the same computation on `cpu` and on `wasm` from the same Float32Array inputs and reports the
 * max-norm relative error ‖wasm − cpu‖_∞ / ‖cpu‖_∞ (denominator floored at 1e-30), which must be ≤ 1e-4.
 * Gradients are of the scalar loss Σ f(inputs) ⊙ R with a fixed random R, so dy is never all ones.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend.js';
import { registerWasmKernels } from '../../lib/backend/wasm-kernels.js';
import { ShapeError } from '../../lib/errors.js';
import { TOL, assertMatchesCpu, inputs, make, rand, relErr, runOn, valueAndGrads as valueAndGradsOf, type Input } from './cpu-oracle.js';
import { matMulConvSuite } from './matmul-conv-suite.js';

const info = await initBackend('wasm');

const next = inputs(1000);
const input = (...shape: number[]) => next(shape);
const valueAndGrads = (f: (...xs: tf.Tensor[]) => tf.Tensor, xs: Input[], outShape: number[]) => valueAndGradsOf(next, f, xs, outShape);

// ---------------------------------------------------------------------------------------------------------------
// Registration

test('initBackend("wasm") reports the six matmul/convolution kernels (later ones: wasm-kernels-extra.test.ts)', () => {
  assert.equal(info.tfBackend, 'wasm');
  const issue7 = new Set(['Identity', 'Sum', 'SplitV', 'AvgPoolGrad', 'ResizeNearestNeighborGrad', 'SplamGroupNorm', 'SplamGroupNormGrad', 'SplamAdamW', 'SplamSumSquares', 'Cast']);
  assert.deepEqual([...info.patchedKernels].filter((k) => !issue7.has(k)).sort(), [
    'BatchMatMul',
    'Conv2DBackpropFilter',
    'Conv2DBackpropInput',
    'DepthwiseConv2dNativeBackpropFilter',
    'DepthwiseConv2dNativeBackpropInput',
    '_FusedMatMul',
  ]);
});

test('registerWasmKernels is idempotent: a second call returns the same names and replaces nothing', () => {
  const before = info.patchedKernels.map((name) => tf.getKernel(name, 'wasm')?.kernelFunc);
  assert.deepEqual(registerWasmKernels(), info.patchedKernels);
  assert.deepEqual(registerWasmKernels(), info.patchedKernels);
  const after = info.patchedKernels.map((name) => tf.getKernel(name, 'wasm')?.kernelFunc);
  after.forEach((fn, i) => assert.equal(fn, before[i], `${info.patchedKernels[i]} was re-registered`));
});

// ---------------------------------------------------------------------------------------------------------------
// matMul, conv2d, conv2dTranspose (shared with the native backend)

matMulConvSuite();

// ---------------------------------------------------------------------------------------------------------------
// depthwiseConv2d

for (const c of [
  { x: [2, 9, 9, 4], f: [3, 3, 4, 1], s: 1, pad: 'same' as const },
  { x: [2, 9, 9, 4], f: [3, 3, 4, 2], s: 2, pad: 'valid' as const },
  { x: [2, 10, 7, 3], f: [5, 3, 3, 3], s: 2, pad: 'same' as const },
  { x: [1, 8, 8, 5], f: [2, 2, 5, 1], s: 1, pad: 'valid' as const },
]) {
  const label = `depthwiseConv2d x=[${c.x}] f=[${c.f}] s=${c.s} pad=${c.pad}`;
  test(`${label}: value and gradients for x and filter match cpu to 1e-4`, async () => {
    const o = (n: number, k: number) => (c.pad === 'same' ? Math.ceil(n / c.s) : Math.ceil((n - k + 1) / c.s));
    const out = [c.x[0], o(c.x[1], c.f[0]), o(c.x[2], c.f[1]), c.f[2] * c.f[3]];
    const x = input(...c.x);
    const f = input(...c.f);
    await assertMatchesCpu(
      label,
      valueAndGrads((xt, ft) => tf.depthwiseConv2d(xt as tf.Tensor4D, ft as tf.Tensor4D, c.s, c.pad), [x, f], out),
    );
  });
}

for (const stride of [1, 2]) {
  test(`depthwise backprop kernels with dilation 2, stride ${stride} match cpu run on the equivalent zero-expanded 5×5 filter`, async () => {
    // tfjs's cpu depthwise backprop kernels ignore dilations, so the reference is the undilated problem with the
    // 3×3 filter spread to 5×5 (zeros at odd taps): identical sums by definition of dilation. tfjs's own gradient
    // never reaches these kernels with dilation > 1; they are called directly here.
    const x = input(2, 9, 8, 3);
    const filter = input(3, 3, 3, 2);
    const dy = input(2, Math.ceil(9 / stride), Math.ceil(8 / stride), 6);
    const common: tf.NamedAttrMap = { strides: [stride, stride], pad: 'same' };
    const cpu = await runOn('cpu', () => {
      const spread = tf.tidy(() => {
        // [3,3,C,M] → [5,5,C,M]: a zero after each tap, then drop the trailing zero row/column.
        const p = tf.pad(tf.reshape(make(filter), [3, 1, 3, 1, 3, 2]), [[0, 0], [0, 1], [0, 0], [0, 1], [0, 0], [0, 0]]);
        return tf.slice(tf.reshape(p, [6, 6, 3, 2]), [0, 0, 0, 0], [5, 5, 3, 2]);
      });
      const dx = tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy: make(dy), filter: spread }, {
        ...common, dilations: [1, 1], inputShape: [2, 9, 8, 3],
      }) as tf.Tensor;
      const dwSpread = tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x: make(x), dy: make(dy) }, {
        ...common, dilations: [1, 1], filterShape: [5, 5, 3, 2],
      }) as tf.Tensor;
      const dw = tf.stridedSlice(dwSpread, [0, 0, 0, 0], [5, 5, 3, 2], [2, 2, 1, 1]);
      return [dx, dw];
    });
    const wasm = await runOn('wasm', () => [
      tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy: make(dy), filter: make(filter) }, {
        ...common, dilations: [2, 2], inputShape: [2, 9, 8, 3],
      }) as tf.Tensor,
      tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x: make(x), dy: make(dy) }, {
        ...common, dilations: [2, 2], filterShape: [3, 3, 3, 2],
      }) as tf.Tensor,
    ]);
    await tf.setBackend('wasm');
    for (let i = 0; i < 2; i++) {
      assert.deepEqual(wasm[i].shape, cpu[i].shape);
      const err = relErr(wasm[i].values, cpu[i].values);
      assert.ok(err <= TOL, `output ${i}: relative error ${err.toExponential(2)}`);
    }
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Memory and training

/** A tiny conv net: conv 3×3 (s1) → relu → depthwise 3×3 (s2) → conv 3×3 (s2) → dense, on 12×12×2 inputs. */
function tinyNet(seed: number) {
  const v = (shape: number[], scale: number) => tf.variable(tf.mul(tf.tensor(rand(shape, seed++), shape), scale));
  const params = {
    c1: v([3, 3, 2, 8], 0.3),
    dw: v([3, 3, 8, 1], 0.3),
    c2: v([3, 3, 8, 8], 0.2),
    w: v([3 * 3 * 8, 4], 0.2),
  };
  const forward = (x: tf.Tensor4D) => {
    const h1 = tf.relu(tf.conv2d(x, params.c1 as tf.Tensor4D, 1, 'same'));
    const h2 = tf.depthwiseConv2d(h1, params.dw as tf.Tensor4D, 2, 'same');
    const h3 = tf.relu(tf.conv2d(h2, params.c2 as tf.Tensor4D, 2, 'same'));
    return tf.matMul(tf.reshape(h3, [x.shape[0], -1]), params.w);
  };
  return { params, forward, dispose: () => Object.values(params).forEach((p) => p.dispose()) };
}

test('50 gradient steps on wasm keep tf.memory().numTensors and the backend data count flat', async () => {
  await tf.setBackend('wasm');
  const net = tinyNet(7);
  const x = tf.tensor4d(rand([4, 12, 12, 2], 99), [4, 12, 12, 2]);
  const y = tf.tensor2d(rand([4, 4], 98), [4, 4]);
  const vars = Object.values(net.params);
  const step = () =>
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => tf.losses.meanSquaredError(y, net.forward(x)) as tf.Scalar, vars);
      for (const v of vars) v.assign(tf.sub(v, tf.mul(grads[v.name], 0.01)));
    });
  step(); // first step may allocate lazily-created state
  const backend = tf.backend() as unknown as { numDataIds(): number };
  const tensors0 = tf.memory().numTensors;
  const data0 = backend.numDataIds();
  for (let i = 0; i < 50; i++) step();
  assert.equal(tf.memory().numTensors, tensors0, 'engine tensors leaked');
  assert.equal(backend.numDataIds(), data0, 'backend data (kernel intermediates) leaked');
  net.dispose();
  x.dispose();
  y.dispose();
});

test('a tiny conv net trained with tf.train.adam on wasm reduces its loss to under half in 40 steps', async () => {
  await tf.setBackend('wasm');
  const net = tinyNet(11);
  const x = tf.tensor4d(rand([8, 12, 12, 2], 5), [8, 12, 12, 2]);
  const y = tf.tensor2d(rand([8, 4], 6), [8, 4]);
  const opt = tf.train.adam(0.01);
  const loss = () => tf.losses.meanSquaredError(y, net.forward(x)) as tf.Scalar;
  const first = tf.tidy(() => loss().dataSync()[0]);
  let last = first;
  for (let i = 0; i < 40; i++) {
    const l = opt.minimize(loss, true, Object.values(net.params)) as tf.Scalar;
    last = l.dataSync()[0];
    l.dispose();
  }
  assert.ok(Number.isFinite(last) && last < 0.5 * first, `loss ${first} → ${last}`);
  opt.dispose();
  net.dispose();
  x.dispose();
  y.dispose();
});

test('matMul with mismatched inner dimensions throws a ShapeError naming b, its shape and both transpose flags', async () => {
  await tf.setBackend('wasm');
  const a = tf.zeros([4, 3]);
  const b = tf.zeros([5, 2]);
  assert.throws(
    () => tf.matMul(a, b, false, false),
    (err: unknown) =>
      err instanceof ShapeError &&
      err.fn === 'matMul' &&
      err.arg === 'b' &&
      err.got.join(',') === '5,2' &&
      /\[4, 3\].*transposeA=false, transposeB=false/.test(err.expected),
  );
  a.dispose();
  b.dispose();
});
