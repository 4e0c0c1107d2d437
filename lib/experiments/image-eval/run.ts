/**
 * `kind: "image-eval"`: the image tier's evaluation of committed models — the paper's few-step table at small scale
 * (experiments/few-step-table.json) and the teacher's guidance sweep. From one seeded noise and class-balanced
 * labels (lib/experiments/latent-sampling.ts):
 *   - the teacher guided with w under DDIM and DPM-Solver++(2M) at the given step counts;
 *   - each distilled student (SPLAM, LCM) under the LCM multistep sampler at 1, 2, 4, 8 steps (a row's `noise:
 *     "implied"` samples it as the deterministic chain instead, lib/splam/sampler.ts);
 *   - per row: FID, precision, recall of the decoded samples against the test set (classifier features), wall-clock
 *     per 1,000 samples (sampling + decoding, measured in this process), and the same-noise error against the
 *     teacher's `reference.steps`-step DDIM endpoint at the students' w;
 *   - the data floor at the same n (n training images judged as samples) and, when asked, the score of the
 *     autoencoder's reconstructions of those same images (the floor of any latent generator), and the speed-up of SPLAM at 4 steps over the teacher's DDIM at 50 steps when both rows exist.
 * Records the table (Markdown and JSON) and sample grids as artifacts. Sampling, decoding and features run on the
 * active backend, read back with `await` only (so the kind runs on tfjs's WebGPU backend in Node).
 */
import * as tf from '@tensorflow/tfjs';
import { gatherRows, loadFashionMnist, shuffledIndices } from '../../data/fashion-mnist.js';
import { makeRng } from '../../data/rng.js';
import { makeSchedule } from '../../diffusion/schedules.js';
import { ConfigError } from '../../errors.js';
import { mapBatched } from '../../nn/autoencoder.js';
import { disposeParams } from '../../nn/params.js';
import type { Unet } from '../../nn/unet.js';
import { solverGrid } from '../../splam/grid.js';
import { loadClassifier, readClassifierCheckpoint } from '../classifier/model.js';
import { makeReference, scoreImages, type ImageScore } from '../image-metrics.js';
import { evaluateSampler, formatLatentRows, latentNoise, markdownLatentRows, studentSampler, teacherSampler, type LatentEvalRow, type LatentSampler } from '../latent-sampling.js';
import { gridByClass } from '../latent-sampling.js';
import { loadAutoencoder, loadLatentUnet, readModelFile } from '../model-files.js';
import type { ExperimentContext, KindResult } from '../kind.js';
import type { ImageEvalConfig } from './config.js';

/** `teacher DDIM` → `teacher_ddim`: the prefix of a row's summary keys. */
export function slug(method: string): string {
  return method.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');
}

export interface ImageEvalResult {
  rows: LatentEvalRow[];
  w: number;
  floor?: ImageScore;
  reconstruction?: ImageScore & { mse: number };
  /** Wall-clock ratio teacher DDIM 50 / SPLAM 4 (sampling + decoding), and both FIDs. */
  speedup?: { fast: string; slow: string; ratio: number; samplingRatio: number; fastFid: number; slowFid: number };
}

