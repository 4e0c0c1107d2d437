/** `kind: "teacher"` for `splam run`. */
import { defineTrainingKind, oneRngStream } from '../training-kind.js';
import { teacherSchema } from './config.js';
import { disposeTeacher, finishTeacher, setupTeacher, teacherStep, type TeacherState } from './run.js';

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
    ...oneRngStream<TeacherState>(),
  },
  params: (s) => s.net.params,
  evaluate: finishTeacher,
  dispose: disposeTeacher,
});
