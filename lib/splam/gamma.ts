/**
 * Distributions of γ, the position on the SL-ODE, drawn per sample during distillation.
 * The official code draws γ ~ U[0, 1] (`torch.rand`,
 * MCG-NJU/SPLAM@dc442bf:splam/train_splam_distill_sd_wds.py:1149-1160); γ ≡ 1 is LCM exactly.
 *
 * Two distributions depend on where training is: {@link sampleGamma} takes the fraction of training done,
 * `progress` ∈ [0, 1] (stepsDone / totalSteps), so a run and its resumed copy draw the same γ.
 */
import { ArgumentError } from '../errors.js';
import type { Rng } from '../data/rng.js';

/** A value that moves linearly from `from` (progress 0) to `to` (progress 1). */
export interface Ramp {
  from: number;
  to: number;
}

export type GammaDistribution =
  /** γ ~ U[0, 1] (the official code; the default). */
  | { kind: 'uniform' }
  /** γ ≡ value; value = 1 is LCM. */
  | { kind: 'fixed'; value: number }
  /** γ = U^{1/p}, density p·γ^{p−1}: skewed towards 1 for p > 1 (mean p/(p+1)); p = 1 is uniform. */
  | { kind: 'power'; p: number }
  /**
   * γ = 1 with probability p (LCM's own sample: the inference setting), else γ ~ U[0, 1]. p = 0 is the code's
   * uniform; p = 1 is LCM.
   */
  | { kind: 'mixture'; p: number }
  /**
   * γ ~ U[lo, hi] with lo and hi ramping linearly over training. `lo: {from: 0, to: 1}, hi: {from: 1, to: 1}`
   * starts at the code's U[0, 1] and ends at LCM's γ = 1: from the easy end of every sub-path (γ = 0, an
   * identity-like map of the solver point) towards the inference task (γ = 1), the direction of SPLAM's
   * "progressive" error estimate.
   */
  | { kind: 'curriculum'; lo: Ramp; hi: Ramp };

export const GAMMA_KINDS = ['uniform', 'fixed', 'power', 'mixture', 'curriculum'] as const;

const inUnit = (v: number) => v >= 0 && v <= 1;

/** @throws ArgumentError for an unknown kind, a value, probability or ramp end outside [0, 1], lo > hi, or p ≤ 0. */
export function checkGammaDistribution(d: GammaDistribution): void {
  const fn = 'checkGammaDistribution';
  if (!(GAMMA_KINDS as readonly string[]).includes(d.kind)) throw new ArgumentError(fn, 'kind', d.kind, `one of ${GAMMA_KINDS.join(', ')}`);
  if (d.kind === 'fixed' && !inUnit(d.value)) throw new ArgumentError(fn, 'value', d.value, 'a number in [0, 1]');
  if (d.kind === 'power' && !(d.p > 0 && Number.isFinite(d.p))) throw new ArgumentError(fn, 'p', d.p, 'a finite number > 0');
  if (d.kind === 'mixture' && !inUnit(d.p)) throw new ArgumentError(fn, 'p', d.p, 'a probability in [0, 1]');
  if (d.kind === 'curriculum') {
    for (const [name, r] of [['lo', d.lo], ['hi', d.hi]] as const) {
      for (const end of ['from', 'to'] as const) if (!inUnit(r[end])) throw new ArgumentError(fn, `${name}.${end}`, r[end], 'a number in [0, 1]');
    }
    for (const end of ['from', 'to'] as const) {
      if (d.lo[end] > d.hi[end]) throw new ArgumentError(fn, `lo.${end}`, d.lo[end], `at most hi.${end} = ${d.hi[end]}`);
    }
  }
}

const rampAt = (r: Ramp, progress: number) => r.from + (r.to - r.from) * progress;

/**
 * Draw n values of γ.
 * @param progress fraction of training done, in [0, 1] (used by `curriculum` only; default 0).
 */
export function sampleGamma(d: GammaDistribution, n: number, rng: Rng, progress = 0): Float32Array {
  if (!(progress >= 0 && progress <= 1)) throw new ArgumentError('sampleGamma', 'progress', progress, 'a fraction in [0, 1]');
  const out = new Float32Array(n);
  if (d.kind === 'curriculum') {
    const lo = rampAt(d.lo, progress);
    const hi = rampAt(d.hi, progress);
    for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rng.uniform();
    return out;
  }
  if (d.kind === 'mixture') {
    for (let i = 0; i < n; i++) out[i] = rng.uniform() < d.p ? 1 : rng.uniform();
    return out;
  }
  for (let i = 0; i < n; i++) {
    out[i] = d.kind === 'uniform' ? rng.uniform() : d.kind === 'fixed' ? d.value : Math.pow(rng.uniform(), 1 / d.p);
  }
  return out;
}

/** LCM's γ distribution. */
export const LCM_GAMMA: GammaDistribution = { kind: 'fixed', value: 1 };

/** Whether a γ distribution is LCM's (γ ≡ 1): the one test of "is this run LCM". */
export function isLcm(d: GammaDistribution): boolean {
  return (d.kind === 'fixed' && d.value === 1) || (d.kind === 'mixture' && d.p === 1) || (d.kind === 'curriculum' && d.lo.from === 1 && d.lo.to === 1);
}
