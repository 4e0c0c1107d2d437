/**
 * Judging generated Fashion-MNIST images: decode scaled latents with the autoencoder, clip to the data range
 * [−1, 1], take the evaluation classifier's penultimate features (lib/nn/classifier.ts), and compare them with the
 * test split's features:
 *   - FID against all test images given (10,000 by default) — lib/metrics/fid.ts;
 *   - improved precision / recall (k = 3) against the first n test images, n = the number of generated images,
 *     so both manifolds are estimated from sets of the same size — lib/metrics/precision-recall.ts.
 * FID from n generated images is biased upwards for small n: compare only numbers with the same n, and beside the
 * data's own floor at that n (n training images scored the same way; lib/experiments/image-eval/run.ts).
 *
 * Networks run on the active backend; results come to the host with `await t.data()` only (scoring, decoding and
 * encoding are async), so all of this runs on tfjs's WebGPU backend in Node, which cannot read synchronously.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../data/fashion-mnist.js';
import { fid } from '../metrics/fid.js';
import { precisionRecall } from '../metrics/precision-recall.js';
import type { Autoencoder } from '../nn/autoencoder.js';
import { mapBatched } from '../nn/autoencoder.js';
import { applyBatched, type Classifier } from '../nn/classifier.js';

/** The reference side of every comparison: the test images' features. Dispose when done. */
export interface ImageReference {
  classifier: Classifier;
  /** Features of the reference images, [N, F]. */
  features: tf.Tensor2D;
  dispose(): void;
}

export interface ImageScore {
  fid: number;
  precision: number;
  recall: number;
  n: number;
}

/** Features [n, F] of images [n, H, W, C] (row-major values in [−1, 1]). */
export function imageFeatures(classifier: Classifier, images: Float32Array, shape: readonly [number, number, number]): tf.Tensor2D {
  const n = images.length / (shape[0] * shape[1] * shape[2]);
  return applyBatched((x) => classifier.features(x), images, [n, ...shape] as [number, number, number, number], 500);
}

export function makeReference(classifier: Classifier, test: ImageSet): ImageReference {
  const features = imageFeatures(classifier, test.images, test.shape.slice(1) as [number, number, number]);
  return { classifier, features, dispose: () => features.dispose() };
}

/**
 * FID, precision and recall of images [n, H, W, C] against the reference (see the module comment). Features are
 * computed on the active backend; FID's statistics on the host (float64), precision/recall's distance blocks on the
 * backend, each read with `await`.
 */
export async function scoreImages(ref: ImageReference, images: Float32Array, shape: readonly [number, number, number]): Promise<ImageScore> {
  const gen = imageFeatures(ref.classifier, images, shape);
  const n = gen.shape[0];
  const real = ref.features.slice([0, 0], [Math.min(n, ref.features.shape[0]), -1]);
  try {
    const f = (await fid(gen, ref.features)).fid;
    const pr = await precisionRecall(real, gen);
    return { fid: f, precision: pr.precision, recall: pr.recall, n };
  } finally {
    tf.dispose([gen, real]);
  }
}

/**
 * Decode scaled latents s·z [n, h, w, Z] (row-major) into images [n, H, W, C] clipped to [−1, 1]: x̂ = D(latent/s),
 * on the host (read with `await`, batch by batch: lib/nn/autoencoder.ts `mapBatched`).
 */
export function decodeLatents(ae: Autoencoder, scale: number, latents: Float32Array): Promise<Float32Array> {
  return mapBatched((z) => tf.clipByValue(ae.decode(z.div(scale) as tf.Tensor4D), -1, 1) as tf.Tensor4D, latents, ae.latentShape, 500);
}

/** Scaled latents s·E(x) [n, h, w, Z] of images [n, H, W, C], on the host (read with `await`, as {@link decodeLatents}). */
export function encodeImages(ae: Autoencoder, scale: number, images: Float32Array): Promise<Float32Array> {
  const { height, width, channels } = ae.config;
  return mapBatched((x) => ae.encode(x).mul(scale) as tf.Tensor4D, images, [height, width, channels], 500);
}
