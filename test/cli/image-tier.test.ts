/**
 * The image tier's quick configs run end to end through the CLI (`splam run experiments/quick/<x>.json`) on a
 * temporary store, using the committed models (autoencoder, latent teacher, SPLAD students) and the installed
 * Fashion-MNIST; each records its run with the summary its kind promises.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fashionMnistDir } from '../../lib/data/fashion-mnist.js';

const bin = new URL('../../bin/splam.mjs', import.meta.url).pathname;
const installed = existsSync(join(fashionMnistDir(), 't10k-images-idx3-ubyte.gz')) || existsSync(join(fashionMnistDir(), 't10k-images-idx3-ubyte'));
const skip = installed ? false : `no Fashion-MNIST at ${fashionMnistDir()}`;
const store = join(mkdtempSync(join(tmpdir(), 'splam-image-tier-')), 'store');

function run(config: string, ...set: string[]): { summary: Record<string, number>; runId: string } {
  const r = spawnSync(process.execPath, [bin, 'run', config, '--json', ...set.flatMap((s) => ['--set', s])], { env: { ...process.env, SPLAM_STORE: store }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

const finite = (summary: Record<string, number>, key: string) => assert.ok(Number.isFinite(summary[key]), `${key} = ${summary[key]}`);

test('quick autoencoder: trains, computes s = 1/std(z) > 0, reconstruction MSE and FID', { skip }, () => {
  const { summary } = run('experiments/quick/autoencoder.json');
  assert.equal(summary['train/steps'], 20);
  assert.ok(summary['latent/scale'] > 0);
  for (const k of ['test/recon_mse', 'test/recon_fid', 'test/recon_precision', 'test/recon_recall']) finite(summary, k);
});

test('quick latent teacher: trains on the committed autoencoder’s latents and scores DDIM at each w', { skip }, () => {
  const { summary } = run('experiments/quick/latent-teacher.json');
  assert.equal(summary['train/steps'], 20);
  for (const w of [0, 2]) finite(summary, `ddim4/w${w}/fid`);
});

test('quick SPLAD (SPLAM, and LCM by γ ≡ 1): distils the committed teacher and scores the student at 1 and 2 steps', { skip }, () => {
  const splam = run('experiments/quick/splad.json').summary;
  const lcm = run('experiments/quick/splad.json', 'objective.gamma={"kind":"fixed","value":1}').summary;
  for (const s of [splam, lcm]) {
    assert.equal(s['train/steps'], 10);
    for (const k of ['student/steps1/fid', 'student/steps2/fid']) finite(s, k);
  }
  assert.notEqual(splam['train/loss_final'], lcm['train/loss_final']);
});

test('quick image-eval: the few-step table over the committed models, with same-noise errors against the reference, a student under implied noise, the data floor and the reconstruction score', { skip }, () => {
  const { summary } = run('experiments/quick/image-eval.json');
  const ref = Object.keys(summary).find((k) => /^teacher_ddim_w_[0-9_]+\/steps8\/same_noise$/.test(k));
  assert.ok(ref, 'the 8-step DDIM reference row');
  assert.equal(summary[ref], 0, 'the reference row is its own endpoint');
  for (const m of ['splam', 'lcm']) for (const s of [1, 4]) finite(summary, `${m}/steps${s}/fid`);
  for (const m of ['splam', 'lcm']) assert.ok(summary[`${m}/steps1/same_noise`] > 0);
  // The deterministic chain: one step re-noises nothing, so it is LCM's own 1-step sample; at 4 steps it is another.
  assert.equal(summary['lcm_implied_noise/steps1/fid'], summary['lcm/steps1/fid']);
  assert.equal(summary['lcm_implied_noise/steps1/same_noise'], summary['lcm/steps1/same_noise']);
  assert.notEqual(summary['lcm_implied_noise/steps4/same_noise'], summary['lcm/steps4/same_noise']);
  finite(summary, 'floor/fid');
  finite(summary, 'reconstruction/mse');
});
