/** `kind: "teacher"` for `splam run`. */
import { defineKind } from '../kind.js';
import { runTeacher, teacherSchema } from './run.js';

export const teacherKind = defineKind({
  schema: teacherSchema,
  kind: 'teacher',
  description: 'train a learned ε-prediction MLP teacher on mixture samples (denoising score matching)',
  experimentOf: (c) => c.experiment,
  seedOf: (c) => c.seed,
  run: (config, ctx) => runTeacher(config, ctx),
});
