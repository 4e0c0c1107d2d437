/**
 * The `native` backend (wasm + oneDNN matmul and convolution through the splam-native addon) against the cpu
 * backend: the shared matMul / conv2d / conv2dTranspose cases, the native paths' own edges (fused bias, large
 * images, 1×1, fallbacks), what holds across thread counts and batch splits (bit for bit for splam's own kernels and
 * for chunked parallel sampling, by construction; only to rounding for oneDNN's kernels, which promise nothing more),
 * and the addon's argument checks.
 * Skipped, with the build command, where the addon is not built, except under CI (`CI=true`), where it must be.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend.js';
import { loadNative, nativeAddonPath, NATIVE_BUILD_HINT } from '../../lib/backend/native.js';
import { ADAMW_KERNEL, makeAdamW, makeSumSquares, SUM_SQUARES_KERNEL } from '../../lib/backend/kernels/adamw.js';
import { planGemm } from '../../lib/backend/kernels/native-matmul.js';
import { contiguousRun } from '../../lib/backend/kernels/native-sum.js';
import { sinusoidal } from '../../lib/nn/embeddings.js';
import { planChunks, SAMPLE_CHUNK_ROWS, SAMPLE_KERNEL_THREADS, sampleSerial, startSamplingPool, type SamplingSpec } from '../../lib/parallel/sampling.js';
import { groupNorm } from '../../lib/nn/groupnorm.js';
import { composedSilu, hasFusedSilu, silu } from '../../lib/nn/silu.js';
import { assertMatchesCpu, inputs, make, relErr, valueAndGrads as valueAndGradsOf, type Input } from './cpu-oracle.js';
import { groupNormSuite } from './group-norm-suite.js';
import { matMulConvSuite } from './matmul-conv-suite.js';

const built = existsSync(nativeAddonPath());
if (!built && process.env.CI) throw new Error(`CI: the native addon must be built (${NATIVE_BUILD_HINT})`);
const skip = built ? false : `native addon not built: ${NATIVE_BUILD_HINT}`;

const info = built ? await initBackend('native') : undefined;
const next = inputs(5000);
const input = (...shape: number[]) => next(shape);
const valueAndGrads = (f: (...xs: tf.Tensor[]) => tf.Tensor, xs: Input[], outShape: number[]) => valueAndGradsOf(next, f, xs, outShape);

/** Bitwise equality of two float arrays. */
const sameBits = (a: Float32Array, b: Float32Array) => a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;

