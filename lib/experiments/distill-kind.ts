/** `kind: "distill"` for `splam run`. */
import { distillSchema } from './distill-config.js';
import { runDistill } from './distill.js';
import type { ExperimentKind } from './kind.js';

export const distillKind: ExperimentKind<typeof distillSchema> = {
  kind: 'distill',
  description: 'LCM / SPLAM distillation of a mixture teacher into an MLP, evaluated at 1–8 steps',
  schema: distillSchema,
  experimentOf: (c) => c.experiment,
  seedOf: (c) => c.seed,
  run: (config, ctx) => runDistill(config, ctx),
};
