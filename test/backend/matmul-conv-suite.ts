/**
 * The matMul, conv2d and conv2dTranspose cases that every wasm-based backend (`wasm`, `native`) must compute like the
 * cpu backend, values and gradients to 1e-4 (protocol: ./cpu-oracle.ts). Called by the backend's test file after it
 * initialised that backend; the kernels that answer are whatever that backend registered under 'wasm'.
 */
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { assertMatchesCpu, inputs, make, valueAndGrads as valueAndGradsOf, type Input } from './cpu-oracle.js';

/** Define the shared cases as tests of the calling file. */
export function matMulConvSuite(): void {
  const next = inputs(1);
  const input = (...shape: number[]) => next(shape);
  const valueAndGrads = (f: (...xs: tf.Tensor[]) => tf.Tensor, xs: Input[], outShape: number[]) => valueAndGradsOf(next, f, xs, outShape);

// ---------------------------------------------------------------------------------------------------------------
// matMul

const matMulCases: { label: string; a: number[]; b: number[]; out: number[] }[] = [
  { label: '2-D 33×17 · 17×29', a: [33, 17], b: [17, 29], out: [33, 29] },
  { label: 'batched 3×33×17 · 3×17×29 (stock loop: entries below the per-entry GEMM size)', a: [3, 33, 17], b: [3, 17, 29], out: [3, 33, 29] },
  { label: 'batched 3×40×36 · 3×36×41 (one GEMM per entry)', a: [3, 40, 36], b: [3, 36, 41], out: [3, 40, 41] },
];

for (const c of matMulCases) {
  for (const [ta, tb] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    test(`matMul ${c.label} with transposeA=${ta} transposeB=${tb}: value and both gradients match cpu to 1e-4`, async () => {
      const swap = (s: number[]) => [...s.slice(0, -2), s[s.length - 1], s[s.length - 2]];
      const a = input(...(ta ? swap(c.a) : c.a));
      const b = input(...(tb ? swap(c.b) : c.b));
      await assertMatchesCpu(c.label, valueAndGrads((x, y) => tf.matMul(x, y, ta, tb), [a, b], c.out));
    });
  }
}

test('matMul broadcasts batches like cpu: [4,9,7]·[7,5], [9,7]·[3,7,5], [1,7,9]ᵀ·[3,7,5] and [2,1,9,7]·[1,3,7,5]', async () => {
  const a1 = input(4, 9, 7);
  const b1 = input(7, 5);
  const a2 = input(9, 7);
  const b2 = input(3, 7, 5);
  const a3 = input(1, 7, 9);
  const b3 = input(3, 7, 5);
  const a4 = input(2, 1, 9, 7);
  const b4 = input(1, 3, 7, 5);
  await assertMatchesCpu('broadcast', () => [
    tf.matMul(make(a1), make(b1)),
    tf.matMul(make(a2), make(b2)),
    tf.matMul(make(a3), make(b3), true, false),
    tf.matMul(make(a4), make(b4)),
  ]);
});

test('matMul with a batch-shared 2-D right operand: gradient of a [3,9,7] input matches cpu', async () => {
  const a = input(3, 9, 7);
  const b = input(7, 5);
  const r = input(3, 9, 5);
  await assertMatchesCpu('shared weights', () => {
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, make(b)), make(r))))(make(a));
    return [g];
  });
});

test('fused matMul with bias and relu, transposeA and transposeB: value matches cpu', async () => {
  const a = input(12, 10);
  const b = input(8, 12);
  const bias = input(8);
  await assertMatchesCpu('fused', () => [
    tf.fused.matMul({ a: make(a), b: make(b), transposeA: true, transposeB: true, bias: make(bias), activation: 'relu' }),
  ]);
});