test('initBackend("native") runs on the wasm backend with the native kernels over the wasm replacements, and reports oneDNN', { skip }, () => {
  assert.equal(info!.name, 'native');
  assert.equal(info!.tfBackend, 'wasm');
  for (const k of ['BatchMatMul', '_FusedMatMul', 'Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'SplamGroupNorm', 'SplamGroupNormGrad', 'SplamAdamW', 'SplamSumSquares', 'Sum', 'Sin', 'Cos', 'SplamSilu', 'SplamSiluGrad']) {
    assert.ok(info!.patchedKernels.includes(`${k} (native)`), `${k} (native) missing from ${info!.patchedKernels.join(', ')}`);
  }
  assert.ok(info!.patchedKernels.includes('SplitV'), 'the wasm replacements are registered too');
  assert.match(info!.native!.library, /^oneDNN \d+\.\d+/);
  assert.ok(info!.native!.isa.length > 0);
  assert.ok(info!.native!.threads >= 1);
});

if (built) {
  matMulConvSuite();
  groupNormSuite();
}

test('planGemm folds a batched a against shared 2-D weights into one GEMM and refuses batch broadcasting', () => {
  assert.deepEqual(planGemm([4, 9, 7], [7, 5], false, false), { outShape: [4, 9, 5], dims: [1, 36, 5, 7, 0, 0, 0, 0, 0] });
  assert.deepEqual(planGemm([4, 7, 9], [5, 7], true, true), { outShape: [4, 9, 5], dims: [4, 9, 5, 7, 1, 1, 63, 0, 45] });
  assert.deepEqual(planGemm([9, 7], [3, 7, 5], false, false), { outShape: [3, 9, 5], dims: [3, 9, 5, 7, 0, 0, 0, 35, 45] });
  assert.equal(planGemm([2, 1, 9, 7], [1, 3, 7, 5], false, false), undefined);
  assert.equal(planGemm([9, 7], [8, 5], false, false), undefined, 'mismatched inner sizes go to the fallback, which names them');
});

test('matMul on large operands (the MLP layer shape, 256×512 · 512×384) with both transposes matches cpu, gradients included', { skip }, async () => {
  for (const [ta, tb] of [[false, false], [true, true]] as const) {
    const a = ta ? input(512, 256) : input(256, 512);
    const b = tb ? input(384, 512) : input(512, 384);
    await assertMatchesCpu(`256×512·512×384 ta=${ta} tb=${tb}`, valueAndGrads((x, y) => tf.matMul(x, y, ta, tb), [a, b], [256, 384]));
  }
});

test('fused matMul: a bias of [n], a scalar bias and (by fallback) relu match cpu', { skip }, async () => {
  const a = input(3, 12, 10);
  const b = input(10, 8);
  const bias = input(8);
  const scalar = input(1);
  await assertMatchesCpu('fused matMul', () => [
    tf.fused.matMul({ a: make(a), b: make(b), bias: make(bias) }),
    tf.fused.matMul({ a: make(a), b: make(b), bias: tf.scalar(scalar.data[0]) }),
    tf.fused.matMul({ a: make(a), b: make(b), bias: make(bias), activation: 'relu' }),
  ]);
});

test('sin and cos (vectorised, multi-threaded above 65,536 values) match cpu on arguments up to 10⁴ (the γ-embedding range), gradients included', { skip }, async () => {
  for (const n of [1000, 70_000]) {
    const x = { shape: [n], data: Float32Array.from(next([n]).data, (v) => v * 1e4) };
    await assertMatchesCpu(`sin/cos n=${n}`, valueAndGrads((t) => tf.add(tf.sin(t), tf.mul(tf.cos(t), 2)), [x], [n]));
  }
  await assertMatchesCpu('sinusoidal embedding', () => [sinusoidal(tf.tensor1d([0, 0.5, 999, 1e4]), 256)]);
});

test('native AdamW equals the JS AdamW kernel of plain wasm bit for bit, and the native sum of squares agrees with it to 1e-12', { skip }, () => {
  const shape = [300, 257]; // > 65,536 values: the parallel path
  const [p, g, m] = [next(shape), next(shape), next(shape)].map(make);
  const v = tf.abs(make(next(shape)));
  const attrs = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, scale: 0.7, bc1: 1 - 0.9 ** 3, bc2: 1 - 0.999 ** 3 };
  const inputs = { param: p, grad: g, m, v };
  const viaNative = tf.engine().runKernel(ADAMW_KERNEL, inputs, attrs) as tf.Tensor[];
  const js = makeAdamW()({ inputs, backend: tf.backend(), attrs }) as tf.TensorInfo[];
  const viaJs = js.map((info) => tf.engine().makeTensorFromTensorInfo(info));
  viaNative.forEach((t, i) => assert.ok(sameBits(Float32Array.from(t.dataSync()), Float32Array.from(viaJs[i].dataSync())), `output ${i}`));
  const nativeSum = (tf.engine().runKernel(SUM_SQUARES_KERNEL, { x0: p, x1: g }, {}) as tf.Tensor).dataSync()[0];
  const jsSum = tf.engine().makeTensorFromTensorInfo(makeSumSquares()({ inputs: { x0: p, x1: g }, backend: tf.backend(), attrs: {} }) as tf.TensorInfo).dataSync()[0];
  assert.ok(Math.abs(nativeSum - jsSum) <= 1e-12 * jsSum, `${nativeSum} vs ${jsSum}`);
  tf.dispose([p, g, m, v, ...viaNative, ...viaJs]);
});

