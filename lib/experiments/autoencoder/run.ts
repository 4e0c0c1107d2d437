/**
 * `kind: "autoencoder"`: train the Fashion-MNIST autoencoder (lib/nn/autoencoder.ts) whose latent space SPLAD works
 * in. Loss: reconstruction (`l2` mean squared or `l1` mean absolute error over pixels) plus a small L2 penalty
 * λ·mean(z²) on the latents (in place of Stable Diffusion's KL term: it keeps the latents from drifting in scale
 * and from spreading into unused directions). AdamW, mini-batches drawn by seed one epoch at a time (a resumed run
 * sees the same batches), checkpoints and resume like every training kind.
 *
 * After training: the latent scaling factor s = 1/std(z) over a seeded batch of training images (SD's
 * `scaling_factor`), the test-set reconstruction error, and the FID / precision / recall of the test set's
 * reconstructions against the test set itself (the evaluation classifier's features); a PNG of originals above
 * their reconstructions. The weights and s can be exported to models/ with a sidecar (config, summary, run record).
 */
import * as tf from '@tensorflow/tfjs';
import { EpochBatcher, gatherRows, loadFashionMnist, shuffledIndices, type ImageSet } from '../../data/fashion-mnist.js';
import { makeRng } from '../../data/rng.js';
import { latentScale, makeAutoencoder, mapBatched, type Autoencoder } from '../../nn/autoencoder.js';
import { countParams, disposeParams } from '../../nn/params.js';
import { Adam, type LazyStepResult } from '../../train/adam.js';
import { imageGridPng } from '../../viz/image-grid.js';
import { loadClassifier, readClassifierCheckpoint } from '../classifier/model.js';
import { learningRate } from '../../train/lr-schedule.js';
import { makeReference, scoreImages } from '../image-metrics.js';
import { exportModel } from '../model-files.js';
import type { ExperimentContext, KindResult } from '../kind.js';
import type { Trained } from '../training-kind.js';
import type { AutoencoderExperimentConfig } from './config.js';

export interface AutoencoderState {
  ae: Autoencoder;
  adam: Adam;
  batcher: EpochBatcher;
  train: ImageSet;
}

export function setupAutoencoder(c: AutoencoderExperimentConfig, train: ImageSet): AutoencoderState {
  const [, H, W, C] = train.shape;
  const root = makeRng(c.seed);
  const ae = makeAutoencoder({ height: H, width: W, channels: C, ...c.architecture }, root.split());
  const adam = new Adam(ae.params, { lr: c.train.lr, weightDecay: c.train.weightDecay, gradClip: c.train.gradClip });
  const batcher = new EpochBatcher(train.shape[0], Math.min(c.train.batch, train.shape[0]), root.uint32());
  return { ae, adam, batcher, train };
}

/** The training loss of a batch: reconstruction distance + λ·mean(z²). */
export function autoencoderLoss(ae: Autoencoder, x: tf.Tensor4D, loss: AutoencoderExperimentConfig['loss']): tf.Scalar {
  return tf.tidy(() => {
    const zl = ae.encode(x);
    const d = ae.decode(zl).sub(x);
    const rec = loss.reconstruction === 'l2' ? d.square().mean() : d.abs().mean();
    return (loss.latentPenalty > 0 ? rec.add(zl.square().mean().mul(loss.latentPenalty)) : rec) as tf.Scalar;
  });
}

/**
 * Step `step` on that step's batch at that step's learning rate. The loss and
 * gradient norm are numbers, or scalar tensors on a backend that cannot read synchronously (WebGPU: {@link Adam.stepLazy}).
 */
export function autoencoderStep(s: AutoencoderState, c: AutoencoderExperimentConfig, step: number): LazyStepResult {
  s.adam.config.lr = learningRate(c.train.lr, c.train.schedule, step, c.train.steps);
  const { images, labels } = gatherRows(s.train, s.batcher.indices(step));
  const [, H, W, C] = s.train.shape;
  const x = tf.tensor4d(images, [labels.length, H, W, C]);
  try {
    return s.adam.stepLazy(() => autoencoderLoss(s.ae, x, c.loss));
  } finally {
    x.dispose();
  }
}

