/**
 * The wasm kernels added after profiling training steps (Sum over leading axes, SplitV, AvgPoolGrad,
 * ResizeNearestNeighborGrad and the fused GroupNorm pair) against the cpu backend, values and gradients.
 *
 * Same protocol as wasm-kernels.test.ts: the same computation on `cpu` and on `wasm` from the same Float32Array
 * inputs; max-norm relative error ‖wasm − cpu‖_∞ / ‖cpu‖_∞ ≤ 1e-4 per output; gradients are of Σ f(inputs) ⊙ R with a
 * fixed random R. The GroupNorm reference on cpu is the same formula composed from tfjs ops (tfjs has no GroupNorm).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend.js';
import { GROUP_NORM_GRAD_KERNEL, GROUP_NORM_KERNEL } from '../../lib/backend/kernels/group-norm.js';
import { leadingPrefix } from '../../lib/backend/kernels/sum.js';
import { groupNorm } from '../../lib/nn/groupnorm.js';
import { groupNormSuite } from './group-norm-suite.js';
import { TOL, assertMatchesCpu, inputs, make, rand, relErr, valueAndGrads as valueAndGradsOf, type Input } from './cpu-oracle.js';

const info = await initBackend('wasm');
const issue7Kernels = ['Identity', 'Sum', 'SplitV', 'AvgPoolGrad', 'ResizeNearestNeighborGrad', GROUP_NORM_KERNEL, GROUP_NORM_GRAD_KERNEL, 'SplamAdamW', 'SplamSumSquares', 'Cast'];

const next = inputs(100);
const input = (shape: number[], offset = 0) => next(shape, offset);
const valueAndGrads = (f: (...xs: tf.Tensor[]) => tf.Tensor, xs: Input[], outShape: number[]) => valueAndGradsOf(next, f, xs, outShape);

const kernelOf = (name: string) => tf.getKernel(name, 'wasm')!.kernelFunc;

test('initBackend("wasm") registers the later kernels beside the six earlier replacements', () => {
  for (const name of issue7Kernels) {
    assert.ok(info.patchedKernels.includes(name), `${name} missing from ${info.patchedKernels.join(', ')}`);
  }
  assert.equal(info.patchedKernels.length, 6 + issue7Kernels.length);
});

// ---------------------------------------------------------------------------------------------------------------
// Identity

test('a clone on wasm shares its data (no copy), survives disposing the original, and keeps dtype and values', async () => {
  await tf.setBackend('wasm');
  const backend = tf.backend() as unknown as { numDataIds(): number };
  const x = tf.tensor2d([[1, 2], [3, 4]]);
  const ids = backend.numDataIds();
  const y = tf.clone(x);
  assert.equal(backend.numDataIds(), ids, 'no new data allocated');
  assert.equal(y.dataId, x.dataId);
  x.dispose();
  assert.deepEqual(Array.from(y.dataSync()), [1, 2, 3, 4]);
  y.dispose();
  assert.equal(backend.numDataIds(), ids - 1, 'the data is freed with its last tensor');
  const b = tf.clone(tf.tensor1d([1, 0, 1], 'bool'));
  assert.equal(b.dtype, 'bool');
  assert.deepEqual(Array.from(b.dataSync()), [1, 0, 1]);
  const s = tf.clone(tf.tensor1d(['a', 'bc'], 'string'));
  assert.deepEqual(s.dataSync(), ['a', 'bc']);
});

test('a cast to the dtype a tensor has shares its data; a real cast still converts (float → int truncates)', async () => {
  await tf.setBackend('wasm');
  const backend = tf.backend() as unknown as { numDataIds(): number };
  const x = tf.tensor1d([1.5, -2.7, 3]);
  const ids = backend.numDataIds();
  const same = tf.cast(x, 'float32');
  assert.equal(backend.numDataIds(), ids, 'no new data allocated');
  assert.equal(same.dataId, x.dataId);
  const ints = tf.cast(x, 'int32');
  assert.equal(ints.dtype, 'int32');
  assert.deepEqual(Array.from(ints.dataSync()), [1, -2, 3]);
  assert.deepEqual(Array.from(tf.cast(ints, 'float32').dataSync()), [1, -2, 3]);
  assert.equal(tf.cast(ints, 'int32').dataId, ints.dataId);
  tf.dispose([x, same, ints]);
});

// ---------------------------------------------------------------------------------------------------------------
// Sum

test('leadingPrefix recognises exactly the axis sets {0, …, k−1} with k < rank', () => {
  assert.equal(leadingPrefix([0, 1, 2], 4), 3);
  assert.equal(leadingPrefix([1, 0], 3), 2);
  assert.equal(leadingPrefix([0, 0], 2), 1);
  assert.equal(leadingPrefix([0, 1, 2, 3], 4), 0, 'all axes: the stock kernel');
  assert.equal(leadingPrefix([1, 2], 4), 0);
  assert.equal(leadingPrefix([0, 2], 3), 0);
  assert.equal(leadingPrefix([], 3), 0);
});

test('sum over leading axes (sorted, unsorted, negative, keepDims) and over other axes matches cpu', async () => {
  const x = input([3, 5, 4, 6]);
  await assertMatchesCpu('sum', () => {
    const t = make(x);
    return [
      tf.sum(t, [0, 1, 2]),
      tf.sum(t, [1, 0], true),
      tf.sum(t, [-4, -3, -2], true),
      tf.sum(t, 0),
      tf.sum(t, [2, 3]),
      tf.sum(t, [0, 2]),
      tf.sum(t),
    ];
  });
});

test('summing one tensor over two different leading prefixes gives both right (no state shared between calls)', async () => {
  const x = input([4, 3, 10]);
  await assertMatchesCpu('sum twice', () => {
    const t = make(x);
    return [tf.sum(t, [0, 1]), tf.sum(t, 0), tf.sum(tf.reshape(t, [12, 10]), 0), tf.sum(t, [0, 1])];
  });
});

test('sum of int32 over leading axes keeps its dtype and values (stock path)', async () => {
  await tf.setBackend('wasm');
  const s = tf.sum(tf.tensor2d([[1, 2], [3, 4], [5, 6]], [3, 2], 'int32'), 0);
  assert.equal(s.dtype, 'int32');
  assert.deepEqual(Array.from(s.dataSync()), [9, 12]);
});

test('the bias gradient of x [4,7,7,16] + b [16] (a leading-axes sum of 196 rows) matches cpu', async () => {
  const x = input([4, 7, 7, 16]);
  const b = input([16]);
  await assertMatchesCpu('bias add', valueAndGrads((xt, bt) => tf.add(xt, bt), [x, b], [4, 7, 7, 16]));
});

// ---------------------------------------------------------------------------------------------------------------
// SplitV

test('split along the last, a middle and the first axis, with sizes, −1 and equal counts, matches cpu', async () => {
  const x = input([2, 5, 4, 7]);
  await assertMatchesCpu('split', () => {
    const t = make(x);
    return [...tf.split(t, [3, 4], 3), ...tf.split(t, [2, -1, 1], 1), ...tf.split(t, 2, 0), ...tf.split(t, [0, 4], 2)];
  });
});

test('the gradient of concat([a [2,6,6,5], b [2,6,6,3]], axis 3) (a SplitV) matches cpu', async () => {
  const a = input([2, 6, 6, 5]);
  const b = input([2, 6, 6, 3]);
  await assertMatchesCpu('concat grad', valueAndGrads((at, bt) => tf.concat([at, bt], 3), [a, b], [2, 6, 6, 8]));
});

test('split of bool and int32 tensors keeps dtype and values', async () => {
  await tf.setBackend('wasm');
  const [p, q] = tf.split(tf.tensor2d([[1, 0, 1], [0, 0, 1]], [2, 3], 'bool'), [1, 2], 1);
  assert.equal(p.dtype, 'bool');
  assert.deepEqual(Array.from(p.dataSync()), [1, 0]);
  assert.deepEqual(Array.from(q.dataSync()), [0, 1, 0, 1]);
  const [r] = tf.split(tf.tensor1d([7, 8, 9], 'int32'), [2, 1]);
  assert.deepEqual(Array.from(r.dataSync()), [7, 8]);
});

// ---------------------------------------------------------------------------------------------------------------
// AvgPoolGrad and ResizeNearestNeighborGrad

for (const c of [
  { x: [2, 8, 6, 3], k: 2, s: 2, pad: 'valid' as const, fast: true },
  { x: [1, 9, 9, 2], k: 3, s: 3, pad: 'same' as const, fast: true },
  { x: [2, 7, 7, 3], k: 3, s: 2, pad: 'same' as const, fast: false },
  { x: [1, 7, 6, 2], k: 2, s: 2, pad: 'valid' as const, fast: false },
]) {
  test(`avgPool x=[${c.x}] k=${c.k} s=${c.s} pad=${c.pad} (${c.fast ? 'upsample path' : 'stock fallback'}): value and gradient match cpu`, async () => {
    const o = (n: number) => (c.pad === 'same' ? Math.ceil(n / c.s) : Math.floor((n - c.k) / c.s) + 1);
    const x = input(c.x);
    await assertMatchesCpu('avgPool', valueAndGrads((xt) => tf.avgPool(xt as tf.Tensor4D, c.k, c.s, c.pad), [x], [c.x[0], o(c.x[1]), o(c.x[2]), c.x[3]]));
  });
}

/**
 * The gradient of nearest-neighbour resizing is the transpose of its forward map. The reference takes that map from
 * the forward op itself (resizing an image whose pixels hold their own index) and scatter-adds dy through it. (The
 * cpu backend is no reference here: its ResizeNearestNeighborGrad is wrong for [2,4,3,5] → 8×6, 4.4 max error.)
 */
