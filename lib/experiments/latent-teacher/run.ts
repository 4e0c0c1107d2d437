/**
 * `kind: "latent-teacher"`: the guided teacher of SPLAD at small scale — a class-conditional ε-prediction U-Net
 * (lib/nn/unet.ts) trained by denoising score matching (Ho et al. 2020: t ~ U{0, …, N−1}, x_t = α_t·x_0 + σ_t·ε,
 * loss ‖ε_θ(x_t, t, c) − ε‖²) on the autoencoder's scaled latents x_0 = s·E(image), with label dropout (a label is
 * replaced by the null label −1 with probability p) so classifier-free guidance works. An EMA copy of the weights
 * (decay μ) is what is evaluated and exported, as is usual for diffusion models.
 *
 * Evaluation: for each guidance strength w (LCM convention, ε̂ = ε_c + w·(ε_c − ε_u), lib/diffusion/guidance.ts),
 * `ddimSteps`-step DDIM from the same noise and class-balanced labels, decoded and scored by FID / precision /
 * recall against the test set (lib/experiments/latent-sampling.ts). Checkpoints, resume, progress and export to
 * models/ as every training kind.
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { imageDataSchema } from '../image-data.js';
import { EpochBatcher, gatherRows, loadFashionMnist, type ImageSet } from '../../data/fashion-mnist.js';
import { makeRng, restoreRng, type Rng, type RngState } from '../../data/rng.js';
import { NULL_LABEL } from '../../diffusion/guidance.js';
import { makeSchedule, type Schedule } from '../../diffusion/schedules.js';
import { perSample } from '../../diffusion/types.js';
import type { Autoencoder } from '../../nn/autoencoder.js';
import { emaUpdate } from '../../nn/ema.js';
import { copyParams, countParams, disposeParams } from '../../nn/params.js';
import { makeUnet, type Unet } from '../../nn/unet.js';
import { Adam, type LazyStepResult } from '../../train/adam.js';
import { decodeCheckpoint, encodeCheckpoint, paramTensors, restoreParams } from '../../train/checkpoint.js';
import { imageGridPng } from '../../viz/image-grid.js';
import { learningRate, loadClassifier, lrScheduleSchema, readClassifierCheckpoint } from '../classifier/run.js';
import { encodeImages, makeReference } from '../image-metrics.js';
import { evaluateSampler, formatLatentRows, latentNoise, teacherSampler, type LatentEvalRow } from '../latent-sampling.js';
import { scheduleFromConfig, scheduleSchema } from '../mixture-config.js';
import { exportModel, loadAutoencoder, readModelFile } from '../model-files.js';
import type { ExperimentContext, KindResult } from '../kind.js';
import { stoppedResult, trainAsRun, trainingSummary } from '../train-run.js';

export const unetArchitectureSchema = z
  .object({
    baseChannels: z.number().int().min(1).default(32),
    /** One multiplier per level: [1, 2] = 7×7 (padded to 8×8) → 4×4. */
    channelMults: z.array(z.number().int().min(1)).min(1).default([1, 2]),
    resBlocks: z.number().int().min(1).default(1),
    groups: z.number().int().min(1).default(8),
    timeEmbedDim: z.number().int().min(2).multipleOf(2).default(64),
    timeHidden: z.number().int().min(1).default(128),
  })
  .strict();

