/** `kind: "distill"` for `splam run`. */
import { restoreRng, type RngState } from '../../data/rng.js';
import { defineTrainingKind } from '../training-kind.js';
import { distillSchema } from './config.js';
import { disposeDistill, distillMonitor, distillStep, finishDistill, setupDistill } from './run.js';

export const distillKind = defineTrainingKind({
  kind: 'distill',
  description: 'LCM / SPLAM distillation of a mixture teacher into an MLP, evaluated at 1–8 steps',
  schema: distillSchema,
  setup: (c) => setupDistill(c),
  step: distillStep,
  state: {
    kind: 'distill',
    label: 'distillation',
    groups: (s) => [
      ['student', s.student.params],
      ['target', s.target.params],
    ],
    adam: (s) => s.adam,
    save: (s) => ({ rng: { data: s.rng.data.state(), objective: s.rng.objective.state() } }),
    load: (s, meta) => {
      const rng = meta.rng as { data: RngState; objective: RngState };
      s.rng.data = restoreRng(rng.data);
      s.rng.objective = restoreRng(rng.objective);
    },
    missingHint: ' (config changed since it was written?)',
  },
  params: (s) => s.student.params,
  monitor: distillMonitor,
  evaluate: finishDistill,
  dispose: disposeDistill,
});
