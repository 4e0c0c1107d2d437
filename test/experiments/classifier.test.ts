import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../lib/config.js';
import { FASHION_MNIST_CLASSES, fashionMnistDir, type ImageSet } from '../../lib/data/fashion-mnist.js';
import { makeRng } from '../../lib/data/rng.js';
import { classifierKind } from '../../lib/experiments/classifier/index.js';
import { evaluateClassifier } from '../../lib/experiments/classifier/run.js';
import { loadClassifier, readClassifierCheckpoint } from '../../lib/experiments/classifier/model.js';
import { classifierSchema, type ClassifierExperimentConfig } from '../../lib/experiments/classifier/config.js';
import { learningRate } from '../../lib/train/lr-schedule.js';
import { runConfigFile } from '../../lib/experiments/runner.js';
import { CHECKPOINT_NAME } from '../../lib/experiments/kind.js';
import { ConfigError } from '../../lib/errors.js';
import { disposeParams, flatten } from '../../lib/nn/params.js';
import { openStore } from '../../lib/track/index.js';
import { setup } from '../helpers.js';

await setup();

const QUICK = new URL('../../experiments/quick/classifier.json', import.meta.url).pathname;
const FULL = new URL('../../experiments/classifier-fmnist.json', import.meta.url).pathname;

/** A synthetic 28×28 set whose class k is a bright k-th row band: learnable, no files needed. */
function bands(n: number, seed: number): ImageSet {
  const rng = makeRng(seed);
  const images = new Float32Array(n * 784);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = rng.int(10);
    for (let p = 0; p < 784; p++) images[i * 784 + p] = Math.floor(p / 28 / 2.8) === labels[i] ? 1 : -1 + 0.2 * rng.uniform();
  }
  return { images, labels, shape: [n, 28, 28, 1], classNames: FASHION_MNIST_CLASSES };
}

const tiny = (over: Record<string, unknown> = {}): ClassifierExperimentConfig =>
  parseConfig(classifierSchema, { kind: 'classifier', seed: 5, architecture: { conv1: 2, conv2: 4, features: 8 }, train: { epochs: 1, batch: 16, lr: 0.003 }, ...over }, 'test config');

test('resuming from a checkpoint gives exactly the uninterrupted run (weights, Adam state, batch order)', async () => {
  const data = { train: bands(100, 1), test: bands(40, 2) };
  const c = tiny();
  const k = classifierKind;
  const straight = await k.open(c, data);
  const losses = Array.from({ length: 9 }, () => k.step(straight, c).loss);
  const first = await k.open(c, data);
  const head = Array.from({ length: 4 }, () => k.step(first, c).loss);
  const bytes = k.encode(first);
  const rest = await k.open(c, data);
  k.restore(rest, bytes);
  assert.equal(rest.stepsDone, 4);
  // 100 rows at batch 16: 6 steps per epoch, so the resumed part crosses into the second epoch's permutation.
  const tail = Array.from({ length: 5 }, () => k.step(rest, c).loss);
  assert.deepEqual([...head, ...tail], losses);
  assert.deepEqual(flatten(rest.state.net.params), flatten(straight.state.net.params));
  const other = await k.open(tiny({ seed: 6 }), data);
  assert.notEqual(k.step(other, c).loss, losses[0], 'another seed, another run');
  [straight, first, rest, other].forEach((t) => k.close(t));
});

test('training on a learnable synthetic set raises test accuracy above chance; evaluation counts per class', async () => {
  const data = { train: bands(320, 3), test: bands(200, 4) };
  const c = tiny({ architecture: { conv1: 4, conv2: 8, features: 16 }, train: { epochs: 3, batch: 16, lr: 0.01 } });
  const t = await classifierKind.open(c, data);
  const s = t.state;
  const before = await evaluateClassifier(s.net, data.test);
  while (t.stepsDone < s.totalSteps) classifierKind.step(t, c);
  const after = await evaluateClassifier(s.net, data.test, 64);
  assert.equal(s.totalSteps, 60);
  assert.ok(after.accuracy > 0.8 && before.accuracy < 0.3, `accuracy ${before.accuracy} → ${after.accuracy}`);
  const counts = new Array(10).fill(0);
  for (const l of data.test.labels) counts[l]++;
  const fromClasses = after.perClass.reduce((sum, a, k) => sum + a * counts[k], 0) / 200;
  assert.ok(Math.abs(fromClasses - after.accuracy) < 1e-12, 'overall accuracy is the count-weighted per-class accuracy');
  classifierKind.close(t);
});