test('fused SiLU: value and gradient match x·σ(x) composed on cpu, including large |x|, ±∞ and NaN kept as IEEE says', { skip }, async () => {
  assert.ok(hasFusedSilu());
  for (const n of [1001, 70_001]) {
    const x = { shape: [n], data: Float32Array.from(next([n]).data, (v) => v * 12) };
    const r = next([n]);
    const run = (f: (t: tf.Tensor) => tf.Tensor) => () => [f(make(x)), tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), make(r))))(make(x))];
    await assertMatchesCpu(`silu n=${n}`, run(composedSilu), run(silu));
  }
  const special = tf.tensor1d([Infinity, NaN, -100, 100, 0]);
  const y = Array.from(silu(special).dataSync());
  assert.equal(y[0], Infinity);
  assert.ok(Number.isNaN(y[1]), 'NaN propagates');
  assert.ok(Math.abs(y[2]) < 1e-30 && y[3] === 100 && y[4] === 0);
  special.dispose();
});

test('contiguousRun views leading and middle axis runs as [outer, mid, inner] and refuses the rest', () => {
  assert.deepEqual(contiguousRun([64, 28, 28, 32], [0, 1, 2]), [1, 64 * 28 * 28, 32]);
  assert.deepEqual(contiguousRun([64, 28, 28, 32], [2, 1]), [64, 28 * 28, 32]);
  assert.deepEqual(contiguousRun([5, 6, 7], [1]), [5, 6, 7]);
  assert.equal(contiguousRun([5, 6, 7], [2]), undefined, 'innermost: the stock kernel');
  assert.equal(contiguousRun([5, 6, 7], [0, 2]), undefined);
  assert.equal(contiguousRun([5, 6, 7], [0, 1, 2]), undefined);
});

test('sums over leading and middle axes (keepDims or not) match cpu; other reductions still compute', { skip }, async () => {
  const x = next([6, 9, 10, 300]); // inner > 256 columns: two column blocks
  const big = next([70, 30, 40]); // > 65,536 values: the parallel path
  await assertMatchesCpu('sum', () => [
    tf.sum(make(x), [0, 1, 2]),
    tf.sum(make(x), [1, 2]),
    tf.sum(make(x), [1, 2], true),
    tf.sum(make(x), 0),
    tf.sum(make(x), [3]),
    tf.sum(make(x), [0, 3]),
    tf.sum(make(x)),
    tf.sum(make(big), [0, 1]),
    tf.sum(make(big), 1),
  ]);
});

test('a dense layer as fused matMul with a bias (the bias added inside the GEMM): value and gradients for x, w and bias match cpu', { skip }, async () => {
  const x = input(33, 20);
  const w = input(20, 17);
  const bias = input(17);
  await assertMatchesCpu('dense', valueAndGrads((xt, wt, bt) => tf.fused.matMul({ a: xt as tf.Tensor2D, b: wt as tf.Tensor2D, bias: bt }), [x, w, bias], [33, 17]));
});

test('fused conv2d with a per-channel bias: value and gradients for x, filter and bias match cpu; relu goes to the fallback', { skip }, async () => {
  const x = input(2, 10, 10, 6);
  const f = input(3, 3, 6, 5);
  const bias = input(5);
  await assertMatchesCpu(
    'fused conv2d + bias',
    valueAndGrads((xt, ft, bt) => tf.fused.conv2d({ x: xt as tf.Tensor4D, filter: ft as tf.Tensor4D, strides: 1, pad: 'same', bias: bt }), [x, f, bias], [2, 10, 10, 5]),
  );
  await assertMatchesCpu('fused conv2d + bias + relu', () => [
    tf.fused.conv2d({ x: make(x) as tf.Tensor4D, filter: make(f) as tf.Tensor4D, strides: 2, pad: 'valid', bias: make(bias), activation: 'relu' }),
  ]);
});

test('conv2d on 32×32 images with 256 input channels (batch 3) matches cpu, gradients included', { skip }, async () => {
  const x = input(3, 32, 32, 256);
  const f = input(3, 3, 256, 4);
  await assertMatchesCpu('256-channel conv2d', valueAndGrads((xt, ft) => tf.conv2d(xt as tf.Tensor4D, ft as tf.Tensor4D, 1, 'same'), [x, f], [3, 32, 32, 4]));
});

