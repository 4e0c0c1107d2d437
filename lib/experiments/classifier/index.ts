/** `kind: "classifier"` for `splam run`. */
import { defineTrainingKind } from '../training-kind.js';
import { classifierSchema } from './config.js';
import { classifierMonitor, classifierStep, disposeClassifier, finishClassifier, setupClassifier, type ClassifierData } from './run.js';

export const classifierKind = defineTrainingKind({
  kind: 'classifier',
  description: 'train the Fashion-MNIST CNN whose penultimate layer is the feature space of the image FID',
  schema: classifierSchema,
  /** `data`: small sets from tests; else the config's splits. */
  setup: (c, data: ClassifierData | undefined) => setupClassifier(c, data),
  step: classifierStep,
  state: {
    kind: 'classifier-train',
    label: 'classifier training',
    groups: (s) => [['net', s.net.params]],
    adam: (s) => s.adam,
  },
  totalSteps: (_, s) => s.totalSteps,
  params: (s) => s.net.params,
  monitor: classifierMonitor,
  evaluate: finishClassifier,
  dispose: disposeClassifier,
});
