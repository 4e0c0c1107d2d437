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
import { z } from 'zod';
import { makeRng, restoreRng, type Rng, type RngState } from '../../data/rng.js';
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
import { decodeCheckpoint, encodeCheckpoint, paramTensors, restoreParams } from '../../train/checkpoint.js';
import { architectureSchema } from '../distill/config.js';
import { dataSchema, guidanceSchema, makeExperimentData, type ExperimentData } from '../mixture-data.js';
import { scheduleSchema } from '../mixture-config.js';
import { evalNoise } from '../eval-noise.js';
import { writeModelFile } from '../model-files.js';
import { writeNetCheckpoint } from '../../train/net-checkpoint.js';
import type { ExperimentContext, KindResult } from '../kind.js';
import { stoppedResult, trainAsRun, trainingSummary } from '../train-run.js';

export const teacherSchema = z
  .object({
    kind: z.literal('teacher'),
    name: z.string().min(1).optional(),
    experiment: z.string().min(1).default('teacher'),
    seed: z.number().int().default(0),
    schedule: scheduleSchema.default({ name: 'scaled-linear', N: 1000 }),
    data: dataSchema,
    architecture: architectureSchema.default({ hidden: 256, blocks: 3, timeEmbedDim: 64 }),
    /** Probability of replacing a label by the null label (conditional data only); 0.1 as in common CFG practice. */
    labelDropout: z.number().min(0).max(1).default(0.1),
    train: z
      .object({
        steps: z.number().int().min(1).default(5000),
        batch: z.number().int().min(1).default(512),
        lr: z.number().gt(0).default(1e-3),
        weightDecay: z.number().min(0).default(0),
        gradClip: z.number().min(0).default(1),
        logEvery: z.number().int().min(1).default(100),
        checkpointEvery: z.number().int().min(0).default(1000),
      })
      .strict()
      .default({ steps: 5000, batch: 512, lr: 1e-3, weightDecay: 0, gradClip: 1, logEvery: 100, checkpointEvery: 1000 }),
    eval: z
      .object({
        samples: z.number().int().min(2).default(2000),
        /** DDIM steps of the learned teacher against the exact PF-ODE from the same noise. */
        ddimSteps: z.number().int().min(1).default(50),
        referenceSubsteps: z.number().int().min(10).default(500),
        guidance: guidanceSchema.default({ w: 8, convention: 'lcm' }),
        seed: z.number().int().default(1000),
      })
      .strict()
      .default({ samples: 2000, ddimSteps: 50, referenceSubsteps: 500, guidance: { w: 8, convention: 'lcm' }, seed: 1000 }),
    /** Write the final weights here (e.g. models/teacher-ring2d.ckpt) plus `<file>.json` with config and run record. */
    export: z.string().min(1).optional(),
  })
  .strict();

export type TeacherConfig = z.output<typeof teacherSchema>;


interface TeacherMeta {
  kind: 'teacher-train';
  stepsDone: number;
  rng: RngState;
  adamStep: number;
}

interface TeacherState {
  schedule: Schedule;
  data: ExperimentData;
  net: Mlp;
  adam: Adam;
  rng: Rng;
  stepsDone: number;
}

function setup(c: TeacherConfig): TeacherState {
  const schedule = makeSchedule({ name: c.schedule.name, N: c.schedule.N, betaStart: c.schedule.betaStart, betaEnd: c.schedule.betaEnd });
  const data = makeExperimentData(c.data, schedule);
  const root = makeRng(c.seed);
  const net = makeMlp({ dim: data.D, ...c.architecture, numClasses: data.numClasses, gammaEmbedDim: 0 }, root.split());
  const adam = new Adam(net.params, { lr: c.train.lr, weightDecay: c.train.weightDecay, gradClip: c.train.gradClip });
  return { schedule, data, net, adam, rng: root.split(), stepsDone: 0 };
}

/** One DSM step. */
function step(s: TeacherState, c: TeacherConfig): LazyStepResult {
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

function encode(s: TeacherState): Uint8Array {
  const meta: TeacherMeta = { kind: 'teacher-train', stepsDone: s.stepsDone, rng: s.rng.state(), adamStep: s.adam.state.step };
  return encodeCheckpoint({ meta, tensors: [...paramTensors('net', s.net.params), ...paramTensors('adam.m', s.adam.state.m), ...paramTensors('adam.v', s.adam.state.v)] });
}

function restore(s: TeacherState, bytes: Uint8Array): void {
  const ck = decodeCheckpoint<TeacherMeta>(bytes);
  if (ck.meta.kind !== 'teacher-train') throw new Error(`not a teacher training checkpoint (kind ${String(ck.meta.kind)})`);
  for (const [prefix, set] of [['net', s.net.params], ['adam.m', s.adam.state.m], ['adam.v', s.adam.state.v]] as const) {
    const missing = restoreParams(ck, prefix, set);
    if (missing.length) throw new Error(`checkpoint lacks ${prefix}/${missing[0]}`);
  }
  s.adam.state.step = ck.meta.adamStep;
  s.rng = restoreRng(ck.meta.rng);
  s.stepsDone = ck.meta.stepsDone;
}

/**
 * DDIM with the learned teacher (guided for conditional data) against the exact PF-ODE, same noise. Sampling runs on
 * the active backend, the metrics on the host (lib/backend/reads.ts `onHost`).
 */
async function evaluate(s: TeacherState, c: TeacherConfig): Promise<Record<string, number>> {
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

export async function runTeacher(c: TeacherConfig, ctx: ExperimentContext): Promise<KindResult> {
  const s = setup(c);
  try {
    if (ctx.resume) restore(s, ctx.resume);
    const result = await trainAsRun(ctx, {
      startStep: s.stepsDone,
      totalSteps: c.train.steps,
      logEvery: c.train.logEvery,
      checkpointEvery: c.train.checkpointEvery,
      step: () => step(s, c),
      encode: (done) => {
        s.stepsDone = done;
        return encode(s);
      },
    });
    const summary = trainingSummary(result, countParams(s.net.params));
    if (result.stopped) return stoppedResult(ctx, result, summary);
    Object.assign(summary, await evaluate(s, c));
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
  } finally {
    disposeParams(s.net.params);
    s.adam.dispose();
  }
}
