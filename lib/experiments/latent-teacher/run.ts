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
import { EpochBatcher, gatherRows, loadFashionMnist, type ImageSet } from '../../data/fashion-mnist.js';
import { makeRng, type Rng } from '../../data/rng.js';
import { NULL_LABEL } from '../../diffusion/guidance.js';
import { makeSchedule, type Schedule } from '../../diffusion/schedules.js';
import { perSample } from '../../diffusion/types.js';
import type { Autoencoder } from '../../nn/autoencoder.js';
import { emaUpdate } from '../../nn/ema.js';
import { copyParams, countParams, disposeParams } from '../../nn/params.js';
import { makeUnet, type Unet } from '../../nn/unet.js';
import { Adam, type LazyStepResult } from '../../train/adam.js';
import { loadClassifier, readClassifierCheckpoint } from '../classifier/model.js';
import { learningRate } from '../../train/lr-schedule.js';
import { makeReference } from '../image-metrics.js';
import { evaluateSampler, formatLatentRows, gridByClass, latentNoise, latentSet, teacherSampler, type LatentEvalRow } from '../latent-sampling.js';
import { scheduleFromConfig } from '../mixture-config.js';
import { exportModel, loadAutoencoder, readModelFile } from '../model-files.js';
import type { ExperimentContext, KindResult } from '../kind.js';
import type { Trained } from '../training-kind.js';
import type { LatentTeacherConfig } from './config.js';

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
  return { schedule, ae, scale, latents, net, ema, adam, batcher, rng: root.split() };
}

export function disposeLatentTeacher(s: LatentTeacherState): void {
  disposeParams(s.net.params);
  disposeParams(s.ema.params);
  disposeParams(s.ae.params);
  s.adam.dispose();
}

/**
 * DSM step `step` (that step's batch and learning rate) with label dropout; then the EMA update (skipped after a non-finite loss or gradient norm where the
 * backend reads synchronously; on WebGPU, where {@link Adam.stepLazy} returns them unread as scalar tensors, it runs
 * whatever the loss: the run stops at a non-finite loss before its next checkpoint, as lib/splam/update.ts does).
 */
export function latentTeacherStep(s: LatentTeacherState, c: LatentTeacherConfig, step: number): LazyStepResult {
  s.adam.config.lr = learningRate(c.train.lr, c.train.schedule, step, c.train.steps);
  const { images, labels } = gatherRows(s.latents, s.batcher.indices(step));
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
    return r;
  } finally {
    tf.dispose([x0, eps, tT, a, sg, xt]);
  }
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

/** After training: the guidance sweep, recorded; the export of the EMA weights (`export`); the report. */
export async function finishLatentTeacher(s: LatentTeacherState, c: LatentTeacherConfig, ctx: ExperimentContext, { result, summary }: Trained): Promise<KindResult> {
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
}
