/**
 * Standard Gaussian-mixture data sets for the exact-teacher experiments, as {@link MixtureSpec}s (pure data).
 */
import { ArgumentError } from '../errors.js';
import type { MixtureSpec } from './mixture.js';
import { makeRng } from '../data/rng.js';

/** `modes` isotropic Gaussians evenly spaced on a circle of `radius` in 2-D, equal weights. */
export function ringMixture(modes = 8, radius = 2, variance = 0.05): MixtureSpec {
  if (!Number.isInteger(modes) || modes < 1) throw new ArgumentError('ringMixture', 'modes', modes, 'an integer ≥ 1');
  const means = Array.from({ length: modes }, (_, i) => {
    const a = (2 * Math.PI * i) / modes;
    return [radius * Math.cos(a), radius * Math.sin(a)];
  });
  return { weights: new Array(modes).fill(1), means, variances: new Array(modes).fill(variance) };
}

export interface RandomMixtureOptions {
  /** Dimension D. */
  dim: number;
  /** Number of components K. */
  components: number;
  /** Seed of the means, variances and weights. */
  seed: number;
  /** Means are N(0, meanScale²·I / D)·√D, i.e. each coordinate N(0, meanScale²). Default 1. */
  meanScale?: number;
  /** Diagonal variances drawn uniformly from this range. Default [0.05, 0.3]. */
  varianceRange?: [number, number];
}

/** A seeded random mixture with diagonal components in D dimensions; weights uniform in [0.5, 1.5] before normalising. */
export function randomMixture(o: RandomMixtureOptions): MixtureSpec {
  const fn = 'randomMixture';
  if (!Number.isInteger(o.dim) || o.dim < 1) throw new ArgumentError(fn, 'dim', o.dim, 'an integer ≥ 1');
  if (!Number.isInteger(o.components) || o.components < 1) throw new ArgumentError(fn, 'components', o.components, 'an integer ≥ 1');
  const [v0, v1] = o.varianceRange ?? [0.05, 0.3];
  if (!(v0 > 0 && v1 >= v0)) throw new ArgumentError(fn, 'varianceRange', [v0, v1], '0 < low ≤ high');
  const rng = makeRng(o.seed);
  const scale = o.meanScale ?? 1;
  const means = Array.from({ length: o.components }, () => Array.from(rng.normalArray(o.dim, 'float64'), (v) => v * scale));
  const variances = Array.from({ length: o.components }, () => Array.from({ length: o.dim }, () => v0 + (v1 - v0) * rng.uniform()));
  const weights = Array.from({ length: o.components }, () => 0.5 + rng.uniform());
  return { weights, means, variances };
}
