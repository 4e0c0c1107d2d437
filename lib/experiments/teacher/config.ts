/** The config of `kind: "teacher"` (validated at the edge by `splam run`; defaults written here once). */
import { z } from 'zod';
import { configHead, stepsField, trainSchema } from '../config-fields.js';
import { architectureSchema } from '../distill/config.js';
import { dataSchema, guidanceSchema } from '../mixture-data.js';
import { scheduleSchema } from '../mixture-config.js';

export const teacherSchema = z
  .object({
    ...configHead('teacher', 'teacher'),
    schedule: scheduleSchema.prefault({}),
    data: dataSchema,
    architecture: architectureSchema.prefault({}),
    /** Probability of replacing a label by the null label (conditional data only); 0.1 as in common CFG practice. */
    labelDropout: z.number().min(0).max(1).default(0.1),
    train: trainSchema({ batch: 512, lr: 1e-3, gradClip: 1, logEvery: 100, checkpointEvery: 1000 }, {
      length: stepsField(5000),
    }),
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
