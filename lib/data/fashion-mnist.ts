/**
 * Fashion-MNIST (Xiao, Rasul & Vollgraf 2017, arXiv:1708.07747) from its IDX files: 60,000 training and 10,000
 * test images of 28×28 grey pixels in 10 classes, 6,000 + 1,000 per class.
 *
 * Files: `{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]` in one folder — by default the Debian package
 * `dataset-fashion-mnist` (/usr/share/datasets/fashion-mnist, gzip'd); `SPLAM_FASHION_MNIST=<folder>` points
 * elsewhere (gzip'd or plain files). IDX format (LeCun, http://yann.lecun.com/exdb/mnist/): a big-endian magic
 * 0x0000 | type 0x08 (unsigned byte) | rank, then `rank` big-endian uint32 sizes, then the bytes row-major.
 *
 * Images come back NHWC [N, 28, 28, 1] as float32 scaled to [−1, 1] (x = v/127.5 − 1 for the byte v: 0 → −1,
 * 255 → 1), the range the diffusion models work in; labels as int32 in {0, …, 9}. Batches are drawn by seed:
 * each epoch is a fresh permutation that depends only on (seed, epoch), so a resumed run sees the same batches.
 *
 * Like lib/backend.ts this module reads one environment variable: where the
 * data lives is a property of the machine, not of a config.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ArgumentError, SplamError } from '../errors.js';
import { makeRng, type Rng } from './rng.js';

/** Where the Debian package `dataset-fashion-mnist` installs the files. */
export const DEFAULT_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
/** The environment variable that overrides {@link DEFAULT_FASHION_MNIST_DIR}. */
export const FASHION_MNIST_ENV = 'SPLAM_FASHION_MNIST';
export const FASHION_MNIST_INSTALL = 'apt-get install dataset-fashion-mnist';

/** Class names by label, from the data set's README (zalandoresearch/fashion-mnist). */
export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'] as const;

export type FashionMnistSplit = 'train' | 'test';

/** File stems of each split (the test split is called t10k in the files). */
const STEMS: Record<FashionMnistSplit, { images: string; labels: string }> = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
};

/** Image data set in memory: NHWC pixels in [−1, 1] and integer labels. */
export interface ImageSet {
  /** [N, H, W, C] row-major, float32 in [−1, 1]. */
  images: Float32Array;
  /** [N], class indices. */
  labels: Int32Array;
  /** [N, H, W, C]. */
  shape: [number, number, number, number];
  /** Class names by label. */
  classNames: readonly string[];
}

/**
 * The data set is missing or unreadable: `file` names the file (or folder), `reason` what is wrong, `hint` how to
 * fix it (install command, environment variable).
 */
export class DatasetError extends SplamError {
  readonly code: string;
  constructor(
    code: 'dataset_missing' | 'dataset_corrupt',
    readonly file: string,
    readonly reason: string,
    readonly hint: string,
  ) {
    super(`${file}: ${reason}\n  hint: ${hint}`);
    this.code = code;
    this.name = 'DatasetError';
  }
}

const MISSING_HINT = `install the files with \`${FASHION_MNIST_INSTALL}\` (Debian), or set ${FASHION_MNIST_ENV}=<folder> to a folder holding train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz]`;

/** The folder to read: `dir` when given, else `SPLAM_FASHION_MNIST`, else {@link DEFAULT_FASHION_MNIST_DIR}. */
export function fashionMnistDir(dir?: string): string {
  return dir ?? (process.env[FASHION_MNIST_ENV] || DEFAULT_FASHION_MNIST_DIR);
}

/** A parsed IDX file of unsigned bytes: its sizes and its data (row-major). */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/**
 * Parse IDX bytes of unsigned-byte type and the given rank.
 * @param source the file name, for errors.
 * @throws DatasetError (`dataset_corrupt`) on a bad magic number, a rank other than `rank`, or a size that does
 *   not match the byte count.
 */
