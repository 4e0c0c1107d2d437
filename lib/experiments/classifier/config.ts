/** The config of `kind: "classifier"` (validated at the edge by `splam run`; defaults written here once). */
import { z } from 'zod';
import { lrScheduleSchema } from '../../train/lr-schedule.js';

export const classifierSchema = z
  .object({
    kind: z.literal('classifier'),
    name: z.string().min(1).optional(),
    experiment: z.string().min(1).default('classifier'),
    seed: z.number().int().default(0),
    data: z
      .object({
        /** The only image set so far; its folder comes from SPLAM_FASHION_MNIST or the Debian path. */
        dataset: z.literal('fashion-mnist').default('fashion-mnist'),
        /** Use the first n training / test examples only (quick runs). Default: all (60,000 / 10,000). */
        trainLimit: z.number().int().min(1).optional(),
        testLimit: z.number().int().min(1).optional(),
      })
      .strict()
      .prefault({}),
    /**
     * Channels of the two 3×3 convolutions and the feature width F. Our default 16/32/128 (half the channels of
     * the Keras MNIST example's 32/64): measured here, a step at batch 64 takes ~2.4× less than 32/64 on wasm.
     */
    architecture: z
      .object({
        conv1: z.number().int().min(1).default(16),
        conv2: z.number().int().min(1).default(32),
        features: z.number().int().min(1).default(128),
      })
      .strict()
      .prefault({}),
    train: z
      .object({
        /** Passes over the training set; steps = round(epochs·⌊N/batch⌋) (fractions allowed). */
        epochs: z.number().gt(0).default(5),
        batch: z.number().int().min(1).default(64),
        lr: z.number().gt(0).default(1e-3),
        /** Learning-rate schedule over the run's steps (see {@link learningRate}). Default cosine to 0. */
        schedule: lrScheduleSchema.default({ kind: 'cosine', final: 0 }),
        weightDecay: z.number().min(0).default(0),
        /** Global-norm clip (0 = none). */
        gradClip: z.number().min(0).default(0),
        logEvery: z.number().int().min(1).default(50),
        checkpointEvery: z.number().int().min(0).default(500),
      })
      .strict()
      .prefault({}),
    eval: z
      .object({
        /** Test accuracy every this many steps (0 = only at the end, where it always runs). */
        every: z.number().int().min(0).default(1000),
        /** Images per forward pass during evaluation (memory only). */
        batch: z.number().int().min(1).default(500),
      })
      .strict()
      .prefault({}),
    /** Write the final weights here (e.g. models/classifier-fmnist.ckpt) plus `<file>.json` with config and run record. */
    export: z.string().min(1).optional(),
  })
  .strict();

export type ClassifierExperimentConfig = z.output<typeof classifierSchema>;
