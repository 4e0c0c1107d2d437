/** `kind: "teacher"` for `splam run`. */
import { restoreRng, type RngState } from '../../data/rng.js';
import { defineTrainingKind } from '../training-kind.js';
import { teacherSchema } from './config.js';
import { disposeTeacher, finishTeacher, setupTeacher, teacherStep } from './run.js';

export const teacherKind = defineTrainingKind({
  kind: 'teacher',
  description: 'train a learned ε-prediction MLP teacher on mixture samples (denoising score matching)',
  schema: teacherSchema,
  setup: (c) => setupTeacher(c),
  step: (s, c) => teacherStep(s, c),
  state: {
    kind: 'teacher-train',
    label: 'teacher training',
    groups: (s) => [['net', s.net.params]],
    adam: (s) => s.adam,
    save: (s) => ({ rng: s.rng.state() }),
    load: (s, meta) => {
      s.rng = restoreRng(meta.rng as RngState);
    },
  },
  params: (s) => s.net.params,
  evaluate: finishTeacher,
  dispose: disposeTeacher,
});
