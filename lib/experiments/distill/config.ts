/**
 * Config of `kind: "distill"`: LCM / SPLAM distillation on an exact-teacher data set. LCM is the same config with
 * `objective.gamma = {kind: "fixed", value: 1}` (see experiments/*-lcm.json): the same student, whose γ-projection then
 * always sees γ = 1. `student.gammaEmbedDim = 0` removes the γ-projection (the student starts exactly as the teacher).
 * `student.wEmbed` (off unless given with dim > 0) adds LCM's w-embedding: training draws w ~ U[min, max] per sample,
 * the teacher is guided per sample, and guidance becomes a sampling-time choice ({@link wEmbedSchema}).
 * Each default is the official SPLAM code's unless its comment says otherwise.
 */
import { z } from 'zod';
import { configHead, stepsField, trainSchema } from '../config-fields.js';
import type { SolverGrid } from '../../splam/grid.js';
import type { SplamObjective } from '../../splam/objective.js';
import { DEFAULT_HUBER_C } from '../../splam/loss.js';
import { DEFAULT_EMA_MU } from '../../nn/ema.js';
import { SIGMA_GAMMA_FORMS } from '../../splam/sl-ode.js';
import { CONDITIONINGS } from '../../splam/consistency.js';
import { TIMESTEP_SPACINGS } from '../../splam/sampler.js';
import { dataSchema, guidanceSchema } from '../mixture-data.js';
import { scheduleSchema } from '../mixture-config.js';

const rampSchema = z.object({ from: z.number().min(0).max(1), to: z.number().min(0).max(1) }).strict();

export const gammaSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('uniform') }).strict(),
  z.object({ kind: z.literal('fixed'), value: z.number().min(0).max(1) }).strict(),
  z.object({ kind: z.literal('power'), p: z.number().gt(0) }).strict(),
  /** γ = 1 with probability p, else U[0, 1]. */
  z.object({ kind: z.literal('mixture'), p: z.number().min(0).max(1) }).strict(),
  /** γ ~ U[lo, hi], lo and hi moving linearly from `from` to `to` over training. */
  z
    .object({ kind: z.literal('curriculum'), lo: rampSchema, hi: rampSchema.default({ from: 1, to: 1 }) })
    .strict()
    .refine((d) => d.lo.from <= d.hi.from && d.lo.to <= d.hi.to, { message: 'lo must not exceed hi at either end', path: ['lo'] }),
]);

export const lossSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('l2') }).strict(),
  z.object({ kind: z.literal('pseudoHuber'), c: z.number().gt(0).default(DEFAULT_HUBER_C) }).strict(),
]);

export const architectureSchema = z
  .object({
    /** Hidden width (our default for 2–64-D data). */
    hidden: z.number().int().min(1).default(256),
    blocks: z.number().int().min(0).default(3),
    timeEmbedDim: z.number().int().min(2).multipleOf(2).default(64),
  })
  .strict();

export const teacherSchema = z.discriminatedUnion('type', [
  /** The exact mixture ε* (guided for conditional data). */
  z.object({ type: z.literal('analytic') }).strict(),
  /** A network trained by `kind: "teacher"`: a checkpoint file (models/*.ckpt) written by that run. */
  z.object({ type: z.literal('learned'), checkpoint: z.string().min(1) }).strict(),
]);

/**
 * LCM's w-embedding of the student, shared by `distill` and `splad` (`student.wEmbed`; absent or dim 0 = off, the
 * SPLAM code: a fixed w, no w-input). With dim > 0 the student gets the bias-free projection `time.w_proj`
 * (dim → time features, created after every other parameter) of the sinusoidal embedding of scale·w, and each
 * training batch draws w ~ U[min, max] per sample after its other draws; the teacher is guided with that w per
 * sample and the EMA target and the student see it, as in diffusers'
 * `examples/consistency_distillation/train_lcm_distill_sd_wds.py` (`--w_min 5`, `--w_max 15`,
 * `guidance_scale_embedding`; its target also sees w). The run's `guidance.w` is then the default sampling w.
 * w is in the run's guidance convention (`lcm` by default, as the diffusers code's teacher formula; its help text
 * says CFG, the formula is LCM's).
 */