/** s = 1/std(z) over `n` training images drawn by `seed` (the latents read to the host with `await`). */
export async function scaleOver(ae: Autoencoder, train: ImageSet, n: number, seed: number): Promise<number> {
  const rows = shuffledIndices(train.shape[0], makeRng(seed)).subarray(0, Math.min(n, train.shape[0]));
  const { images } = gatherRows(train, rows);
  return latentScale(await mapBatched((x) => ae.encode(x), images, [train.shape[1], train.shape[2], train.shape[3]], 500));
}

export function disposeAutoencoder(s: AutoencoderState): void {
  disposeParams(s.ae.params);
  s.adam.dispose();
}

/** After training: the latent scale, test reconstructions and their FID, a PNG, the export (`export`), the report. */
export async function finishAutoencoder(s: AutoencoderState, c: AutoencoderExperimentConfig, ctx: ExperimentContext, { result, summary }: Trained): Promise<KindResult> {
  const scale = await scaleOver(s.ae, s.train, c.scaleImages, c.seed + 1);
  const test = loadFashionMnist('test', { limit: c.data.testLimit });
  const shape = test.shape.slice(1) as [number, number, number];
  const recon = await mapBatched((x) => tf.clipByValue(s.ae.decode(s.ae.encode(x)), -1, 1) as tf.Tensor4D, test.images, shape, 500);
  let se = 0;
  for (let i = 0; i < recon.length; i++) se += (recon[i] - test.images[i]) ** 2;
  const classifier = loadClassifier(readClassifierCheckpoint(c.eval.classifier));
  const ref = makeReference(classifier, test);
  let score;
  try {
    score = await scoreImages(ref, recon, shape);
  } finally {
    ref.dispose();
    disposeParams(classifier.params);
  }
  Object.assign(summary, {
    'latent/scale': scale,
    'test/recon_mse': se / recon.length,
    'test/recon_fid': score.fid,
    'test/recon_precision': score.precision,
    'test/recon_recall': score.recall,
    'test/images': test.shape[0],
  });
  ctx.run.logMetrics({ 'test/recon_mse': summary['test/recon_mse'], 'test/recon_fid': score.fid }, result.stepsDone);
  const g = Math.min(c.eval.gridImages, test.shape[0]);
  const row = shape[0] * shape[1] * shape[2];
  const both = new Float32Array(2 * g * row);
  both.set(test.images.subarray(0, g * row), 0);
  both.set(recon.subarray(0, g * row), g * row);
  await ctx.run.logArtifact('reconstructions.png', await imageGridPng(both, [2 * g, ...shape], { cols: g }), { kind: 'png' });
  await ctx.run.flush();
  const exported = c.export
    ? '\n' + exportModel(c.export, { kind: 'autoencoder', autoencoder: s.ae.config, scale, source: { runId: ctx.run.id, experiment: c.experiment, steps: result.stepsDone } }, 'ae', s.ae.params, { run: ctx.run, config: c, summary })
    : '';
  const lines = [
    `autoencoder ${c.architecture.channels1}/${c.architecture.channels2} → latent ${s.ae.latentShape.join('×')} (${countParams(s.ae.params)} params), ${result.stepsDone} steps, final loss ${summary['train/loss_final'].toExponential(3)}`,
    `  latent scale s = 1/std(z) = ${scale.toFixed(4)} (over ${Math.min(c.scaleImages, s.train.shape[0])} training images)`,
    `  test (${test.shape[0]} images): reconstruction MSE ${summary['test/recon_mse'].toExponential(3)}; reconstructions vs test: FID ${score.fid.toFixed(3)}, precision ${score.precision.toFixed(3)}, recall ${score.recall.toFixed(3)}`,
  ];
  return { summary, report: lines.join('\n') + exported };
}
