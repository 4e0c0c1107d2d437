/**
 * A small CNN classifier for 28×28 grey images (Fashion-MNIST), whose penultimate layer is the feature space of
 * the image-tier FID and precision/recall (lib/metrics/fid.ts, precision-recall.ts):
 *
 *   x [B, 28, 28, 1] → conv 3×3 (same) C₁ → ReLU → max-pool 2×2 → [B, 14, 14, C₁]
 *                    → conv 3×3 (same) C₂ → ReLU → max-pool 2×2 → [B, 7, 7, C₂] → flatten [B, 49·C₂]
 *                    → dense F → ReLU  = the FEATURES [B, F]  (penultimate layer, post-activation, as Inception's
 *                                                              pool3 features of the FID are)
 *                    → dense K         = the logits [B, K]
 *
 * Defaults C₁ = 32, C₂ = 64, F = 128, K = 10 (the two-conv Keras/PyTorch MNIST example; ~421k parameters).
 * Weights follow the conventions of lib/nn/mlp.ts: a named {@link ParamSet} drawn from a seeded host rng with
 * PyTorch's default init U(±1/√fanIn) (fanIn = 9·C_in for a 3×3 conv), so it checkpoints with
 * lib/train/checkpoint.ts under the prefix `net/`.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, ShapeError } from '../errors.js';
import type { Rng } from '../data/rng.js';
import { addParam, type ParamSet, uniformInit } from './params.js';

export interface ClassifierConfig {
  /** Input height H and width W (each divisible by 4, for the two 2×2 pools). Default 28 × 28. */
  height: number;
  width: number;
  /** Input channels C. Default 1. */
  channels: number;
  /** Channels of the first and second 3×3 convolutions. Defaults 32, 64. */
  conv1: number;
  conv2: number;
  /** Width F of the penultimate (feature) layer. Default 128. */
  features: number;
  /** Number of classes K. Default 10. */
  numClasses: number;
}

export const DEFAULT_CLASSIFIER: ClassifierConfig = { height: 28, width: 28, channels: 1, conv1: 32, conv2: 64, features: 128, numClasses: 10 };

export interface Classifier {
  config: ClassifierConfig;
  params: ParamSet;
  /** Logits [B, K] of images x [B, H, W, C] (pixels in [−1, 1]). */
  logits(x: tf.Tensor4D): tf.Tensor2D;
  /** Penultimate-layer features [B, F] (post-ReLU) of images x [B, H, W, C]. */
  features(x: tf.Tensor4D): tf.Tensor2D;
}

function checkConfig(c: ClassifierConfig): void {
  for (const k of Object.keys(DEFAULT_CLASSIFIER) as (keyof ClassifierConfig)[]) {
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new ArgumentError('makeClassifier', k, c[k], 'an integer ≥ 1');
  }
  for (const k of ['height', 'width'] as const) if (c[k] % 4) throw new ArgumentError('makeClassifier', k, c[k], 'a multiple of 4 (two 2×2 pools)');
  if (c.numClasses < 2) throw new ArgumentError('makeClassifier', 'numClasses', c.numClasses, 'an integer ≥ 2');
}

