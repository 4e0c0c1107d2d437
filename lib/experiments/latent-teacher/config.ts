/** The config of `kind: "latent-teacher"` (validated at the edge by `splam run`; defaults written here once). */
import { z } from 'zod';
import { configHead, stepsField, trainSchema } from '../config-fields.js';
import { lrScheduleSchema } from '../../train/lr-schedule.js';
import { imageDataSchema } from '../image-data.js';
import { scheduleSchema } from '../mixture-config.js';

export const unetArchitectureSchema = z
  .object({
    baseChannels: z.number().int().min(1).default(32),
    /** One multiplier per level: [1, 2] = 7×7 (padded to 8×8) → 4×4. */
    channelMults: z.array(z.number().int().min(1)).min(1).default([1, 2]),
    resBlocks: z.number().int().min(1).default(1),
    groups: z.number().int().min(1).default(8),
    timeEmbedDim: z.number().int().min(2).multipleOf(2).default(64),
    timeHidden: z.number().int().min(1).default(128),
  })
  .strict();

export const latentTeacherSchema = z
  .object({
    ...configHead('latent-teacher', 'image-tier'),
    /** The autoencoder file (written by `kind: "autoencoder"` with `export`). */
    autoencoder: z.string().min(1).default('models/autoencoder-fmnist.ckpt'),
    data: imageDataSchema,
    schedule: scheduleSchema.prefault({}),
    architecture: unetArchitectureSchema.prefault({}),
    /** Probability of replacing a label by the null label; 0.1, common CFG practice. */
    labelDropout: z.number().min(0).max(1).default(0.1),
    train: trainSchema({ batch: 128, lr: 1e-3, gradClip: 1, logEvery: 50, checkpointEvery: 400 }, {
      length: stepsField(3200),
      afterLr: {
        schedule: lrScheduleSchema.default({ kind: 'cosine', final: 0.1 }),
      },
      afterClip: {
        /** EMA decay of the evaluated / exported weights (our default 0.995 for a short run). */
        emaMu: z.number().min(0).max(1).default(0.995),
      },
    }),
    eval: z
      .object({
        classifier: z.string().min(1).default('models/classifier-fmnist.ckpt'),
        /** Generated samples per guidance strength (FID is biased upwards at small n: compare equal n only). */
        samples: z.number().int().min(4).default(1000),
        ddimSteps: z.number().int().min(1).default(50),
        /** Guidance strengths w, LCM convention (w = 0: the conditional model alone; CFG scale 1 + w). */
        w: z.array(z.number().min(0)).min(1).default([0, 1, 2, 4]),
        seed: z.number().int().default(1000),
        /** Samples per class shown in the PNG grid of each w. */
        gridPerClass: z.number().int().min(0).default(4),
      })
      .strict()
      .prefault({}),
    export: z.string().min(1).optional(),
  })
  .strict();

export type LatentTeacherConfig = z.output<typeof latentTeacherSchema>;
