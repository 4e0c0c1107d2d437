/** `kind: "teacher"` for `splam run`. */
import type { ExperimentKind } from './kind.js';
import { runTeacher, teacherSchema } from './teacher.js';

export const teacherKind: ExperimentKind<typeof teacherSchema> = {
  kind: 'teacher',
  description: 'train a learned ε-prediction MLP teacher on mixture samples (denoising score matching)',
  schema: teacherSchema,
  experimentOf: (c) => c.experiment,
  seedOf: (c) => c.seed,
  run: (config, ctx) => runTeacher(config, ctx),
};
