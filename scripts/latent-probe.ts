/**
 * What the latent probes (scripts/latent-jump-errors.ts, scripts/chain-errors.ts) share: their students, the
 * teacher they were distilled from (guided at the students' w), the few-step table's noises (seed 1000,
 * class-balanced labels), the consistency map f(x, t, γ = 1) (lib/splam/consistency.ts) and the RMS distance.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/backend.js';
import { makeRng } from '../lib/data/rng.js';
import { makeSchedule } from '../lib/diffusion/schedules.js';
import { latentNoise } from '../lib/experiments/latent-sampling.js';
import { loadLatentUnet, readModelFile } from '../lib/experiments/model-files.js';
import { netGammaModel, type EpsNet } from '../lib/nn/eps-net.js';
import { cOut, cSkip } from '../lib/splam/boundary.js';
import { consistencyFromEps } from '../lib/splam/consistency.js';

export async function openLatentProbe(files: string[], n: number) {
  const backend = await initBackend();
  const students = files.map((f) => ({ file: f, ck: readModelFile(f, 'latent-unet') }));
  const teacherFile = students[0].ck.meta.teacher ?? 'models/latent-teacher-fmnist.ckpt';
  const w = students[0].ck.meta.guidance?.w ?? 0;
  const tck = readModelFile(teacherFile, 'latent-unet');
  const schedule = makeSchedule(tck.meta.schedule);
  const teacher = loadLatentUnet(tck, makeRng(0)).net;
  const noise = latentNoise(n, [7, 7, 4], 10, 1000);
  const xT = tf.tensor4d(noise.xT, noise.shape);
  const cond = { labels: noise.labels };
  /** f(x, t, γ = 1) of a γ-conditioned net (for the teacher, γ is ignored: its x̂_0 through the same boundary map). */
  const jump = (net: EpsNet, x: tf.Tensor, t: number) =>
    tf.tidy(() => {
      const eps = netGammaModel(net)(x, tf.fill([n], t) as tf.Tensor1D, tf.ones([n]) as tf.Tensor1D, cond);
      return consistencyFromEps(x, eps, { alpha: schedule.alpha(t), sigma: schedule.sigma(t), cSkip: cSkip(t), cOut: cOut(t) });
    });
  return { backend, students, teacherFile, w, schedule, teacher, xT, cond, jump };
}

/** Mean over samples of each sample's RMS distance, [B, …] against [B, …]. */
export const rms = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => a.sub(b).square().mean([1, 2, 3]).sqrt().mean().dataSync()[0]);
