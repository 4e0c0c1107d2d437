/**
 * `kind: "splad"`: SPLAM (or, with γ ≡ 1, LCM) distillation of the guided latent teacher into a latent U-Net student
 * initialised from the teacher (MCG-NJU/SPLAM@dc442bf:splam/train_splam_distill_sd_wds.py:858-864: every teacher weight copied, the new γ-projection
 * `time.cond_proj` at its own init), on the autoencoder's scaled training latents; then the student at 1–8 steps of
 * the LCM multistep sampler, scored by FID / precision / recall of the decoded samples against the test set.
 * The update is {@link splamUpdate} of lib/splam/update.ts over lib/splam/objective.ts — the same objective
 * as the mixture distillation. Deterministic for a config and seed on one backend; checkpoints and resumes.
 * With `student.wEmbed` (LCM's w-embedding) the student also gets `time.w_proj`, trains over w ~ U[min, max] with the
 * teacher guided per sample, and is evaluated at `guidance.w` and at each `eval.w`.
 */
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { LazyStepResult } from '../../train/adam.js';
import { EpochBatcher, gatherRows, loadFashionMnist, type ImageSet } from '../../data/fashion-mnist.js';
import { makeRng, type Rng } from '../../data/rng.js';
import type { ClassCond } from '../../diffusion/guidance.js';
import { makeSchedule, type Schedule } from '../../diffusion/schedules.js';
import type { Denoiser } from '../../diffusion/types.js';
import { ConfigError } from '../../errors.js';
import type { Autoencoder } from '../../nn/autoencoder.js';
import { guidedNetDenoiser, netGammaModel } from '../../nn/eps-net.js';
import { copyParams, countParams, disposeParams } from '../../nn/params.js';
import { makeUnet, type Unet } from '../../nn/unet.js';
import { probeTimes, solverGrid, type SolverGrid } from '../../splam/grid.js';
import type { SplamObjective } from '../../splam/objective.js';
import { Adam } from '../../train/adam.js';
import type { Checkpoint } from '../../train/checkpoint.js';
import { loadClassifier, readClassifierCheckpoint } from '../classifier/model.js';
import { objectiveOf, wEmbedDimOf, wEmbedNetOptions, wRangeOf } from '../distill/config.js';
import { netDistillationDiagnostics, netDistillationStep } from '../../splam/update.js';
import { studentMap } from '../../splam/consistency.js';
import { dataEndProbe, type FlowMap } from '../../splam/trajectory-error.js';
import { ddim } from '../../diffusion/solvers/ddim.js';
import { isLcm } from '../../splam/gamma.js';
import { makeReference } from '../image-metrics.js';
import { evaluateSampler, formatLatentRows, latentNoise, studentSampler, type LatentEvalRow } from '../latent-sampling.js';
import { gridByClass, latentSet } from '../latent-sampling.js';
import { exportModel, loadAutoencoder, loadLatentUnet, readModelFile, type LatentUnetMeta } from '../model-files.js';
import type { ExperimentContext, KindResult } from '../kind.js';
import type { SpladConfig } from './config.js';
import type { Trained, TrainingMonitor } from '../training-kind.js';


export interface SpladState {
  schedule: Schedule;
  grid: SolverGrid;
  ae: Autoencoder;
  scale: number;
  latents: ImageSet;
  teacherNet: Unet;
  /** The teacher guided with the config's fixed w. */
  teacher: Denoiser<ClassCond>;
  student: Unet;
  target: Unet;
  adam: Adam;
  objective: SplamObjective;
  batcher: EpochBatcher;
  rng: Rng;
  /** Student parameters the teacher lacks (the γ- and w-projections). */
  initMissing: string[];
}

/** The sampling w of a student with a w-embedding (`guidance.w`; undefined without one: the student's w is baked in). */
export function spladSamplingW(c: Pick<SpladConfig, 'student' | 'guidance'>): number | undefined {
  return wEmbedDimOf(c.student.wEmbed) > 0 ? c.guidance.w : undefined;
}