export const wEmbedSchema = z
  .object({
    /** Embedding dimension: 0 = off, else an even integer ≥ 4 (diffusers: `time_cond_proj_dim`, default 256). */
    dim: z
      .number()
      .int()
      .min(0)
      .multipleOf(2)
      .default(0)
      .refine((d) => d !== 2, { message: 'must be 0 (off) or an even integer ≥ 4 (dimension 2 has no frequency)' }),
    /** Smallest training w (diffusers' `--w_min`: 5). */
    min: z.number().min(0).default(5),
    /** Largest training w, ≥ min (diffusers' `--w_max`: 15). */
    max: z.number().min(0).default(15),
    /**
     * Init of `time.w_proj`: `zero` (default: the student starts as the teacher at every w) or `random` (PyTorch's
     * default Linear init, as diffusers' student gets its new `cond_proj`). Named like `gammaProjInit`, not `init`:
     * a config key `init` is a file the run reads (lib/experiments/preflight.ts).
     */
    projInit: z.enum(['zero', 'random']).default('zero'),
    /** Multiplier of w inside the embedding (diffusers: 1000). */
    scale: z.number().gt(0).default(1000),
  })
  .strict()
  .refine((d) => d.min <= d.max, { message: 'must not exceed max', path: ['min'] });
export type WEmbedConfig = z.output<typeof wEmbedSchema>;

/** The w-embedding dimension of a config's student (0 when off or absent). */
export const wEmbedDimOf = (w: WEmbedConfig | undefined): number => w?.dim ?? 0;

/** The network options of a config's w-embedding (off: dim 0, the networks' default scale). */
export function wEmbedNetOptions(w: WEmbedConfig | undefined): { wEmbedDim: number; wEmbedScale: number } {
  return { wEmbedDim: wEmbedDimOf(w), wEmbedScale: w?.scale ?? 1000 };
}

/** The objective's per-sample guidance range of a config's w-embedding (undefined when off). */
export function wRangeOf(w: WEmbedConfig | undefined): { min: number; max: number } | undefined {
  return w && w.dim > 0 ? { min: w.min, max: w.max } : undefined;
}

/** The SPLAM / LCM objective's switches, shared by `distill` and `splad`. Each default is the official code's. */
export const objectiveSchema = z
  .object({
    /** Solver grid points N/k (code: 50, i.e. skip k = 20 for N = 1000). */
    numDdimTimesteps: z.number().int().min(1).default(50),
    /** γ ~ U[0, 1] (code); {kind: "fixed", value: 1} is LCM. */
    gamma: gammaSchema.default({ kind: 'uniform' }),
    /** σ_γ form (code: rss). */
    sigmaGammaForm: z.enum(SIGMA_GAMMA_FORMS).default('rss'),
    /** Code default l2; the README run uses pseudo-Huber c = 0.001. */
    loss: lossSchema.default({ kind: 'l2' }),
    /** EMA decay μ of the target (code: 0.95). */
    emaMu: z.number().min(0).max(1).default(DEFAULT_EMA_MU),
    /**
     * How the student sees x_{γ,t} (lib/splam/consistency.ts): `code` (the official code: at t, ε̂ converted with σ_γ)
     * or `matched` (c·x_{γ,t} at the noise-level-matched time t_γ). Both are LCM at γ = 1.
     */
    conditioning: z.enum(CONDITIONINGS).default('code'),
  })
  .strict();

/**
 * Diagnostics of training (lib/splam/update.ts `splamDiagnostics`): every `every` steps (0 = off), the objective on a
 * fresh batch of its own stream split by γ and t bin (loss, gradient norm, cosine with LCM's gradient), and the
 * γ = 1 one-jump error of the student from fixed points of the reference trajectories. Training draws the same
 * numbers with diagnostics on or off.
 */
export const diagnosticsSchema = z
  .object({
    every: z.number().int().min(0).default(0),
    /** Trajectories of the one-jump probe. */
    jumpSamples: z.number().int().min(1).default(256),
  })
  .strict();
export type DiagnosticsConfig = z.output<typeof diagnosticsSchema>;

export type ObjectiveConfig = z.output<typeof objectiveSchema>;

