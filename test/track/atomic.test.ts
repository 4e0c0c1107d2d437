/**
 * One atomic writer: network checkpoints and model files go through lib/track/atomic.ts, so a
 * failed write leaves no temp file, and what a killed writer leaves carries the pattern doctor cleans.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs, { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { makeRng } from '../../lib/data/rng.js';
import { readClassifierCheckpoint, writeClassifierCheckpoint } from '../../lib/experiments/classifier/model.js';
import { exportModel, writeModelFile } from '../../lib/experiments/model-files.js';
import { readNetCheckpoint, writeNetCheckpoint } from '../../lib/train/net-checkpoint.js';
import { runConfigFile } from '../../lib/experiments/runner.js';
import { makeClassifier } from '../../lib/nn/classifier.js';
import { makeMlp } from '../../lib/nn/mlp.js';
import { readPlan, writePlan, writeSweepRecord, type SweepRecord } from '../../lib/scale/plan.js';
import { tempFileWriter, tempPathFor, TEMP_FILE_PATTERN } from '../../lib/track/atomic.js';
import { doctorStore, openStore, withRun } from '../../lib/track/index.js';
import { NO_GIT, ROOT, tempDir } from './helpers.js';

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

/**
 * Every rename made while `fn` runs, as [from, to] (spies on fs.renameSync and fs.promises.rename, which the atomic
 * writer calls; syncBuiltinESMExports makes named imports of node:fs and node:fs/promises see them). The renames
 * still happen.
 */
async function renamesDuring(fn: () => Promise<unknown> | unknown): Promise<[string, string][]> {
  const seen: [string, string][] = [];
  const original = fs.renameSync;
  const originalAsync = fs.promises.rename;
  fs.renameSync = (from, to) => {
    seen.push([String(from), String(to)]);
    original(from, to);
  };
  fs.promises.rename = async (from, to) => {
    seen.push([String(from), String(to)]);
    await originalAsync(from, to);
  };
  syncBuiltinESMExports();
  try {
    await fn();
  } finally {
    fs.renameSync = original;
    fs.promises.rename = originalAsync;
    syncBuiltinESMExports();
  }
  return seen;
}

/** Each written file in `dir` came from a temp file of the atomic writer's pattern (one doctor cleans), of this process. */
function assertAtomicWrites(renames: [string, string][], dir: string, names: string[]): void {
  const into = renames.filter(([, to]) => path.dirname(to) === dir);
  assert.deepEqual(into.map(([, to]) => path.basename(to)).sort(), [...names].sort(), `files renamed into ${dir}`);
  for (const [from, to] of into) {
    assert.equal(path.dirname(from), dir, 'the temp file is beside its target');
    assert.match(path.basename(from), TEMP_FILE_PATTERN, `${to} was written through a temp file of the atomic writer`);
    assert.ok(path.basename(from).startsWith(`.${path.basename(to)}.`));
    assert.equal(tempFileWriter(path.basename(from)), process.pid);
  }
}

test('a classifier checkpoint goes through the atomic writer: its temp file has the pattern; a failed rename leaves none', async () => {
  await tf.setBackend('cpu');
  const dir = tempDir();
  const net = makeClassifier({ height: 28, width: 28, channels: 1, conv1: 2, conv2: 2, features: 4, numClasses: 10 }, makeRng(0));
  const file = path.join(dir, 'models', 'classifier.ckpt');
  const renames = await renamesDuring(() => writeClassifierCheckpoint(file, net, ['a', 'b'], { run: 'r' }));
  assertAtomicWrites(renames, path.dirname(file), ['classifier.ckpt']);
  assert.deepEqual(readClassifierCheckpoint(file).meta.classNames, ['a', 'b']);
  assert.throws(() => writeClassifierCheckpoint(blockedTarget(dir, 'blocked.ckpt'), net, ['a'], {}));
  assert.deepEqual(readdirSync(dir).sort(), ['blocked.ckpt', 'models'], 'no temp file beside the blocked target');
  assert.deepEqual(readdirSync(path.dirname(file)), ['classifier.ckpt']);
  for (const [, v] of net.params) v.dispose();
});