test('after more distinct conv shapes than the primitive cache holds (260 > 256), conv2d still matches cpu', { skip }, async () => {
  const f = input(3, 3, 2, 3);
  for (let n = 1; n <= 260; n++) tf.tidy(() => void tf.conv2d(tf.ones([n, 4, 4, 2]) as tf.Tensor4D, make(f) as tf.Tensor4D, 1, 'same').dataSync());
  const x = input(5, 6, 6, 2);
  await assertMatchesCpu('conv after cache reset', valueAndGrads((xt, ft) => tf.conv2d(xt as tf.Tensor4D, ft as tf.Tensor4D, 1, 'same'), [x, f], [5, 6, 6, 3]));
});

test('empty tensors: a product over an empty inner axis is 0 (or the bias), and a conv of an empty batch has empty output and a zero filter gradient, as on cpu', { skip }, async () => {
  const f = input(3, 3, 2, 4);
  const bias = input(3);
  await assertMatchesCpu('empty', () => [
    tf.matMul(tf.ones([2, 0]), tf.ones([0, 3])),
    tf.matMul(tf.ones([4, 2, 0]), tf.ones([4, 0, 3])),
    tf.fused.matMul({ a: tf.ones([2, 0]), b: tf.ones([0, 3]), bias: make(bias) }),
    tf.conv2d(tf.zeros([0, 5, 5, 2]) as tf.Tensor4D, make(f) as tf.Tensor4D, 1, 'same'),
    tf.grad((w: tf.Tensor) => tf.conv2d(tf.zeros([0, 5, 5, 2]) as tf.Tensor4D, w as tf.Tensor4D, 1, 'same').sum())(make(f)),
  ]);
});

test('a 1×1 conv and a 1×1 stride-2 conv match cpu, gradients included', { skip }, async () => {
  const x = input(2, 7, 7, 12);
  const f = input(1, 1, 12, 9);
  await assertMatchesCpu('1×1', valueAndGrads((xt, ft) => tf.conv2d(xt as tf.Tensor4D, ft as tf.Tensor4D, 1, 'valid'), [x, f], [2, 7, 7, 9]));
  await assertMatchesCpu('1×1 s2', valueAndGrads((xt, ft) => tf.conv2d(xt as tf.Tensor4D, ft as tf.Tensor4D, 2, 'valid'), [x, f], [2, 4, 4, 9]));
});

/** Values of `fn` on the active (native) backend. */
const valuesOf = (fn: () => tf.Tensor) => tf.tidy(() => Float32Array.from(fn().dataSync()));

/** Copies of the values of `grads(...xs)`, the gradient tensors disposed. */
const gradValues = (grads: tf.Tensor[]) =>
  grads.map((g) => {
    const v = Float32Array.from(g.dataSync());
    g.dispose();
    return v;
  });

/** `run()` with the native kernels on 1 and on 2 OpenMP threads (the count restored after). */
function onOneAndTwoThreads<T>(run: () => T): [T, T] {
  const native = loadNative();
  const before = native.threads();
  try {
    native.setThreads(1);
    const one = run();
    native.setThreads(2);
    return [one, run()];
  } finally {
    native.setThreads(before);
  }
}