/** The objective of a config as lib/splam/objective.ts takes it. */
export function objectiveOf(o: ObjectiveConfig, grid: SolverGrid): SplamObjective {
  return { grid, gamma: o.gamma, sigmaGammaForm: o.sigmaGammaForm, loss: o.loss.kind === 'l2' ? { kind: 'l2' } : { kind: 'pseudoHuber', c: o.loss.c }, conditioning: o.conditioning };
}

export const distillSchema = z
  .object({
    ...configHead('distill', 'distill'),
    schedule: scheduleSchema.prefault({}),
    data: dataSchema,
    /** Used for conditional data only: the teacher is guided with this fixed w (code: w = 8, LCM convention). */
    guidance: guidanceSchema.prefault({}),
    teacher: teacherSchema.default({ type: 'analytic' }),
    student: z
      .object({
        /** Architecture when starting from scratch; a checkpoint's own architecture wins when initialising from one. */
        architecture: architectureSchema.prefault({}),
        /** γ-embedding dimension (code: 256, inferred); 0 = no γ-embedding (LCM). */
        gammaEmbedDim: z.number().int().min(0).multipleOf(2).default(256),
        /**
         * Init of the new γ-projection `time.cond_proj` when starting from a checkpoint: `random` (the code: PyTorch's
         * default Linear init, so even γ = 1 perturbs the teacher's time features) or `zero` (the student starts as
         * the teacher exactly).
         */
        gammaProjInit: z.enum(['random', 'zero']).default('random'),
        /** The γ-embedding's multiplier of g = 10 − 10γ (code: 1000, LCM's w-embedding scale). */
        gammaEmbedScale: z.number().gt(0).default(1000),
        /**
         * `teacher`: copy the learned teacher's weights (SPLAM starts from SD); `scratch`: random init; or a path
         * to a teacher checkpoint. Default: `teacher` with a learned teacher, else `scratch`.
         */
        init: z.string().min(1).optional(),
        /** LCM's w-embedding ({@link wEmbedSchema}); absent = off. Needs class-conditional data. */
        wEmbed: wEmbedSchema.optional(),
      })
      .strict()
      .prefault({}),
    objective: objectiveSchema.prefault({}),
    diagnostics: diagnosticsSchema.prefault({}),
    /** lr: our default for toy MLPs (the SD runs use 8e-6 to 1e-4). */
    train: trainSchema({ batch: 256, lr: 1e-3, gradClip: 1, logEvery: 50, checkpointEvery: 500 }, {
      length: stepsField(2000),
    }),
    eval: z
      .object({
        samples: z.number().int().min(2).default(2000),
        steps: z.array(z.number().int().min(1)).min(1).default([1, 2, 4, 8]),
        timestepSpacing: z.enum(TIMESTEP_SPACINGS).default('linspace'),
        /** Training-free solvers on the exact teacher at the same NFE. */
        baselines: z.array(z.enum(['ddim', 'dpmpp2m', 'heun', 'euler'])).default(['ddim', 'dpmpp2m']),
        referenceSubsteps: z.number().int().min(10).default(500),
        /** Evaluate the online weights (default) or the EMA target. */
        weights: z.enum(['online', 'ema']).default('online'),
        /** Noise seed shared by every run that compares (independent of the training seed). */
        seed: z.number().int().default(1000),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.schedule.N % c.objective.numDdimTimesteps !== 0) {
      ctx.addIssue({ code: 'custom', path: ['objective', 'numDdimTimesteps'], message: `must divide schedule.N = ${c.schedule.N}` });
    }
    const points = c.objective.numDdimTimesteps;
    c.eval.steps.forEach((s, i) => {
      if (s > points) ctx.addIssue({ code: 'custom', path: ['eval', 'steps', i], message: `at most numDdimTimesteps = ${points}` });
    });
    if (wEmbedDimOf(c.student.wEmbed) > 0 && c.data.type !== 'conditional') {
      ctx.addIssue({ code: 'custom', path: ['student', 'wEmbed', 'dim'], message: 'needs class-conditional data (guidance applies to conditional data only)' });
    }
    if (c.student.init === 'teacher' && c.teacher.type !== 'learned') {
      ctx.addIssue({ code: 'custom', path: ['student', 'init'], message: '"teacher" needs teacher.type = "learned"; give a checkpoint path or "scratch"' });
    }
  });

export type DistillConfig = z.output<typeof distillSchema>;
