/**
 * `kind: "distill"`: LCM / SPLAM distillation of an exact or learned mixture teacher into an MLP student, then
 * evaluation at 1–8 multistep-sampler steps against the exact PF-ODE, beside training-free solvers on the exact
 * teacher at the same NFE. Deterministic for a config and seed on one backend; resumable from its checkpoint.
 * With `student.wEmbed` (LCM's w-embedding) the student is trained over w ~ U[min, max] and evaluated at the
 * config's `guidance.w`.
 */
import * as tf from '@tensorflow/tfjs';
import { onHost } from '../../backend/reads.js';
import { makeRng, type Rng } from '../../data/rng.js';
import { guided, type ClassCond } from '../../diffusion/guidance.js';
import { timeGrid } from '../../diffusion/grids.js';
import { makeSchedule, type Schedule } from '../../diffusion/schedules.js';
import { SOLVERS } from '../../diffusion/solvers/index.js';
import type { Denoiser } from '../../diffusion/types.js';
import { evaluateSamples, type SampleMetrics } from '../../metrics/index.js';
import { netDenoiser, netGammaModel } from '../../nn/eps-net.js';
import { makeMlp, type Mlp } from '../../nn/mlp.js';
import { copyParams, countParams, disposeParams } from '../../nn/params.js';
import { boundaries, probeTimes, solverGrid, type SolverGrid } from '../../splam/grid.js';
import type { SplamObjective } from '../../splam/objective.js';
import { netDistillationDiagnostics, netDistillationStep } from '../../splam/update.js';
import { isLcm } from '../../splam/gamma.js';
import { lcmSample, lcmTimesteps } from '../../splam/sampler.js';
import { studentMap } from '../../splam/consistency.js';
import { dataEndErrors, dataEndProbe, referenceFlow } from '../../splam/trajectory-error.js';
import { Adam } from '../../train/adam.js';
import { objectiveOf, wEmbedDimOf, wEmbedNetOptions, wRangeOf, type DistillConfig } from './config.js';
import { makeExperimentData, type ExperimentData } from '../mixture-data.js';
import { evalNoise } from '../eval-noise.js';
import { loadNet, readNetCheckpoint } from '../../train/net-checkpoint.js';
import type { ExperimentContext, KindResult } from '../kind.js';
import type { Trained, TrainingMonitor } from '../training-kind.js';
import type { LazyStepResult } from '../../train/adam.js';
import type { LoopResult } from '../../train/loop.js';



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
  /** Student parameters not found in the checkpoint it was initialised from (the new γ- and w-projections). */
  initMissing: string[];
}

/**
 * `cond` with the sampling guidance w = `guidance.w` for every sample when the student has a w-embedding (else
 * `cond` itself): what the student is evaluated with.
 */
export function withSamplingW(cond: ClassCond | undefined, c: Pick<DistillConfig, 'student' | 'guidance'>): ClassCond | undefined {
  return cond && wEmbedDimOf(c.student.wEmbed) > 0 ? { ...cond, w: new Array<number>(labelCount(cond)).fill(c.guidance.w) } : cond;
}

const labelCount = (cond: ClassCond): number => (Array.isArray(cond.labels) ? cond.labels.length : cond.labels.shape[0]);

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
    const raw = netDenoiser(net);
    // Guided by the same wrapper as the analytic teacher (lib/diffusion/guidance.ts).
    teacher = data.numClasses > 0 ? guided(raw, c.guidance.w, c.guidance.convention) : raw;
  }
  const init = c.student.init ?? (c.teacher.type === 'learned' ? 'teacher' : 'scratch');
  let student: Mlp;
  let initMissing: string[] = [];
  if (init === 'scratch') {
    student = makeMlp({ dim: data.D, ...c.student.architecture, numClasses: data.numClasses, gammaEmbedDim: c.student.gammaEmbedDim, gammaEmbedScale: c.student.gammaEmbedScale, ...wEmbedNetOptions(c.student.wEmbed) }, initRng.split());
    if (wEmbedDimOf(c.student.wEmbed) > 0) initMissing = ['time.w_proj.weight'];
  } else {
    const ck = init === 'teacher' ? teacherCk! : readNetCheckpoint(init);
    const loaded = loadNet(ck, initRng.split(), { gammaEmbedDim: c.student.gammaEmbedDim, gammaEmbedScale: c.student.gammaEmbedScale, ...wEmbedNetOptions(c.student.wEmbed) });
    student = loaded.net;
    initMissing = loaded.missing;
    const proj = student.params.get('time.cond_proj.weight');
    if (proj && c.student.gammaProjInit === 'zero' && initMissing.includes('time.cond_proj.weight')) proj.assign(tf.zerosLike(proj));
  }
  // LCM's w-projection: zero (the student starts as its initialisation at every w) unless `random` was asked for.
  const wProj = student.params.get('time.w_proj.weight');
  if (wProj && c.student.wEmbed?.projInit !== 'random' && initMissing.includes('time.w_proj.weight')) wProj.assign(tf.zerosLike(wProj));
  const target = makeMlp(student.config, initRng.split());
  copyParams(target.params, student.params);
  const adam = new Adam(student.params, { lr: c.train.lr, weightDecay: c.train.weightDecay, gradClip: c.train.gradClip });
  const wRange = wRangeOf(c.student.wEmbed);
  const objective = wRange ? { ...objectiveOf(c.objective, grid), wRange } : objectiveOf(c.objective, grid);
  return { schedule, grid, data, teacher, exactTeacher, student, target, adam, objective, rng: { data: root.split(), objective: root.split() }, initMissing };
}