export function parseIdx(bytes: Uint8Array, rank: number, source: string): IdxArray {
  const fail = (reason: string) => new DatasetError('dataset_corrupt', source, reason, `reinstall the data (${FASHION_MNIST_INSTALL}) or check ${FASHION_MNIST_ENV}`);
  if (bytes.length < 4) throw fail(`${bytes.length} bytes is too short for an IDX file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  const want = 0x0800 | rank;
  if (magic !== want) {
    throw fail(`IDX magic number 0x${magic.toString(16).padStart(8, '0')} is not 0x${want.toString(16).padStart(8, '0')} (unsigned bytes, rank ${rank})`);
  }
  const head = 4 + 4 * rank;
  if (bytes.length < head) throw fail(`${bytes.length} bytes cannot hold the ${rank} sizes of the IDX header`);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  if (bytes.length - head !== count) throw fail(`sizes [${dims.join(', ')}] need ${count} data bytes; the file has ${bytes.length - head}`);
  return { dims, data: bytes.subarray(head) };
}

/** Read `<dir>/<stem>.gz`, or `<dir>/<stem>` when only the plain file is there; null when neither exists. */
function readIdxBytes(dir: string, stem: string): { file: string; bytes: Uint8Array } | null {
  const gz = join(dir, `${stem}.gz`);
  const plain = join(dir, stem);
  const file = existsSync(gz) ? gz : existsSync(plain) ? plain : null;
  if (file === null) return null;
  const raw = readFileSync(file);
  // Decide by content, not name: gzip starts with 1f 8b; an IDX file starts with 00 00.
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      return { file, bytes: gunzipSync(raw) };
    } catch (err) {
      throw new DatasetError('dataset_corrupt', file, `cannot gunzip (${(err as Error).message})`, `reinstall the data (${FASHION_MNIST_INSTALL})`);
    }
  }
  return { file, bytes: raw };
}

export interface LoadFashionMnistOptions {
  /** Folder of the IDX files; default {@link fashionMnistDir}(). */
  dir?: string;
  /** Keep only the first `limit` examples (file order). Default: all. */
  limit?: number;
}

/**
 * Load one split. Images [N, 28, 28, 1] as float32 v/127.5 − 1, labels int32.
 * @throws DatasetError `dataset_missing` naming the folder, the install command and `SPLAM_FASHION_MNIST` when a
 *   file is absent; `dataset_corrupt` when a file is not a valid IDX file of the expected rank, the image and label
 *   counts differ, or a label is outside 0–9.
 * @throws ArgumentError for an unknown split or a bad `limit`.
 */
export function loadFashionMnist(split: FashionMnistSplit, opts: LoadFashionMnistOptions = {}): ImageSet {
  const fn = 'loadFashionMnist';
  if (!(split in STEMS)) throw new ArgumentError(fn, 'split', split, '"train" or "test"');
  if (opts.limit !== undefined && !(Number.isInteger(opts.limit) && opts.limit >= 1)) throw new ArgumentError(fn, 'limit', opts.limit, 'an integer ≥ 1');
  const dir = fashionMnistDir(opts.dir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new DatasetError('dataset_missing', dir, 'the Fashion-MNIST folder does not exist', MISSING_HINT);
  }
  const read = (stem: string, rank: number) => {
    const r = readIdxBytes(dir, stem);
    if (r === null) throw new DatasetError('dataset_missing', join(dir, `${stem}.gz`), `neither ${stem}.gz nor ${stem} is in the Fashion-MNIST folder ${dir}`, MISSING_HINT);
    return { file: r.file, idx: parseIdx(r.bytes, rank, r.file) };
  };
  const img = read(STEMS[split].images, 3);
  const lab = read(STEMS[split].labels, 1);
  const [n, h, w] = img.idx.dims;
  if (lab.idx.dims[0] !== n) {
    throw new DatasetError('dataset_corrupt', lab.file, `${lab.idx.dims[0]} labels for ${n} images in ${img.file}`, `reinstall the data (${FASHION_MNIST_INSTALL})`);
  }
  const N = Math.min(n, opts.limit ?? n);
  const images = new Float32Array(N * h * w);
  for (let i = 0; i < images.length; i++) images[i] = img.idx.data[i] / 127.5 - 1;
  const labels = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    const l = lab.idx.data[i];
    if (l >= FASHION_MNIST_CLASSES.length) {
      throw new DatasetError('dataset_corrupt', lab.file, `label ${l} at index ${i} is outside 0–${FASHION_MNIST_CLASSES.length - 1}`, `reinstall the data (${FASHION_MNIST_INSTALL})`);
    }
    labels[i] = l;
  }
  return { images, labels, shape: [N, h, w, 1], classNames: FASHION_MNIST_CLASSES };
}

/** A uniformly random permutation of 0 … n−1 (Fisher–Yates with `rng.int`). */
export function shuffledIndices(n: number, rng: Rng): Int32Array {
  if (!(Number.isInteger(n) && n >= 0)) throw new ArgumentError('shuffledIndices', 'n', n, 'an integer ≥ 0');
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/**
 * Deterministic mini-batches by step: epoch e is the permutation drawn by the e-th split of `makeRng(seed)`, cut
 * into ⌊n/batch⌋ full batches (the remainder of each epoch is dropped, so every batch has `batch` rows). Step s
 * is batch s mod ⌊n/batch⌋ of epoch ⌊s/⌊n/batch⌋⌋: the batch of any step is known without replaying earlier ones.
 */
export class EpochBatcher {
  readonly stepsPerEpoch: number;
  #epoch = -1;
  #order: Int32Array = new Int32Array(0);

  constructor(
    readonly n: number,
    readonly batch: number,
    readonly seed: number,
  ) {
    if (!(Number.isInteger(n) && n >= 1)) throw new ArgumentError('EpochBatcher', 'n', n, 'an integer ≥ 1');
    if (!(Number.isInteger(batch) && batch >= 1 && batch <= n)) throw new ArgumentError('EpochBatcher', 'batch', batch, `an integer in [1, ${n}] (the set size)`);
    if (!Number.isSafeInteger(seed)) throw new ArgumentError('EpochBatcher', 'seed', seed, 'a safe integer');
    this.stepsPerEpoch = Math.floor(n / batch);
  }

  /** The permutation of epoch `epoch` (an integer ≥ 0). */
  epochOrder(epoch: number): Int32Array {
    if (!(Number.isInteger(epoch) && epoch >= 0)) throw new ArgumentError('EpochBatcher.epochOrder', 'epoch', epoch, 'an integer ≥ 0');
    if (epoch !== this.#epoch) {
      const root = makeRng(this.seed);
      let r = root.split();
      for (let e = 0; e < epoch; e++) r = root.split();
      this.#order = shuffledIndices(this.n, r);
      this.#epoch = epoch;
    }
    return this.#order;
  }

  /** Row indices of the batch of step `step` (counted from 0 over all epochs), length `batch`. */
  indices(step: number): Int32Array {
    if (!(Number.isInteger(step) && step >= 0)) throw new ArgumentError('EpochBatcher.indices', 'step', step, 'an integer ≥ 0');
    const epoch = Math.floor(step / this.stepsPerEpoch);
    const k = step - epoch * this.stepsPerEpoch;
    return this.epochOrder(epoch).slice(k * this.batch, (k + 1) * this.batch);
  }
}

/** Copy the rows `indices` of a set: images [B, H, W, C] and labels [B]. */
export function gatherRows(set: ImageSet, indices: ArrayLike<number>): { images: Float32Array; labels: Int32Array } {
  const [N, h, w, c] = set.shape;
  const row = h * w * c;
  const images = new Float32Array(indices.length * row);
  const labels = new Int32Array(indices.length);
  for (let b = 0; b < indices.length; b++) {
    const i = indices[b];
    if (!(Number.isInteger(i) && i >= 0 && i < N)) throw new ArgumentError('gatherRows', `indices[${b}]`, i, `an integer in [0, ${N - 1}]`);
    images.set(set.images.subarray(i * row, (i + 1) * row), b * row);
    labels[b] = set.labels[i];
  }
  return { images, labels };
}
