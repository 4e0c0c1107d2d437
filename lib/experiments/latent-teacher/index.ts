/** `kind: "latent-teacher"` for `splam run`. */
import { defineTrainingKind, oneRngStream } from '../training-kind.js';
import { latentTeacherSchema } from './config.js';
import { disposeLatentTeacher, finishLatentTeacher, latentTeacherStep, setupLatentTeacher, type LatentTeacherState } from './run.js';

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
    ...oneRngStream<LatentTeacherState>(),
  },
  params: (s) => s.net.params,
  evaluate: finishLatentTeacher,
  dispose: disposeLatentTeacher,
});
