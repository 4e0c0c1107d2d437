/**
 * The latent image tier's library pieces: the guided latent teacher, the student built from it, and the SPLAD step
 * (on tiny synthetic latents and tiny model files written here, so no data set or committed model is needed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parseConfig } from '../../lib/config.js';
import { makeRng } from '../../lib/data/rng.js';
import { fashionMnistDir, type ImageSet } from '../../lib/data/fashion-mnist.js';
import { guided, NULL_LABEL } from '../../lib/diffusion/guidance.js';
import { ConfigError } from '../../lib/errors.js';
import { loadLatentUnet, readModelFile, type AutoencoderMeta, type LatentUnetMeta } from '../../lib/experiments/model-files.js';
import { spladSchema, type SpladConfig } from '../../lib/experiments/splad/config.js';
import { spladKind } from '../../lib/experiments/splad/index.js';
import { sessionSteps } from './sessions.js';
import { disposeSplad, setupSplad, spladEvalWs, spladNoises, spladSummaryOf, studentFromTeacher } from '../../lib/experiments/splad/run.js';
import type { LatentEvalRow } from '../../lib/experiments/latent-sampling.js';
import { makeAutoencoder } from '../../lib/nn/autoencoder.js';
import { guidedNetDenoiser, netDenoiser } from '../../lib/nn/eps-net.js';
import { disposeParams, flatten } from '../../lib/nn/params.js';
import { makeUnet } from '../../lib/nn/unet.js';
import { encodeCheckpoint, paramTensors } from '../../lib/train/checkpoint.js';
import { maxAbsDiff, setup } from '../helpers.js';

await setup();

const dir = mkdtempSync(join(tmpdir(), 'splam-splad-'));
const aeFile = join(dir, 'ae.ckpt');
const teacherFile = join(dir, 'teacher.ckpt');
const UNET = { height: 7, width: 7, channels: 4, baseChannels: 8, channelMults: [1, 2], groups: 4, timeEmbedDim: 8, timeHidden: 16, numClasses: 3, gammaEmbedDim: 0 };

{
  const ae = makeAutoencoder({ channels1: 4, channels2: 8 }, makeRng(1));
  const meta: AutoencoderMeta = { kind: 'autoencoder', autoencoder: ae.config, scale: 1.7, source: { test: true } };
  writeFileSync(aeFile, encodeCheckpoint({ meta, tensors: paramTensors('ae', ae.params) }));
  disposeParams(ae.params);
  const net = makeUnet(UNET, makeRng(2));
  const tmeta: LatentUnetMeta = { kind: 'latent-unet', role: 'teacher', unet: net.config, schedule: { name: 'scaled-linear', N: 1000 }, autoencoder: aeFile, scale: 1.7, source: { test: true } };
  writeFileSync(teacherFile, encodeCheckpoint({ meta: tmeta, tensors: paramTensors('net', net.params) }));
  disposeParams(net.params);
}

/** 40 synthetic scaled latents in 3 classes. */
function latents(): ImageSet {
  const rng = makeRng(5);
  return { images: Float32Array.from(rng.normalArray(40 * 196)), labels: Int32Array.from({ length: 40 }, (_, i) => i % 3), shape: [40, 7, 7, 4], classNames: ['a', 'b', 'c'] };
}

const config = (over: Record<string, unknown> = {}): SpladConfig =>
  parseConfig(
    spladSchema,
    { kind: 'splad', seed: 3, autoencoder: aeFile, teacher: teacherFile, guidance: { w: 2 }, student: { gammaEmbedDim: 8 }, train: { steps: 10, batch: 8, lr: 1e-3 }, ...over },
    'test config',
  );

