/** `kind: "latent-teacher"` for `splam run`. */
import { latentTeacherSchema, runLatentTeacher } from './run.js';
import { defineKind } from '../kind.js';

export const latentTeacherKind = defineKind({
  schema: latentTeacherSchema,
  kind: 'latent-teacher',
  description: 'train the class-conditional latent U-Net teacher (label dropout for CFG) on autoencoder latents; FID vs guidance w',
  experimentOf: (c) => c.experiment,
  seedOf: (c) => c.seed,
  run: (config, ctx) => runLatentTeacher(config, ctx),
});
