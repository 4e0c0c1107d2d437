/** `kind: "classifier"` for `splam run`. */
import { classifierSchema, runClassifier } from './run.js';
import { defineKind } from '../kind.js';

export const classifierKind = defineKind({
  schema: classifierSchema,
  kind: 'classifier',
  description: 'train the Fashion-MNIST CNN whose penultimate layer is the feature space of the image FID',
  experimentOf: (c) => c.experiment,
  seedOf: (c) => c.seed,
  run: (config, ctx) => runClassifier(config, ctx),
});