test("the latent teacher's guidance mixes as lib/diffusion/guidance.ts: ε_c + w·(ε_c − ε_u), one call at w = 0", () => {
  const net = makeUnet(UNET, makeRng(7));
  const x = tf.randomNormal([6, 7, 7, 4]);
  const labels = [0, 1, 2, 0, 1, 2];
  const t = tf.tensor1d([10, 200, 400, 600, 800, 999]);
  for (const w of [0, 1.5, 4]) {
    const mine = guidedNetDenoiser(net, w)(x, t, { labels });
    const epsC = net.apply(x, t, undefined, labels);
    const epsU = net.apply(x, t, undefined, labels.map(() => NULL_LABEL));
    const formula = epsC.add(epsC.sub(epsU).mul(w));
    const library = guided(netDenoiser(net), w)(x, t, { labels });
    assert.ok(maxAbsDiff(mine, formula) < 1e-5, `w = ${w}: against the formula`);
    assert.ok(maxAbsDiff(mine, library) < 1e-5, `w = ${w}: against guided()`);
    if (w > 0) assert.ok(maxAbsDiff(epsC, epsU) > 1e-3, 'the class embedding changes ε̂ (else the check is empty)');
    tf.dispose([mine, epsC, epsU, formula, library]);
  }
  // The CFG convention s: ε_u + s·(ε_c − ε_u), s = 1 + w.
  const lcm = guidedNetDenoiser(net, 2)(x, t, { labels });
  const cfg = guidedNetDenoiser(net, 3, 'cfg')(x, t, { labels });
  assert.ok(maxAbsDiff(lcm, cfg) < 1e-5);
  tf.dispose([x, t, lcm, cfg]);
  disposeParams(net.params);
});

test('a SPLAD run distils the teacher guided with its fixed w', async () => {
  const s = await setupSplad(config(), latents());
  const x = tf.randomNormal([3, 7, 7, 4]);
  const t = tf.tensor1d([50, 500, 950]);
  const labels = [2, 0, 1];
  const got = s.teacher(x, t, { labels });
  const epsC = s.teacherNet.apply(x, t, undefined, labels);
  const epsU = s.teacherNet.apply(x, t, undefined, [-1, -1, -1]);
  assert.ok(maxAbsDiff(got, epsC.add(epsC.sub(epsU).mul(2))) < 1e-5);
  tf.dispose([x, t, got, epsC, epsU]);
  disposeSplad(s);
});

test('the student initialised from the teacher with a zero γ-projection computes the teacher’s ε̂ at every γ; a random one does not', () => {
  const ck = readModelFile(teacherFile, 'latent-unet');
  const fromFile = studentFromTeacher(ck, makeRng(9), { gammaEmbedDim: 8, gammaProjInit: 'zero', gammaEmbedScale: 1000 });
  const random = studentFromTeacher(ck, makeRng(9), { gammaEmbedDim: 8, gammaProjInit: 'random', gammaEmbedScale: 1000 });
  assert.deepEqual(fromFile.missing, ['time.cond_proj.weight'], 'only the γ-projection is new');
  // The teacher's own weights, loaded the same way.
  const { net: t0 } = studentFromTeacher(ck, makeRng(9), { gammaEmbedDim: 0, gammaProjInit: 'zero', gammaEmbedScale: 1000 });
  const x = tf.randomNormal([4, 7, 7, 4]);
  const t = tf.tensor1d([19, 259, 759, 999]);
  const labels = [0, 1, 2, -1];
  const want = t0.apply(x, t, undefined, labels);
  for (const g of [0, 0.3, 1]) {
    const gamma = tf.fill([4], g) as tf.Tensor1D;
    const zero = fromFile.net.apply(x, t, gamma, labels);
    const rand = random.net.apply(x, t, gamma, labels);
    assert.equal(maxAbsDiff(zero, want), 0, `γ = ${g}: zero init is the teacher exactly`);
    assert.ok(maxAbsDiff(rand, want) > 1e-4, `γ = ${g}: the random γ-projection perturbs it`);
    tf.dispose([gamma, zero, rand]);
  }
  tf.dispose([x, t, want]);
  [fromFile.net, random.net, t0].forEach((n) => disposeParams(n.params));
});

/** `n` steps of the kind's session on the test latents (from a checkpoint's bytes when given). */
const runFor = (cfg: SpladConfig, n: number, from?: Uint8Array) => sessionSteps(spladKind, cfg, n, { from, data: latents() });