test("splam's own kernels give the same bits with 1 and with 2 threads (GroupNorm and its gradients, sums over a middle axis, sin, SiLU, AdamW): their work items are fixed, only who runs them changes", { skip }, () => {
  // Sizes above the addon's 65,536-value threshold, so the elementwise, sum and AdamW paths do run in parallel.
  const x = input(8, 16, 16, 32);
  const gn = input(32);
  const big = input(70, 30, 40);
  const wide = { shape: [70_001], data: Float32Array.from(next([70_001]).data, (v) => v * 12) };
  const shape = [300, 257];
  const [p, g, m, v] = [next(shape), next(shape), next(shape), next(shape)];
  const attrs = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, scale: 0.7, bc1: 1 - 0.9 ** 3, bc2: 1 - 0.999 ** 3 };
  const run = () => [
    ...gradValues(tf.grads((xt: tf.Tensor, gt: tf.Tensor) => tf.sum(tf.square(groupNorm(xt as tf.Tensor4D, gt as tf.Tensor1D, tf.zeros([32]) as tf.Tensor1D, 8))))([make(x), make(gn)])),
    valuesOf(() => groupNorm(make(x) as tf.Tensor4D, make(gn) as tf.Tensor1D, tf.zeros([32]) as tf.Tensor1D, 8)),
    valuesOf(() => tf.sum(make(big), 1)),
    valuesOf(() => tf.sin(make(wide))),
    valuesOf(() => silu(make(wide))),
    ...gradValues([tf.grad((t: tf.Tensor) => tf.sum(silu(t)))(make(wide))]),
    ...tf.tidy(() => (tf.engine().runKernel(ADAMW_KERNEL, { param: make(p), grad: make(g), m: make(m), v: tf.abs(make(v)) }, attrs) as tf.Tensor[]).map((t) => Float32Array.from(t.dataSync()))),
  ];
  const [one, two] = onOneAndTwoThreads(run);
  one.forEach((values, i) => assert.ok(sameBits(values, two[i]), `output ${i} differs between 1 and 2 threads`));
});

test("oneDNN's conv2d and matmul, and their gradients, agree with 1 and with 2 threads to 1e-5 (equal bits are not promised: the thread count may change oneDNN's blocking and so its summation order)", { skip }, () => {
  const x = input(8, 14, 14, 32);
  const f = input(3, 3, 32, 48);
  const a = input(300, 256);
  const b = input(256, 200);
  const run = () => [
    valuesOf(() => tf.conv2d(make(x) as tf.Tensor4D, make(f) as tf.Tensor4D, 1, 'same')),
    ...gradValues(tf.grads((xt: tf.Tensor, ft: tf.Tensor) => tf.sum(tf.square(tf.conv2d(xt as tf.Tensor4D, ft as tf.Tensor4D, 1, 'same'))))([make(x), make(f)])),
    valuesOf(() => tf.matMul(make(a), make(b))),
  ];
  const [one, two] = onOneAndTwoThreads(run);
  one.forEach((values, i) => assert.ok(relErr(two[i], values) <= 1e-5, `output ${i}: relative difference ${relErr(two[i], values).toExponential(2)} between 1 and 2 threads`));
});

test('a batch computed whole agrees with its halves computed apart to 1e-5 (equal bits are not promised: oneDNN picks its GEMM and conv kernels by row count and ISA, which is why sampling chunks batches by a fixed size)', { skip }, () => {
  const x = input(6, 12, 12, 16);
  const f = input(3, 3, 16, 24);
  const w = input(16 * 12 * 12, 10);
  const net = (xt: tf.Tensor) => tf.matMul(tf.reshape(tf.relu(tf.conv2d(xt as tf.Tensor4D, make(f) as tf.Tensor4D, 1, 'same')), [xt.shape[0], -1]).slice([0, 0], [-1, 16 * 12 * 12]), make(w));
  const whole = valuesOf(() => net(make(x)));
  const first = valuesOf(() => net(tf.slice(make(x), [0, 0, 0, 0], [3, -1, -1, -1])));
  const second = valuesOf(() => net(tf.slice(make(x), [3, 0, 0, 0], [3, -1, -1, -1])));
  const halves = new Float32Array(whole.length);
  halves.set(first);
  halves.set(second, first.length);
  assert.ok(relErr(halves, whole) <= 1e-5, `relative difference ${relErr(halves, whole).toExponential(2)}`);
});

const TEACHER_CKPT = fileURLToPath(new URL('../../models/teacher-ring2d.ckpt', import.meta.url));

