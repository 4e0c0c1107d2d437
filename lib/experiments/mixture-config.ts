/**
 * Config schemas shared by the exact-teacher experiments: the schedule and the mixture data sets.
 * Each default is written once, here, beside its source.
 */
import { z } from 'zod';
import { SCHEDULE_NAMES, type ScheduleSpec } from '../diffusion/schedules.js';
import type { MixtureSpec } from '../analytic/mixture.js';
import { randomMixture, ringMixture } from '../analytic/mixtures.js';

export const scheduleSchema = z
  .object({
    /** Default scaled-linear (Stable Diffusion v1.5, the SPLAM teacher). */
    name: z.enum(SCHEDULE_NAMES).default('scaled-linear'),
    /** Training steps N; default 1000. */
    N: z.number().int().min(2).default(1000),
    betaStart: z.number().gt(0).lt(1).optional(),
    betaEnd: z.number().gt(0).lt(1).optional(),
  })
  .strict();

const positive = z.number().gt(0);

export const mixtureSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('ring'),
      modes: z.number().int().min(1).default(8),
      radius: positive.default(2),
      variance: positive.default(0.05),
    })
    .strict(),
  z
    .object({
      type: z.literal('random'),
      dim: z.number().int().min(1),
      components: z.number().int().min(1),
      seed: z.number().int().default(0),
      meanScale: positive.default(1),
      varianceRange: z.tuple([positive, positive]).default([0.05, 0.3]),
    })
    .strict(),
  z
    .object({
      type: z.literal('explicit'),
      weights: z.array(positive).min(1),
      means: z.array(z.array(z.number()).min(1)).min(1),
      variances: z.array(z.union([positive, z.array(positive).min(1)])).min(1),
    })
    .strict(),
]);

export type MixtureConfig = z.output<typeof mixtureSchema>;

/** The mixture a config describes. */
export function mixtureFromConfig(c: MixtureConfig): MixtureSpec {
  switch (c.type) {
    case 'ring':
      return ringMixture(c.modes, c.radius, c.variance);
    case 'random':
      return randomMixture({ dim: c.dim, components: c.components, seed: c.seed, meanScale: c.meanScale, varianceRange: c.varianceRange as [number, number] });
    case 'explicit':
      return { weights: c.weights, means: c.means, variances: c.variances };
  }
}

export function scheduleFromConfig(c: z.output<typeof scheduleSchema>): ScheduleSpec {
  return { name: c.name, N: c.N, betaStart: c.betaStart, betaEnd: c.betaEnd };
}