test('SPLAD resumes from its checkpoint exactly; SPLAM and LCM (γ ≡ 1) give different updates from the same start', async () => {
  const c = config();
  const run = runFor;
  const straight = await run(c, 6);
  const first = await run(c, 2);
  const rest = await run(c, 4, spladKind.encode(first.t));
  assert.deepEqual([...first.losses, ...rest.losses], straight.losses);
  assert.deepEqual(flatten(rest.s.student.params), flatten(straight.s.student.params));
  assert.deepEqual(flatten(rest.s.target.params), flatten(straight.s.target.params));
  assert.equal(rest.t.stepsDone, 6);
  const lcm = await run(config({ objective: { gamma: { kind: 'fixed', value: 1 } } }), 2);
  assert.notDeepEqual(lcm.losses, straight.losses.slice(0, 2));
  [straight, first, rest, lcm].forEach((r) => disposeSplad(r.s));
});

test('a SPLAD config naming another autoencoder than the teacher’s is rejected, naming the field and the expected file', async () => {
  const other = join(dir, 'other-ae.ckpt');
  writeFileSync(other, encodeCheckpoint({ meta: { kind: 'autoencoder' }, tensors: [] }));
  await assert.rejects(
    setupSplad(config({ autoencoder: other }), latents()),
    (e: unknown) => e instanceof ConfigError && e.issues[0].path === 'autoencoder' && e.issues[0].allowed === aeFile,
  );
});

// LCM's w-embedding.


test('SPLAD with the w-embedding off is the run without the switch: wEmbed absent and {dim: 0} give the same parameters and losses', async () => {
  const absent = config();
  assert.equal(absent.student.wEmbed, undefined);
  const zero = config({ student: { gammaEmbedDim: 8, wEmbed: { dim: 0 } } });
  const a = await runFor(absent, 3);
  const b = await runFor(zero, 3);
  assert.deepEqual([...b.s.student.params.keys()], [...a.s.student.params.keys()]);
  assert.ok(![...a.s.student.params.keys()].some((k) => k.includes('w_proj')));
  assert.deepEqual(b.losses, a.losses);
  assert.deepEqual(flatten(b.s.student.params), flatten(a.s.student.params));
  [a, b].forEach((r) => disposeSplad(r.s));
});

test('the student from the teacher with a zero w-projection computes the teacher’s ε̂ at every w and γ; a random one does not', () => {
  const ck = readModelFile(teacherFile, 'latent-unet');
  const wEmbed = { dim: 8, min: 0, max: 4, scale: 1000 };
  const zero = studentFromTeacher(ck, makeRng(9), { gammaEmbedDim: 8, gammaProjInit: 'zero', gammaEmbedScale: 1000, wEmbed: { ...wEmbed, projInit: 'zero' } });
  const random = studentFromTeacher(ck, makeRng(9), { gammaEmbedDim: 8, gammaProjInit: 'zero', gammaEmbedScale: 1000, wEmbed: { ...wEmbed, projInit: 'random' } });
  assert.deepEqual(zero.missing, ['time.cond_proj.weight', 'time.w_proj.weight'], 'only the γ- and w-projections are new');
  const { net: teacher } = studentFromTeacher(ck, makeRng(9), { gammaEmbedDim: 0, gammaProjInit: 'zero', gammaEmbedScale: 1000 });
  const x = tf.randomNormal([4, 7, 7, 4]);
  const t = tf.tensor1d([19, 259, 759, 999]);
  const labels = [0, 1, 2, -1];
  const want = teacher.apply(x, t, undefined, labels);
  for (const w of [0, 1.5, 4]) {
    for (const g of [0, 1]) {
      const gamma = tf.fill([4], g) as tf.Tensor1D;
      const wt = tf.fill([4], w) as tf.Tensor1D;
      const z = zero.net.apply(x, t, gamma, labels, wt);
      const r = random.net.apply(x, t, gamma, labels, wt);
      assert.equal(maxAbsDiff(z, want), 0, `w = ${w}, γ = ${g}: zero init is the teacher exactly`);
      assert.ok(maxAbsDiff(r, want) > 1e-4, `w = ${w}, γ = ${g}: the random w-projection perturbs it`);
      tf.dispose([gamma, wt, z, r]);
    }
  }
  tf.dispose([x, t, want]);
  [zero.net, random.net, teacher].forEach((n) => disposeParams(n.params));
});

