/**
 * Discrete VP noise schedules (DDPM, Ho et al. 2020) with N training steps and a continuous interpolant.
 *
 * Forward marginal x_t = α_t·x_0 + σ_t·ε, α_t = √ᾱ_t, σ_t = √(1 − ᾱ_t), ᾱ_t = Π_{i≤t}(1 − β_i), t ∈ {0, …, N−1}
 * (the DDPM index, as in the SPLAM and diffusers code). λ_t = log(α_t/σ_t) is the half log-SNR.
 *
 * Fractional t: log ᾱ is interpolated linearly between integer indices (monotone, exact at the integers;
 * k-diffusion's DiscreteSchedule does the same in log σ). Everything else (α, σ, λ, ς = σ/α) follows from
 * log ᾱ, so α² + σ² = 1 holds at every t and the inverse t(λ) is exact for the interpolant.
 *
 * All host-side arithmetic is float64; tensor lookups ({@link alphaSigma}) are float32.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError } from '../errors.js';

export const SCHEDULE_NAMES = ['scaled-linear', 'linear', 'cosine'] as const;
export type ScheduleName = (typeof SCHEDULE_NAMES)[number];

/** How to build a schedule. Defaults are written once, here. */
export interface ScheduleSpec {
  /** `scaled-linear` (Stable Diffusion v1.5, the SPLAM teacher), `linear` (DDPM), `cosine` (Nichol & Dhariwal 2021). */
  name: ScheduleName;
  /** Number of training steps N. Default 1000 (SD v1.5, DDPM). */
  N?: number;
  /** First β. Default 0.00085 for scaled-linear (SD v1.5), 1e-4 for linear (DDPM); unused by cosine. */
  betaStart?: number;
  /** Last β. Default 0.012 for scaled-linear (SD v1.5), 0.02 for linear (DDPM); unused by cosine. */
  betaEnd?: number;
}

/** A built schedule: tables plus pure functions of (possibly fractional) t ∈ [0, N−1]. */
export interface Schedule {
  readonly name: ScheduleName;
  readonly N: number;
  /** β_i, i = 0…N−1. */
  readonly betas: Float64Array;
  /** ᾱ_i, i = 0…N−1. */
  readonly alphasCumprod: Float64Array;
  /** log ᾱ(t), linear between integers. */
  logAlphaBar(t: number): number;
  /** α_t = √ᾱ_t. */
  alpha(t: number): number;
  /** σ_t = √(1 − ᾱ_t). */
  sigma(t: number): number;
  /** λ_t = log(α_t/σ_t) (half log-SNR), strictly decreasing in t. */
  lambda(t: number): number;
  /** ς_t = σ_t/α_t = e^{−λ_t}: the VE-equivalent noise level of the scaled state x/α. */
  varsigma(t: number): number;
  /** The t whose λ_t equals `lambda` (inverse of the interpolant); throws outside [λ_{N−1}, λ_0]. */
  tOfLambda(lambda: number): number;
  /**
   * d log ᾱ/dt of the interpolant on the segment that a step from t moves into: the segment below t when
   * `direction` is −1 (towards data), above when +1. Constant on each unit segment.
   */
  dLogAlphaBar(t: number, direction: -1 | 1): number;
}

const FN = 'makeSchedule';

function linspace(a: number, b: number, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = n === 1 ? a : a + ((b - a) * i) / (n - 1);
  return out;
}

function betasFor(spec: Required<Pick<ScheduleSpec, 'name' | 'N'>> & ScheduleSpec): Float64Array {
  const { name, N } = spec;
  if (name === 'scaled-linear') {
    const b0 = spec.betaStart ?? 0.00085;
    const b1 = spec.betaEnd ?? 0.012;
    return linspace(Math.sqrt(b0), Math.sqrt(b1), N).map((r) => r * r);
  }
  if (name === 'linear') return linspace(spec.betaStart ?? 1e-4, spec.betaEnd ?? 0.02, N);
  // cosine: ᾱ(τ) = cos²((τ + s)/(1 + s)·π/2), τ = i/N, s = 0.008; β_i = min(1 − ᾱ(i+1)/ᾱ(i), 0.999)
  // (Nichol & Dhariwal 2021, eq. 17; diffusers betas_for_alpha_bar).
  const s = 0.008;
  const f = (tau: number) => Math.cos(((tau + s) / (1 + s)) * (Math.PI / 2)) ** 2;
  const out = new Float64Array(N);
  for (let i = 0; i < N; i++) out[i] = Math.min(1 - f((i + 1) / N) / f(i / N), 0.999);
  return out;
}

/**
 * Build a discrete VP schedule.
 * @throws ArgumentError for an unknown name, N < 2 or non-integer, or β outside (0, 1) / not increasing.
 */