export async function runImageEval(c: ImageEvalConfig, ctx: ExperimentContext): Promise<KindResult> {
  const { ae, scale } = loadAutoencoder(readModelFile(c.autoencoder, 'autoencoder'));
  const teacherCk = readModelFile(c.teacher, 'latent-unet');
  const students = c.students.map((st) => ({ ...st, ck: readModelFile(st.checkpoint, 'latent-unet') }));
  const ws = new Set(students.map((s) => s.ck.meta.guidance?.w));
  if (c.w === undefined && ws.size > 1) {
    throw new ConfigError('image-eval config', [{ path: 'w', value: undefined, message: `the students distil different w (${[...ws].join(', ')}); give w` }]);
  }
  const w = c.w ?? students[0]?.ck.meta.guidance?.w ?? 0;
  const schedule = makeSchedule(teacherCk.meta.schedule);
  const classifier = loadClassifier(readClassifierCheckpoint(c.classifier));
  const test = loadFashionMnist('test', { limit: c.data.testLimit });
  const ref = makeReference(classifier, test);
  const K = test.classNames.length;
  const noise = latentNoise(c.samples, ae.latentShape, K, c.noiseSeed);
  const nets: Unet[] = [];
  const rows: LatentEvalRow[] = [];
  const out: ImageEvalResult = { rows, w };
  const imageShape = [c.samples, ae.config.height, ae.config.width, ae.config.channels] as [number, number, number, number];
  try {
    const teacher = loadLatentUnet(teacherCk, makeRng(0)).net;
    nets.push(teacher);
    type Job = { sampler: LatentSampler; key?: string };
    const jobs: Job[] = [];
    const teacherJob = (solver: 'ddim' | 'dpmpp2m', steps: number, rowW: number): Job => ({
      sampler: teacherSampler(teacher, schedule, { solver, steps, w: rowW, conditional: true, method: `teacher ${solver === 'ddim' ? 'DDIM' : 'DPM-Solver++'} (w=${rowW})` }),
      key: `${solver}:${steps}:${rowW}`,
    });
    if (c.reference) jobs.push(teacherJob('ddim', c.reference.steps, w));
    for (const r of c.teacherRows) for (const steps of r.steps) jobs.push(teacherJob(r.solver, steps, r.w ?? w));
    for (const st of students) {
      const net = loadLatentUnet(st.ck, makeRng(0)).net;
      nets.push(net);
      const grid = solverGrid(schedule.N, st.ck.meta.numDdimTimesteps ?? 50);
      // A student with LCM's w-embedding samples at the run's w (its own default w unless `w` is given).
      const sw = net.config.wEmbedDim > 0 ? c.w ?? st.ck.meta.guidance?.w ?? 0 : undefined;
      const method = st.method ?? `${st.ck.meta.method ?? 'student'}${st.noise === 'implied' ? ' (implied noise)' : ''}`;
      for (const steps of st.steps) jobs.push({ sampler: studentSampler(net, schedule, grid, { steps, method, seed: c.noiseSeed, w: sw, noise: st.noise }) });
    }
    const done = new Set<string>();
    let reference: Float32Array | undefined;
    for (const [i, job] of jobs.entries()) {
      if (job.key && done.has(job.key)) continue;
      ctx.progress({ done: i, total: jobs.length, label: `${job.sampler.method}, ${job.sampler.steps} step(s)` });
      const r = await evaluateSampler(job.sampler, noise, { ae, scale, ref, reference, chunk: c.chunk });
      if (i === 0 && c.reference) {
        reference = r.latents;
        r.row.sameNoise = 0;
      }
      if (job.key) done.add(job.key);
      rows.push(r.row);
      ctx.run.logMetrics({ [`${slug(r.row.method)}/fid`]: r.row.fid }, r.row.steps);
      if (c.gridPerClass > 0) await ctx.run.logArtifact(`samples-${slug(r.row.method)}-${r.row.steps}.png`, await gridByClass(r.images, noise.labels, K, c.gridPerClass, imageShape), { kind: 'png' });
    }
    ctx.progress({ done: jobs.length, total: jobs.length, label: 'floor and reconstruction' });
    if (c.floor || c.reconstruction) {
      // The same n training images for both: the data floor scores them as they are, the reconstruction score
      // scores their autoencoder reconstructions, so the two are directly comparable (both against the test set).
      const train = loadFashionMnist('train');
      const { images: originals } = gatherRows(train, shuffledIndices(train.shape[0], makeRng(c.seed)).subarray(0, c.samples));
      const shape = [ae.config.height, ae.config.width, ae.config.channels] as [number, number, number];
      if (c.floor) out.floor = await scoreImages(ref, originals, shape);
      if (c.reconstruction) {
        const recon = await mapBatched((x) => tf.clipByValue(ae.decode(ae.encode(x)), -1, 1) as tf.Tensor4D, originals, shape, 500);
        let se = 0;
        for (let j = 0; j < recon.length; j++) se += (recon[j] - originals[j]) ** 2;
        out.reconstruction = { ...(await scoreImages(ref, recon, shape)), mse: se / recon.length };
      }
    }
    const find = (m: (r: LatentEvalRow) => boolean) => rows.find(m);
    const fast = find((r) => r.method === 'SPLAM' && r.steps === 4);
    const slow = find((r) => r.method === `teacher DDIM (w=${w})` && r.steps === 50);
    if (fast && slow) {
      const total = (r: LatentEvalRow) => r.samplePer1000 + r.decodePer1000;
      out.speedup = { fast: 'SPLAM, 4 steps', slow: 'teacher DDIM, 50 steps', ratio: total(slow) / total(fast), samplingRatio: slow.samplePer1000 / fast.samplePer1000, fastFid: fast.fid, slowFid: slow.fid };
    }
  } finally {
    nets.forEach((n) => disposeParams(n.params));
    ref.dispose();
    disposeParams(classifier.params);
    disposeParams(ae.params);
  }

  const summary: Record<string, number> = { samples: c.samples, w };
  for (const r of rows) {
    const p = `${slug(r.method)}/steps${r.steps}`;
    Object.assign(summary, { [`${p}/fid`]: r.fid, [`${p}/precision`]: r.precision, [`${p}/recall`]: r.recall, [`${p}/s_per_1000`]: r.samplePer1000 + r.decodePer1000, [`${p}/nfe`]: r.nfe });
    if (r.sameNoise !== undefined) summary[`${p}/same_noise`] = r.sameNoise;
  }
  if (out.floor) Object.assign(summary, { 'floor/fid': out.floor.fid, 'floor/precision': out.floor.precision, 'floor/recall': out.floor.recall });
  if (out.reconstruction) Object.assign(summary, { 'reconstruction/fid': out.reconstruction.fid, 'reconstruction/precision': out.reconstruction.precision, 'reconstruction/recall': out.reconstruction.recall, 'reconstruction/mse': out.reconstruction.mse });
  if (out.speedup) Object.assign(summary, { 'speedup/splam4_vs_ddim50': out.speedup.ratio, 'speedup/splam4_vs_ddim50_sampling': out.speedup.samplingRatio });

  const md = [
    `Few-step table: ${c.samples} samples per row (class-balanced labels, noise seed ${c.noiseSeed}), teacher guided at w = ${w} (LCM convention); FID / precision / recall on the evaluation classifier's features against ${test.shape[0]} test images; same-noise error against the teacher's ${c.reference ? `${c.reference.steps}-step DDIM` : '—'} endpoint (RMS in scaled latent space); seconds per 1,000 samples = sampling + decoding, one process on this machine.`,
    '',
    markdownLatentRows(rows),
    ...(out.floor ? ['', `Data floor at n = ${c.samples} (training images judged as samples): FID ${out.floor.fid.toFixed(2)}, precision ${out.floor.precision.toFixed(3)}, recall ${out.floor.recall.toFixed(3)}.`] : []),
    ...(out.reconstruction ? [`Autoencoder reconstructions of those ${c.samples} training images: MSE ${out.reconstruction.mse.toExponential(3)}, FID ${out.reconstruction.fid.toFixed(2)}, precision ${out.reconstruction.precision.toFixed(3)}, recall ${out.reconstruction.recall.toFixed(3)}.`] : []),
    ...(out.speedup
      ? ['', `Speed-up of SPLAM at 4 steps over the teacher's DDIM at 50 steps: ${out.speedup.ratio.toFixed(1)}× wall-clock (sampling + decoding; ${out.speedup.samplingRatio.toFixed(1)}× sampling alone), at FID ${out.speedup.fastFid.toFixed(2)} against ${out.speedup.slowFid.toFixed(2)}.`]
      : []),
  ].join('\n');
  await ctx.run.logArtifact('table.md', md + '\n', { kind: 'text' });
  await ctx.run.logArtifact('eval.json', JSON.parse(JSON.stringify(out)), { kind: 'json' });
  await ctx.run.flush();
  return { summary, report: `${formatLatentRows(rows)}\n\n${md}` };
}
