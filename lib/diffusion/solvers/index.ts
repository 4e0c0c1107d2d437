/**
 * The solvers, and the one name → function table (used at the config/CLI boundary only; code passes functions).
 */
import { ddim } from './ddim.js';
import { dpmpp2m } from './dpmpp2m.js';
import { euler } from './euler.js';
import { heun } from './heun.js';
import { reference } from './reference.js';
import type { Solver } from './common.js';

export { ddim, dpmpp2m, euler, heun, reference };
export type { Solver, SolveResult, SolverOptions, StepInfo } from './common.js';

export const SOLVERS = { ddim, euler, heun, dpmpp2m, reference } satisfies Record<string, Solver>;
export type SolverName = keyof typeof SOLVERS;
export const SOLVER_NAMES = Object.keys(SOLVERS) as SolverName[];

/** Denoiser evaluations per step (reference: per RK4 sub-step). */
export const NFE_PER_STEP: Record<SolverName, number> = { ddim: 1, euler: 1, heun: 2, dpmpp2m: 1, reference: 4 };