/** Every sampling w an evaluation reports: the default w first, then `eval.w` without repeats ([undefined] when off). */
export function spladEvalWs(c: Pick<SpladConfig, 'student' | 'guidance' | 'eval'>): (number | undefined)[] {
  const w0 = spladSamplingW(c);
  if (w0 === undefined) return [undefined];
  return [w0, ...new Set((c.eval.w ?? []).filter((w) => w !== w0))];
}

/** The sampler re-noisings an evaluation reports (`eval.noise` without repeats, in its order). */
export function spladNoises(c: Pick<SpladConfig, 'eval'>): ('fresh' | 'implied')[] {
  return [...new Set(c.eval.noise)];
}

/** `LCM` when γ is fixed at 1 (the paper's baseline), else `SPLAM`. */
export function spladMethod(c: Pick<SpladConfig, 'objective'>): 'LCM' | 'SPLAM' {
  return isLcm(c.objective.gamma) ? 'LCM' : 'SPLAM';
}

/**
 * The student built from the teacher: the teacher's architecture plus a γ-embedding of dimension `gammaEmbedDim`
 * (and LCM's w-embedding when `wEmbed.dim` > 0), every teacher weight copied; the new γ-projection keeps its init from
 * `rng` (`random`, the code) or is zeroed (`zero`: then the student computes exactly the teacher's ε̂ for every γ);
 * the new w-projection `time.w_proj` likewise (`wEmbed.projInit`, default `zero`: the teacher's ε̂ at every w).
 */
export function studentFromTeacher(ck: Checkpoint<LatentUnetMeta>, rng: Rng, o: SpladConfig['student']): { net: Unet; missing: string[] } {
  const { net, missing } = loadLatentUnet(ck, rng, { gammaEmbedDim: o.gammaEmbedDim, gammaEmbedScale: o.gammaEmbedScale, ...wEmbedNetOptions(o.wEmbed) });
  const proj = net.params.get('time.cond_proj.weight');
  if (proj && o.gammaProjInit === 'zero' && missing.includes('time.cond_proj.weight')) proj.assign(tf.zerosLike(proj));
  const wProj = net.params.get('time.w_proj.weight');
  if (wProj && o.wEmbed?.projInit !== 'random' && missing.includes('time.w_proj.weight')) wProj.assign(tf.zerosLike(wProj));
  return { net, missing };
}

/**
 * Schedule, grid, autoencoder, teacher, student, target and optimiser of a config (async: the training latents are
 * encoded on the active backend and read with `await`).
 * @param latents the training latents, when already encoded (tests); default: the config's split, encoded.
 */
export async function setupSplad(c: SpladConfig, latents?: ImageSet): Promise<SpladState> {
  const teacherCk = readModelFile(c.teacher, 'latent-unet');
  if (teacherCk.meta.role !== 'teacher') {
    throw new ConfigError('splad config', [{ path: 'teacher', value: c.teacher, message: `a ${teacherCk.meta.role} file, not a teacher`, allowed: 'a file written by kind "latent-teacher" with export' }]);
  }
  if (resolve(teacherCk.meta.autoencoder) !== resolve(c.autoencoder)) {
    throw new ConfigError('splad config', [{ path: 'autoencoder', value: c.autoencoder, message: `the teacher was trained on the latents of ${teacherCk.meta.autoencoder}`, allowed: teacherCk.meta.autoencoder }]);
  }
  const schedule = makeSchedule(teacherCk.meta.schedule);
  if (schedule.N % c.objective.numDdimTimesteps !== 0) {
    throw new ConfigError('splad config', [{ path: 'objective.numDdimTimesteps', value: c.objective.numDdimTimesteps, message: `must divide the teacher's schedule N = ${schedule.N}` }]);
  }
  const grid = solverGrid(schedule.N, c.objective.numDdimTimesteps);
  const { ae, scale } = loadAutoencoder(readModelFile(c.autoencoder, 'autoencoder'));
  const data = latents ?? (await latentSet(ae, scale, loadFashionMnist('train', { limit: c.data.trainLimit })));
  const root = makeRng(c.seed);
  const initRng = root.split();
  const teacherNet = loadLatentUnet(teacherCk, initRng.split()).net;
  const teacher = guidedNetDenoiser(teacherNet, c.guidance.w, c.guidance.convention);
  const { net: student, missing } = studentFromTeacher(teacherCk, initRng.split(), c.student);
  const target = makeUnet(student.config, initRng.split());
  copyParams(target.params, student.params);
  const adam = new Adam(student.params, { lr: c.train.lr, weightDecay: c.train.weightDecay, gradClip: c.train.gradClip });
  const batcher = new EpochBatcher(data.shape[0], Math.min(c.train.batch, data.shape[0]), root.uint32());
  const wRange = wRangeOf(c.student.wEmbed);
  const objective = wRange ? { ...objectiveOf(c.objective, grid), wRange } : objectiveOf(c.objective, grid);
  return { schedule, grid, ae, scale, latents: data, teacherNet, teacher, student, target, adam, objective, batcher, rng: root.split(), initMissing: missing };
}

