/**
 * LCM's w-embedding: the embedding itself, the `time.w_proj` parameter of the MLP and the U-Net (created
 * last, only when on), the per-sample guidance of lib/diffusion/guidance.ts, and the objective's w draw.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { makeRng } from '../../lib/data/rng.js';
import { guided, NULL_LABEL, type ClassCond } from '../../lib/diffusion/guidance.js';
import { makeSchedule } from '../../lib/diffusion/schedules.js';
import type { Denoiser } from '../../lib/diffusion/types.js';
import { ShapeError } from '../../lib/errors.js';
import { gammaEmbedding, wEmbedding } from '../../lib/nn/embeddings.js';
import { guidedNetDenoiser, netDenoiser, netGammaModel } from '../../lib/nn/eps-net.js';
import { makeMlp } from '../../lib/nn/mlp.js';
import { disposeParams, flatten } from '../../lib/nn/params.js';
import { makeUnet } from '../../lib/nn/unet.js';
import { solverGrid } from '../../lib/splam/grid.js';
import { checkObjective, disposeBatch, prepareSplamBatch, type SplamObjective } from '../../lib/splam/objective.js';
import { assertArgumentError, maxAbsDiff, setup } from '../helpers.js';

await setup();

const MLP = { dim: 3, hidden: 16, blocks: 2, timeEmbedDim: 8, numClasses: 3, gammaEmbedDim: 8 };
const UNET = { height: 7, width: 7, channels: 4, baseChannels: 8, channelMults: [1, 2], groups: 4, timeEmbedDim: 8, timeHidden: 16, numClasses: 3, gammaEmbedDim: 8 };

test('the w-embedding is diffusers’ guidance_scale_embedding: v = 1000·w, ω_j = exp(−j·ln 10⁴/(half − 1)), sin first', () => {
  const e = wEmbedding(tf.tensor1d([0, 0.0075]), 8).arraySync();
  assert.deepEqual(e[0], [0, 0, 0, 0, 1, 1, 1, 1], 'w = 0 embeds to [0…, 1…]');
  const v = 1000 * 0.0075;
  const freq = (j: number) => Math.exp((-j * Math.log(10000)) / 3);
  const want = [0, 1, 2, 3].map((j) => Math.sin(v * freq(j))).concat([0, 1, 2, 3].map((j) => Math.cos(v * freq(j))));
  assert.ok(maxAbsDiff(e[1], want) < 1e-5);
  // The same helper as the γ-embedding: γ-embedding(γ) = w-embedding(10 − 10γ).
  const g = tf.tensor1d([0.2, 0.9]);
  assert.ok(maxAbsDiff(gammaEmbedding(g, 16), wEmbedding(tf.sub(10, g.mul(10)) as tf.Tensor1D, 16)) < 1e-3);
  // A scale of its own.
  assert.ok(maxAbsDiff(wEmbedding(tf.tensor1d([3]), 8, 10), wEmbedding(tf.tensor1d([0.03]), 8)) < 1e-5);
  assertArgumentError(() => wEmbedding(tf.tensor1d([1]), 2), { fn: 'wEmbedding', arg: 'dim', value: 2 });
  assertArgumentError(() => wEmbedding(tf.tensor1d([1]), 7), { fn: 'wEmbedding', arg: 'dim', value: 7 });
});

test('time.w_proj appears only when wEmbedDim > 0, last, and every other parameter is unchanged (names, order, values)', () => {
  for (const [kind, build] of [
    ['mlp', (o: { wEmbedDim?: number }) => makeMlp({ ...MLP, ...o }, makeRng(4))],
    ['unet', (o: { wEmbedDim?: number }) => makeUnet({ ...UNET, ...o }, makeRng(4))],
  ] as const) {
    const off = build({});
    const zero = build({ wEmbedDim: 0 });
    const on = build({ wEmbedDim: 16 });
    assert.ok(![...off.params.keys()].some((k) => k.includes('w_proj')), `${kind}: no w_proj when off`);
    assert.deepEqual([...zero.params.keys()], [...off.params.keys()], `${kind}: dim 0 = absent`);
    const keys = [...on.params.keys()];
    assert.equal(keys.at(-1), 'time.w_proj.weight', `${kind}: created last`);
    assert.deepEqual(keys.slice(0, -1), [...off.params.keys()], `${kind}: the other names in the same order`);
    assert.deepEqual(on.params.get('time.w_proj.weight')!.shape, [16, 8], `${kind}: bias-free d_w → E`);
    const withoutW = new Map([...on.params].filter(([k]) => k !== 'time.w_proj.weight'));
    assert.deepEqual(flatten(withoutW), flatten(off.params), `${kind}: the same draws for every other parameter`);
    [off, zero, on].forEach((n) => disposeParams(n.params));
  }
  assertArgumentError(() => makeMlp({ ...MLP, wEmbedDim: 3 }, makeRng(0)), { fn: 'makeMlp', arg: 'wEmbedDim', value: 3 });
  assertArgumentError(() => makeUnet({ ...UNET, wEmbedDim: 2 }, makeRng(0)), { fn: 'makeUnet', arg: 'wEmbedDim', value: 2 });
  assertArgumentError(() => makeUnet({ ...UNET, wEmbedDim: 8, wEmbedScale: 0 }, makeRng(0)), { fn: 'makeUnet', arg: 'wEmbedScale', value: 0 });
});

test('a network with a w-embedding needs w (ArgumentError naming w; ShapeError for a wrong length); one without ignores it', () => {
  const mlp = makeMlp({ ...MLP, wEmbedDim: 8 }, makeRng(1));
  const unet = makeUnet({ ...UNET, wEmbedDim: 8 }, makeRng(1));
  const plain = makeMlp(MLP, makeRng(1));
  const x = tf.randomNormal([2, 3]);
  const xi = tf.randomNormal([2, 7, 7, 4]);
  const t = tf.tensor1d([10, 500]);
  assertArgumentError(() => mlp.apply(x, t, undefined, [0, 1]), { fn: 'Mlp.apply', arg: 'w' });
  assertArgumentError(() => unet.apply(xi, t, undefined, [0, 1]), { fn: 'Unet.apply', arg: 'w' });
  assert.throws(() => mlp.apply(x, t, undefined, [0, 1], tf.tensor1d([1, 2, 3])), (e: unknown) => e instanceof ShapeError && e.arg === 'w');
  const a = plain.apply(x, t, undefined, [0, 1]);
  const b = plain.apply(x, t, undefined, [0, 1], tf.tensor1d([3, 9]));
  assert.equal(maxAbsDiff(a, b), 0, 'without a w-embedding w is ignored');
  [mlp, unet, plain].forEach((n) => disposeParams(n.params));
});

test('with a zero w-projection the network computes exactly the network without one, for every w; a random one does not', () => {
  for (const kind of ['mlp', 'unet'] as const) {
    const base = kind === 'mlp' ? makeMlp(MLP, makeRng(2)) : makeUnet(UNET, makeRng(2));
    const withW = kind === 'mlp' ? makeMlp({ ...MLP, wEmbedDim: 16 }, makeRng(2)) : makeUnet({ ...UNET, wEmbedDim: 16 }, makeRng(2));
    const x = kind === 'mlp' ? tf.randomNormal([4, 3]) : tf.randomNormal([4, 7, 7, 4]);
    const t = tf.tensor1d([19, 259, 759, 999]);
    const gamma = tf.tensor1d([1, 0.3, 0, 0.7]);
    const labels = [0, 1, 2, -1];
    const want = base.apply(x, t, gamma, labels);
    const rand = withW.apply(x, t, gamma, labels, tf.tensor1d([0, 2, 5, 15]));
    assert.ok(maxAbsDiff(rand, want) > 1e-4, `${kind}: the random w-projection perturbs ε̂`);
    const proj = withW.params.get('time.w_proj.weight')!;
    proj.assign(tf.zerosLike(proj));
    for (const w of [0, 1, 7.5, 15]) {
      const got = withW.apply(x, t, gamma, labels, tf.fill([4], w) as tf.Tensor1D);
      assert.equal(maxAbsDiff(got, want), 0, `${kind}, w = ${w}: the zero projection adds exactly 0`);
    }
    disposeParams(base.params);
    disposeParams(withW.params);
  }
});

test('the adapters pass cond.w to the network as a tensor [B], and leak no tensor', () => {
  const mlp = makeMlp({ ...MLP, wEmbedDim: 8 }, makeRng(3));
  const unet = makeUnet({ ...UNET, wEmbedDim: 8 }, makeRng(3));
  const x = tf.randomNormal([2, 3]);
  const xi = tf.randomNormal([2, 7, 7, 4]);
  const t = tf.tensor1d([100, 600]);
  const g = tf.ones([2]) as tf.Tensor1D;
  const cond = { labels: [0, 2], w: [1.5, 4] };
  const before = tf.memory().numTensors;
  const got = [netGammaModel(mlp)(x, t, g, cond), netDenoiser(mlp)(x, t, cond), netGammaModel(unet)(xi, t, g, cond), netDenoiser(unet)(xi, t, cond)];
  assert.equal(tf.memory().numTensors, before + 4, 'only the outputs remain');
  const wT = tf.tensor1d(cond.w);
  const want = [mlp.apply(x, t, g, cond.labels, wT), mlp.apply(x, t, undefined, cond.labels, wT), unet.apply(xi, t, g, cond.labels, wT), unet.apply(xi, t, undefined, cond.labels, wT)];
  got.forEach((a, i) => assert.equal(maxAbsDiff(a, want[i]), 0, `adapter ${i}`));
  tf.dispose([...got, ...want, wT]);
  [mlp, unet].forEach((n) => disposeParams(n.params));
});

test('guided with per-sample w: all w_i equal is the fixed-w guidance; different w_i guide each row with its own w', () => {
  const net = makeUnet(UNET, makeRng(5));
  const raw = netDenoiser(net);
  const x = tf.randomNormal([3, 7, 7, 4]);
  const t = tf.tensor1d([50, 500, 950]);
  const labels = [2, 0, 1];
  for (const convention of ['lcm', 'cfg'] as const) {
    const fixed = guided(raw, 2.5, convention)(x, t, { labels });
    const same = guided(raw, 8, convention)(x, t, { labels, w: [2.5, 2.5, 2.5] });
    assert.equal(maxAbsDiff(fixed, same), 0, `${convention}: equal w_i = the fixed w exactly`);
    const ws = [0, 2.5, 6];
    const per = guided(raw, 8, convention)(x, t, { labels, w: ws });
    const perRows = tf.split(per, 3);
    ws.forEach((w, i) => {
      const row = tf.split(guided(raw, w, convention)(x, t, { labels }), 3)[i];
      assert.ok(maxAbsDiff(perRows[i], row) < 1e-6, `${convention}: row ${i} is guided with w = ${ws[i]}`);
    });
    const fixedRows = tf.split(fixed, 3);
    assert.ok(maxAbsDiff(perRows[0], fixedRows[0]) > 1e-4, `${convention}: row 0 (w = 0) differs from w = 2.5`);
    assert.equal(maxAbsDiff(perRows[1], fixedRows[1]), 0, `${convention}: row 1 (w = 2.5) is the fixed w = 2.5`);
    assert.ok(maxAbsDiff(perRows[2], fixedRows[2]) > 1e-4, `${convention}: row 2 (w = 6) differs`);
  }
  // The lcm w = 0 shortcut (one call) still guides per sample when cond.w is given.
  const shortcut = guidedNetDenoiser(net, 0)(x, t, { labels, w: [1, 1, 1] });
  const one = guidedNetDenoiser(net, 1)(x, t, { labels });
  assert.equal(maxAbsDiff(shortcut, one), 0);
  const cOnly = guidedNetDenoiser(net, 0)(x, t, { labels });
  assert.equal(maxAbsDiff(cOnly, net.apply(x, t, undefined, labels)), 0, 'w = 0 without cond.w: the conditional network alone');
  // Bad per-sample w.
  assert.throws(() => guided(raw, 1)(x, t, { labels, w: [1, 2] }), (e: unknown) => e instanceof ShapeError && e.arg === 'cond.w');
  assertArgumentError(() => guided(raw, 1)(x, t, { labels, w: [1, NaN, 2] }), { fn: 'guided', arg: 'cond.w[1]' });
  disposeParams(net.params);
});

test('the objective’s w draw: off draws nothing; on, w ~ U[min, max] per sample after the batch’s other draws, given to teacher, target and student', () => {
  const schedule = makeSchedule({ name: 'scaled-linear', N: 1000 });
  const base: SplamObjective = { grid: solverGrid(1000, 50), gamma: { kind: 'uniform' }, sigmaGammaForm: 'rss', loss: { kind: 'l2' } };
  const seen: { teacher?: number[]; target?: number[] } = {};
  const teacher: Denoiser<ClassCond> = (x, _t, cond) => {
    seen.teacher = cond?.w;
    return tf.zerosLike(x);
  };
  const target = (x: tf.Tensor, _t: tf.Tensor1D, _g: tf.Tensor1D, cond?: ClassCond) => {
    seen.target = cond?.w;
    return tf.zerosLike(x);
  };
  const x0 = tf.randomNormal([6, 2]);
  const cond = { labels: [0, 1, 2, 0, 1, NULL_LABEL] };
  const run = (o: SplamObjective) => {
    const rng = makeRng(11);
    const b = prepareSplamBatch({ x0, cond, teacher, target, schedule, objective: o, rng });
    const out = { t: b.t, gamma: Array.from(b.gamma), xGamma: Array.from(b.xGamma.dataSync()), cond: b.cond, next: rng.uniform() };
    disposeBatch(b);
    return out;
  };
  const off = run(base);
  assert.equal(off.cond, cond, 'off: the condition as given');
  assert.equal(seen.teacher, undefined);
  const on = run({ ...base, wRange: { min: 2, max: 6 } });
  assert.deepEqual(on.t, off.t, 'the same t draws');
  assert.deepEqual(on.gamma, off.gamma, 'the same γ draws');
  assert.deepEqual(on.xGamma, off.xGamma, 'the same noise (teacher and target are w-blind here)');
  assert.notEqual(on.next, off.next, 'w was drawn from the objective stream, after the rest');
  const w = on.cond!.w!;
  assert.equal(w.length, 6);
  assert.ok(w.every((v) => v >= 2 && v < 6) && new Set(w).size === 6, `w ∈ [2, 6), per sample: ${w}`);
  assert.deepEqual(on.cond!.labels, cond.labels);
  assert.deepEqual(seen.teacher, w, 'the teacher sees the batch’s w');
  assert.deepEqual(seen.target, w, 'the EMA target sees the batch’s w');
  assertArgumentError(() => checkObjective({ ...base, wRange: { min: 3, max: 1 } }), { fn: 'checkObjective', arg: 'wRange.max' });
  x0.dispose();
});
