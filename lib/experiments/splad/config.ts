/**
 * Config of `kind: "splad"`: SPLAD, SPLAM distillation in the autoencoder's latent space (Xu et al., ECCV 2024,
 * arXiv 2404.13903; code: MCG-NJU/SPLAM@dc442bf:splam/train_splam_distill_sd_wds.py) at small scale.
 * The teacher is the learned class-conditional latent U-Net (`kind: "latent-teacher"`) guided with a fixed w (the
 * official code fixes w = 8 and has no w-embedding: the γ-embedding takes its slot); the student is a copy of the
 * teacher plus the γ-projection `time.cond_proj`; the data are the scaled latents s·E(x) of the
 * training images with their labels (no label dropout: the code hard-codes `proportion_empty_prompts = 0`).
 * The LCM baseline is the same config with `objective.gamma = {kind: "fixed", value: 1}` — one objective
 * (lib/splam/objective.ts, shared with `kind: "distill"` through {@link objectiveSchema}).
 * LCM's w-embedding is a switch, off by default: `student.wEmbed` (lib/experiments/distill/config.ts
 * {@link wEmbedSchema}) trains the student over w ~ U[min, max] (the teacher guided per sample), `guidance.w` is then
 * the default sampling w, and `eval.w` lists further sampling w to report (`student/w<w>/steps<n>/…` keys).
 *
 * Measured here (experiments/splad-*-fmnist.json, 32-channel latent U-Net): from the teacher's weights, learning
 * rates of 1e-4 and 2e-4 made every one-jump map worse than the teacher's own x̂₀ within 200 steps, so the configs
 * use 2e-5 (LCM then improves on the teacher's x̂₀ at every t). SPLAM's γ < 1 inputs start far off at high t: the
 * student is called at t on a point whose noise level is σ_γ < σ_t; a network that does not yet read γ predicts ε̂ for
 * σ_t, and x̂₀ = (x_γ − σ_γ·ε̂)/α_t is then off by about (σ_t − σ_γ)/α_t · |ε̂| ≈ 1.5 latent standard deviations at
 * t = 999, γ = 0 (α_t = 0.068); see the run records for what that costs at this budget.
 */
import { z } from 'zod';
import { configHead, stepsField, trainSchema } from '../config-fields.js';
import { imageDataSchema } from '../image-data.js';
import { TIMESTEP_SPACINGS } from '../../splam/sampler.js';
import { diagnosticsSchema, objectiveSchema, wEmbedDimOf, wEmbedSchema } from '../distill/config.js';
import { guidanceSchema } from '../mixture-data.js';

export const spladSchema = z
  .object({
    ...configHead('splad', 'image-tier'),
    /** The autoencoder file; must be the one the teacher was trained on (checked). */
    autoencoder: z.string().min(1).default('models/autoencoder-fmnist.ckpt'),
    /** The latent teacher file (`kind: "latent-teacher"` with `export`); its schedule is the run's. */
    teacher: z.string().min(1).default('models/latent-teacher-fmnist.ckpt'),
    data: imageDataSchema,
    /** The teacher is guided with this fixed w (code: w = 8, LCM convention; choose from the teacher's sweep). */
    guidance: guidanceSchema.prefault({}),
    student: z
      .object({
        /** γ-embedding dimension (code: 256, inferred); 0 = no γ-projection (the student is the teacher exactly). */
        gammaEmbedDim: z.number().int().min(0).multipleOf(2).default(256),
        /** `random` (the code: PyTorch's default Linear init) or `zero` (the student starts as the teacher exactly). */
        gammaProjInit: z.enum(['random', 'zero']).default('random'),
        /** The γ-embedding's multiplier of g = 10 − 10γ (code: 1000). */
        gammaEmbedScale: z.number().gt(0).default(1000),
        /** LCM's w-embedding (absent = off, the SPLAM code's fixed w); see distill-config.ts `wEmbedSchema`. */
        wEmbed: wEmbedSchema.optional(),
      })
      .strict()
      .prefault({}),
    objective: objectiveSchema.prefault({}),
    diagnostics: diagnosticsSchema.prefault({}),
    /** lr: the code's default 1e-4 (the README run: 8e-6). */
    train: trainSchema({ batch: 32, lr: 1e-4, gradClip: 1, logEvery: 50, checkpointEvery: 200 }, {
      length: stepsField(1000),
    }),
    eval: z
      .object({
        classifier: z.string().min(1).default('models/classifier-fmnist.ckpt'),
        samples: z.number().int().min(4).default(1000),
        steps: z.array(z.number().int().min(1)).min(1).default([1, 2, 4, 8]),
        timestepSpacing: z.enum(TIMESTEP_SPACINGS).default('linspace'),
        /** Evaluate and export the online weights (default) or the EMA target. */
        weights: z.enum(['online', 'ema']).default('online'),
        /** Noise seed shared by every run that compares. */
        seed: z.number().int().default(1000),
        /**
         * Further sampling w of a student with a w-embedding (needs `student.wEmbed.dim > 0`): each is evaluated at
         * every step count from the same noise (`student/w<w>/steps<n>/fid`, …; the default w = `guidance.w` keeps
         * the `student/steps<n>/…` keys). Optional.
         */
        w: z.array(z.number().min(0)).min(1).optional(),
        /**
         * The sampler's re-noising, one evaluation (and curve) each: `fresh` noise (LCM's sampler; keys
         * `student/…`, `curve/…`) and/or the student's `implied` ε̂, the deterministic chain (lib/splam/sampler.ts;
         * keys `student-det/…`, `curve-det/…`).
         */
        noise: z.array(z.enum(['fresh', 'implied'])).min(1).default(['fresh']),
        gridPerClass: z.number().int().min(0).default(4),
        /**
         * A training curve: every `every` steps (0 = off; also at step 0), FID / precision / recall of the online
         * student at `steps` sampler steps from `samples` shared noises (`curve/fid`, … series).
         */
        curve: z
          .object({ every: z.number().int().min(0).default(0), samples: z.number().int().min(4).default(1000), steps: z.number().int().min(1).default(4) })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    /** Write the student here (e.g. models/splad-splam-fmnist.ckpt) plus `<file>.json`. */
    export: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const points = c.objective.numDdimTimesteps;
    c.eval.steps.forEach((s, i) => {
      if (s > points) ctx.addIssue({ code: 'custom', path: ['eval', 'steps', i], message: `at most numDdimTimesteps = ${points}` });
    });
    if (c.eval.curve.steps > points) ctx.addIssue({ code: 'custom', path: ['eval', 'curve', 'steps'], message: `at most numDdimTimesteps = ${points}` });
    if (c.eval.w && wEmbedDimOf(c.student.wEmbed) === 0) {
      ctx.addIssue({ code: 'custom', path: ['eval', 'w'], message: 'needs a student with a w-embedding (student.wEmbed.dim > 0): without one the student has a single baked-in w' });
    }
  });

export type SpladConfig = z.output<typeof spladSchema>;