async function resizeGradReference(shape: number[], size: [number, number], half: boolean, dy: Float32Array): Promise<Float32Array> {
  const [B, h, w] = shape;
  const [H, W] = size;
  await tf.setBackend('wasm');
  const index = tf.tidy(() => {
    const idx = tf.tensor4d(Float32Array.from({ length: B * h * w }, (_, i) => i), [B, h, w, 1]);
    return tf.image.resizeNearestNeighbor(idx, size, false, half).dataSync();
  });
  const C = shape[3];
  const out = new Float64Array(B * h * w * C);
  for (let p = 0; p < B * H * W; p++) for (let c = 0; c < C; c++) out[index[p] * C + c] += dy[p * C + c];
  return Float32Array.from(out);
}

for (const c of [
  { x: [2, 4, 3, 5], size: [8, 6] as [number, number], half: false, path: '2× path' },
  { x: [1, 3, 4, 2], size: [9, 4] as [number, number], half: false, path: '3×1 path' },
  { x: [1, 3, 4, 2], size: [3, 4] as [number, number], half: false, path: '1× path' },
  { x: [2, 4, 3, 2], size: [6, 5] as [number, number], half: false, path: 'non-integer factor: stock fallback' },
  { x: [2, 4, 3, 2], size: [8, 6] as [number, number], half: true, path: 'halfPixelCenters: stock fallback' },
]) {
  test(`resizeNearestNeighbor [${c.x}] → ${c.size.join('×')} (${c.path}): the gradient is the transpose of the forward map`, async () => {
    const dy = input([c.x[0], ...c.size, c.x[3]]);
    const want = await resizeGradReference(c.x, c.size, c.half, dy.data);
    const got = tf.tidy(() => {
      const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.image.resizeNearestNeighbor(t as tf.Tensor4D, c.size, false, c.half), make(dy))))(tf.zeros(c.x));
      return Float32Array.from(g.dataSync());
    });
    const err = relErr(got, want);
    assert.ok(err <= TOL, `relative error ${err.toExponential(2)}`);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// GroupNorm