export const latentTeacherSchema = z
  .object({
    kind: z.literal('latent-teacher'),
    name: z.string().min(1).optional(),
    experiment: z.string().min(1).default('image-tier'),
    seed: z.number().int().default(0),
    /** The autoencoder file (written by `kind: "autoencoder"` with `export`). */
    autoencoder: z.string().min(1).default('models/autoencoder-fmnist.ckpt'),
    data: imageDataSchema,
    schedule: scheduleSchema.default({ name: 'scaled-linear', N: 1000 }),
    architecture: unetArchitectureSchema.default({ baseChannels: 32, channelMults: [1, 2], resBlocks: 1, groups: 8, timeEmbedDim: 64, timeHidden: 128 }),
    /** Probability of replacing a label by the null label; 0.1, common CFG practice. */
    labelDropout: z.number().min(0).max(1).default(0.1),
    train: z
      .object({
        steps: z.number().int().min(1).default(3200),
        batch: z.number().int().min(1).default(128),
        lr: z.number().gt(0).default(1e-3),
        schedule: lrScheduleSchema.default({ kind: 'cosine', final: 0.1 }),
        weightDecay: z.number().min(0).default(0),
        gradClip: z.number().min(0).default(1),
        /** EMA decay of the evaluated / exported weights (our default 0.995 for a short run). */
        emaMu: z.number().min(0).max(1).default(0.995),
        logEvery: z.number().int().min(1).default(50),
        checkpointEvery: z.number().int().min(0).default(400),
      })
      .strict()
      .default({ steps: 3200, batch: 128, lr: 1e-3, schedule: { kind: 'cosine', final: 0.1 }, weightDecay: 0, gradClip: 1, emaMu: 0.995, logEvery: 50, checkpointEvery: 400 }),
    eval: z
      .object({
        classifier: z.string().min(1).default('models/classifier-fmnist.ckpt'),
        /** Generated samples per guidance strength (FID is biased upwards at small n: compare equal n only). */
        samples: z.number().int().min(4).default(1000),
        ddimSteps: z.number().int().min(1).default(50),
        /** Guidance strengths w, LCM convention (w = 0: the conditional model alone; CFG scale 1 + w). */
        w: z.array(z.number().min(0)).min(1).default([0, 1, 2, 4]),
        seed: z.number().int().default(1000),
        /** Samples per class shown in the PNG grid of each w. */
        gridPerClass: z.number().int().min(0).default(4),
      })
      .strict()
      .default({ classifier: 'models/classifier-fmnist.ckpt', samples: 1000, ddimSteps: 50, w: [0, 1, 2, 4], seed: 1000, gridPerClass: 4 }),
    export: z.string().min(1).optional(),
  })
  .strict();

export type LatentTeacherConfig = z.output<typeof latentTeacherSchema>;

/**
 * A data set of scaled latents s·E(x) with the images' labels (an ImageSet of shape [N, h, w, Z]), on the host
 * (encoded on the active backend, read with `await`).
 */
export async function latentSet(ae: Autoencoder, scale: number, images: ImageSet): Promise<ImageSet> {
  return { images: await encodeImages(ae, scale, images.images), labels: images.labels, shape: [images.shape[0], ...ae.latentShape], classNames: images.classNames };
}

interface LatentTeacherMeta {
  kind: 'latent-teacher-train';
  stepsDone: number;
  rng: RngState;
  adamStep: number;
}

export interface LatentTeacherState {
  schedule: Schedule;
  ae: Autoencoder;
  scale: number;
  latents: ImageSet;
  net: Unet;
  ema: Unet;
  adam: Adam;
  batcher: EpochBatcher;
  rng: Rng;
  stepsDone: number;
}

/** Schedule, autoencoder, training latents (async: encoded and read with `await`), networks and optimiser from the seed. */
export async function setupLatentTeacher(c: LatentTeacherConfig): Promise<LatentTeacherState> {
  const schedule = makeSchedule(scheduleFromConfig(c.schedule));
  const { ae, scale } = loadAutoencoder(readModelFile(c.autoencoder, 'autoencoder'));
  const latents = await latentSet(ae, scale, loadFashionMnist('train', { limit: c.data.trainLimit }));
  const root = makeRng(c.seed);
  const [h, w, Z] = ae.latentShape;
  const unetConfig = { height: h, width: w, channels: Z, ...c.architecture, numClasses: latents.classNames.length, gammaEmbedDim: 0 };
  const net = makeUnet(unetConfig, root.split());
  const ema = makeUnet(unetConfig, root.split());
  copyParams(ema.params, net.params);
  const adam = new Adam(net.params, { lr: c.train.lr, weightDecay: c.train.weightDecay, gradClip: c.train.gradClip });
  const batcher = new EpochBatcher(latents.shape[0], Math.min(c.train.batch, latents.shape[0]), root.uint32());
  return { schedule, ae, scale, latents, net, ema, adam, batcher, rng: root.split(), stepsDone: 0 };
}

