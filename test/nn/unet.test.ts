import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { makeRng } from '../../lib/data/rng.js';
import { ShapeError } from '../../lib/errors.js';
import { countParams, disposeParams, flatten } from '../../lib/nn/params.js';
import { makeUnet, type UnetConfig } from '../../lib/nn/unet.js';
import { Adam } from '../../lib/train/adam.js';
import { assertArgumentError, maxAbsDiff, setup } from '../helpers.js';
import { relErr } from '../backend/cpu-oracle.js';

const backend = await setup();

/** Small configurations (the test runs the cpu backend too). */
const LATENT: Partial<UnetConfig> & Pick<UnetConfig, 'height' | 'width' | 'channels'> = {
  height: 7, width: 7, channels: 4, baseChannels: 8, channelMults: [1, 2], groups: 4, timeEmbedDim: 8, timeHidden: 16,
};
const PIXEL: Partial<UnetConfig> & Pick<UnetConfig, 'height' | 'width' | 'channels'> = {
  height: 28, width: 28, channels: 1, baseChannels: 8, channelMults: [1, 2, 2], groups: 4, timeEmbedDim: 8, timeHidden: 16,
};

function batch(shape: number[], seed: number) {
  const rng = makeRng(seed);
  return tf.tensor(rng.normalArray(shape.reduce((a, b) => a * b, 1)), shape);
}

/**
 * Parameter count from the architecture, written independently of lib/nn/unet.ts:
 * conv k×k ci→co: k²·ci·co + co; GroupNorm c: 2c; dense i→o: i·o + o; ResBlock(ci→co): GN(ci) + conv3(ci, co) +
 * dense(T, co) + GN(co) + conv3(co, co) + (ci ≠ co: conv1(ci, co)); time MLP dense(E, T) + dense(T, T);
 * γ-projection d_γ·E; class table (K + 1)·T; conv_in conv3(C, c₀); out GN(c₀) + conv3(c₀, C).
 */
function expectedParams(c: UnetConfig): number {
  const conv = (k: number, ci: number, co: number) => k * k * ci * co + co;
  const dense = (i: number, o: number) => i * o + o;
  const T = c.timeHidden;
  const res = (ci: number, co: number) => 2 * ci + conv(3, ci, co) + dense(T, co) + 2 * co + conv(3, co, co) + (ci !== co ? conv(1, ci, co) : 0);
  const ch = c.channelMults.map((m) => m * c.baseChannels);
  const L = ch.length;
  let n = dense(c.timeEmbedDim, T) + dense(T, T) + c.gammaEmbedDim * c.timeEmbedDim + (c.numClasses > 0 ? (c.numClasses + 1) * T : 0);
  n += conv(3, c.channels, ch[0]);
  for (let l = 0; l < L; l++) for (let r = 0; r < c.resBlocks; r++) n += res(r === 0 ? ch[Math.max(l - 1, 0)] : ch[l], ch[l]);
  n += res(ch[L - 1], ch[L - 1]);
  for (let l = L - 1; l >= 0; l--) for (let r = 0; r < c.resBlocks; r++) n += res(r === 0 ? ch[Math.min(l + 1, L - 1)] + ch[l] : ch[l], ch[l]);
  return n + 2 * ch[0] + conv(3, ch[0], c.channels);
}

test('the output has the input\'s shape for 28×28×1 pixels and for a 7×7×4 latent (padded to 8×8 inside)', () => {
  for (const cfg of [PIXEL, LATENT]) {
    const net = makeUnet(cfg, makeRng(0));
    const x = batch([3, cfg.height, cfg.width, cfg.channels], 1);
    const y = net.apply(x, tf.tensor1d([0, 500, 999]));
    assert.deepEqual(y.shape, [3, cfg.height, cfg.width, cfg.channels]);
    assert.ok(Number.isFinite(y.sum().dataSync()[0]));
    disposeParams(net.params);
  }
  assert.deepEqual(makeUnet(LATENT, makeRng(0)).padded, { height: 8, width: 8 });
  assert.deepEqual(makeUnet(PIXEL, makeRng(0)).padded, { height: 28, width: 28 });
  assert.deepEqual(makeUnet({ ...PIXEL, height: 13, width: 10 }, makeRng(0)).padded, { height: 16, width: 12 }, 'three levels: multiples of 4');
});

test('the parameter count equals the architecture\'s formula (with and without classes, γ-embedding, extra blocks)', () => {
  const cases: (Partial<UnetConfig> & Pick<UnetConfig, 'height' | 'width' | 'channels'>)[] = [
    PIXEL,
    { ...LATENT, numClasses: 10, gammaEmbedDim: 16 },
    { ...LATENT, channelMults: [1, 2, 3], resBlocks: 2, numClasses: 3 },
    { height: 28, width: 28, channels: 1 },
  ];
  for (const cfg of cases) {
    const net = makeUnet(cfg, makeRng(0));
    assert.equal(countParams(net.params), expectedParams(net.config), JSON.stringify(cfg));
    disposeParams(net.params);
  }
  // The bench's networks, for the record: default pixel U-Net 28×28×1 with 10 classes.
  const pixel = makeUnet({ height: 28, width: 28, channels: 1, numClasses: 10 }, makeRng(0));
  assert.equal(countParams(pixel.params), 580033);
  disposeParams(pixel.params);
});

