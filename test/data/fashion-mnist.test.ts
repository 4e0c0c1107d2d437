import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  DEFAULT_FASHION_MNIST_DIR,
  DatasetError,
  EpochBatcher,
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_ENV,
  fashionMnistDir,
  gatherRows,
  loadFashionMnist,
  parseIdx,
  shuffledIndices,
} from '../../lib/data/fashion-mnist.js';
import { makeRng } from '../../lib/data/rng.js';
import { assertArgumentError } from '../helpers.js';

/** IDX bytes: magic 0x0000_08_<rank>, big-endian sizes, then the bytes. */
function idx(dims: number[], data: number[], magic = 0x0800 | dims.length): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(data)]);
}

/** A folder with a tiny split: 3 images of 2×2 pixels (values chosen to hit 0, 255 and between) and 3 labels. */
const PIXELS = [0, 255, 127, 128, 1, 2, 3, 4, 254, 100, 50, 25];
const LABELS = [9, 0, 5];
function tinyFolder(opts: { gzip: boolean; imageMagic?: number; labels?: number[] }): string {
  const dir = mkdtempSync(join(tmpdir(), 'splam-fmnist-'));
  const write = (stem: string, bytes: Buffer) => writeFileSync(join(dir, opts.gzip ? `${stem}.gz` : stem), opts.gzip ? gzipSync(bytes) : bytes);
  const labels = opts.labels ?? LABELS;
  write('t10k-images-idx3-ubyte', idx([3, 2, 2], PIXELS, opts.imageMagic));
  write('t10k-labels-idx1-ubyte', idx([labels.length], labels));
  return dir;
}

function assertDatasetError(fn: () => unknown, code: string, ...texts: (string | RegExp)[]): DatasetError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof DatasetError, `expected DatasetError, got ${String(caught)}`);
  assert.equal(caught.code, code);
  for (const t of texts) {
    if (t instanceof RegExp) assert.match(caught.message, t);
    else assert.ok(caught.message.includes(t), `message ${JSON.stringify(caught.message)} contains ${JSON.stringify(t)}`);
  }
  return caught;
}

for (const gzip of [true, false]) {
  test(`tiny ${gzip ? 'gzip\'d' : 'plain'} IDX files round-trip: pixels v/127.5 − 1 exactly in float32, NHWC [3, 2, 2, 1], labels as written`, () => {
    const set = loadFashionMnist('test', { dir: tinyFolder({ gzip }) });
    assert.deepEqual(set.shape, [3, 2, 2, 1]);
    assert.deepEqual([...set.images], PIXELS.map((v) => Math.fround(v / 127.5 - 1)));
    assert.equal(set.images[0], -1);
    assert.equal(set.images[1], 1);
    assert.deepEqual([...set.labels], LABELS);
    assert.equal(set.classNames[9], 'Ankle boot');
  });
}

test('limit keeps the first examples in file order', () => {
  const set = loadFashionMnist('test', { dir: tinyFolder({ gzip: true }), limit: 2 });
  assert.deepEqual(set.shape, [2, 2, 2, 1]);
  assert.deepEqual([...set.labels], [9, 0]);
  assertArgumentError(() => loadFashionMnist('test', { dir: tinyFolder({ gzip: true }), limit: 0 }), { fn: 'loadFashionMnist', arg: 'limit', value: 0 });
  assertArgumentError(() => loadFashionMnist('val' as 'test'), { fn: 'loadFashionMnist', arg: 'split', value: 'val' });
});

test('a wrong magic number (a labels file where images belong) is a dataset_corrupt error naming the file and both magics', () => {
  const dir = tinyFolder({ gzip: true, imageMagic: 0x0801 });
  const e = assertDatasetError(() => loadFashionMnist('test', { dir }), 'dataset_corrupt', '0x00000801', '0x00000803');
  assert.equal(e.file, join(dir, 't10k-images-idx3-ubyte.gz'));
});

test('truncated data, mismatched counts and out-of-range labels are dataset_corrupt errors', () => {
  assertDatasetError(() => parseIdx(idx([2, 2, 2], [1, 2, 3]), 3, 'x.idx'), 'dataset_corrupt', 'need 8 data bytes', 'has 3');
  assertDatasetError(() => parseIdx(Buffer.from([0, 0]), 1, 'y.idx'), 'dataset_corrupt', 'too short');
  assertDatasetError(() => loadFashionMnist('test', { dir: tinyFolder({ gzip: false, labels: [1, 2] }) }), 'dataset_corrupt', '2 labels for 3 images');
  assertDatasetError(() => loadFashionMnist('test', { dir: tinyFolder({ gzip: false, labels: [1, 10, 2] }) }), 'dataset_corrupt', 'label 10 at index 1');
  const dir = mkdtempSync(join(tmpdir(), 'splam-fmnist-'));
  writeFileSync(join(dir, 't10k-images-idx3-ubyte.gz'), Buffer.from([0x1f, 0x8b, 1, 2, 3]));
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), idx([3], LABELS));
  assertDatasetError(() => loadFashionMnist('test', { dir }), 'dataset_corrupt', 'cannot gunzip');
});