export function disposeSplad(s: SpladState): void {
  for (const set of [s.teacherNet.params, s.student.params, s.target.params, s.ae.params]) disposeParams(set);
  s.adam.dispose();
}

/** SPLAD step `step`: that step's batch of training latents (labels kept: no prompt dropout in the code), then the one distillation step. */
export function spladStep(s: SpladState, c: SpladConfig, step: number): LazyStepResult {
  const { images, labels } = gatherRows(s.latents, s.batcher.indices(step));
  const x0 = tf.tensor4d(images, [labels.length, ...(s.latents.shape.slice(1) as [number, number, number])]);
  try {
    return netDistillationStep(s, x0, { labels: Array.from(labels) }, { rng: s.rng, emaMu: c.objective.emaMu, progress: step / c.train.steps });
  } finally {
    x0.dispose();
  }
}

/**
 * The run's diagnostics (config `diagnostics`), as for the mixtures (lib/experiments/distill/run.ts
 * `distillDiagnostics`): {@link splamDiagnostics} on a batch of a stream of its own, and the γ = 1 one-jump error
 * of the online student against the teacher's own PF-ODE solution (guided DDIM along the 50-point training grid,
 * the solver the objective distils), in latent units (RMS per element), from fixed noises.
 */
export function spladDiagnostics(s: SpladState, c: SpladConfig): { at: (step: number) => Promise<Record<string, number>>; dispose: () => void } {
  const K = s.latents.classNames.length;
  const noise = latentNoise(c.diagnostics.jumpSamples, s.ae.latentShape, K, c.eval.seed + 17);
  const cond = { labels: noise.labels };
  const desc = [...s.grid.timesteps].reverse();
  const flow: FlowMap = (x, t, to) => ddim(s.teacher, s.schedule, x, [t, ...desc.filter((g) => g < t && g > to), to], { cond }).x;
  const xT = tf.tensor4d(noise.xT, noise.shape as [number, number, number, number]);
  const probe = dataEndProbe(flow, xT, probeTimes(s.grid));
  xT.dispose();
  return {
    at: async (step) => {
      const rng = makeRng((c.seed * 1_000_003 + 31 * step + 1) >>> 0);
      const idx = Array.from({ length: Math.min(c.train.batch, s.latents.shape[0]) }, () => rng.int(s.latents.shape[0]));
      const { images, labels } = gatherRows(s.latents, idx);
      const x0 = tf.tensor4d(images, [labels.length, ...(s.latents.shape.slice(1) as [number, number, number])]);
      const out: Record<string, number> = {};
      try {
        const d = await netDistillationDiagnostics(s, x0, { labels: Array.from(labels) }, { rng, progress: Math.min(step / c.train.steps, 1) });
        for (const [k, v] of Object.entries(d)) out[`diag/${k}`] = v;
      } finally {
        x0.dispose();
      }
      const w0 = spladSamplingW(c);
      const studentCond = w0 === undefined ? cond : { ...cond, w: cond.labels.map(() => w0) };
      const f = studentMap(netGammaModel(s.student), s.schedule, { k: s.grid.k, sigmaGammaForm: c.objective.sigmaGammaForm, conditioning: c.objective.conditioning, cond: studentCond });
      for (const j of await probe.errors(f)) out[`diag/jump/t${j.t}`] = j.error.mean;
      return out;
    },
    dispose: () => probe.dispose(),
  };
}