export function disposeLatentTeacher(s: LatentTeacherState): void {
  disposeParams(s.net.params);
  disposeParams(s.ema.params);
  disposeParams(s.ae.params);
  s.adam.dispose();
}

/**
 * One DSM step with label dropout; then the EMA update (skipped after a non-finite loss or gradient norm where the
 * backend reads synchronously; on WebGPU, where {@link Adam.stepLazy} returns them unread as scalar tensors, it runs
 * whatever the loss: the run stops at a non-finite loss before its next checkpoint, as lib/splam/update.ts does).
 */
export function latentTeacherStep(s: LatentTeacherState, c: LatentTeacherConfig): LazyStepResult {
  s.adam.config.lr = learningRate(c.train.lr, c.train.schedule, s.stepsDone, c.train.steps);
  const { images, labels } = gatherRows(s.latents, s.batcher.indices(s.stepsDone));
  const B = labels.length;
  const [, h, w, Z] = s.latents.shape;
  const t = Array.from({ length: B }, () => s.rng.int(s.schedule.N));
  const dropped = Array.from(labels, (l) => (s.rng.uniform() < c.labelDropout ? NULL_LABEL : l));
  const noise = s.rng.normalArray(images.length);
  const [x0, eps, tT, a, sg] = [tf.tensor4d(images, [B, h, w, Z]), tf.tensor4d(noise, [B, h, w, Z]), tf.tensor1d(t), tf.tensor1d(t.map((v) => s.schedule.alpha(v))), tf.tensor1d(t.map((v) => s.schedule.sigma(v)))];
  const xt = tf.tidy(() => x0.mul(perSample(a as tf.Tensor1D, 4)).add(eps.mul(perSample(sg as tf.Tensor1D, 4))));
  try {
    const r = s.adam.stepLazy(() => tf.tidy(() => s.net.apply(xt, tT as tf.Tensor1D, undefined, dropped).sub(eps).square().mean() as tf.Scalar));
    const finite = typeof r.loss !== 'number' || (Number.isFinite(r.loss) && Number.isFinite(r.gradNorm));
    if (finite) emaUpdate(s.ema.params, s.net.params, c.train.emaMu);
    s.stepsDone += 1;
    return r;
  } finally {
    tf.dispose([x0, eps, tT, a, sg, xt]);
  }
}

export function encodeLatentTeacherCheckpoint(s: LatentTeacherState): Uint8Array {
  const meta: LatentTeacherMeta = { kind: 'latent-teacher-train', stepsDone: s.stepsDone, rng: s.rng.state(), adamStep: s.adam.state.step };
  return encodeCheckpoint({
    meta,
    tensors: [...paramTensors('net', s.net.params), ...paramTensors('ema', s.ema.params), ...paramTensors('adam.m', s.adam.state.m), ...paramTensors('adam.v', s.adam.state.v)],
  });
}

export function restoreLatentTeacher(s: LatentTeacherState, bytes: Uint8Array): void {
  const ck = decodeCheckpoint<LatentTeacherMeta>(bytes);
  if (ck.meta.kind !== 'latent-teacher-train') throw new Error(`not a latent-teacher training checkpoint (kind ${String(ck.meta.kind)})`);
  for (const [prefix, set] of [['net', s.net.params], ['ema', s.ema.params], ['adam.m', s.adam.state.m], ['adam.v', s.adam.state.v]] as const) {
    const missing = restoreParams(ck, prefix, set);
    if (missing.length) throw new Error(`checkpoint lacks ${prefix}/${missing[0]}`);
  }
  s.adam.state.step = ck.meta.adamStep;
  s.rng = restoreRng(ck.meta.rng);
  s.stepsDone = ck.meta.stepsDone;
}