export function disposeDistill(s: DistillState): void {
  disposeParams(s.student.params);
  disposeParams(s.target.params);
  s.adam.dispose();
}

/** Step `step` of the mixture distillation: a batch of the data stream, then the one distillation step. */
export function distillStep(s: DistillState, c: DistillConfig, step: number): LazyStepResult {
  const { x, labels } = s.data.sample(c.train.batch, s.rng.data);
  try {
    return netDistillationStep(s, x, labels.length ? { labels } : undefined, { rng: s.rng.objective, emaMu: c.objective.emaMu, progress: step / c.train.steps });
  } finally {
    x.dispose();
  }
}

/**
 * The run's diagnostics (config `diagnostics`): after `step` steps, {@link splamDiagnostics} on a batch of a
 * stream of its own (seeded by the run's seed and the step, so training draws the same numbers either way) and the
 * γ = 1 one-jump error of the online student from fixed points of the exact trajectories ({@link probeTimes}).
 */
export function distillDiagnostics(s: DistillState, c: DistillConfig): { at: (step: number) => Promise<Record<string, number>>; dispose: () => void } {
  const rng = makeRng((c.seed * 1_000_003 + 17) >>> 0);
  const n = c.diagnostics.jumpSamples;
  const xT = tf.tensor2d(rng.normalArray(n * s.data.D), [n, s.data.D]);
  const labels = s.data.sampleLabels(n, rng);
  const cond = labels.length ? { labels } : undefined;
  const times = probeTimes(s.grid);
  const probe = dataEndProbe(referenceFlow(s.exactTeacher, s.schedule, 100, cond), xT, times);
  xT.dispose();
  return {
    at: async (step) => {
      const stepRng = makeRng((c.seed * 1_000_003 + 31 * step + 1) >>> 0);
      const { x, labels: l } = s.data.sample(c.train.batch, stepRng);
      const out: Record<string, number> = {};
      try {
        const d = await netDistillationDiagnostics(s, x, l.length ? { labels: l } : undefined, { rng: stepRng, progress: Math.min(step / c.train.steps, 1) });
        for (const [k, v] of Object.entries(d)) out[`diag/${k}`] = v;
      } finally {
        x.dispose();
      }
      const f = studentMap(netGammaModel(s.student), s.schedule, { k: s.grid.k, sigmaGammaForm: c.objective.sigmaGammaForm, conditioning: c.objective.conditioning, cond: withSamplingW(cond, c) });
      for (const j of await probe.errors(f)) out[`diag/jump/t${j.t}`] = j.error.mean;
      return out;
    },
    dispose: () => probe.dispose(),
  };
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

/**
 * Evaluate the student and the training-free baselines on the same initial noise. Sampling runs on the active
 * backend; each sample set's metrics are computed on the host (lib/backend/reads.ts `onHost`: as is on the CPU
 * backends, after one `await` read on WebGPU).
 */
export async function evaluateDistill(s: DistillState, c: DistillConfig): Promise<DistillEval> {
  const e = c.eval;
  const n = e.samples;
  const { xT, labels, cond, endpoints, dispose } = evalNoise(s.data, s.schedule, s.exactTeacher, e);
  const studentCond = withSamplingW(cond, c); // the student at the sampling w (its w-embedding's input)
  const mixture = s.data.mixtureFor();
  const rows: EvalRow[] = [];
  const model = netGammaModel(e.weights === 'ema' ? s.target : s.student);
  const score = async (samples: tf.Tensor, method: string, steps: number, nfe: number) => {
    try {
      const metrics = await onHost([samples, endpoints], ([x, end]) => evaluateSamples(x as tf.Tensor2D, { reference: end as tf.Tensor2D, endpoints: end, mixture, seed: e.seed }));
      rows.push({ method, steps, nfe, metrics });
    } finally {
      samples.dispose();
    }
  };
  try {
    for (const steps of e.steps) {
      const noise = makeRng(e.seed + 1 + steps); // the re-noising stream: the same for every run at this step count
      const out = lcmSample(model, s.schedule, xT, lcmTimesteps(s.grid, steps, e.timestepSpacing), { rng: noise, cond: studentCond });
      await score(out.x, 'student', steps, out.nfe);
      if (steps > 1) {
        // The deterministic chain (implied noise): its same-noise error is the cumulative error of the jumps.
        const det = lcmSample(model, s.schedule, xT, lcmTimesteps(s.grid, steps, e.timestepSpacing), { rng: noise, cond: studentCond, noise: 'implied' });
        await score(det.x, 'student-det', steps, det.nfe);
      }
    }
    const nfePerCall = s.data.numClasses > 0 ? 2 : 1; // a guided teacher costs two network calls per evaluation
    for (const solver of e.baselines) {
      for (const steps of e.steps) {
        const perStep = solver === 'heun' ? 2 : 1;
        if (steps % perStep) continue;
        const out = SOLVERS[solver](s.exactTeacher, s.schedule, xT, timeGrid(s.schedule, steps / perStep), { cond });
        await score(out.x, solver, steps / perStep, out.nfe * nfePerCall);
      }
    }
    // One-jump errors of the student from ten sub-path starts on the exact trajectory.
    const times = boundaries(s.grid);
    const pick = times.length <= 11 ? times : [...Array.from({ length: 10 }, (_, i) => times[Math.floor((i * (times.length - 1)) / 10)]), 0];
    const subset = xT.slice([0, 0], [Math.min(n, 256), s.data.D]);
    const jumps = await dataEndErrors(studentMap(model, s.schedule, { k: s.grid.k, sigmaGammaForm: c.objective.sigmaGammaForm, conditioning: c.objective.conditioning, cond: withSamplingW(cond && { labels: labels.slice(0, subset.shape[0]) }, c) }), referenceFlow(s.exactTeacher, s.schedule, 100, cond && { labels: labels.slice(0, subset.shape[0]) }), subset, pick);
    subset.dispose();
    return { rows, jumpErrors: jumps.map((j) => ({ t: j.t, error: j.error.mean })) };
  } finally {
    dispose();
  }
}

/** The columns of {@link formatEval}: metric key, header, and the legend line that says what it is and which way is better. */
export const EVAL_COLUMNS = [
  { key: 'sameNoiseMean', head: 'same-noise ↓', legend: 'same-noise: RMS distance to where the exact PF-ODE takes the same initial noise (mean over samples); lower is better' },
  { key: 'sw2', head: 'SW2 ↓', legend: 'SW2: sliced Wasserstein-2 distance to the exact PF-ODE endpoints; lower is better' },
  { key: 'mmd2', head: 'MMD² ↓', legend: 'MMD²: unbiased squared maximum mean discrepancy to the exact endpoints (can dip below 0 by noise); lower is better' },
  { key: 'coverage', head: 'coverage ↑', legend: 'coverage: fraction of the mixture\'s modes that get a fair share of the samples; higher is better (1 = all)' },
  { key: 'highQuality', head: 'high-q ↑', legend: 'high-q: fraction of samples within 3 σ (Mahalanobis) of their mode; higher is better' },
  { key: 'logDensity', head: 'log p ↑', legend: 'log p: mean log-density of the samples under the true mixture; higher is better' },
] as const;

/**
 * The final loss as the progress line showed it: the mean over the last logging window (`train/loss`'s last point),
 * with the window said; the last single step's loss (`train/loss_final`) when no window was logged.
 */
export function finalLossNote(result: LoopResult, summary: Record<string, number>): string {
  const w = result.lastLogged;
  if (w && Number.isFinite(w.metrics.loss)) return `${w.metrics.loss.toExponential(3)} (mean of steps ${w.step - w.count + 1}–${w.step}, as in the progress line)`;
  return summary['train/loss_final'].toExponential(3);
}

/** How a row's method reads in {@link formatEval}: the student's two samplers told apart, the baselines named. */
export function evalMethodLabel(method: string, student = 'student'): string {
  if (method === 'student') return `${student}, LCM sampler (fresh noise)`;
  if (method === 'student-det') return `${student}, deterministic chain`;
  const names: Record<string, string> = { ddim: 'DDIM', euler: 'Euler', heun: 'Heun', dpmpp2m: 'DPM-Solver++(2M)', reference: 'RK4 reference' };
  return `${names[method] ?? method} on the exact teacher`;
}

/**
 * Fixed-width table of an evaluation, readable without the code: one line per method and step count, the
 * student's rows first; every column's header says which way is better and a legend under the table says what
 * each row kind and metric is. At one step the student's two samplers coincide (one jump), so the deterministic
 * chain is listed from two steps on.
 * @param student what to call the student (`SPLAM student`, `LCM student`).
 */
export function formatEval(ev: DistillEval, student = 'student'): string {
  const order = (r: EvalRow) => (r.method === 'student' ? (r.steps === 1 ? 0 : 2) : r.method === 'student-det' ? 1 : 3);
  const rows = [...ev.rows].sort((a, b) => order(a) - order(b) || (order(a) === 3 ? 0 : a.steps - b.steps));
  const label = (r: EvalRow) => (r.method === 'student' && r.steps === 1 ? `${student}, one jump` : evalMethodLabel(r.method, student));
  const cells = rows.map((r) => [label(r), String(r.steps), String(r.nfe), ...EVAL_COLUMNS.map((c) => (r.metrics[c.key] === undefined ? '—' : Number(r.metrics[c.key]).toPrecision(4)))]);
  const head = ['method', 'steps', 'NFE', ...EVAL_COLUMNS.map((c) => c.head)];
  const width = head.map((h, j) => Math.max(h.length, ...cells.map((c) => c[j].length)));
  const line = (c: string[]) => c.map((v, j) => (j === 0 ? v.padEnd(width[j]) : v.padStart(width[j]))).join('  ').trimEnd();
  const hasDet = rows.some((r) => r.method === 'student-det');
  return [
    line(head),
    ...cells.map(line),
    '',
    'rows:',
    `  ${student}, one jump: the 1-step map from the noise`,
    ...(hasDet ? [`  ${student}, deterministic chain: n jumps, each re-noised with the noise the student implies; its same-noise error is the chain's own error`] : []),
    `  ${student}, LCM sampler (fresh noise): n jumps re-noised with new noise, so its sample is not the same endpoint; judge it by SW2/MMD², not same-noise`,
    '  … on the exact teacher: a training-free solver of the exact PF-ODE; NFE = network (teacher or student) evaluations',
    'metrics (↓ lower is better, ↑ higher is better):',
    ...EVAL_COLUMNS.map((c) => `  ${c.legend}`),
  ].join('\n');
}

/** The diagnostics of {@link distillDiagnostics} at step 0 and every `diagnostics.every` steps (when on). */
export function distillMonitor(s: DistillState, c: DistillConfig, ctx: ExperimentContext): TrainingMonitor {
  if (c.diagnostics.every <= 0) return {};
  const diag = distillDiagnostics(s, c);
  return {
    start: async () => ctx.run.logMetrics(await diag.at(0), 0),
    after: async (done) => {
      if (done % c.diagnostics.every === 0) ctx.run.logMetrics(await diag.at(done), done);
    },
    dispose: () => diag.dispose(),
  };
}

/** After training: evaluate at 1–8 steps beside the baselines, record, report. */
export async function finishDistill(s: DistillState, c: DistillConfig, ctx: ExperimentContext, { result, summary }: Trained): Promise<KindResult> {
  const ev = await evaluateDistill(s, c);
  for (const r of ev.rows) {
    for (const [k, v] of Object.entries(r.metrics)) if (k !== 'n' && Number.isFinite(v)) summary[`${r.method}/steps${r.steps}/${k}`] = v;
  }
  ev.jumpErrors.forEach((j, i) => ctx.run.logMetric('eval/jump_error', j.error, i));
  summary['eval/jump_error_mean'] = ev.jumpErrors.reduce((a, j) => a + j.error, 0) / ev.jumpErrors.length;
  await ctx.run.logArtifact('eval.json', JSON.parse(JSON.stringify(ev)), { kind: 'json' });
  const studentName = `${isLcm(c.objective.gamma) ? 'LCM' : 'SPLAM'} student`;
  const table = formatEval(ev, studentName);
  await ctx.run.logArtifact('eval.txt', table + '\n', { kind: 'text' });
  const wNote = c.student.wEmbed && c.student.wEmbed.dim > 0 ? `; w-embedding: trained over w ∈ [${c.student.wEmbed.min}, ${c.student.wEmbed.max}], evaluated at w = ${c.guidance.w}` : '';
  const head = `${studentName} (${countParams(s.student.params)} params${wNote}), ${result.stepsDone} steps, final loss ${finalLossNote(result, summary)}`;
  return { summary, report: `${head}\n${table}` };
}
