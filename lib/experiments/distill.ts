/**
 * `kind: "distill"`: LCM / SPLAM distillation of an exact or learned mixture teacher into an MLP student, then
 * evaluation at 1–8 multistep-sampler steps against the exact PF-ODE, beside training-free solvers on the exact
 * teacher at the same NFE. Deterministic for a config and seed on one backend; resumable from its checkpoint.
 */
import * as tf from '@tensorflow/tfjs';
import { makeRng, restoreRng, type Rng, type RngState } from '../data/rng.js';
import { guided, type ClassCond } from '../diffusion/guidance.js';
import { timeGrid } from '../diffusion/grids.js';
import { makeSchedule, type Schedule } from '../diffusion/schedules.js';
import { SOLVERS } from '../diffusion/solvers/index.js';
import type { Denoiser } from '../diffusion/types.js';
import { evaluateSamples, type SampleMetrics } from '../metrics/index.js';
import { mlpDenoiser, mlpGammaModel } from '../nn/adapters.js';
import { emaUpdate } from '../nn/ema.js';
import { makeMlp, type Mlp } from '../nn/mlp.js';
import { copyParams, countParams, disposeParams, type ParamSet } from '../nn/params.js';
import { boundaries, solverGrid, type SolverGrid } from '../splam/grid.js';
import { disposeBatch, prepareSplamBatch, studentLoss, type GammaEpsModel, type SplamObjective } from '../splam/objective.js';
import { lcmSample, lcmTimesteps } from '../splam/sampler.js';
import { cOut, cSkip } from '../splam/boundary.js';
import { dataEndErrors, referenceFlow, type ConsistencyMap } from '../splam/trajectory-error.js';
import { sigmaGamma, subPathCoefs, type SigmaGammaForm } from '../splam/sl-ode.js';
import { Adam } from '../train/adam.js';
import { decodeCheckpoint, encodeCheckpoint, paramTensors, restoreParams } from '../train/checkpoint.js';
import { objectiveOf, type DistillConfig } from './distill-config.js';
import { makeExperimentData, type ExperimentData } from './mixture-data.js';
import { evalNoise } from './eval-noise.js';
import { loadNet, readNetCheckpoint } from './net-checkpoint.js';
import type { ExperimentContext, KindResult } from './registry.js';
import { stoppedResult, trainAsRun, trainingSummary } from './train-run.js';


interface DistillMeta {
  kind: 'distill';
  stepsDone: number;
  rng: { data: RngState; objective: RngState };
  adamStep: number;
}

/** Everything a distillation run holds. */
export interface DistillState {
  schedule: Schedule;
  grid: SolverGrid;
  data: ExperimentData;
  teacher: Denoiser<ClassCond>;
  exactTeacher: Denoiser<ClassCond>;
  student: Mlp;
  target: Mlp;
  adam: Adam;
  objective: SplamObjective;
  rng: { data: Rng; objective: Rng };
  stepsDone: number;
  /** Student parameters not found in the checkpoint it was initialised from (the new γ-projection). */
  initMissing: string[];
}

