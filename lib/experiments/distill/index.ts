/** `kind: "distill"` for `splam run`. */
import { distillSchema } from './config.js';
import { runDistill } from './run.js';
import { defineKind } from '../kind.js';

export const distillKind = defineKind({
  schema: distillSchema,
  kind: 'distill',
  description: 'LCM / SPLAM distillation of a mixture teacher into an MLP, evaluated at 1–8 steps',
  experimentOf: (c) => c.experiment,
  seedOf: (c) => c.seed,
  run: (config, ctx) => runDistill(config, ctx),
});