test('SPLAD with the w-embedding: the teacher is guided per sample, the run resumes exactly, and differs from the fixed-w run', async () => {
  const c = config({ student: { gammaEmbedDim: 8, wEmbed: { dim: 8, min: 0, max: 3 } } });
  const s = await setupSplad(c, latents());
  assert.deepEqual(s.objective.wRange, { min: 0, max: 3 });
  const x = tf.randomNormal([3, 7, 7, 4]);
  const t = tf.tensor1d([50, 500, 950]);
  const labels = [2, 0, 1];
  const w = [0, 1, 3];
  const got = s.teacher(x, t, { labels, w });
  const epsC = s.teacherNet.apply(x, t, undefined, labels);
  const epsU = s.teacherNet.apply(x, t, undefined, [-1, -1, -1]);
  const want = epsC.add(epsC.sub(epsU).mul(tf.tensor4d(w, [3, 1, 1, 1])));
  assert.ok(maxAbsDiff(got, want) < 1e-5, 'ε_c + w_i(ε_c − ε_u) per sample');
  tf.dispose([x, t, got, epsC, epsU, want]);
  disposeSplad(s);
  const straight = await runFor(c, 5);
  const first = await runFor(c, 2);
  const rest = await runFor(c, 3, spladKind.encode(first.t));
  assert.deepEqual([...first.losses, ...rest.losses], straight.losses);
  assert.deepEqual(flatten(rest.s.student.params), flatten(straight.s.student.params));
  assert.deepEqual(flatten(rest.s.target.params), flatten(straight.s.target.params));
  const fixed = await runFor(config(), 5);
  assert.notDeepEqual(fixed.losses, straight.losses);
  [straight, first, rest, fixed].forEach((r) => disposeSplad(r.s));
});

test('SPLAD evaluation w: the default w keeps the old summary keys, other w get student/w<w>/…; eval.w needs a w-embedding', () => {
  const c = config({ guidance: { w: 2 }, student: { gammaEmbedDim: 8, wEmbed: { dim: 8 } }, eval: { w: [0, 2, 4, 0] } });
  assert.deepEqual(spladEvalWs(c), [2, 0, 4], 'default first, no repeats');
  assert.deepEqual(spladEvalWs(config()), [undefined], 'off: one evaluation, no w');
  const row = (w: number | undefined, fid: number): LatentEvalRow => ({ method: 'SPLAM', steps: 4, nfe: 4, fid, precision: 0.5, recall: 0.5, n: 4, samplePer1000: 1, decodePer1000: 1, ...(w === undefined ? {} : { w }) });
  assert.deepEqual(Object.keys(spladSummaryOf([row(2, 10), row(0, 20)], 2)), ['student/steps4/fid', 'student/steps4/precision', 'student/steps4/recall', 'student/steps4/s_per_1000', 'student/w0/steps4/fid', 'student/w0/steps4/precision', 'student/w0/steps4/recall', 'student/w0/steps4/s_per_1000']);
  assert.deepEqual(spladSummaryOf([row(undefined, 10)], undefined), { 'student/steps4/fid': 10, 'student/steps4/precision': 0.5, 'student/steps4/recall': 0.5, 'student/steps4/s_per_1000': 2 });
  assert.throws(() => config({ eval: { w: [1, 2] } }), (e: unknown) => e instanceof ConfigError && e.issues.some((i) => i.path === 'eval.w'));
  assert.deepEqual(spladNoises(config()), ['fresh'], 'LCM\'s sampler by default');
  assert.deepEqual(spladNoises(config({ eval: { noise: ['implied', 'fresh', 'implied'] } })), ['implied', 'fresh']);
  assert.deepEqual(Object.keys(spladSummaryOf([row(undefined, 10), { ...row(undefined, 9), noise: 'implied' }], undefined)).filter((k) => k.endsWith('/fid')), ['student/steps4/fid', 'student-det/steps4/fid'], 'implied-noise rows get student-det/…');
  assert.throws(() => config({ eval: { noise: ['ddim'] } }), (e: unknown) => e instanceof ConfigError && e.issues.some((i) => i.path === 'eval.noise[0]'));
  assert.throws(() => config({ eval: { noise: [] } }), (e: unknown) => e instanceof ConfigError && e.issues.some((i) => i.path === 'eval.noise'));
  assert.throws(() => config({ student: { wEmbed: { dim: 5 } } }), (e: unknown) => e instanceof ConfigError && e.issues.some((i) => i.path === 'student.wEmbed.dim'));
  assert.throws(() => config({ student: { wEmbed: { dim: 8, min: 4, max: 1 } } }), (e: unknown) => e instanceof ConfigError && e.issues.some((i) => i.path === 'student.wEmbed.min'));
});