/** Build the run's state: data, teachers, student (initialised as configured), EMA target, optimiser. */
export function setupDistill(c: DistillConfig): DistillState {
  const schedule = makeSchedule({ name: c.schedule.name, N: c.schedule.N, betaStart: c.schedule.betaStart, betaEnd: c.schedule.betaEnd });
  const grid = solverGrid(c.schedule.N, c.objective.numDdimTimesteps);
  const data = makeExperimentData(c.data, schedule);
  const root = makeRng(c.seed);
  const initRng = root.split();
  const exactTeacher = data.exactTeacher(c.guidance);
  let teacher = exactTeacher;
  let teacherCk: ReturnType<typeof readNetCheckpoint> | undefined;
  if (c.teacher.type === 'learned') {
    teacherCk = readNetCheckpoint(c.teacher.checkpoint);
    const { net } = loadNet(teacherCk, initRng.split());
    const raw = mlpDenoiser(net);
    // Guided by the same wrapper as the analytic teacher (lib/diffusion/guidance.ts).
    teacher = data.numClasses > 0 ? guided(raw, c.guidance.w, c.guidance.convention) : raw;
  }
  const init = c.student.init ?? (c.teacher.type === 'learned' ? 'teacher' : 'scratch');
  let student: Mlp;
  let initMissing: string[] = [];
  if (init === 'scratch') {
    student = makeMlp({ dim: data.D, ...c.student.architecture, numClasses: data.numClasses, gammaEmbedDim: c.student.gammaEmbedDim, gammaEmbedScale: c.student.gammaEmbedScale }, initRng.split());
  } else {
    const ck = init === 'teacher' ? teacherCk! : readNetCheckpoint(init);
    const loaded = loadNet(ck, initRng.split(), { gammaEmbedDim: c.student.gammaEmbedDim, gammaEmbedScale: c.student.gammaEmbedScale });
    student = loaded.net;
    initMissing = loaded.missing;
    const proj = student.params.get('time.cond_proj.weight');
    if (proj && c.student.gammaProjInit === 'zero' && initMissing.includes('time.cond_proj.weight')) proj.assign(tf.zerosLike(proj));
  }
  const target = makeMlp(student.config, initRng.split());
  copyParams(target.params, student.params);
  const adam = new Adam(student.params, { lr: c.train.lr, weightDecay: c.train.weightDecay, gradClip: c.train.gradClip });
  const objective = objectiveOf(c.objective, grid);
  return { schedule, grid, data, teacher, exactTeacher, student, target, adam, objective, rng: { data: root.split(), objective: root.split() }, stepsDone: 0, initMissing };
}

export function disposeDistill(s: DistillState): void {
  disposeParams(s.student.params);
  disposeParams(s.target.params);
  s.adam.dispose();
}

/** What one SPLAM / LCM update acts on: any γ-conditioned student and its EMA target (MLP or U-Net). */
export interface SplamUpdateArgs<C> {
  /** Clean data x_0, [B, ...] (not disposed). */
  x0: tf.Tensor;
  cond?: C;
  /** The frozen teacher, guided where the run distils a guided teacher. */
  teacher: Denoiser<C>;
  student: { model: GammaEpsModel<C>; params: ParamSet };
  target: { model: GammaEpsModel<C>; params: ParamSet };
  adam: Adam;
  schedule: Schedule;
  objective: SplamObjective;
  rng: Rng;
  /** EMA decay μ of the target (code: 0.95). */
  emaMu: number;
}

/**
 * One optimisation step (official code L1126–1269): the SPLAM batch without gradients (lib/splam/objective.ts), an
 * AdamW step on the student, then the EMA update of the target (skipped when the loss or gradient is not finite).
 */
export function splamUpdate<C>(a: SplamUpdateArgs<C>): { loss: number; gradNorm: number } {
  const b = prepareSplamBatch({ x0: a.x0, cond: a.cond, teacher: a.teacher, target: a.target.model, schedule: a.schedule, objective: a.objective, rng: a.rng });
  try {
    const r = a.adam.step(() => studentLoss(a.student.model, b, a.objective.loss));
    if (Number.isFinite(r.loss) && Number.isFinite(r.gradNorm)) emaUpdate(a.target.params, a.student.params, a.emaMu);
    return r;
  } finally {
    disposeBatch(b);
  }
}

/** One optimisation step of the mixture distillation: a data batch, then {@link splamUpdate}. */
export function distillStep(s: DistillState, c: DistillConfig): { loss: number; gradNorm: number } {
  const { x, labels } = s.data.sample(c.train.batch, s.rng.data);
  const cond = labels.length ? { labels } : undefined;
  try {
    return splamUpdate({
      x0: x,
      cond,
      teacher: s.teacher,
      student: { model: mlpGammaModel(s.student), params: s.student.params },
      target: { model: mlpGammaModel(s.target), params: s.target.params },
      adam: s.adam,
      schedule: s.schedule,
      objective: s.objective,
      rng: s.rng.objective,
      emaMu: c.objective.emaMu,
    });
  } finally {
    x.dispose();
  }
}

export function encodeDistillCheckpoint(s: DistillState): Uint8Array {
  const meta: DistillMeta = { kind: 'distill', stepsDone: s.stepsDone, rng: { data: s.rng.data.state(), objective: s.rng.objective.state() }, adamStep: s.adam.state.step };
  return encodeCheckpoint({
    meta,
    tensors: [
      ...paramTensors('student', s.student.params),
      ...paramTensors('target', s.target.params),
      ...paramTensors('adam.m', s.adam.state.m),
      ...paramTensors('adam.v', s.adam.state.v),
    ],
  });
}

