/**
 * Sample-quality metrics for the distillation experiments on low-dimensional data: same-noise error against the exact
 * PF-ODE endpoints, sliced W2, unbiased MMD², and mode coverage / log-density under a known mixture.
 * {@link evaluateSamples} runs whichever apply and returns one flat record of numbers, ready for `run.logMetrics`.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError } from '../errors.js';
import { makeRng } from '../data/rng.js';
import type { Mixture } from '../analytic/mixture.js';
import { checkPoints } from './checks.js';
import { sameNoiseError } from './sameNoise.js';
import { slicedWasserstein2, type Sw2Options } from './sw2.js';
import { mmd, type MmdOptions } from './mmd.js';
import { meanLogDensity, modeCoverage, type CoverageOptions } from './coverage.js';

export { sameNoiseError, type SameNoiseError } from './sameNoise.js';
export { featureStats, frechetDistance, fid } from './fid.js';
export { precisionRecall } from './precision-recall.js';
export { slicedWasserstein2, w2Squared1d, DEFAULT_PROJECTIONS, DEFAULT_SW2_SEED, type Sw2Options } from './sw2.js';
export {
  mmd,
  DEFAULT_BLOCK_SIZE,
  DEFAULT_MEDIAN_POINTS,
  DEFAULT_MMD_SEED,
  type MmdBandwidth,
  type MmdOptions,
  type MmdResult,
} from './mmd.js';
export {
  cleanLogResponsibilities,
  meanLogDensity,
  modeCoverage,
  DEFAULT_K_SIGMA,
  DEFAULT_MIN_FRACTION,
  type CoverageOptions,
  type ModeCoverage,
} from './coverage.js';

/** Options of {@link evaluateSamples}; each metric group runs only when its input is given. */
export interface EvaluateOptions {
  /**
   * Reference point set [m, D] for the distribution metrics (SW2, MMD²): true data samples, or the exact PF-ODE
   * endpoints. m may differ from n.
   */
  reference?: tf.Tensor2D;
  /**
   * Exact PF-ODE endpoints from the SAME initial noise as `samples`, same shape, row b paired with row b: adds the
   * same-noise error (`sameNoiseMean`, `sameNoiseStd`, `sameNoiseMax`).
   */
  endpoints?: tf.Tensor;
  /** The known data mixture: adds `coverage`, `highQuality`, `modeKl`, `logDensity`. */
  mixture?: Mixture;
  /** Seed for SW2's directions and MMD's median subsample (split into one stream each). Default 0. */
  seed?: number;
  /** SW2 settings (projections); the directions come from `seed`. */
  sw2?: Omit<Sw2Options, 'rng'>;
  /** MMD settings (bandwidth, blockSize, medianPoints); the subsample comes from `seed`. */
  mmd?: Omit<MmdOptions, 'rng'>;
  /** Coverage thresholds (minFraction, kSigma). */
  coverage?: CoverageOptions;
}

/**
 * A flat record of numbers, ready for `run.logMetrics`. Only the keys of the metric groups that ran are present:
 * - always: `n` (number of samples);
 * - with `endpoints`: `sameNoiseMean`, `sameNoiseStd`, `sameNoiseMax` (per-sample RMS, {@link sameNoiseError});
 * - with `reference`: `sw2` ({@link slicedWasserstein2}), `mmd2` and `mmdBandwidth` (the first bandwidth used,
 *   {@link mmd});
 * - with `mixture`: `coverage`, `highQuality`, `modeKl` ({@link modeCoverage}), `logDensity`
 *   ({@link meanLogDensity}).
 */
export type SampleMetrics = Record<string, number> & {
  n: number;
  sameNoiseMean?: number;
  sameNoiseStd?: number;
  sameNoiseMax?: number;
  sw2?: number;
  mmd2?: number;
  mmdBandwidth?: number;
  coverage?: number;
  highQuality?: number;
  modeKl?: number;
  logDensity?: number;
};

/**
 * Evaluate a student's samples with every metric its options allow (see {@link SampleMetrics}).
 * @param samples student samples, [n, D], n ≥ 2 when `reference` is given (MMD² needs two points), else n ≥ 1.
 * @throws ShapeError / ArgumentError from the metrics it runs (naming that metric's function), and ArgumentError
 *   (fn `evaluateSamples`, arg `seed`) for a seed that is not a safe integer.
 */
export function evaluateSamples(samples: tf.Tensor2D, opts: EvaluateOptions = {}): SampleMetrics {
  const fn = 'evaluateSamples';
  const [n] = checkPoints(fn, 'samples', samples, 1);
  const seed = opts.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new ArgumentError(fn, 'seed', seed, 'a safe integer');
  const root = makeRng(seed);
  // One independent stream per randomised metric, split in a fixed order so each is reproducible on its own.
  const sw2Rng = root.split();
  const mmdRng = root.split();
  const out: SampleMetrics = { n };
  if (opts.endpoints !== undefined) {
    const e = sameNoiseError(samples, opts.endpoints);
    out.sameNoiseMean = e.mean;
    out.sameNoiseStd = e.std;
    out.sameNoiseMax = e.max;
  }
  if (opts.reference !== undefined) {
    out.sw2 = slicedWasserstein2(samples, opts.reference, { ...opts.sw2, rng: sw2Rng });
    const r = mmd(samples, opts.reference, { ...opts.mmd, rng: mmdRng });
    out.mmd2 = r.mmd2;
    out.mmdBandwidth = r.bandwidths[0];
  }
  if (opts.mixture !== undefined) {
    const c = modeCoverage(opts.mixture, samples, opts.coverage);
    out.coverage = c.coverage;
    out.highQuality = c.highQuality;
    out.modeKl = c.kl;
    out.logDensity = meanLogDensity(opts.mixture, samples);
  }
  return out;
}