/**
 * The FID training curve (config `eval.curve`): the online student from fixed noises against the test set. `at` is
 * async: samples and features are read to the host with `await` (lib/experiments/latent-sampling.ts).
 */
function spladCurve(s: SpladState, c: SpladConfig): { at: (step: number) => Promise<Record<string, number>>; dispose: () => void } {
  const e = c.eval;
  const classifier = loadClassifier(readClassifierCheckpoint(e.classifier));
  const ref = makeReference(classifier, loadFashionMnist('test', { limit: c.data.testLimit }));
  const noise = latentNoise(e.curve.samples, s.ae.latentShape, s.latents.classNames.length, e.seed);
  return {
    at: async () => {
      const out: Record<string, number> = {};
      for (const kind of spladNoises(c)) {
        const { row } = await evaluateSampler(studentSampler(s.student, s.schedule, s.grid, { steps: e.curve.steps, method: spladMethod(c), seed: e.seed, spacing: e.timestepSpacing, w: spladSamplingW(c), noise: kind }), noise, { ae: s.ae, scale: s.scale, ref });
        const p = kind === 'implied' ? 'curve-det' : 'curve';
        Object.assign(out, { [`${p}/fid`]: row.fid, [`${p}/precision`]: row.precision, [`${p}/recall`]: row.recall });
      }
      return out;
    },
    dispose: () => {
      ref.dispose();
      disposeParams(classifier.params);
    },
  };
}

/**
 * The student at each step count, from the shared evaluation noise; a PNG per step count. With a w-embedding, at
 * each sampling w of {@link spladEvalWs} (the same noise for every w; rows carry `w` and, for other than the
 * default w, the method label `… w=<w>`; PNGs `samples-w<w>-<n>step.png` for those). Under each re-noising of
 * {@link spladNoises}: implied-noise rows carry `noise: 'implied'`, the label `… (implied noise)` and PNGs
 * `samples-det[-w<w>]-<n>step.png`.
 */
export async function evaluate(s: SpladState, c: SpladConfig, ctx: Pick<ExperimentContext, 'progress' | 'run'>): Promise<LatentEvalRow[]> {
  const e = c.eval;
  const classifier = loadClassifier(readClassifierCheckpoint(e.classifier));
  const ref = makeReference(classifier, loadFashionMnist('test', { limit: c.data.testLimit }));
  const K = s.latents.classNames.length;
  const noise = latentNoise(e.samples, s.ae.latentShape, K, e.seed);
  const net = e.weights === 'ema' ? s.target : s.student;
  const method = spladMethod(c);
  const rows: LatentEvalRow[] = [];
  const ws = spladEvalWs(c);
  const noises = spladNoises(c);
  const total = noises.length * ws.length * e.steps.length;
  let done = 0;
  try {
    for (const kind of noises) {
      const det = kind === 'implied';
      for (const [j, w] of ws.entries()) {
        const other = j > 0; // not the default sampling w
        for (const steps of e.steps) {
          ctx.progress({ done: done++, total, label: `evaluating ${steps} step(s)${w === undefined ? '' : ` at w = ${w}`}${det ? ', implied noise' : ''}` });
          const label = `${other ? `${method} w=${w}` : method}${det ? ' (implied noise)' : ''}`;
          const { row, images } = await evaluateSampler(studentSampler(net, s.schedule, s.grid, { steps, method: label, seed: e.seed, spacing: e.timestepSpacing, w, noise: kind }), noise, { ae: s.ae, scale: s.scale, ref });
          rows.push(row);
          const png = `samples${det ? '-det' : ''}${other ? `-w${w}` : ''}-${steps}step.png`;
          if (e.gridPerClass > 0) await ctx.run.logArtifact(png, await gridByClass(images, noise.labels, K, e.gridPerClass, [e.samples, s.ae.config.height, s.ae.config.width, s.ae.config.channels]), { kind: 'png' });
        }
      }
    }
  } finally {
    ref.dispose();
    disposeParams(classifier.params);
  }
  return rows;
}

