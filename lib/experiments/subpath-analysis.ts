/**
 * Sub-path analysis of a distilled student against the exact PF-ODE (reference RK4 on the exact teacher), on
 * fixed noises: per sub-path of the training grid, the local error of one consistency jump and the cumulative
 * error of the deterministic chain (γ = 1), and the error along the SL-ODE of chosen sub-paths as a function of
 * γ, the cleaner end from the teacher's DDIM step as in training. Used by notebook 03 and
 * scripts/analyze-subpaths.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { makeRng } from '../data/rng.js';
import { boundaries } from '../splam/grid.js';
import {
  consistencyJump,
  denoiserJump,
  gammaErrors,
  referenceFlow,
  trajectoryErrors,
  type GammaErrorCurve,
  type TrajectoryErrorReport,
} from '../splam/trajectory-error.js';
import type { LoadedDistillRun } from './load-run.js';

export interface SubPathAnalysisOptions {
  /** Noises. Default 256. */
  samples?: number;
  /** γ values along each SL-ODE. Default [0, 0.25, 0.5, 0.75, 1]. */
  gammas?: number[];
  /** Sub-path starts t (DDPM index) whose γ curves to measure; those not on the grid are skipped. Default six. */
  gammaStarts?: number[];
  /** RK4 sub-steps per exact jump. Default 40. */
  referenceSubsteps?: number;
  /** Seed of the noises. Default 7. */
  seed?: number;
  /** Row label (a metric-key-safe name, e.g. `SPLAM-matched`); default the run's method, LCM or SPLAM. */
  label?: string;
}

export interface SubPathAnalysis {
  id: string;
  /** The run's method (LCM or SPLAM) or the label asked for. */
  method: string;
  trajectory: TrajectoryErrorReport;
  gamma: GammaErrorCurve[];
  /** Mean over sub-paths of the mean local jump error. */
  meanLocal: number;
}

export const DEFAULT_GAMMAS = [0, 0.25, 0.5, 0.75, 1];

/** Analyse one loaded distillation run (see the module doc). */
export function analyzeSubPaths(run: LoadedDistillRun, opts: SubPathAnalysisOptions = {}): SubPathAnalysis {
  const { state: s } = run;
  const n = opts.samples ?? 256;
  const gammas = opts.gammas ?? DEFAULT_GAMMAS;
  const rng = makeRng(opts.seed ?? 7);
  const xT = tf.tensor2d(rng.normalArray(n * s.data.D), [n, s.data.D]);
  try {
    const exact = referenceFlow(s.exactTeacher, s.schedule, opts.referenceSubsteps ?? 40);
    const times = boundaries(s.grid);
    const trajectory = trajectoryErrors(consistencyJump(run.f, s.schedule), exact, xT, times);
    const pick = (opts.gammaStarts ?? [999, 759, 499, 259, 99, 19]).filter((t) => times.includes(t));
    const gamma = gammaErrors(run.f, exact, s.schedule, xT, times, { gammas, start: denoiserJump(s.exactTeacher, s.schedule) }).filter((cv) => pick.includes(cv.t));
    const meanLocal = trajectory.subPaths.reduce((a, p) => a + p.local.mean, 0) / trajectory.subPaths.length;
    return { id: run.record.id, method: opts.label ?? run.method, trajectory, gamma, meanLocal };
  } finally {
    xT.dispose();
  }
}
