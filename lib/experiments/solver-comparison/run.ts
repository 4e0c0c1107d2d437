/**
 * Exact-teacher solver comparison: for each mixture and each training-free solver, the error of the data-end
 * state against the reference flow at a given number of denoiser evaluations (NFE), on the same noise.
 *
 * Error: per-sample RMS over dimensions of x_0(solver) − x_0(reference), averaged over samples (same-noise error).
 * The reference is RK4 in log ς with `referenceSubsteps` steps (lib/diffusion/solvers/reference.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { makeMixture, mixtureDenoiser } from '../../analytic/mixture.js';
import { makeRng } from '../../data/rng.js';
import { timeGrid, type Spacing } from '../../diffusion/grids.js';
import { makeSchedule } from '../../diffusion/schedules.js';
import { NFE_PER_STEP, SOLVERS, type SolverName } from '../../diffusion/solvers/index.js';
import { perSampleRmsAsync, stat, type ErrorStat } from '../../metrics/per-sample.js';
import { mixtureFromConfig, scheduleFromConfig } from '../mixture-config.js';
import type { SolverComparisonConfig } from './config.js';

export interface SolverComparisonRow {
  dataset: string;
  dim: number;
  solver: SolverName;
  spacing: Spacing;
  steps: number;
  nfe: number;
  error: ErrorStat;
  /** Wall-clock of the solve, ms. */
  ms: number;
}

export interface SolverComparisonResult {
  rows: SolverComparisonRow[];
  /** Per data set: reference solve time (ms) and its self-check (RK4 with half the steps against full). */
  reference: { dataset: string; ms: number; halfStepDiff: number }[];
}

export type Progress = (e: { done: number; total: number; label: string }) => void;

/**
 * Run the comparison. Pure apart from the tensor backend; the caller records the result. Each solve is timed to
 * its result on the host (`await data()`), so the times mean the same on eager and on asynchronous (WebGPU) backends.
 */
export async function runSolverComparison(config: SolverComparisonConfig, onProgress?: Progress): Promise<SolverComparisonResult> {
  const schedule = makeSchedule(scheduleFromConfig(config.schedule));
  const rng = makeRng(config.seed);
  const rows: SolverComparisonRow[] = [];
  const reference: SolverComparisonResult['reference'] = [];
  const total = config.datasets.length * (1 + config.solvers.length * config.spacings.length * config.nfe.length);
  let done = 0;
  const tick = (label: string) => onProgress?.({ done: ++done, total, label });

  for (const ds of config.datasets) {
    const mixture = makeMixture(mixtureFromConfig(ds.mixture));
    const denoise = mixtureDenoiser(mixture, schedule);
    const x = tf.tensor2d(rng.normalArray(config.samples * mixture.D), [config.samples, mixture.D]);
    const tStart = schedule.N - 1;
    const t0 = performance.now();
    const ref = SOLVERS.reference(denoise, schedule, x, [tStart, 0], { substeps: config.referenceSubsteps }).x;
    await ref.data();
    const refMs = performance.now() - t0;
    const half = SOLVERS.reference(denoise, schedule, x, [tStart, 0], { substeps: Math.ceil(config.referenceSubsteps / 2) }).x;
    const halfStepDiff = Math.max(...(await perSampleRmsAsync(half, ref)));
    half.dispose();
    reference.push({ dataset: ds.name, ms: refMs, halfStepDiff });
    tick(`${ds.name}: reference`);
    for (const solver of config.solvers) {
      for (const spacing of config.spacings) {
        for (const nfe of config.nfe) {
          const steps = Math.floor(nfe / NFE_PER_STEP[solver]);
          if (steps >= 1) {
            const t1 = performance.now();
            const out = SOLVERS[solver](denoise, schedule, x, timeGrid(schedule, steps, { spacing }));
            await out.x.data();
            const ms = performance.now() - t1;
            rows.push({ dataset: ds.name, dim: mixture.D, solver, spacing, steps, nfe: out.nfe, error: stat(await perSampleRmsAsync(out.x, ref)), ms });
            out.x.dispose();
          }
          tick(`${ds.name}: ${solver} ${spacing} nfe=${nfe}`);
        }
      }
    }
    tf.dispose([x, ref]);
  }
  return { rows, reference };
}

/** A fixed-width table of the rows, one line per (data set, solver, spacing), NFE across. */
export function formatSolverTable(result: SolverComparisonResult): string {
  const nfes = [...new Set(result.rows.map((r) => r.nfe))].sort((a, b) => a - b);
  const head = ['dataset', 'solver', 'spacing', ...nfes.map((n) => `NFE ${n}`)];
  const lines = [head.map((h, i) => (i < 3 ? h.padEnd(10) : h.padStart(9))).join(' ')];
  const keys = [...new Set(result.rows.map((r) => [r.dataset, r.solver, r.spacing].join('\u0000')))];
  for (const key of keys) {
    const [dataset, solver, spacing] = key.split('\u0000');
    const cells = nfes.map((n) => {
      const row = result.rows.find((r) => r.dataset === dataset && r.solver === solver && r.spacing === spacing && r.nfe === n);
      return (row ? row.error.mean.toExponential(2) : '—').padStart(9);
    });
    lines.push([dataset.padEnd(10), solver.padEnd(10), spacing.padEnd(10), ...cells].join(' '));
  }
  return lines.join('\n');
}