groupNormSuite();

test('20 gradient steps through fused GroupNorm, split, pooling and resize keep engine tensors and backend data flat', async () => {
  await tf.setBackend('wasm');
  const w = tf.variable(tf.tensor(rand([3, 3, 4, 8], 9), [3, 3, 4, 8]));
  const gamma = tf.variable(tf.ones([8]));
  const beta = tf.variable(tf.zeros([8]));
  const x = tf.tensor(rand([2, 8, 8, 4], 10), [2, 8, 8, 4]) as tf.Tensor4D;
  const step = () =>
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => {
        const h = groupNorm(tf.conv2d(x, w as tf.Variable<tf.Rank.R4>, 1, 'same'), gamma as tf.Variable<tf.Rank.R1>, beta as tf.Variable<tf.Rank.R1>, 4);
        const d = tf.avgPool(h, 2, 2, 'valid');
        const u = tf.image.resizeNearestNeighbor(d, [8, 8]);
        return tf.sum(tf.square(tf.concat([u, h], 3))) as tf.Scalar;
      }, [w, gamma, beta]);
      for (const v of [w, gamma, beta]) v.assign(tf.sub(v, tf.mul(grads[v.name], 1e-3)));
    });
  step();
  const backend = tf.backend() as unknown as { numDataIds(): number };
  const tensors0 = tf.memory().numTensors;
  const data0 = backend.numDataIds();
  for (let i = 0; i < 20; i++) step();
  assert.equal(tf.memory().numTensors, tensors0, 'engine tensors leaked');
  assert.equal(backend.numDataIds(), data0, 'backend data leaked');
  // Inference outside a gradient tape saves nothing either.
  for (let i = 0; i < 5; i++) tf.tidy(() => void groupNorm(x, tf.ones([4]) as tf.Tensor1D, tf.zeros([4]) as tf.Tensor1D, 2));
  assert.equal(tf.memory().numTensors, tensors0);
  assert.ok(kernelOf(GROUP_NORM_KERNEL));
  tf.dispose([w, gamma, beta, x]);
});
