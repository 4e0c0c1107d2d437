/** The config of `kind: "teacher"` (validated at the edge by `splam run`; defaults written here once). */
import { z } from 'zod';
import { architectureSchema } from '../distill/config.js';
import { dataSchema, guidanceSchema } from '../mixture-data.js';
import { scheduleSchema } from '../mixture-config.js';

export const teacherSchema = z
  .object({
    kind: z.literal('teacher'),
    name: z.string().min(1).optional(),
    experiment: z.string().min(1).default('teacher'),
    seed: z.number().int().default(0),
    schedule: scheduleSchema.prefault({}),
    data: dataSchema,
    architecture: architectureSchema.prefault({}),
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
      .prefault({}),
    eval: z
      .object({
        samples: z.number().int().min(2).default(2000),
        /** DDIM steps of the learned teacher against the exact PF-ODE from the same noise. */
        ddimSteps: z.number().int().min(1).default(50),
        referenceSubsteps: z.number().int().min(10).default(500),
        guidance: guidanceSchema.prefault({}),
        seed: z.number().int().default(1000),
      })
      .strict()
      .prefault({}),
    /** Write the final weights here (e.g. models/teacher-ring2d.ckpt) plus `<file>.json` with config and run record. */
    export: z.string().min(1).optional(),
  })
  .strict();

export type TeacherConfig = z.output<typeof teacherSchema>;