test('fused matMul with batched operands (stock wasm is wrong there) and every activation: values match cpu', async () => {
  const shapes: [number[], number[]][] = [[[3, 12, 10], [10, 8]], [[12, 10], [3, 10, 8]], [[3, 12, 10], [3, 10, 8]]];
  const bias = input(8);
  const prelu = input(8);
  for (const [sa, sb] of shapes) {
    const a = input(...sa);
    const b = input(...sb);
    await assertMatchesCpu(`fused [${sa}]·[${sb}]`, () =>
      (['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu', 'prelu'] as const).map((activation) =>
        tf.fused.matMul({
          a: make(a),
          b: make(b),
          bias: make(bias),
          activation,
          leakyreluAlpha: 0.1,
          preluActivationWeights: activation === 'prelu' ? make(prelu) : undefined,
        }),
      ),
    );
  }
});

// ---------------------------------------------------------------------------------------------------------------
// conv2d

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
const convCases: { x: number[]; f: number[]; s: number | [number, number]; pad: Pad }[] = [
  { x: [2, 8, 8, 3], f: [3, 3, 3, 4], s: 1, pad: 'same' },
  { x: [2, 8, 8, 3], f: [3, 3, 3, 4], s: 2, pad: 'same' },
  { x: [2, 9, 9, 3], f: [3, 3, 3, 4], s: 1, pad: 'valid' },
  { x: [2, 10, 10, 3], f: [3, 3, 3, 4], s: 2, pad: 'valid' },
  { x: [2, 11, 7, 5], f: [3, 2, 5, 6], s: [2, 1], pad: 'same' },
  { x: [3, 8, 8, 1], f: [3, 3, 1, 8], s: 1, pad: 'same' },
  { x: [2, 9, 8, 8], f: [5, 5, 8, 1], s: 2, pad: 'same' },
  { x: [2, 7, 7, 4], f: [1, 1, 4, 3], s: 2, pad: 'valid' },
  { x: [1, 12, 12, 16], f: [3, 3, 16, 32], s: 2, pad: 'same' },
  { x: [2, 9, 10, 3], f: [3, 3, 3, 2], s: 2, pad: [[0, 0], [2, 0], [1, 3], [0, 0]] },
  { x: [2, 8, 8, 2], f: [2, 2, 2, 3], s: 3, pad: 'valid' },
];

const outSize = (n: number, k: number, s: number, pad: Pad, axis: 1 | 2) =>
  pad === 'same'
    ? Math.ceil(n / s)
    : pad === 'valid'
      ? Math.ceil((n - k + 1) / s)
      : Math.floor((n - k + pad[axis][0] + pad[axis][1]) / s) + 1;

for (const c of convCases) {
  const [sh, sw] = typeof c.s === 'number' ? [c.s, c.s] : c.s;
  const label = `conv2d x=[${c.x}] f=[${c.f}] s=[${sh},${sw}] pad=${JSON.stringify(c.pad)}`;
  test(`${label}: value and gradients for x and filter match cpu to 1e-4`, async () => {
    const out = [c.x[0], outSize(c.x[1], c.f[0], sh, c.pad, 1), outSize(c.x[2], c.f[1], sw, c.pad, 2), c.f[3]];
    const x = input(...c.x);
    const f = input(...c.f);
    await assertMatchesCpu(
      label,
      valueAndGrads((xt, ft) => tf.conv2d(xt as tf.Tensor4D, ft as tf.Tensor4D, [sh, sw], c.pad), [x, f], out),
    );
  });
}

test('conv2d with dilation 2 (forward; tfjs has no gradient for dilated conv2d on any backend) matches cpu', async () => {
  const x = input(2, 9, 9, 3);
  const f = input(3, 3, 3, 4);
  await assertMatchesCpu('dilated conv2d', () => [
    tf.conv2d(make(x) as tf.Tensor4D, make(f) as tf.Tensor4D, 1, 'same', 'NHWC', 2),
  ]);
});

