/**
 * Distributions of γ, the position on the SL-ODE, drawn per sample during distillation.
 * The official code draws γ ~ U[0, 1] (`torch.rand`, code L1149–1160); γ ≡ 1 is LCM exactly.
 */
import { ArgumentError } from '../errors.js';
import type { Rng } from '../data/rng.js';

export type GammaDistribution =
  /** γ ~ U[0, 1] (the official code; the default). */
  | { kind: 'uniform' }
  /** γ ≡ value; value = 1 is LCM. */
  | { kind: 'fixed'; value: number }
  /** γ = U^{1/p}, density p·γ^{p−1}: skewed towards 1 for p > 1 (mean p/(p+1)); p = 1 is uniform. */
  | { kind: 'power'; p: number };

export const GAMMA_KINDS = ['uniform', 'fixed', 'power'] as const;

/** @throws ArgumentError for an unknown kind, a fixed value outside [0, 1] or p ≤ 0. */
export function checkGammaDistribution(d: GammaDistribution): void {
  const fn = 'checkGammaDistribution';
  if (!(GAMMA_KINDS as readonly string[]).includes(d.kind)) throw new ArgumentError(fn, 'kind', d.kind, `one of ${GAMMA_KINDS.join(', ')}`);
  if (d.kind === 'fixed' && !(d.value >= 0 && d.value <= 1)) throw new ArgumentError(fn, 'value', d.value, 'a number in [0, 1]');
  if (d.kind === 'power' && !(d.p > 0 && Number.isFinite(d.p))) throw new ArgumentError(fn, 'p', d.p, 'a finite number > 0');
}

/** Draw n values of γ. */
export function sampleGamma(d: GammaDistribution, n: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = d.kind === 'uniform' ? rng.uniform() : d.kind === 'fixed' ? d.value : Math.pow(rng.uniform(), 1 / d.p);
  }
  return out;
}

/** LCM's γ distribution. */
export const LCM_GAMMA: GammaDistribution = { kind: 'fixed', value: 1 };