/** The guidance sweep: DDIM at each w from the same noise, scored against the test set. PNG grids as artifacts. */
async function evaluate(s: LatentTeacherState, c: LatentTeacherConfig, ctx: ExperimentContext): Promise<LatentEvalRow[]> {
  const e = c.eval;
  const classifier = loadClassifier(readClassifierCheckpoint(e.classifier));
  const ref = makeReference(classifier, loadFashionMnist('test', { limit: c.data.testLimit }));
  const K = s.latents.classNames.length;
  const noise = latentNoise(e.samples, s.ae.latentShape, K, e.seed);
  const rows: LatentEvalRow[] = [];
  try {
    for (const [i, w] of e.w.entries()) {
      ctx.progress({ done: i, total: e.w.length, label: `evaluating w = ${w}` });
      const { row, images } = await evaluateSampler(teacherSampler(s.ema, s.schedule, { solver: 'ddim', steps: e.ddimSteps, w, method: `teacher DDIM w=${w}`, conditional: true }), noise, { ae: s.ae, scale: s.scale, ref });
      rows.push(row);
      if (e.gridPerClass > 0) await ctx.run.logArtifact(`samples-w${w}.png`, await gridByClass(images, noise.labels, K, e.gridPerClass, [e.samples, s.ae.config.height, s.ae.config.width, s.ae.config.channels]), { kind: 'png' });
    }
  } finally {
    ref.dispose();
    disposeParams(classifier.params);
  }
  return rows;
}

/** A PNG grid with one row per class: the first `perClass` samples of each class. */
export async function gridByClass(images: Float32Array, labels: readonly number[], K: number, perClass: number, shape: readonly [number, number, number, number]): Promise<Buffer> {
  const row = shape[1] * shape[2] * shape[3];
  const picked: number[] = [];
  for (let k = 0; k < K; k++) {
    const idx = labels.flatMap((l, i) => (l === k ? [i] : [])).slice(0, perClass);
    picked.push(...idx);
  }
  const out = new Float32Array(picked.length * row);
  picked.forEach((i, j) => out.set(images.subarray(i * row, (i + 1) * row), j * row));
  return imageGridPng(out, [picked.length, shape[1], shape[2], shape[3]], { cols: perClass });
}

export async function runLatentTeacher(c: LatentTeacherConfig, ctx: ExperimentContext): Promise<KindResult> {
  const s = await setupLatentTeacher(c);
  try {
    if (ctx.resume) restoreLatentTeacher(s, ctx.resume);
    const result = await trainAsRun(ctx, {
      startStep: s.stepsDone,
      totalSteps: c.train.steps,
      logEvery: c.train.logEvery,
      checkpointEvery: c.train.checkpointEvery,
      step: () => latentTeacherStep(s, c),
      encode: () => encodeLatentTeacherCheckpoint(s),
    });
    const summary = trainingSummary(result, countParams(s.net.params));
    if (result.stopped) return stoppedResult(ctx, result, summary);
    const rows = await evaluate(s, c, ctx);
    for (const r of rows) {
      const w = r.method.split('w=')[1];
      Object.assign(summary, { [`ddim${r.steps}/w${w}/fid`]: r.fid, [`ddim${r.steps}/w${w}/precision`]: r.precision, [`ddim${r.steps}/w${w}/recall`]: r.recall, [`ddim${r.steps}/w${w}/s_per_1000`]: r.samplePer1000 + r.decodePer1000 });
    }
    summary['latent/scale'] = s.scale;
    await ctx.run.logArtifact('eval.json', JSON.parse(JSON.stringify({ rows })), { kind: 'json' });
    const table = formatLatentRows(rows);
    await ctx.run.logArtifact('eval.txt', table + '\n', { kind: 'text' });
    await ctx.run.flush();
    const exported = c.export
      ? '\n' +
        exportModel(
          c.export,
          { kind: 'latent-unet', role: 'teacher', unet: s.ema.config, schedule: scheduleFromConfig(c.schedule), autoencoder: c.autoencoder, scale: s.scale, source: { runId: ctx.run.id, experiment: c.experiment, steps: result.stepsDone, weights: 'ema' } },
          'net',
          s.ema.params,
          { run: ctx.run, config: c, summary },
        )
      : '';
    return { summary, report: `latent teacher (${countParams(s.net.params)} params, EMA μ = ${c.train.emaMu}), ${result.stepsDone} steps, final loss ${summary['train/loss_final'].toExponential(3)}; ${c.eval.samples} samples per w vs the test set\n${table}${exported}` };
  } finally {
    disposeLatentTeacher(s);
  }
}