test('Conv2DBackpropInput/Filter kernels with NCHW data match cpu', async () => {
  const dy = input(2, 4, 4, 5); // [batch, outC, outH, outW]
  const filter = input(3, 3, 3, 4);
  const x = input(2, 3, 9, 10); // [batch, inC, H, W]
  const dyF = input(2, 4, 5, 5);
  await assertMatchesCpu('NCHW', () => [
    tf.engine().runKernel('Conv2DBackpropInput', { dy: make(dy), filter: make(filter) }, {
      strides: [2, 2], pad: 'same', dataFormat: 'NCHW', inputShape: [2, 3, 8, 9],
    }) as tf.Tensor,
    tf.engine().runKernel('Conv2DBackpropFilter', { x: make(x), dy: make(dyF) }, {
      strides: [2, 2], pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 3, 4],
    }) as tf.Tensor,
  ]);
});

test('Conv2DBackpropInput/Filter kernels with numeric pad and dimRoundingMode ceil match cpu', async () => {
  // x 9×9, k 3, s 2, pad 1, ceil: out = ceil((9 − 3 + 2)/2 + 1) = 5.
  const dy = input(2, 5, 5, 4);
  const filter = input(3, 3, 3, 4);
  const x = input(2, 9, 9, 3);
  const attrs = { strides: [2, 2], pad: 1, dataFormat: 'NHWC', dimRoundingMode: 'ceil' };
  await assertMatchesCpu('ceil', () => [
    tf.engine().runKernel('Conv2DBackpropInput', { dy: make(dy), filter: make(filter) }, { ...attrs, inputShape: [2, 9, 9, 3] }) as tf.Tensor,
    tf.engine().runKernel('Conv2DBackpropFilter', { x: make(x), dy: make(dy) }, { ...attrs, filterShape: [3, 3, 3, 4] }) as tf.Tensor,
  ]);
});

test('Conv2DBackpropInput/Filter kernels with padding wider than the kernel (cropped windows) match cpu', async () => {
  // pad top 4 > k − 1 = 2: the input-gradient window starts inside dy; bottom pad 0 with stride 3 drops input rows.
  const pad = [[0, 0], [4, 0], [0, 5], [0, 0]];
  const x = input(1, 10, 7, 2);
  const filter = input(3, 3, 2, 3);
  // out H = floor((10 − 3 + 4)/3) + 1 = 4, out W = floor((7 − 3 + 5)/3) + 1 = 4
  const dy = input(1, 4, 4, 3);
  await assertMatchesCpu('wide pad', () => [
    tf.engine().runKernel('Conv2DBackpropInput', { dy: make(dy), filter: make(filter) }, {
      strides: [3, 3], pad, dataFormat: 'NHWC', inputShape: [1, 10, 7, 2],
    }) as tf.Tensor,
    tf.engine().runKernel('Conv2DBackpropFilter', { x: make(x), dy: make(dy) }, {
      strides: [3, 3], pad, dataFormat: 'NHWC', filterShape: [3, 3, 2, 3],
    }) as tf.Tensor,
  ]);
});

// ---------------------------------------------------------------------------------------------------------------
// conv2dTranspose

for (const c of [
  { x: [2, 5, 5, 4], f: [3, 3, 6, 4], out: [2, 10, 10, 6], s: 2, pad: 'same' as const },
  { x: [2, 6, 6, 4], f: [3, 3, 6, 4], out: [2, 8, 8, 6], s: 1, pad: 'valid' as const },
  { x: [1, 4, 3, 3], f: [4, 4, 2, 3], out: [1, 10, 8, 2], s: 2, pad: 'valid' as const },
]) {
  const label = `conv2dTranspose x=[${c.x}] f=[${c.f}] → [${c.out}] s=${c.s} pad=${c.pad}`;
  test(`${label}: value and gradients match cpu to 1e-4`, async () => {
    const x = input(...c.x);
    const f = input(...c.f);
    await assertMatchesCpu(
      label,
      valueAndGrads(
        (xt, ft) => tf.conv2dTranspose(xt as tf.Tensor4D, ft as tf.Tensor4D, c.out as [number, number, number, number], c.s, c.pad),
        [x, f],
        c.out,
      ),
    );
  });
}
}
