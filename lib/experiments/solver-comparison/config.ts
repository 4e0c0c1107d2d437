/** The config of `kind: "solver-comparison"` (validated at the edge by `splam run`; defaults written here once). */
import { z } from 'zod';
import { configHead } from '../config-fields.js';
import { SPACINGS } from '../../diffusion/grids.js';
import type { SolverName } from '../../diffusion/solvers/index.js';
import { mixtureSchema, scheduleSchema } from '../mixture-config.js';

export const TRAINING_FREE = ['ddim', 'euler', 'heun', 'dpmpp2m'] as const satisfies readonly SolverName[];

export const solverComparisonSchema = z
  .object({
    ...configHead('solver-comparison', 'solvers'),
    schedule: scheduleSchema.prefault({}),
    datasets: z
      .array(z.object({ name: z.string().min(1), mixture: mixtureSchema }).strict())
      .min(1),
    solvers: z.array(z.enum(TRAINING_FREE)).min(1).default([...TRAINING_FREE]),
    /** NFE budgets; a solver with c NFE per step gets ⌊nfe / c⌋ steps (skipped when 0). */
    nfe: z.array(z.number().int().min(1)).min(1).default([2, 4, 8, 16, 32, 64]),
    /** Time grid spacings to compare: uniform in t and/or uniform in λ. Default both. */
    spacings: z.array(z.enum(SPACINGS)).min(1).default(['uniform', 'lambda']),
    /** Samples per data set. Default 512. */
    samples: z.number().int().min(1).default(512),
    /** RK4 steps of the reference solve. Default 2000. */
    referenceSubsteps: z.number().int().min(10).default(2000),
  })
  .strict();

export type SolverComparisonConfig = z.output<typeof solverComparisonSchema>;
