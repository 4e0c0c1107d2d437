/**
 * `kind: "teacher"`: a learned ε-prediction teacher trained by denoising score matching on mixture samples
 * (Ho et al. 2020: t ~ U{0, …, N−1}, x_t = α_t·x_0 + σ_t·ε, loss ‖ε_θ(x_t, t, c) − ε‖²), with label dropout so
 * classifier-free guidance works for class-conditional data. Checkpoints and resumes like the distillation, and
 * can export its weights to models/ with a sidecar JSON (config, run id, provenance, summary).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { onHost, prefetchVariables } from '../../backend/reads.js';
import type { LazyStepResult } from '../../train/adam.js';
import { makeRng, type Rng } from '../../data/rng.js';
import { guided, NULL_LABEL } from '../../diffusion/guidance.js';
import { timeGrid } from '../../diffusion/grids.js';
import { makeSchedule, type Schedule } from '../../diffusion/schedules.js';
import { SOLVERS } from '../../diffusion/solvers/index.js';
import { perSample } from '../../diffusion/types.js';
import { evaluateSamples } from '../../metrics/index.js';
import { netDenoiser } from '../../nn/eps-net.js';
import { makeMlp, type Mlp } from '../../nn/mlp.js';
import { countParams, disposeParams } from '../../nn/params.js';
import { Adam } from '../../train/adam.js';
import { makeExperimentData, type ExperimentData } from '../mixture-data.js';
import { evalNoise } from '../eval-noise.js';
import { writeModelFile } from '../model-files.js';
import { writeNetCheckpoint } from '../../train/net-checkpoint.js';
import type { ExperimentContext, KindResult } from '../kind.js';
import type { Trained } from '../training-kind.js';
import type { TeacherConfig } from './config.js';

export interface TeacherState {
  schedule: Schedule;
  data: ExperimentData;
  net: Mlp;
  adam: Adam;
  rng: Rng;
}

export function setupTeacher(c: TeacherConfig): TeacherState {
  const schedule = makeSchedule({ name: c.schedule.name, N: c.schedule.N, betaStart: c.schedule.betaStart, betaEnd: c.schedule.betaEnd });
  const data = makeExperimentData(c.data, schedule);
  const root = makeRng(c.seed);
  const net = makeMlp({ dim: data.D, ...c.architecture, numClasses: data.numClasses, gammaEmbedDim: 0 }, root.split());
  const adam = new Adam(net.params, { lr: c.train.lr, weightDecay: c.train.weightDecay, gradClip: c.train.gradClip });
  return { schedule, data, net, adam, rng: root.split() };
}

/** One DSM step (the batch, t, dropout and noise from the run's one stream). */
export function teacherStep(s: TeacherState, c: TeacherConfig): LazyStepResult {
  const B = c.train.batch;
  const { x, labels } = s.data.sample(B, s.rng);
  const t = Array.from({ length: B }, () => s.rng.int(s.schedule.N));
  const dropped = labels.map((l) => (s.rng.uniform() < c.labelDropout ? NULL_LABEL : l));
  const noise = s.rng.normalArray(x.size);
  const tT = tf.tensor1d(t);
  const eps = tf.tensor(noise, x.shape);
  const a = tf.tensor1d(t.map((v) => s.schedule.alpha(v)));
  const sg = tf.tensor1d(t.map((v) => s.schedule.sigma(v)));
  const xt = tf.tidy(() => x.mul(perSample(a, 2)).add(eps.mul(perSample(sg, 2))));
  try {
    return s.adam.stepLazy(() => tf.tidy(() => s.net.apply(xt, tT, undefined, dropped.length ? dropped : undefined).sub(eps).square().mean() as tf.Scalar));
  } finally {
    tf.dispose([x, tT, eps, a, sg, xt]);
  }
}

/**
 * DDIM with the learned teacher (guided for conditional data) against the exact PF-ODE, same noise. Sampling runs on
 * the active backend, the metrics on the host (lib/backend/reads.ts `onHost`).
 */
async function teacherMetrics(s: TeacherState, c: TeacherConfig): Promise<Record<string, number>> {
  const e = c.eval;
  const learned = s.data.numClasses > 0 ? guided(netDenoiser(s.net), e.guidance.w, e.guidance.convention) : netDenoiser(s.net);
  const exact = s.data.exactTeacher(e.guidance);
  const { xT, cond, endpoints, dispose } = evalNoise(s.data, s.schedule, exact, e);
  const out = SOLVERS.ddim(learned, s.schedule, xT, timeGrid(s.schedule, e.ddimSteps), { cond }).x as tf.Tensor2D;
  const exactDdim = SOLVERS.ddim(exact, s.schedule, xT, timeGrid(s.schedule, e.ddimSteps), { cond }).x as tf.Tensor2D;
  try {
    const mixture = s.data.mixtureFor();
    const [m, floor] = await onHost([out, exactDdim, endpoints], ([x, xExact, end]) => [
      evaluateSamples(x as tf.Tensor2D, { reference: end as tf.Tensor2D, endpoints: end, mixture, seed: e.seed }),
      evaluateSamples(xExact as tf.Tensor2D, { endpoints: end, seed: e.seed }),
    ]);
    const summary: Record<string, number> = {};
    for (const [k, v] of Object.entries(m)) if (k !== 'n') summary[`teacher/ddim${e.ddimSteps}/${k}`] = v;
    summary[`exact/ddim${e.ddimSteps}/sameNoiseMean`] = floor.sameNoiseMean!;
    return summary;
  } finally {
    tf.dispose([out, exactDdim]);
    dispose();
  }
}

/** After training: the metrics, the export (`export`), the report. */
export async function finishTeacher(s: TeacherState, c: TeacherConfig, ctx: ExperimentContext, { result, summary }: Trained): Promise<KindResult> {
  Object.assign(summary, await teacherMetrics(s, c));
  let exported = '';
  if (c.export) {
    mkdirSync(dirname(c.export), { recursive: true });
    await prefetchVariables(); // WebGPU: the weights on the host before the synchronous encoding
    writeNetCheckpoint(c.export, s.net, { runId: ctx.run.id, experiment: c.experiment, steps: result.stepsDone });
    const sidecar = { file: c.export, runId: ctx.run.id, config: c, summary, run: ctx.run.record() };
    writeModelFile(`${c.export}.json`, JSON.stringify(sidecar, null, 2) + '\n');
    exported = `\nweights written to ${c.export} (+ .json with config and run record)`;
  }
  const lines = Object.entries(summary).map(([k, v]) => `  ${k.padEnd(40)} ${Number.isInteger(v) ? v : v.toPrecision(4)}`);
  return { summary, report: `learned teacher (${countParams(s.net.params)} params)\n${lines.join('\n')}${exported}` };
}

export function disposeTeacher(s: TeacherState): void {
  disposeParams(s.net.params);
  s.adam.dispose();
}
