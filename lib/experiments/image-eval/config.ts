/** The config of `kind: "image-eval"` (validated at the edge by `splam run`; defaults written here once). */
import { z } from 'zod';
import { configHead } from '../config-fields.js';

const stepsList = z.array(z.number().int().min(1)).min(1);

export const imageEvalSchema = z
  .object({
    ...configHead('image-eval', 'image-tier'),
    autoencoder: z.string().min(1).default('models/autoencoder-fmnist.ckpt'),
    teacher: z.string().min(1).default('models/latent-teacher-fmnist.ckpt'),
    classifier: z.string().min(1).default('models/classifier-fmnist.ckpt'),
    data: z
      .object({
        dataset: z.literal('fashion-mnist').default('fashion-mnist'),
        /** Reference images: the first n of the test split (default all 10,000). */
        testLimit: z.number().int().min(4).optional(),
      })
      .strict()
      .prefault({}),
    /** Generated samples per row (FID is biased upwards at small n: compare rows of one run, and the floor). */
    samples: z.number().int().min(4).default(1000),
    /** Noise seed shared by every row (and by the distillation runs' own evaluations). */
    noiseSeed: z.number().int().default(1000),
    /** Samples per sampler call (memory only). */
    chunk: z.number().int().min(1).default(500),
    /** Guidance w of the teacher rows and of the reference (LCM convention); default: the students' w (0 without students). */
    w: z.number().min(0).optional(),
    teacherRows: z
      .array(
        z
          .object({
            solver: z.enum(['ddim', 'dpmpp2m']),
            steps: stepsList,
            /** This row's w (default: the run's w). */
            w: z.number().min(0).optional(),
          })
          .strict(),
      )
      .default([
        { solver: 'ddim', steps: [1, 2, 4, 8, 25, 50] },
        { solver: 'dpmpp2m', steps: [1, 2, 4, 8, 25, 50] },
      ]),
    students: z
      .array(
        z
          .object({
            checkpoint: z.string().min(1),
            /** Row label; default the file's method (SPLAM / LCM). */
            method: z.string().min(1).optional(),
            steps: stepsList.default([1, 2, 4, 8]),
            /**
             * What re-noises between sampler steps: `fresh` noise (LCM's sampler) or the student's `implied` ε̂ (a
             * deterministic chain; lib/splam/sampler.ts). The default label then ends in "(implied noise)".
             */
            noise: z.enum(['fresh', 'implied']).default('fresh'),
          })
          .strict(),
      )
      .default([]),
    /** The same-noise reference: the teacher's DDIM at the run's w with this many steps (null = none). */
    reference: z.object({ steps: z.number().int().min(1).default(50) }).strict().nullable().prefault({}),
    /** Also score n training images (the data floor at this n). */
    floor: z.boolean().default(true),
    /** Also score the autoencoder's reconstructions of the floor's n training images. */
    reconstruction: z.boolean().default(false),
    /** Samples per class in each row's PNG grid (0 = none). */
    gridPerClass: z.number().int().min(0).default(4),
  })
  .strict();

export type ImageEvalConfig = z.output<typeof imageEvalSchema>;
