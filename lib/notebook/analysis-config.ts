/**
 * The config of the analysis notebooks that train nothing (02: sub-paths and the SL-ODE on an exact teacher),
 * validated at the edge like every experiment config: `experiments/notebooks/subpaths.json`.
 */
import { z } from 'zod';
import { parseConfig, readConfigFile } from '../config.js';
import { applyOverrides } from '../experiments/overrides.js';
import { mixtureSchema, scheduleSchema } from '../experiments/mixture-config.js';

export const subPathStudySchema = z
  .object({
    kind: z.literal('subpath-study'),
    name: z.string().min(1),
    experiment: z.string().min(1).default('notebooks'),
    seed: z.number().int().default(0),
    schedule: scheduleSchema.prefault({}),
    mixture: mixtureSchema,
    /** Points of the DDIM grid (skip k = N / numDdimTimesteps), as in training. */
    numDdimTimesteps: z.number().int().min(1).default(50),
    /** Trajectories drawn in the figures (2-D data only). */
    paths: z.number().int().min(1).max(64).default(6),
    /** Noises for the error statistics. */
    samples: z.number().int().min(1).default(256),
    /** γ values marked along each SL-ODE. */
    gammas: z.array(z.number().min(0).max(1)).min(2).default([0, 0.25, 0.5, 0.75, 1]),
    /** RK4 steps per exact sub-path jump. */
    referenceSubsteps: z.number().int().min(4).default(40),
    /** Sub-paths to step through, by index from the noisy end. */
    stepThrough: z.array(z.number().int().min(0)).min(1).default([0, 12, 25, 40, 49]),
  })
  .strict();
export type SubPathStudyConfig = z.output<typeof subPathStudySchema>;

/** Read, override (`path=value`) and validate. @throws ConfigError naming the field, value and what is allowed. */
export function readSubPathStudy(file: string, overrides: readonly string[] = []): SubPathStudyConfig {
  return parseConfig(subPathStudySchema, applyOverrides(readConfigFile(file), overrides), file);
}