/** Build the classifier with weights drawn from `rng`. @throws ArgumentError for a bad config field. */
export function makeClassifier(partial: Partial<ClassifierConfig>, rng: Rng): Classifier {
  const config: ClassifierConfig = { ...DEFAULT_CLASSIFIER, ...partial };
  checkConfig(config);
  const { height: H, width: W, channels: C, conv1, conv2, features: F, numClasses: K } = config;
  const params: ParamSet = new Map();
  const conv = (name: string, cin: number, cout: number) => {
    const fanIn = 9 * cin;
    const w = addParam(params, `${name}.weight`, [3, 3, cin, cout], uniformInit([3, 3, cin, cout], fanIn, rng)) as tf.Variable<tf.Rank.R4>;
    const b = addParam(params, `${name}.bias`, [cout], uniformInit([cout], fanIn, rng));
    return (x: tf.Tensor4D) => tf.conv2d(x, w, 1, 'same').add(b) as tf.Tensor4D;
  };
  const dense = (name: string, fanIn: number, fanOut: number) => {
    const w = addParam(params, `${name}.weight`, [fanIn, fanOut], uniformInit([fanIn, fanOut], fanIn, rng)) as tf.Variable<tf.Rank.R2>;
    const b = addParam(params, `${name}.bias`, [fanOut], uniformInit([fanOut], fanIn, rng));
    return (x: tf.Tensor2D) => tf.matMul(x, w).add(b) as tf.Tensor2D;
  };
  const c1 = conv('conv1', C, conv1);
  const c2 = conv('conv2', conv1, conv2);
  const flat = (H / 4) * (W / 4) * conv2;
  const fc = dense('fc', flat, F);
  const out = dense('out', F, K);

  const check = (fn: string, x: tf.Tensor) => {
    if (x.rank !== 4 || x.shape[1] !== H || x.shape[2] !== W || x.shape[3] !== C) throw new ShapeError(fn, 'x', `[B, ${H}, ${W}, ${C}]`, x.shape);
  };
  const featuresOf = (x: tf.Tensor4D): tf.Tensor2D => {
    const h1 = tf.maxPool(tf.relu(c1(x)), 2, 2, 'valid');
    const h2 = tf.maxPool(tf.relu(c2(h1)), 2, 2, 'valid');
    return tf.relu(fc(h2.reshape([x.shape[0], flat]) as tf.Tensor2D));
  };
  return {
    config,
    params,
    features: (x) => {
      check('Classifier.features', x);
      return tf.tidy(() => featuresOf(x));
    },
    logits: (x) => {
      check('Classifier.logits', x);
      return tf.tidy(() => out(featuresOf(x)));
    },
  };
}

/**
 * Mean softmax cross-entropy −(1/B)·Σ_b log softmax(logits_b)[label_b] of logits [B, K] against integer labels [B].
 * @throws ShapeError when the label count is not B.
 */
export function crossEntropy(logits: tf.Tensor2D, labels: ArrayLike<number>): tf.Scalar {
  const [B, K] = logits.shape;
  if (labels.length !== B) throw new ShapeError('crossEntropy', 'labels', `[${B}]`, [labels.length]);
  return tf.tidy(() => {
    const logp = logits.sub(logits.logSumExp(1, true));
    const oneHot = tf.oneHot(tf.tensor1d(Array.from(labels), 'int32'), K);
    return logp.mul(oneHot).sum().div(-B) as tf.Scalar;
  });
}

/**
 * Apply `fn` (logits or features) to a whole image array in batches: images [N, H, W, C] row-major → [N, D].
 * Returns a tensor; the caller disposes it.
 */
export function applyBatched(fn: (x: tf.Tensor4D) => tf.Tensor2D, images: Float32Array, shape: readonly [number, number, number, number], batch = 500): tf.Tensor2D {
  const [N, H, W, C] = shape;
  if (images.length !== N * H * W * C) throw new ShapeError('applyBatched', 'images', `${N}·${H}·${W}·${C} = ${N * H * W * C} values`, [images.length]);
  if (!(Number.isInteger(batch) && batch >= 1)) throw new ArgumentError('applyBatched', 'batch', batch, 'an integer ≥ 1');
  const row = H * W * C;
  const parts: tf.Tensor2D[] = [];
  try {
    for (let start = 0; start < N; start += batch) {
      const b = Math.min(batch, N - start);
      parts.push(tf.tidy(() => fn(tf.tensor4d(images.subarray(start * row, (start + b) * row), [b, H, W, C]))));
    }
    return tf.concat(parts) as tf.Tensor2D;
  } finally {
    tf.dispose(parts);
  }
}
