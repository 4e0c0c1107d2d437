/**
 * The evaluation noise every exact-teacher evaluation shares: n initial states x_T ~ N(0, I) at t = N − 1 and, for
 * class-conditional data, their labels, drawn from one seeded stream in that order; plus the exact PF-ODE endpoints
 * of those states (reference RK4 on the exact teacher). Two runs with the same seed are judged on the same noise.
 */
import * as tf from '@tensorflow/tfjs';
import { makeRng } from '../data/rng.js';
import type { ClassCond } from '../diffusion/guidance.js';
import type { Schedule } from '../diffusion/schedules.js';
import { SOLVERS } from '../diffusion/solvers/index.js';
import type { Denoiser } from '../diffusion/types.js';
import type { ExperimentData } from './mixture-data.js';

export interface EvalNoise {
  /** Initial states at t = N − 1, [n, D]. */
  xT: tf.Tensor2D;
  /** Class labels (empty for unconditional data). */
  labels: number[];
  cond: ClassCond | undefined;
  /** Exact PF-ODE endpoints of xT, [n, D], row b paired with xT row b. */
  endpoints: tf.Tensor2D;
  dispose(): void;
}

export function evalNoise(data: ExperimentData, schedule: Schedule, exactTeacher: Denoiser<ClassCond>, o: { seed: number; samples: number; referenceSubsteps: number }): EvalNoise {
  const rng = makeRng(o.seed);
  const n = o.samples;
  const xT = tf.tensor2d(rng.normalArray(n * data.D), [n, data.D]);
  const labels = data.sampleLabels(n, rng);
  const cond = labels.length ? { labels } : undefined;
  const endpoints = SOLVERS.reference(exactTeacher, schedule, xT, [schedule.N - 1, 0], { substeps: o.referenceSubsteps, cond }).x as tf.Tensor2D;
  return { xT, labels, cond, endpoints, dispose: () => tf.dispose([xT, endpoints]) };
}