export function makeSchedule(spec: ScheduleSpec): Schedule {
  if (!(SCHEDULE_NAMES as readonly string[]).includes(spec.name)) {
    throw new ArgumentError(FN, 'name', spec.name, `one of ${SCHEDULE_NAMES.join(', ')}`);
  }
  const N = spec.N ?? 1000;
  if (!Number.isInteger(N) || N < 2) throw new ArgumentError(FN, 'N', N, 'an integer ≥ 2');
  for (const key of ['betaStart', 'betaEnd'] as const) {
    const v = spec[key];
    if (v !== undefined && !(v > 0 && v < 1)) throw new ArgumentError(FN, key, v, 'a number in (0, 1)');
  }
  if (spec.betaStart !== undefined && spec.betaEnd !== undefined && spec.betaEnd < spec.betaStart) {
    throw new ArgumentError(FN, 'betaEnd', spec.betaEnd, `≥ betaStart (${spec.betaStart})`);
  }
  const betas = betasFor({ ...spec, N });
  const logAbar = new Float64Array(N);
  let acc = 0;
  for (let i = 0; i < N; i++) {
    acc += Math.log1p(-betas[i]);
    logAbar[i] = acc;
  }
  const alphasCumprod = logAbar.map(Math.exp);
  const tMax = N - 1;

  const checkT = (fn: string, t: number) => {
    if (!(t >= 0 && t <= tMax)) throw new ArgumentError(fn, 't', t, `a time in [0, ${tMax}] (the DDPM index)`);
  };
  const logAlphaBar = (t: number): number => {
    checkT('Schedule.logAlphaBar', t);
    const i = Math.min(Math.floor(t), tMax - 1);
    const f = t - i;
    return logAbar[i] + f * (logAbar[i + 1] - logAbar[i]);
  };
  const alpha = (t: number) => Math.exp(0.5 * logAlphaBar(t));
  const sigma = (t: number) => Math.sqrt(-Math.expm1(logAlphaBar(t)));
  // λ = ½·log ᾱ − ½·log(1 − ᾱ)
  const lambda = (t: number) => {
    const la = logAlphaBar(t);
    return 0.5 * la - 0.5 * Math.log(-Math.expm1(la));
  };
  const varsigma = (t: number) => Math.exp(-lambda(t));
  const lambdaAt = (i: number) => 0.5 * logAbar[i] - 0.5 * Math.log(-Math.expm1(logAbar[i]));
  const tOfLambda = (lam: number): number => {
    const lo = lambdaAt(tMax);
    const hi = lambdaAt(0);
    if (!(lam >= lo - 1e-12 && lam <= hi + 1e-12)) {
      throw new ArgumentError('Schedule.tOfLambda', 'lambda', lam, `a value in [${lo}, ${hi}]`);
    }
    // log ᾱ as a function of λ: ᾱ = sigmoid(2λ) ⇒ log ᾱ = −softplus(−2λ); invert the monotone table.
    const target = -Math.log1p(Math.exp(-2 * lam));
    let a = 0;
    let b = tMax;
    if (target >= logAbar[0]) return 0;
    if (target <= logAbar[tMax]) return tMax;
    while (b - a > 1) {
      const m = (a + b) >> 1;
      if (logAbar[m] >= target) a = m;
      else b = m;
    }
    return a + (target - logAbar[a]) / (logAbar[b] - logAbar[a]);
  };
  const dLogAlphaBar = (t: number, direction: -1 | 1): number => {
    checkT('Schedule.dLogAlphaBar', t);
    let i = direction < 0 ? Math.ceil(t) - 1 : Math.floor(t);
    i = Math.max(0, Math.min(i, tMax - 1));
    return logAbar[i + 1] - logAbar[i];
  };

  return {
    name: spec.name,
    N,
    betas,
    alphasCumprod,
    logAlphaBar,
    alpha,
    sigma,
    lambda,
    varsigma,
    tOfLambda,
    dLogAlphaBar,
  };
}

/**
 * α_t and σ_t for a batch of (possibly fractional) times, as float32 tensors of shape [B].
 * @param t times, shape [B]; values in [0, N−1].
 */
export function alphaSigma(schedule: Schedule, t: tf.Tensor1D | number[]): { alpha: tf.Tensor1D; sigma: tf.Tensor1D } {
  const times = Array.isArray(t) ? t : Array.from(t.dataSync());
  const a = new Float32Array(times.length);
  const s = new Float32Array(times.length);
  for (let i = 0; i < times.length; i++) {
    a[i] = schedule.alpha(times[i]);
    s[i] = schedule.sigma(times[i]);
  }
  return { alpha: tf.tensor1d(a), sigma: tf.tensor1d(s) };
}
