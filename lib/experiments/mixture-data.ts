/**
 * The data of an exact-teacher experiment: an unconditional mixture, or a class-conditional one whose teacher is
 * guided. Gives training batches, the exact teacher (ε*), and the mixture a sample set is judged against.
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { makeConditionalMixture, conditionalDenoiser, classMixture, type ConditionalMixture } from '../analytic/conditional.js';
import { makeMixture, mixtureDenoiser, sampleMixtureArray, type Mixture } from '../analytic/mixture.js';
import type { Rng } from '../data/rng.js';
import { guided, GUIDANCE_CONVENTIONS, type ClassCond, type GuidanceConvention } from '../diffusion/guidance.js';
import type { Schedule } from '../diffusion/schedules.js';
import type { Denoiser } from '../diffusion/types.js';
import { mixtureFromConfig, mixtureSchema } from './mixture-config.js';

export const dataSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('mixture'), mixture: mixtureSchema }).strict(),
  z
    .object({
      type: z.literal('conditional'),
      classes: z.array(mixtureSchema).min(2),
      classWeights: z.array(z.number().gt(0)).optional(),
    })
    .strict(),
]);
export type DataConfig = z.output<typeof dataSchema>;

export const guidanceSchema = z
  .object({
    /** Guidance strength; SPLAM's code fixes w = 8 in LCM's convention (CFG scale 9). */
    w: z.number().default(8),
    convention: z.enum(GUIDANCE_CONVENTIONS).default('lcm'),
  })
  .strict();
export type GuidanceConfig = z.output<typeof guidanceSchema>;

export interface ExperimentData {
  D: number;
  /** 0 for unconditional data. */
  numClasses: number;
  /** n training samples and their class labels (empty for unconditional data). */
  sample(n: number, rng: Rng): { x: tf.Tensor2D; labels: number[] };
  /** Class labels for n evaluation samples, drawn from the class prior (empty for unconditional data). */
  sampleLabels(n: number, rng: Rng): number[];
  /** The exact ε* of the data (unguided; labels −1 = unconditional). */
  exact: Denoiser<ClassCond>;
  /** The exact teacher the student distils: guided for conditional data. */
  exactTeacher(guidance: GuidanceConfig): Denoiser<ClassCond>;
  /** The mixture samples of class `label` are judged against (the whole mixture when unconditional). */
  mixtureFor(label?: number): Mixture;
  conditional?: ConditionalMixture;
}

export function makeExperimentData(c: DataConfig, schedule: Schedule): ExperimentData {
  if (c.type === 'mixture') {
    const m = makeMixture(mixtureFromConfig(c.mixture));
    const eps = mixtureDenoiser(m, schedule);
    return {
      D: m.D,
      numClasses: 0,
      sample: (n, rng) => {
        const { values } = sampleMixtureArray(m, n, rng);
        return { x: tf.tensor2d(Float32Array.from(values), [n, m.D]), labels: [] };
      },
      sampleLabels: () => [],
      exact: (x, t) => eps(x, t),
      exactTeacher: () => (x, t) => eps(x, t),
      mixtureFor: () => m,
    };
  }
  const cm = makeConditionalMixture({ classes: c.classes.map(mixtureFromConfig), classWeights: c.classWeights });
  const classOf = (component: number) => {
    let k = 0;
    while (component >= cm.offsets[k + 1]) k++;
    return k;
  };
  const exact = conditionalDenoiser(cm, schedule);
  return {
    D: cm.D,
    numClasses: cm.numClasses,
    sample: (n, rng) => {
      const { values, labels } = sampleMixtureArray(cm.marginal, n, rng);
      return { x: tf.tensor2d(Float32Array.from(values), [n, cm.D]), labels: Array.from(labels, classOf) };
    },
    sampleLabels: (n, rng) => {
      const cum: number[] = [];
      let acc = 0;
      for (const w of cm.classWeights) cum.push((acc += w));
      return Array.from({ length: n }, () => {
        const u = rng.uniform() * acc;
        let k = 0;
        while (k < cum.length - 1 && u >= cum[k]) k++;
        return k;
      });
    },
    exact,
    exactTeacher: (g) => guided(exact, g.w, g.convention as GuidanceConvention),
    mixtureFor: (label) => (label === undefined ? cm.marginal : classMixture(cm, label)),
    conditional: cm,
  };
}
