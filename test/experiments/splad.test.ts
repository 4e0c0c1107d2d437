/**
 * The latent image tier's library pieces: the guided latent teacher, the student built from it, and the SPLAD step
 * (on tiny synthetic latents and tiny model files written here, so no data set or committed model is needed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parseConfig } from '../../lib/config.js';
import { makeRng } from '../../lib/data/rng.js';
import type { ImageSet } from '../../lib/data/fashion-mnist.js';
import { guided, NULL_LABEL } from '../../lib/diffusion/guidance.js';
import { ConfigError } from '../../lib/errors.js';
import { readModelFile, type AutoencoderMeta, type LatentUnetMeta } from '../../lib/experiments/model-files.js';
import { spladSchema, type SpladConfig } from '../../lib/experiments/splad-config.js';
import { disposeSplad, encodeSpladCheckpoint, restoreSplad, setupSplad, spladStep, studentFromTeacher } from '../../lib/experiments/splad.js';
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

test('a SPLAD run distils the teacher guided with its fixed w', () => {
  const s = setupSplad(config(), latents());
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

test('SPLAD resumes from its checkpoint exactly; SPLAM and LCM (γ ≡ 1) give different updates from the same start', () => {
  const c = config();
  const run = (cfg: SpladConfig, n: number, from?: Uint8Array) => {
    const s = setupSplad(cfg, latents());
    if (from) restoreSplad(s, from);
    const losses = Array.from({ length: n }, () => spladStep(s, cfg).loss);
    return { s, losses };
  };
  const straight = run(c, 6);
  const first = run(c, 2);
  const rest = run(c, 4, encodeSpladCheckpoint(first.s));
  assert.deepEqual([...first.losses, ...rest.losses], straight.losses);
  assert.deepEqual(flatten(rest.s.student.params), flatten(straight.s.student.params));
  assert.deepEqual(flatten(rest.s.target.params), flatten(straight.s.target.params));
  assert.equal(rest.s.stepsDone, 6);
  const lcm = run(config({ objective: { gamma: { kind: 'fixed', value: 1 } } }), 2);
  assert.notDeepEqual(lcm.losses, straight.losses.slice(0, 2));
  [straight, first, rest, lcm].forEach((r) => disposeSplad(r.s));
});

test('a SPLAD config naming another autoencoder than the teacher’s is rejected, naming the field and the expected file', () => {
  const other = join(dir, 'other-ae.ckpt');
  writeFileSync(other, encodeCheckpoint({ meta: { kind: 'autoencoder' }, tensors: [] }));
  assert.throws(
    () => setupSplad(config({ autoencoder: other }), latents()),
    (e: unknown) => e instanceof ConfigError && e.issues[0].path === 'autoencoder' && e.issues[0].allowed === aeFile,
  );
});