test('a teacher export writes its checkpoint and its sidecar through the atomic writer; a blocked sidecar leaves no temp', async () => {
  const dir = tempDir();
  const models = path.join(dir, 'models');
  const quick = path.join(ROOT, 'experiments/quick/teacher.json');
  const tiny = ['train.steps=2', 'train.batch=16', 'train.logEvery=1', 'train.checkpointEvery=0', 'eval.samples=8', 'eval.ddimSteps=2', 'eval.referenceSubsteps=10'];
  const file = path.join(models, 'teacher.ckpt');
  const renames = await renamesDuring(() => runConfigFile(quick, { storeDir: path.join(dir, 'store'), overrides: [...tiny, `export=${JSON.stringify(file)}`] }));
  assertAtomicWrites(renames, models, ['teacher.ckpt', 'teacher.ckpt.json']);
  assert.equal(JSON.parse(readFileSync(`${file}.json`, 'utf8')).file, file);

  const blocked = path.join(dir, 'blocked');
  blockedTarget(blocked, 'teacher.ckpt.json');
  await assert.rejects(runConfigFile(quick, { storeDir: path.join(dir, 'store'), overrides: [...tiny, `export=${JSON.stringify(path.join(blocked, 'teacher.ckpt'))}`] }));
  assert.deepEqual(readdirSync(blocked).sort(), ['teacher.ckpt', 'teacher.ckpt.json'], 'no temp file left by the failed sidecar write');
});

test('a classifier export writes its checkpoint and its sidecar through the atomic writer; a blocked sidecar leaves no temp', async () => {
  const dir = tempDir();
  const models = path.join(dir, 'models');
  const quick = path.join(ROOT, 'experiments/quick/classifier.json');
  const tiny = ['data.trainLimit=32', 'data.testLimit=16', 'train.epochs=1', 'train.batch=16', 'train.logEvery=1', 'train.checkpointEvery=0', 'eval.every=0', 'eval.batch=16'];
  const file = path.join(models, 'classifier.ckpt');
  const renames = await renamesDuring(() => runConfigFile(quick, { storeDir: path.join(dir, 'store'), overrides: [...tiny, `export=${JSON.stringify(file)}`] }));
  assertAtomicWrites(renames, models, ['classifier.ckpt', 'classifier.ckpt.json']);
  assert.equal(JSON.parse(readFileSync(`${file}.json`, 'utf8')).config.kind, 'classifier');

  const blocked = path.join(dir, 'blocked');
  blockedTarget(blocked, 'classifier.ckpt.json');
  await assert.rejects(runConfigFile(quick, { storeDir: path.join(dir, 'store'), overrides: [...tiny, `export=${JSON.stringify(path.join(blocked, 'classifier.ckpt'))}`] }));
  assert.deepEqual(readdirSync(blocked).sort(), ['classifier.ckpt', 'classifier.ckpt.json'], 'no temp file left by the failed sidecar write');
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

test('sweep files (plan.jsonl, sweep.json) go through the atomic writer; doctor removes a dead planner\'s temp under sweeps/, keeps a live one\'s', async () => {
  const dir = tempDir();
  const store = await openStore(dir);
  await store.close();
  const sweep = path.join(dir, 'sweeps', 'sweep-20260101-000000-abcd');
  const row = { index: 0, values: {}, overrides: [], label: '{}', key: '', name: 'n', sweepId: 'sweep-20260101-000000-abcd', source: 'c.json', kind: 'solvers', seed: 0, config: {} };
  const record = { format: 'splam-sweep', version: 1, id: row.sweepId, engine: 'local', config: 'c.json', sets: [], points: 1, store: dir, createdAt: 'now' } as SweepRecord;
  const renames = await renamesDuring(async () => {
    await writePlan(sweep, [row]);
    await writeSweepRecord(sweep, record);
  });
  assertAtomicWrites(renames, sweep, ['plan.jsonl', 'sweep.json']);
  assert.equal(readPlan(path.join(sweep, 'plan.jsonl'))[0].name, 'n');
  assert.deepEqual((await doctorStore(dir)).issues, [], 'a clean sweep folder is no issue');

  const gone = spawnSync(process.execPath, ['-e', '0']).pid!; // a pid that has exited
  const dead = path.join(sweep, `.plan.jsonl.${gone}.0123456789ab.tmp`);
  const live = path.join(sweep, `.sweep.json.${process.pid}.0123456789ab.tmp`);
  mkdirSync(path.join(sweep, 'logs'));
  const deadLog = path.join(sweep, 'logs', `.x.out.${gone}.ba9876543210.tmp`);
  for (const f of [dead, live, deadLog]) writeFileSync(f, 'partial');
  assert.deepEqual((await doctorStore(dir)).issues.map((i) => [i.code, i.file]).sort(), [['stray_temp', dead], ['stray_temp', deadLog]].sort());
  const repaired = await doctorStore(dir, { repair: true });
  assert.ok(repaired.actions.some((a) => /removed 2 temp file/.test(a)), repaired.actions.join('; '));
  assert.deepEqual(readdirSync(sweep).sort(), [path.basename(live), 'logs', 'plan.jsonl', 'sweep.json'].sort(), 'a write in progress is left alone');
  assert.deepEqual(readdirSync(path.join(sweep, 'logs')), []);
});
