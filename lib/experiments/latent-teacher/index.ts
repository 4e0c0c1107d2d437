/** `kind: "latent-teacher"` for `splam run`. */
import { restoreRng, type RngState } from '../../data/rng.js';
import { defineTrainingKind } from '../training-kind.js';
import { latentTeacherSchema } from './config.js';
import { disposeLatentTeacher, finishLatentTeacher, latentTeacherStep, setupLatentTeacher } from './run.js';

export const latentTeacherKind = defineTrainingKind({
  kind: 'latent-teacher',
  description: 'train the class-conditional latent U-Net teacher (label dropout for CFG) on autoencoder latents; FID vs guidance w',
  schema: latentTeacherSchema,
  setup: (c) => setupLatentTeacher(c),
  step: latentTeacherStep,
  state: {
    kind: 'latent-teacher-train',
    label: 'latent-teacher training',
    groups: (s) => [
      ['net', s.net.params],
      ['ema', s.ema.params],
    ],
    adam: (s) => s.adam,
    save: (s) => ({ rng: s.rng.state() }),
    load: (s, meta) => {
      s.rng = restoreRng(meta.rng as RngState);
    },
  },
  params: (s) => s.net.params,
  evaluate: finishLatentTeacher,
  dispose: disposeLatentTeacher,
});