test('chunked sampling on native: 1, 2 and 3 workers equal the serial in-process run bit for bit (MLP student, LCM with fresh noise, B = 2500 in the default chunks of 1024: 1024 + 1024 + 452), every pool planning the same chunks at the same kernel thread count', { skip }, async () => {
  // The student as distillation builds it: the learned ring teacher plus a new γ-embedding; its layers are oneDNN GEMMs.
  const spec: SamplingSpec = {
    schedule: { name: 'scaled-linear' },
    model: { kind: 'checkpoint', file: TEACHER_CKPT, overrides: { gammaEmbedDim: 16 }, initSeed: 3 },
    sampler: { kind: 'lcm', timesteps: [999, 759, 499, 259], noise: 'fresh', seed: 5 },
  };
  const B = 2500;
  assert.equal(SAMPLE_CHUNK_ROWS, 1024, 'the chunk sizes named in this test');
  assert.deepEqual(planChunks(B).map((c) => c.rows), [1024, 1024, 452]);
  const noise = Float32Array.from(next([B, 2]).data, (v) => v * 1.7);
  const native = loadNative();
  const threadsBefore = native.threads();
  const serial = await sampleSerial(spec, noise, 2);
  assert.equal(native.threads(), threadsBefore, 'the serial run restores the thread count it changed');
  assert.ok(serial.every(Number.isFinite));
  for (const workers of [1, 2, 3]) {
    const pool = await startSamplingPool(spec, { workers });
    try {
      // The plan and the thread count are the pool's, whatever its size: the same as the serial run's.
      assert.deepEqual(pool.plan(B), planChunks(B), `${workers} workers: chunks`);
      assert.deepEqual(pool.chunking, { chunkRows: SAMPLE_CHUNK_ROWS, kernelThreads: SAMPLE_KERNEL_THREADS }, `${workers} workers: chunking`);
      assert.ok(sameBits(await pool.sample(noise, 2), serial), `${workers} workers: samples differ from the serial run`);
    } finally {
      await pool.close();
    }
  }
});

test('training through the native kernels keeps the backend data count flat over 20 steps', { skip }, () => {
  const f = tf.variable(tf.tensor(next([3, 3, 4, 8]).data, [3, 3, 4, 8]).mul(0.3));
  const bias = tf.variable(tf.zeros([8]));
  const w = tf.variable(tf.tensor(next([8 * 6 * 6, 3]).data, [8 * 6 * 6, 3]).mul(0.1));
  const x = make(input(5, 6, 6, 4));
  const y = make(input(5, 3));
  const step = () =>
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => {
        const h = tf.relu(tf.fused.conv2d({ x: x as tf.Tensor4D, filter: f as unknown as tf.Tensor4D, strides: 1, pad: 'same', bias }));
        return tf.losses.meanSquaredError(y, tf.matMul(tf.reshape(h, [5, -1]), w)) as tf.Scalar;
      });
      for (const v of [f, bias, w]) v.assign(tf.sub(v, tf.mul(grads[v.name], 0.01)));
    });
  step();
  const backend = tf.backend() as unknown as { numDataIds(): number };
  const tensors0 = tf.memory().numTensors;
  const data0 = backend.numDataIds();
  for (let i = 0; i < 20; i++) step();
  assert.equal(tf.memory().numTensors, tensors0);
  assert.equal(backend.numDataIds(), data0);
  tf.dispose([f, bias, w, x, y]);
});

test('the addon refuses a view too short for the shape (RangeError naming it) and a non-Float32Array (TypeError)', { skip }, () => {
  const native = loadNative();
  assert.throws(
    () => native.gemm(new Float32Array(6), new Float32Array(6), new Float32Array(3), [1, 2, 2, 3, 0, 0, 0, 0, 0], null),
    (e: Error & { code?: string }) => e instanceof RangeError && e.code === 'ERR_SPLAM_NATIVE_SHAPE' && /c has 3 floats, needs 4/.test(e.message),
  );
  assert.throws(
    () => native.conv2d(new Float64Array(4) as unknown as Float32Array, new Float32Array(1), null, new Float32Array(4), [1, 2, 2, 1, 2, 2, 1, 1, 1, 1, 1, 1, 1, 0, 0]),
    (e: Error) => e instanceof TypeError && /x must be a Float32Array/.test(e.message),
  );
  assert.throws(
    () => native.conv2d(new Float32Array(4), new Float32Array(1), null, new Float32Array(4), [1, 2, 2, 1, 2, 2, 1, 1, 1, 0, 1, 1, 1, 0, 0]),
    (e: Error) => e instanceof RangeError && /strides and dilations must be ≥ 1/.test(e.message),
  );
  assert.throws(() => native.setThreads(0), RangeError);
});
