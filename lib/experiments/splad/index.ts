/** `kind: "splad"` for `splam run`. */
import { spladSchema } from './config.js';
import { runSplad } from './run.js';
import { defineKind } from '../kind.js';

export const spladKind = defineKind({
  schema: spladSchema,
  kind: 'splad',
  description: 'SPLAD: SPLAM / LCM distillation of the guided latent teacher into a latent U-Net student, FID at 1–8 steps',
  experimentOf: (c) => c.experiment,
  seedOf: (c) => c.seed,
  run: (config, ctx) => runSplad(config, ctx),
});
