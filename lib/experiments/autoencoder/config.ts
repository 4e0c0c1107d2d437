/** The config of `kind: "autoencoder"` (validated at the edge by `splam run`; defaults written here once). */
import { z } from 'zod';
import { configHead, stepsField, trainSchema } from '../config-fields.js';
import { lrScheduleSchema } from '../../train/lr-schedule.js';
import { imageDataSchema } from '../image-data.js';

export const autoencoderSchema = z
  .object({
    ...configHead('autoencoder', 'image-tier'),
    data: imageDataSchema,
    /** Channels at full and half resolution, latent channels (4, as SD's VAE). Our defaults (measured: 32/64 reaches FID 42 at 400 steps where 16/32 reaches 93). */
    architecture: z
      .object({
        channels1: z.number().int().min(1).default(32),
        channels2: z.number().int().min(1).default(64),
        latentChannels: z.number().int().min(1).default(4),
      })
      .strict()
      .prefault({}),
    loss: z
      .object({
        /** Reconstruction distance: `l2` mean squared error (default) or `l1` mean absolute error. */
        reconstruction: z.enum(['l2', 'l1']).default('l2'),
        /** λ of the latent penalty λ·mean(z²) (our default 1e-4; 0 = none). */
        latentPenalty: z.number().min(0).default(1e-4),
      })
      .strict()
      .prefault({}),
    train: trainSchema({ batch: 64, lr: 2e-3, gradClip: 1, logEvery: 50, checkpointEvery: 300 }, {
      length: stepsField(1500),
      afterLr: {
        schedule: lrScheduleSchema.default({ kind: 'cosine', final: 0.05 }),
      },
    }),
    /** Training images (a seeded random subset) over which s = 1/std(z) is computed. */
    scaleImages: z.number().int().min(1).default(1024),
    eval: z
      .object({
        /** The feature network of the FID (models/classifier-fmnist.ckpt). */
        classifier: z.string().min(1).default('models/classifier-fmnist.ckpt'),
        /** Originals (and as many reconstructions) in the PNG artifact. */
        gridImages: z.number().int().min(1).default(16),
      })
      .strict()
      .prefault({}),
    /** Write the weights and s here (e.g. models/autoencoder-fmnist.ckpt) plus `<file>.json`. */
    export: z.string().min(1).optional(),
  })
  .strict();

export type AutoencoderExperimentConfig = z.output<typeof autoencoderSchema>;