test('learning rate: constant is lr; cosine goes lr → final·lr through the midpoint mean, as ½(1 + cos πs/T)', () => {
  assert.equal(learningRate(0.1, { kind: 'constant' }, 7, 10), 0.1);
  const cos = { kind: 'cosine', final: 0.1 } as const;
  assert.equal(learningRate(0.1, cos, 0, 10), 0.1);
  assert.ok(Math.abs(learningRate(0.1, cos, 5, 10) - 0.055) < 1e-15, 'halfway: (lr + final·lr)/2');
  assert.ok(Math.abs(learningRate(0.1, cos, 10, 10) - 0.01) < 1e-15);
  assert.ok(Math.abs(learningRate(1, { kind: 'cosine', final: 0 }, 1, 3) - 0.75) < 1e-15, '½(1 + cos π/3) = 3/4');
});

test('the schema fills documented defaults and rejects bad fields, naming each', () => {
  const c = parseConfig(classifierSchema, { kind: 'classifier' }, 'x');
  assert.deepEqual(c.architecture, { conv1: 16, conv2: 32, features: 128 });
  assert.equal(c.train.batch, 64);
  assert.deepEqual(c.train.schedule, { kind: 'cosine', final: 0 });
  assert.equal(c.data.dataset, 'fashion-mnist');
  let caught: unknown;
  try {
    parseConfig(classifierSchema, { kind: 'classifier', data: { dataset: 'mnist' }, train: { batch: 0 }, architecture: { conv3: 8 } }, 'bad.json');
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ConfigError);
  assert.deepEqual(caught.issues.map((i) => i.path).sort(), ['architecture.conv3', 'data.dataset', 'train.batch']);
  for (const file of [QUICK, FULL]) parseConfig(classifierSchema, JSON.parse(readFileSync(file, 'utf8')), file);
});

const installed = existsSync(join(fashionMnistDir(), 't10k-images-idx3-ubyte.gz')) || existsSync(join(fashionMnistDir(), 't10k-images-idx3-ubyte'));
test(
  'splam run experiments/quick/classifier.json finishes with train loss and test accuracy logged, a checkpoint, and an exported model',
  { skip: installed ? false : `no Fashion-MNIST at ${fashionMnistDir()}` },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'splam-classifier-'));
    const storeDir = join(dir, 'store');
    const exportFile = join(dir, 'models', 'classifier-quick.ckpt');
    const r = await runConfigFile(QUICK, { storeDir, overrides: [`export=${exportFile}`] });
    assert.equal(r.kind, 'classifier');
    // quick config: 512 images at batch 32 = 16 steps per epoch, 2 epochs; test accuracy every 16 steps and at the end.
    assert.equal(r.summary['train/steps'], 32);
    assert.equal(r.summary['train/epochs'], 2);
    assert.ok(r.summary['test/accuracy'] > 0.2, `quick test accuracy ${r.summary['test/accuracy']} (chance 0.1)`);
    const store = await openStore(storeDir);
    try {
      const rec = await store.getRun(r.runId);
      assert.equal(rec.status, 'finished');
      assert.equal(rec.summary['test/accuracy'], r.summary['test/accuracy']);
      assert.ok(rec.artifacts.some((a) => a.name === CHECKPOINT_NAME));
      const series = Object.fromEntries((await store.readMetrics(r.runId)).map((m) => [m.key, m]));
      assert.deepEqual(series['train/loss'].step, [8, 16, 24, 32]);
      assert.deepEqual(series['test/accuracy'].step, [16, 32]);
      assert.ok(series['train/loss'].value.every(Number.isFinite));
      assert.equal(series['test/accuracy'].value[1], r.summary['test/accuracy']);
    } finally {
      await store.close();
    }
    // The exported weights reproduce the run's test accuracy; the sidecar names the run and holds the config.
    const sidecar = JSON.parse(readFileSync(`${exportFile}.json`, 'utf8'));
    assert.equal(sidecar.runId, r.runId);
    assert.equal(sidecar.config.kind, 'classifier');
    assert.equal(sidecar.run.id, r.runId);
    const ck = readClassifierCheckpoint(exportFile);
    assert.deepEqual(ck.meta.classifier, { height: 28, width: 28, channels: 1, conv1: 4, conv2: 8, features: 16, numClasses: 10 });
    const net = loadClassifier(ck);
    const c = parseConfig(classifierSchema, JSON.parse(readFileSync(QUICK, 'utf8')), QUICK);
    const t = await classifierKind.open(c);
    assert.equal((await evaluateClassifier(net, t.state.data.test)).accuracy, r.summary['test/accuracy']);
    disposeParams(net.params);
    classifierKind.close(t);
    assert.throws(() => readClassifierCheckpoint(join(dir, 'missing.ckpt')), (e: unknown) => e instanceof ConfigError && e.message.includes('missing.ckpt'));
  },
);