/**
 * The summary keys of the evaluation rows: `student/steps<n>/{fid,precision,recall,s_per_1000}` for the default
 * sampling w (`w0`; every row when the student has no w-embedding), `student/w<w>/steps<n>/…` for the other w;
 * `student-det/…` in place of `student/…` for implied-noise rows.
 */
export function spladSummaryOf(rows: readonly LatentEvalRow[], w0: number | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) {
    const head = r.noise === 'implied' ? 'student-det' : 'student';
    const p = r.w === undefined || r.w === w0 ? `${head}/steps${r.steps}` : `${head}/w${r.w}/steps${r.steps}`;
    Object.assign(out, { [`${p}/fid`]: r.fid, [`${p}/precision`]: r.precision, [`${p}/recall`]: r.recall, [`${p}/s_per_1000`]: r.samplePer1000 + r.decodePer1000 });
  }
  return out;
}

/** The diagnostics and the FID curve at step 0 and every `diagnostics.every` / `eval.curve.every` steps (when on). */
export function spladMonitor(s: SpladState, c: SpladConfig, ctx: ExperimentContext): TrainingMonitor {
  const diag = c.diagnostics.every > 0 ? spladDiagnostics(s, c) : undefined;
  const curve = c.eval.curve.every > 0 ? spladCurve(s, c) : undefined;
  return {
    start: async () => {
      if (diag) ctx.run.logMetrics(await diag.at(0), 0);
      if (curve) ctx.run.logMetrics(await curve.at(0), 0);
    },
    after: async (done) => {
      if (diag && done % c.diagnostics.every === 0) ctx.run.logMetrics(await diag.at(done), done);
      if (curve && done % c.eval.curve.every === 0) ctx.run.logMetrics(await curve.at(done), done);
    },
    dispose: () => {
      diag?.dispose();
      curve?.dispose();
    },
  };
}

/** After training: the student at each step count (and sampling w), recorded; the export (`export`); the report. */
export async function finishSplad(s: SpladState, c: SpladConfig, ctx: ExperimentContext, { result, summary }: Trained): Promise<KindResult> {
  const rows = await evaluate(s, c, ctx);
  Object.assign(summary, spladSummaryOf(rows, spladSamplingW(c)));
  await ctx.run.logArtifact('eval.json', JSON.parse(JSON.stringify({ rows })), { kind: 'json' });
  const table = formatLatentRows(rows);
  await ctx.run.logArtifact('eval.txt', table + '\n', { kind: 'text' });
  await ctx.run.flush();
  const method = spladMethod(c);
  const net = c.eval.weights === 'ema' ? s.target : s.student;
  const exported = c.export
    ? '\n' +
      exportModel(
        c.export,
        {
          kind: 'latent-unet',
          role: 'student',
          unet: net.config,
          schedule: readModelFile(c.teacher, 'latent-unet').meta.schedule,
          autoencoder: c.autoencoder,
          scale: s.scale,
          method,
          guidance: c.guidance,
          teacher: c.teacher,
          numDdimTimesteps: c.objective.numDdimTimesteps,
          ...(c.student.wEmbed && c.student.wEmbed.dim > 0 ? { wEmbed: { dim: c.student.wEmbed.dim, min: c.student.wEmbed.min, max: c.student.wEmbed.max, scale: c.student.wEmbed.scale } } : {}),
          source: { runId: ctx.run.id, experiment: c.experiment, steps: result.stepsDone, weights: c.eval.weights },
        },
        'net',
        net.params,
        { run: ctx.run, config: c, summary },
      )
    : '';
  const guidanceNote = c.student.wEmbed && c.student.wEmbed.dim > 0 ? `w-embedding: teacher guided at w ~ U[${c.student.wEmbed.min}, ${c.student.wEmbed.max}], sampled at w = ${spladEvalWs(c).join(', ')}` : `teacher guided at w = ${c.guidance.w}`;
  const head = `${method} student (${countParams(s.student.params)} params; ${guidanceNote}), ${result.stepsDone} steps, final loss ${summary['train/loss_final'].toExponential(3)}; ${c.eval.samples} samples vs the test set`;
  return { summary, report: `${head}\n${table}${exported}` };
}
