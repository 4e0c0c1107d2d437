/** The config of `kind: "classifier"` (validated at the edge by `splam run`; defaults written here once). */
import { z } from 'zod';
import { configHead, trainSchema } from '../config-fields.js';
import { lrScheduleSchema } from '../../train/lr-schedule.js';

export const classifierSchema = z
  .object({
    ...configHead('classifier', 'classifier'),
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
    /** AdamW; no clipping by default. */
    train: trainSchema({ batch: 64, lr: 1e-3, gradClip: 0, logEvery: 50, checkpointEvery: 500 }, {
      length: {
        /** Passes over the training set; steps = round(epochs·⌊N/batch⌋) (fractions allowed). */
        epochs: z.number().gt(0).default(5),
      },
      afterLr: {
        /** Learning-rate schedule over the run's steps (see {@link learningRate}). Default cosine to 0. */
        schedule: lrScheduleSchema.default({ kind: 'cosine', final: 0 }),
      },
    }),
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