test('the same seed builds the same weights; another seed other weights', () => {
  const a = makeUnet(LATENT, makeRng(7));
  const b = makeUnet(LATENT, makeRng(7));
  const c = makeUnet(LATENT, makeRng(8));
  assert.deepEqual(flatten(a.params), flatten(b.params));
  assert.ok(maxAbsDiff(flatten(a.params), flatten(c.params)) > 0);
  assert.deepEqual([...a.params.keys()], [...b.params.keys()]);
  for (const n of [a, b, c]) disposeParams(n.params);
});

test('the wasm forward pass equals the cpu forward pass to 1e-4 (relative, max-norm), with classes and γ', async () => {
  assert.equal(backend.tfBackend, 'wasm', 'this test compares the default wasm backend with cpu');
  for (const cfg of [{ ...LATENT, numClasses: 3, gammaEmbedDim: 8 }, { ...PIXEL, numClasses: 3 }]) {
    const outs: Float32Array[] = [];
    for (const be of ['wasm', 'cpu'] as const) {
      await tf.setBackend(be);
      const net = makeUnet(cfg, makeRng(3));
      const x = batch([4, cfg.height, cfg.width, cfg.channels], 4);
      const y = net.apply(x, tf.tensor1d([10, 200, 600, 990]), tf.tensor1d([0.1, 0.5, 0.9, 1]), [-1, 0, 1, 2]);
      outs.push(Float32Array.from(y.dataSync()));
      disposeParams(net.params);
    }
    const err = relErr(outs[0], outs[1]);
    assert.ok(err <= 1e-4, `${cfg.height}×${cfg.width}: relative error ${err.toExponential(2)}`);
  }
  await tf.setBackend('wasm');
});

/** Gradients of the ε-prediction loss for every parameter, by name, on the active backend. */
function lossGrads(cfg: typeof LATENT & Partial<UnetConfig>, B: number): Map<string, Float32Array> {
  const net = makeUnet(cfg, makeRng(5));
  const x = batch([B, 7, 7, 4], 6);
  const eps = batch([B, 7, 7, 4], 7);
  const t = tf.tensor1d([50, 400, 900].slice(0, B));
  const gamma = tf.tensor1d([0.2, 0.7, 1].slice(0, B));
  const labels = [2, -1, 0].slice(0, B);
  const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.sub(net.apply(x, t, gamma, labels), eps))) as tf.Scalar, [...net.params.values()]);
  assert.ok(Number.isFinite(value.dataSync()[0]));
  const out = new Map([...net.params].map(([name, v]) => [name, Float32Array.from(grads[v.name].dataSync())]));
  tf.dispose([value, ...Object.values(grads), x, eps, t, gamma]);
  disposeParams(net.params);
  return out;
}

test('every parameter gets a finite, nonzero gradient on wasm (batch 3, classes and γ)', () => {
  const grads = lossGrads({ ...LATENT, numClasses: 3, gammaEmbedDim: 8 }, 3);
  for (const [name, g] of grads) {
    assert.ok(g.every(Number.isFinite), `${name}: non-finite gradient`);
    assert.ok(g.some((v) => v !== 0), `${name}: gradient is all zero`);
  }
});

test('wasm gradients equal cpu gradients to 1e-3 for every parameter (batch 1)', async () => {
  // Batch 1: tfjs-backend-cpu 4.22's ResizeNearestNeighborGrad indexes dy with the input's batch stride, so its
  // gradients are wrong for batch > 1 (2×[2,2]→[4,4]: error 5.4); see test/backend/wasm-kernels-extra.test.ts.
  const cfg = { ...LATENT, numClasses: 3, gammaEmbedDim: 8 };
  const wasm = lossGrads(cfg, 1);
  await tf.setBackend('cpu');
  const cpu = lossGrads(cfg, 1);
  await tf.setBackend('wasm');
  for (const [name, g] of wasm) {
    const err = relErr(g, cpu.get(name)!);
    assert.ok(err <= 1e-3, `${name}: wasm vs cpu gradient relative error ${err.toExponential(2)}`);
  }
});

