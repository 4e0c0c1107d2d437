/** `kind: "splad"` for `splam run`. */
import type { ImageSet } from '../../data/fashion-mnist.js';
import { defineTrainingKind, oneRngStream } from '../training-kind.js';
import { spladSchema } from './config.js';
import { disposeSplad, finishSplad, setupSplad, spladMonitor, spladStep, type SpladState } from './run.js';

export const spladKind = defineTrainingKind({
  kind: 'splad',
  description: 'SPLAD: SPLAM / LCM distillation of the guided latent teacher into a latent U-Net student, FID at 1–8 steps',
  schema: spladSchema,
  /** `latents`: the training latents when already encoded (tests); else the config's split, encoded in setup. */
  setup: (c, latents: ImageSet | undefined) => setupSplad(c, latents),
  step: spladStep,
  state: {
    kind: 'splad',
    label: 'SPLAD',
    groups: (s) => [
      ['student', s.student.params],
      ['target', s.target.params],
    ],
    adam: (s) => s.adam,
    ...oneRngStream<SpladState>(),
    missingHint: ' (config changed since it was written?)',
  },
  params: (s) => s.student.params,
  monitor: spladMonitor,
  evaluate: finishSplad,
  dispose: disposeSplad,
});
