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
import { z } from 'zod';
import { imageDataSchema } from '../image-data.js';
import { EpochBatcher, gatherRows, loadFashionMnist, shuffledIndices, type ImageSet } from '../../data/fashion-mnist.js';
import { makeRng } from '../../data/rng.js';
import { latentScale, makeAutoencoder, mapBatched, type Autoencoder } from '../../nn/autoencoder.js';
import { countParams, disposeParams } from '../../nn/params.js';
import { Adam, type LazyStepResult } from '../../train/adam.js';
import { decodeCheckpoint, encodeCheckpoint, paramTensors, restoreParams } from '../../train/checkpoint.js';
import { imageGridPng } from '../../viz/image-grid.js';
import { learningRate, loadClassifier, lrScheduleSchema, readClassifierCheckpoint } from '../classifier/run.js';
import { makeReference, scoreImages } from '../image-metrics.js';
import { exportModel } from '../model-files.js';
import type { ExperimentContext, KindResult } from '../kind.js';
import { stoppedResult, trainAsRun, trainingSummary } from '../train-run.js';

export const autoencoderSchema = z
  .object({
    kind: z.literal('autoencoder'),
    name: z.string().min(1).optional(),
    experiment: z.string().min(1).default('image-tier'),
    seed: z.number().int().default(0),
    data: imageDataSchema,
    /** Channels at full and half resolution, latent channels (4, as SD's VAE). Our defaults (measured: 32/64 reaches FID 42 at 400 steps where 16/32 reaches 93). */
    architecture: z
      .object({
        channels1: z.number().int().min(1).default(32),
        channels2: z.number().int().min(1).default(64),
        latentChannels: z.number().int().min(1).default(4),
      })
      .strict()
      .default({ channels1: 32, channels2: 64, latentChannels: 4 }),
    loss: z
      .object({
        /** Reconstruction distance: `l2` mean squared error (default) or `l1` mean absolute error. */
        reconstruction: z.enum(['l2', 'l1']).default('l2'),
        /** λ of the latent penalty λ·mean(z²) (our default 1e-4; 0 = none). */
        latentPenalty: z.number().min(0).default(1e-4),
      })
      .strict()
      .default({ reconstruction: 'l2', latentPenalty: 1e-4 }),
    train: z
      .object({
        steps: z.number().int().min(1).default(1500),
        batch: z.number().int().min(1).default(64),
        lr: z.number().gt(0).default(2e-3),
        schedule: lrScheduleSchema.default({ kind: 'cosine', final: 0.05 }),
        weightDecay: z.number().min(0).default(0),
        gradClip: z.number().min(0).default(1),
        logEvery: z.number().int().min(1).default(50),
        checkpointEvery: z.number().int().min(0).default(300),
      })
      .strict()
      .default({ steps: 1500, batch: 64, lr: 2e-3, schedule: { kind: 'cosine', final: 0.05 }, weightDecay: 0, gradClip: 1, logEvery: 50, checkpointEvery: 300 }),
    /** Training images (a seeded random subset) over which s = 1/std(z) is computed. */
    scaleImages: z.number().int().min(1).default(1024),
    eval: z
      .object({
        /** The feature network of the FID (models/classifier-fmnist.ckpt). */
        classifier: z.string().min(1).default('models/classifier-fmnist.ckpt'),
        /** Originals (and as many reconstructions) in the PNG artifact. */
        gridImages: z.number().int().min(1).default(16),
      })
      .strict()
      .default({ classifier: 'models/classifier-fmnist.ckpt', gridImages: 16 }),
    /** Write the weights and s here (e.g. models/autoencoder-fmnist.ckpt) plus `<file>.json`. */
    export: z.string().min(1).optional(),
  })
  .strict();

export type AutoencoderExperimentConfig = z.output<typeof autoencoderSchema>;

interface AutoencoderTrainMeta {
  kind: 'autoencoder-train';
  stepsDone: number;
  adamStep: number;
}

export interface AutoencoderState {
  ae: Autoencoder;
  adam: Adam;
  batcher: EpochBatcher;
  train: ImageSet;
  stepsDone: number;
}

