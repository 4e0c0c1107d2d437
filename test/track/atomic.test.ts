/**
 * One atomic writer (issue 12 item 8): network checkpoints and model files go through lib/track/atomic.ts, so a
 * failed write leaves no temp file, and what a killed writer leaves carries the pattern doctor cleans.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { makeRng } from '../../lib/data/rng.js';
import { exportModel, writeModelFile } from '../../lib/experiments/model-files.js';
import { readNetCheckpoint, writeNetCheckpoint } from '../../lib/experiments/net-checkpoint.js';
import { makeMlp } from '../../lib/nn/mlp.js';
import { tempFileWriter, tempPathFor, TEMP_FILE_PATTERN } from '../../lib/track/atomic.js';
import { doctorStore, openStore, withRun } from '../../lib/track/index.js';
import { NO_GIT, tempDir } from './helpers.js';

/** A folder where a file is expected: the final rename fails after the temp file was written. */
function blockedTarget(dir: string, name: string): string {
  const target = path.join(dir, name);
  mkdirSync(path.join(target, 'occupied'), { recursive: true });
  return target;
}

test('a network checkpoint whose final rename fails leaves no temp file; a good one reads back', async () => {
  await tf.setBackend('cpu');
  const dir = tempDir();
  const net = makeMlp({ dim: 2, hidden: 8, blocks: 1, timeEmbedDim: 4 }, makeRng(0));
  assert.throws(() => writeNetCheckpoint(blockedTarget(dir, 'teacher.ckpt'), net, { run: 'r' }));
  assert.deepEqual(readdirSync(dir), ['teacher.ckpt'], 'no temp file beside the target');
  const good = path.join(dir, 'good.ckpt');
  writeNetCheckpoint(good, net, { run: 'r' });
  assert.equal(readNetCheckpoint(good).meta.mlp.hidden, 8);
  assert.deepEqual(readdirSync(dir).sort(), ['good.ckpt', 'teacher.ckpt']);
  for (const [, v] of net.params) v.dispose();
});

test('model files and their sidecars use the same writer: no temp file after a failed export', async () => {
  await tf.setBackend('cpu');
  const dir = tempDir();
  const params = new Map([['w', tf.variable(tf.zeros([2]))]]);
  const run = { id: 'r1', record: () => ({ id: 'r1' }) } as unknown as Parameters<typeof exportModel>[4]['run'];
  const meta = { kind: 'autoencoder', autoencoder: {}, scale: 1, source: {} } as unknown as Parameters<typeof exportModel>[1];
  assert.throws(() => exportModel(blockedTarget(dir, 'ae.ckpt'), meta, 'ae', params, { run, config: {}, summary: {} }));
  assert.deepEqual(readdirSync(dir), ['ae.ckpt']);
  exportModel(path.join(dir, 'sub', 'ae.ckpt'), meta, 'ae', params, { run, config: {}, summary: {} });
  assert.deepEqual(readdirSync(path.join(dir, 'sub')).sort(), ['ae.ckpt', 'ae.ckpt.json'], 'the folder is made; no temp left');
  assert.equal(JSON.parse(readFileSync(path.join(dir, 'sub', 'ae.ckpt.json'), 'utf8')).runId, 'r1');
  writeModelFile(path.join(dir, 'x.txt'), 'x');
  params.get('w')!.dispose();
});

test('temp names carry the writer pid; doctor removes those of dead writers and keeps a live writer\'s', async () => {
  const tmp = path.basename(tempPathFor('/x/checkpoint.bin'));
  assert.match(tmp, TEMP_FILE_PATTERN);
  assert.equal(tempFileWriter(tmp), process.pid);
  assert.equal(tempFileWriter('checkpoint.bin'), null);

  const dir = tempDir();
  const store = await openStore(dir);
  const id = await withRun(store, { experiment: 'e', provenance: NO_GIT }, (run) => run.id);
  await store.close();
  const gone = spawnSync(process.execPath, ['-e', '0']).pid!; // a pid that has exited
  const artifacts = path.join(dir, 'runs', id, 'artifacts');
  mkdirSync(artifacts, { recursive: true });
  const dead = path.join(artifacts, `.checkpoint.bin.${gone}.0123456789ab.tmp`);
  const live = path.join(artifacts, `.checkpoint.bin.${process.pid}.0123456789ab.tmp`);
  writeFileSync(dead, 'partial');
  writeFileSync(live, 'in progress');
  assert.deepEqual((await doctorStore(dir)).issues.map((i) => [i.code, i.file]), [['stray_temp', dead]]);
  await doctorStore(dir, { repair: true });
  assert.deepEqual(readdirSync(artifacts), [path.basename(live)], 'a write in progress is left alone');
});