test('labels change the output only with numClasses > 0; label −1 is the default (null) label', () => {
  const x = batch([2, 7, 7, 4], 9);
  const t = tf.tensor1d([300, 300]);
  const plain = makeUnet(LATENT, makeRng(1));
  assert.equal(maxAbsDiff(plain.apply(x, t, undefined, [1, 1]), plain.apply(x, t, undefined, [-1, -1])), 0);
  const cond = makeUnet({ ...LATENT, numClasses: 3 }, makeRng(1));
  assert.ok(maxAbsDiff(cond.apply(x, t, undefined, [1, 1]), cond.apply(x, t, undefined, [-1, -1])) > 1e-4);
  assert.equal(maxAbsDiff(cond.apply(x, t, undefined, [-1, -1]), cond.apply(x, t)), 0);
  assertArgumentError(() => cond.apply(x, t, undefined, [0, 3]), { fn: 'Unet.apply', arg: 'labels[1]', value: 3 });
  disposeParams(plain.params);
  disposeParams(cond.params);
});

test('γ changes the output only with a γ-embedding (gammaEmbedDim > 0); without γ it defaults to 1', () => {
  const x = batch([2, 7, 7, 4], 10);
  const t = tf.tensor1d([300, 300]);
  const g = tf.tensor1d([0.3, 0.3]);
  const ones = tf.tensor1d([1, 1]);
  const plain = makeUnet(LATENT, makeRng(2));
  assert.equal(maxAbsDiff(plain.apply(x, t, g), plain.apply(x, t, ones)), 0);
  const withGamma = makeUnet({ ...LATENT, gammaEmbedDim: 8 }, makeRng(2));
  assert.ok(maxAbsDiff(withGamma.apply(x, t, g), withGamma.apply(x, t, ones)) > 1e-4);
  assert.equal(maxAbsDiff(withGamma.apply(x, t), withGamma.apply(x, t, ones)), 0);
  disposeParams(plain.params);
  disposeParams(withGamma.params);
});

test('bad configurations are rejected with an ArgumentError naming the field; bad inputs with a ShapeError', () => {
  const base = { height: 28, width: 28, channels: 1 };
  assertArgumentError(() => makeUnet({ ...base, groups: 5 }, makeRng(0)), { fn: 'makeUnet', arg: 'groups', value: 5 });
  assertArgumentError(() => makeUnet({ ...base, channelMults: [] }, makeRng(0)), { fn: 'makeUnet', arg: 'channelMults', value: [] });
  assertArgumentError(() => makeUnet({ ...base, channelMults: [1, 1.5] }, makeRng(0)), { fn: 'makeUnet', arg: 'channelMults' });
  assertArgumentError(() => makeUnet({ ...base, height: 0 }, makeRng(0)), { fn: 'makeUnet', arg: 'height', value: 0 });
  assertArgumentError(() => makeUnet({ ...base, timeEmbedDim: 7 }, makeRng(0)), { fn: 'makeUnet', arg: 'timeEmbedDim', value: 7 });
  assertArgumentError(() => makeUnet({ ...base, gammaEmbedDim: 3 }, makeRng(0)), { fn: 'makeUnet', arg: 'gammaEmbedDim', value: 3 });
  assertArgumentError(() => makeUnet({ ...base, gammaEmbedScale: 0 }, makeRng(0)), { fn: 'makeUnet', arg: 'gammaEmbedScale', value: 0 });
  assertArgumentError(() => makeUnet({ ...base, numClasses: -1 }, makeRng(0)), { fn: 'makeUnet', arg: 'numClasses', value: -1 });
  const net = makeUnet(LATENT, makeRng(0));
  assert.throws(() => net.apply(tf.zeros([2, 7, 7, 3]), tf.tensor1d([1, 2])), (e: unknown) => e instanceof ShapeError && e.arg === 'x');
  assert.throws(() => net.apply(tf.zeros([2, 7, 7, 4]), tf.tensor1d([1, 2, 3])), (e: unknown) => e instanceof ShapeError && e.arg === 't');
  disposeParams(net.params);
});

test('AdamW steps on wasm halve the loss on a fixed batch and keep the tensor count flat', () => {
  const net = makeUnet({ ...LATENT, numClasses: 2, gammaEmbedDim: 8 }, makeRng(11));
  const x = batch([4, 7, 7, 4], 12);
  const eps = batch([4, 7, 7, 4], 13);
  const t = tf.tensor1d([100, 300, 500, 700]);
  const gamma = tf.tensor1d([1, 0.5, 0.25, 1]);
  const opt = new Adam(net.params, { lr: 3e-3 });
  const loss = () => tf.tidy(() => tf.mean(tf.square(tf.sub(net.apply(x, t, gamma, [0, 1, -1, 0]), eps))) as tf.Scalar);
  const first = opt.step(loss).loss;
  const n0 = tf.memory().numTensors;
  let last = first;
  for (let i = 0; i < 40; i++) last = opt.step(loss).loss;
  assert.equal(tf.memory().numTensors, n0, 'tensors leaked over 40 steps');
  assert.ok(last < 0.5 * first, `loss ${first} → ${last}`);
  opt.dispose();
  disposeParams(net.params);
});