/** Restore a run's state from its checkpoint (weights, EMA, optimiser moments, rng streams, step). */
export function restoreDistill(s: DistillState, bytes: Uint8Array): void {
  const ck = decodeCheckpoint<DistillMeta>(bytes);
  if (ck.meta.kind !== 'distill') throw new Error(`not a distillation checkpoint (kind ${String(ck.meta.kind)})`);
  for (const [prefix, set] of [['student', s.student.params], ['target', s.target.params], ['adam.m', s.adam.state.m], ['adam.v', s.adam.state.v]] as const) {
    const missing = restoreParams(ck, prefix, set);
    if (missing.length) throw new Error(`checkpoint lacks ${prefix}/${missing[0]} (config changed since it was written?)`);
  }
  s.adam.state.step = ck.meta.adamStep;
  s.rng.data = restoreRng(ck.meta.rng.data);
  s.rng.objective = restoreRng(ck.meta.rng.objective);
  s.stepsDone = ck.meta.stepsDone;
}

/**
 * The student's consistency map f(x, t, γ) = c_skip(t)·x + c_out(t)·(x − σ_γ·ε_θ(x, t, γ))/α_t, with σ_γ of the
 * sub-path [max(t − k, 0), t] in the trained form (σ_γ = σ_t at γ = 1, the inference setting).
 */
export function studentMap(
  model: GammaEpsModel<ClassCond>,
  schedule: Schedule,
  o: { k: number; sigmaGammaForm: SigmaGammaForm; cond?: ClassCond },
): ConsistencyMap {
  return (x, t, gamma) =>
    tf.tidy(() => {
      const B = x.shape[0];
      const sg = gamma === 1 ? schedule.sigma(t) : (sigmaGamma(subPathCoefs(schedule, t, Math.max(t - o.k, 0)), gamma, o.sigmaGammaForm) as number);
      const eps = model(x, tf.fill([B], t) as tf.Tensor1D, tf.fill([B], gamma) as tf.Tensor1D, o.cond);
      const x0 = x.sub(eps.mul(sg)).div(schedule.alpha(t));
      return x.mul(cSkip(t)).add(x0.mul(cOut(t)));
    });
}

export interface EvalRow {
  method: string;
  steps: number;
  nfe: number;
  metrics: SampleMetrics;
}

export interface DistillEval {
  rows: EvalRow[];
  /** One-jump error f(x*_t, t) → x*_0 of the student at sub-path starts (γ = 1), mean over samples. */
  jumpErrors: { t: number; error: number }[];
}

