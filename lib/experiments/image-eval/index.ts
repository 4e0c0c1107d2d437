/** `kind: "image-eval"` for `splam run`. */
import { imageEvalSchema } from './config.js';
import { runImageEval } from './run.js';
import { defineKind } from '../kind.js';

export const imageEvalKind = defineKind({
  schema: imageEvalSchema,
  kind: 'image-eval',
  description: 'the few-step table: teacher (DDIM, DPM-Solver++) and distilled students on decoded latents, FID / precision / recall / wall-clock',
  experimentOf: (c) => c.experiment,
  seedOf: (c) => c.seed,
  run: (config, ctx) => runImageEval(config, ctx),
});