const fmnist = existsSync(join(fashionMnistDir(), 't10k-images-idx3-ubyte.gz')) || existsSync(join(fashionMnistDir(), 't10k-images-idx3-ubyte'));

test(
  'quick SPLAD with the w-embedding (committed models): trains, reports FID at the default w and two more (different), exports a student that loads with its w_proj',
  { skip: fmnist ? false : `no Fashion-MNIST at ${fashionMnistDir()}` },
  () => {
    const out = join(dir, 'w-student.ckpt');
    const bin = new URL('../../bin/splam.mjs', import.meta.url).pathname;
    const sets = ['student.wEmbed={"dim":16,"min":0,"max":4,"projInit":"random"}', 'eval.w=[0,4]', 'eval.steps=[2]', 'eval.gridPerClass=0', `export=${out}`];
    const r = spawnSync(process.execPath, [bin, 'run', 'experiments/quick/splad.json', '--json', '--store', join(dir, 'store'), ...sets.flatMap((v) => ['--set', v])], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const summary = JSON.parse(r.stdout).summary as Record<string, number>;
    assert.equal(summary['train/steps'], 10);
    const fids = ['student/steps2/fid', 'student/w0/steps2/fid', 'student/w4/steps2/fid'].map((k) => summary[k]);
    assert.ok(fids.every(Number.isFinite), `FIDs ${fids}`);
    assert.equal(new Set(fids).size, 3, `the sampling w changes the samples: ${fids}`);
    // The exported student records its w-embedding and rebuilds with it (the image-eval students path).
    const ck = readModelFile(out, 'latent-unet');
    assert.deepEqual(ck.meta.wEmbed, { dim: 16, min: 0, max: 4, scale: 1000 });
    assert.equal(ck.meta.unet.wEmbedDim, 16);
    const { net, missing } = loadLatentUnet(ck, makeRng(0));
    assert.deepEqual(missing, []);
    assert.ok(net.params.has('time.w_proj.weight'));
    disposeParams(net.params);
  },
);

test('every committed student file (models/splad-*.ckpt, none with a w-embedding) loads as before: no w_proj, nothing missing', () => {
  const files = readdirSync('models').filter((f) => /^splad-.*\.ckpt$/.test(f)).map((f) => join('models', f));
  assert.ok(files.length >= 5, `the committed SPLAD students: ${files.join(', ')}`);
  for (const file of files) {
    const ck = readModelFile(file, 'latent-unet');
    assert.equal(ck.meta.wEmbed, undefined);
    const { net, missing } = loadLatentUnet(ck, makeRng(0));
    assert.deepEqual(missing, [], file);
    assert.ok(!net.params.has('time.w_proj.weight'));
    assert.equal(net.config.wEmbedDim, 0);
    disposeParams(net.params);
  }
});