export function setupAutoencoder(c: AutoencoderExperimentConfig, train: ImageSet): AutoencoderState {
  const [, H, W, C] = train.shape;
  const root = makeRng(c.seed);
  const ae = makeAutoencoder({ height: H, width: W, channels: C, ...c.architecture }, root.split());
  const adam = new Adam(ae.params, { lr: c.train.lr, weightDecay: c.train.weightDecay, gradClip: c.train.gradClip });
  const batcher = new EpochBatcher(train.shape[0], Math.min(c.train.batch, train.shape[0]), root.uint32());
  return { ae, adam, batcher, train, stepsDone: 0 };
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
 * One step on the batch of step `s.stepsDone` at that step's learning rate; advances `stepsDone`. The loss and
 * gradient norm are numbers, or scalar tensors on a backend that cannot read synchronously (WebGPU: {@link Adam.stepLazy}).
 */
export function autoencoderStep(s: AutoencoderState, c: AutoencoderExperimentConfig): LazyStepResult {
  s.adam.config.lr = learningRate(c.train.lr, c.train.schedule, s.stepsDone, c.train.steps);
  const { images, labels } = gatherRows(s.train, s.batcher.indices(s.stepsDone));
  const [, H, W, C] = s.train.shape;
  const x = tf.tensor4d(images, [labels.length, H, W, C]);
  try {
    const r = s.adam.stepLazy(() => autoencoderLoss(s.ae, x, c.loss));
    s.stepsDone += 1;
    return r;
  } finally {
    x.dispose();
  }
}

export function encodeAutoencoderCheckpoint(s: AutoencoderState): Uint8Array {
  const meta: AutoencoderTrainMeta = { kind: 'autoencoder-train', stepsDone: s.stepsDone, adamStep: s.adam.state.step };
  return encodeCheckpoint({ meta, tensors: [...paramTensors('ae', s.ae.params), ...paramTensors('adam.m', s.adam.state.m), ...paramTensors('adam.v', s.adam.state.v)] });
}

export function restoreAutoencoder(s: AutoencoderState, bytes: Uint8Array): void {
  const ck = decodeCheckpoint<AutoencoderTrainMeta>(bytes);
  if (ck.meta.kind !== 'autoencoder-train') throw new Error(`not an autoencoder training checkpoint (kind ${String(ck.meta.kind)})`);
  for (const [prefix, set] of [['ae', s.ae.params], ['adam.m', s.adam.state.m], ['adam.v', s.adam.state.v]] as const) {
    const missing = restoreParams(ck, prefix, set);
    if (missing.length) throw new Error(`checkpoint lacks ${prefix}/${missing[0]}`);
  }
  s.adam.state.step = ck.meta.adamStep;
  s.stepsDone = ck.meta.stepsDone;
}

/** s = 1/std(z) over `n` training images drawn by `seed` (the latents read to the host with `await`). */
export async function scaleOver(ae: Autoencoder, train: ImageSet, n: number, seed: number): Promise<number> {
  const rows = shuffledIndices(train.shape[0], makeRng(seed)).subarray(0, Math.min(n, train.shape[0]));
  const { images } = gatherRows(train, rows);
  return latentScale(await mapBatched((x) => ae.encode(x), images, [train.shape[1], train.shape[2], train.shape[3]], 500));
}

export async function runAutoencoder(c: AutoencoderExperimentConfig, ctx: ExperimentContext): Promise<KindResult> {
  const train = loadFashionMnist('train', { limit: c.data.trainLimit });
  const s = setupAutoencoder(c, train);
  try {
    if (ctx.resume) restoreAutoencoder(s, ctx.resume);
    const result = await trainAsRun(ctx, {
      startStep: s.stepsDone,
      totalSteps: c.train.steps,
      logEvery: c.train.logEvery,
      checkpointEvery: c.train.checkpointEvery,
      step: () => autoencoderStep(s, c),
      encode: () => encodeAutoencoderCheckpoint(s),
    });
    const summary = trainingSummary(result, countParams(s.ae.params));
    if (result.stopped) return stoppedResult(ctx, result, summary);

    const scale = await scaleOver(s.ae, train, c.scaleImages, c.seed + 1);
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
      `  latent scale s = 1/std(z) = ${scale.toFixed(4)} (over ${Math.min(c.scaleImages, train.shape[0])} training images)`,
      `  test (${test.shape[0]} images): reconstruction MSE ${summary['test/recon_mse'].toExponential(3)}; reconstructions vs test: FID ${score.fid.toFixed(3)}, precision ${score.precision.toFixed(3)}, recall ${score.recall.toFixed(3)}`,
    ];
    return { summary, report: lines.join('\n') + exported };
  } finally {
    disposeParams(s.ae.params);
    s.adam.dispose();
  }
}