test('a missing folder or file is a dataset_missing error naming the folder, the apt command and the env var', () => {
  const missing = join(tmpdir(), 'splam-no-such-folder-' + process.pid);
  const e = assertDatasetError(() => loadFashionMnist('train', { dir: missing }), 'dataset_missing', missing, 'apt-get install dataset-fashion-mnist', FASHION_MNIST_ENV);
  assert.equal(e.file, missing);
  // The test split exists in the tiny folder, the train split does not.
  const dir = tinyFolder({ gzip: true });
  assertDatasetError(() => loadFashionMnist('train', { dir }), 'dataset_missing', dir, 'train-images-idx3-ubyte', 'apt-get install dataset-fashion-mnist', FASHION_MNIST_ENV);
});

test('the folder is the argument, else SPLAM_FASHION_MNIST, else the Debian path', () => {
  const saved = process.env[FASHION_MNIST_ENV];
  try {
    delete process.env[FASHION_MNIST_ENV];
    assert.equal(fashionMnistDir(), DEFAULT_FASHION_MNIST_DIR);
    process.env[FASHION_MNIST_ENV] = '/data/fm';
    assert.equal(fashionMnistDir(), '/data/fm');
    assert.equal(fashionMnistDir('/explicit'), '/explicit');
    const dir = tinyFolder({ gzip: false });
    process.env[FASHION_MNIST_ENV] = dir;
    assert.deepEqual(loadFashionMnist('test').shape, [3, 2, 2, 1]);
  } finally {
    if (saved === undefined) delete process.env[FASHION_MNIST_ENV];
    else process.env[FASHION_MNIST_ENV] = saved;
  }
});

test('shuffledIndices is a permutation fixed by the seed', () => {
  const a = shuffledIndices(1000, makeRng(3));
  assert.deepEqual([...a].sort((p, q) => p - q), Array.from({ length: 1000 }, (_, i) => i));
  assert.deepEqual(shuffledIndices(1000, makeRng(3)), a);
  assert.notDeepEqual(shuffledIndices(1000, makeRng(4)), a);
});

test('EpochBatcher: each epoch covers ⌊n/B⌋·B distinct rows; the batch of a step depends only on (seed, step)', () => {
  const b = new EpochBatcher(103, 10, 7);
  assert.equal(b.stepsPerEpoch, 10);
  const epoch0 = Array.from({ length: 10 }, (_, s) => [...b.indices(s)]).flat();
  assert.equal(new Set(epoch0).size, 100, 'no row twice within an epoch');
  const epoch1 = Array.from({ length: 10 }, (_, s) => [...b.indices(10 + s)]).flat();
  assert.notDeepEqual(epoch1, epoch0, 'a new permutation each epoch');
  // A fresh batcher asked for step 25 first (as a resumed run is) gives the same rows.
  assert.deepEqual(new EpochBatcher(103, 10, 7).indices(25), b.indices(25));
  assert.notDeepEqual(new EpochBatcher(103, 10, 8).indices(0), b.indices(0));
  assertArgumentError(() => new EpochBatcher(5, 6, 0), { fn: 'EpochBatcher', arg: 'batch', value: 6 });
});

test('gatherRows copies the chosen rows and labels', () => {
  const set = loadFashionMnist('test', { dir: tinyFolder({ gzip: true }) });
  const g = gatherRows(set, [2, 0]);
  assert.deepEqual([...g.labels], [5, 9]);
  assert.deepEqual([...g.images], [...set.images.subarray(8, 12), ...set.images.subarray(0, 4)]);
  assertArgumentError(() => gatherRows(set, [3]), { fn: 'gatherRows', arg: 'indices[0]', value: 3 });
});

const installed = existsSync(join(fashionMnistDir(), 'train-images-idx3-ubyte.gz')) || existsSync(join(fashionMnistDir(), 'train-images-idx3-ubyte'));
test('the installed data: 60,000 train and 10,000 test images in [−1, 1], 6,000 / 1,000 per class', { skip: installed ? false : `no Fashion-MNIST at ${fashionMnistDir()}` }, () => {
  for (const [split, n] of [
    ['train', 60000],
    ['test', 10000],
  ] as const) {
    const set = loadFashionMnist(split);
    assert.deepEqual(set.shape, [n, 28, 28, 1]);
    assert.equal(set.images.length, n * 784);
    let min = Infinity;
    let max = -Infinity;
    for (const v of set.images) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    assert.equal(min, -1);
    assert.equal(max, 1);
    const hist = new Array(10).fill(0);
    for (const l of set.labels) hist[l]++;
    assert.deepEqual(hist, new Array(10).fill(n / 10));
    assert.equal(set.classNames.length, FASHION_MNIST_CLASSES.length);
  }
});