/** Evaluate the student and the training-free baselines on the same initial noise. */
export function evaluateDistill(s: DistillState, c: DistillConfig): DistillEval {
  const e = c.eval;
  const n = e.samples;
  const { xT, labels, cond, endpoints, dispose } = evalNoise(s.data, s.schedule, s.exactTeacher, e);
  const mixture = s.data.mixtureFor();
  const rows: EvalRow[] = [];
  const model = mlpGammaModel(e.weights === 'ema' ? s.target : s.student);
  const score = (samples: tf.Tensor, method: string, steps: number, nfe: number) => {
    rows.push({ method, steps, nfe, metrics: evaluateSamples(samples as tf.Tensor2D, { reference: endpoints, endpoints, mixture, seed: e.seed }) });
    samples.dispose();
  };
  try {
    for (const steps of e.steps) {
      const noise = makeRng(e.seed + 1 + steps); // the re-noising stream: the same for every run at this step count
      const out = lcmSample(model, s.schedule, xT, lcmTimesteps(s.grid, steps, e.timestepSpacing), { rng: noise, cond });
      score(out.x, 'student', steps, out.nfe);
      if (steps > 1) {
        // The deterministic chain (implied noise): its same-noise error is the cumulative error of the jumps.
        const det = lcmSample(model, s.schedule, xT, lcmTimesteps(s.grid, steps, e.timestepSpacing), { rng: noise, cond, noise: 'implied' });
        score(det.x, 'student-det', steps, det.nfe);
      }
    }
    const nfePerCall = s.data.numClasses > 0 ? 2 : 1; // a guided teacher costs two network calls per evaluation
    for (const solver of e.baselines) {
      for (const steps of e.steps) {
        const perStep = solver === 'heun' ? 2 : 1;
        if (steps % perStep) continue;
        const out = SOLVERS[solver](s.exactTeacher, s.schedule, xT, timeGrid(s.schedule, steps / perStep), { cond });
        score(out.x, solver, steps / perStep, out.nfe * nfePerCall);
      }
    }
    // One-jump errors of the student from ten sub-path starts on the exact trajectory.
    const times = boundaries(s.grid);
    const pick = times.length <= 11 ? times : [...Array.from({ length: 10 }, (_, i) => times[Math.floor((i * (times.length - 1)) / 10)]), 0];
    const subset = xT.slice([0, 0], [Math.min(n, 256), s.data.D]);
    const jumps = dataEndErrors(studentMap(model, s.schedule, { k: s.grid.k, sigmaGammaForm: c.objective.sigmaGammaForm, cond: cond && { labels: labels.slice(0, subset.shape[0]) } }), referenceFlow(s.exactTeacher, s.schedule, 100, cond && { labels: labels.slice(0, subset.shape[0]) }), subset, pick);
    subset.dispose();
    return { rows, jumpErrors: jumps.map((j) => ({ t: j.t, error: j.error.mean })) };
  } finally {
    dispose();
  }
}

/** Fixed-width table of an evaluation: one line per method and step count. */
export function formatEval(ev: DistillEval): string {
  const keys = ['sameNoiseMean', 'sw2', 'mmd2', 'coverage', 'highQuality', 'logDensity'] as const;
  const lines = [['method'.padEnd(9), 'steps'.padStart(5), 'NFE'.padStart(4), ...keys.map((k) => k.padStart(13))].join(' ')];
  for (const r of ev.rows) {
    lines.push([r.method.padEnd(9), String(r.steps).padStart(5), String(r.nfe).padStart(4), ...keys.map((k) => (r.metrics[k] === undefined ? '—' : Number(r.metrics[k]).toPrecision(4)).padStart(13))].join(' '));
  }
  return lines.join('\n');
}

/** The `splam run` entry: train (or resume), checkpoint, evaluate, record. */
export async function runDistill(c: DistillConfig, ctx: ExperimentContext): Promise<KindResult> {
  const s = setupDistill(c);
  try {
    if (ctx.resume) restoreDistill(s, ctx.resume);
    const result = await trainAsRun(ctx, {
      startStep: s.stepsDone,
      totalSteps: c.train.steps,
      logEvery: c.train.logEvery,
      checkpointEvery: c.train.checkpointEvery,
      step: () => distillStep(s, c),
      encode: (done) => {
        s.stepsDone = done;
        return encodeDistillCheckpoint(s);
      },
    });
    const summary = trainingSummary(result, countParams(s.student.params));
    if (result.stopped) return stoppedResult(ctx, result, summary);
    const ev = evaluateDistill(s, c);
    for (const r of ev.rows) {
      for (const [k, v] of Object.entries(r.metrics)) if (k !== 'n' && Number.isFinite(v)) summary[`${r.method}/steps${r.steps}/${k}`] = v;
    }
    ev.jumpErrors.forEach((j, i) => ctx.run.logMetric('eval/jump_error', j.error, i));
    summary['eval/jump_error_mean'] = ev.jumpErrors.reduce((a, j) => a + j.error, 0) / ev.jumpErrors.length;
    await ctx.run.logArtifact('eval.json', JSON.parse(JSON.stringify(ev)), { kind: 'json' });
    const table = formatEval(ev);
    await ctx.run.logArtifact('eval.txt', table + '\n', { kind: 'text' });
    const head = `${c.objective.gamma.kind === 'fixed' && c.objective.gamma.value === 1 ? 'LCM' : 'SPLAM'} student (${countParams(s.student.params)} params), ${result.stepsDone} steps, final loss ${summary['train/loss_final'].toExponential(3)}`;
    return { summary, report: `${head}\n${table}` };
  } finally {
    disposeDistill(s);
  }
}
