/**
 * The SPLAM distillation objective, with LCM as the special case γ ≡ 1 (one code path, switches not forks).
 *
 * Faithful to the official code (MCG-NJU/SPLAM@dc442bf:splam/train_splam_distill_sd_wds.py, "code" below;
 * L1126–1256):
 *   n ~ U{0, …, M−1}, t = grid[n], s = max(t − k, 0);  ε ~ N(0, I);  x_t = α_t·x_0 + σ_t·ε
 *   teacher DDIM step (no grad):  ε̂ = ε_φ(x_t, t, c);  x̂_0 = (x_t − σ_t·ε̂)/α_t;  x̂_s = α_s·x̂_0 + σ_s·ε̂
 *   target (no grad, EMA θ⁻, γ = 1):  y = c_skip(s)·x̂_s + c_out(s)·(x̂_s − σ_s·ε_θ⁻(x̂_s, s, γ=1, c))/α_s
 *   SL-ODE point:  γ ~ p(γ);  x_{γ,t} = γ·x_t + (1 − γ)·(α_t/α_s)·x̂_s;  σ_γ (rss or linear)
 *   student:  ŷ = c_skip(t)·x_{γ,t} + c_out(t)·(x_{γ,t} − σ_γ·ε_θ(x_{γ,t}, t, γ, c))/α_t
 *   loss = mean d(ŷ, y)
 * With γ ≡ 1: x_{γ,t} = x_t, σ_γ = σ_t, and this is exactly LCM's consistency distillation at a fixed guidance.
 * With `wRange` (LCM's w-conditioning, off by default): w ~ U[w_min, w_max] per sample, drawn after every other draw
 * of the batch, guides the teacher per sample and is passed in `cond.w` to the target and the student (diffusers'
 * `examples/consistency_distillation/train_lcm_distill_sd_wds.py`, step 5); guidance becomes a sampling-time choice.
 *
 * Work is split so that only the student's forward pass runs under the gradient tape:
 * {@link prepareSplamBatch} does everything without gradients, {@link studentLoss} is the differentiable part.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, ShapeError } from '../errors.js';
import type { Rng } from '../data/rng.js';
import type { Schedule } from '../diffusion/schedules.js';
import { perSample, type Denoiser, type GammaEpsModel } from '../diffusion/types.js';
import { cOut, cSkip, type BoundaryOptions } from './boundary.js';
import { CONDITIONINGS, consistencyFromEps, studentView, type Conditioning } from './consistency.js';
import { checkGammaDistribution, sampleGamma, type GammaDistribution } from './gamma.js';
import type { SolverGrid } from './grid.js';
import { checkLoss, consistencyDistance, perSampleDistance, type LossSpec } from './loss.js';
import { sigmaGamma, slOdePoint, type SigmaGammaForm, SIGMA_GAMMA_FORMS, subPathCoefs, disposeCoefs } from './sl-ode.js';


/** The objective's switches. Each default is the official code's. */
export interface SplamObjective {
  /** The DDIM solver grid and skip k (default {19, …, 999}, k = 20). */
  grid: SolverGrid;
  /** Distribution of γ; default U[0, 1]; `{kind:'fixed', value:1}` is LCM. */
  gamma: GammaDistribution;
  /** σ_γ form; default `rss` (code L354–365). */
  sigmaGammaForm: SigmaGammaForm;
  /** Distance; code default `l2`, README run pseudo-Huber c = 0.001. */
  loss: LossSpec;
  /** c_skip/c_out options; default σ_d = 0.5, timestep scaling 10. */
  boundary?: BoundaryOptions;
  /** How the student sees x_{γ,t} (lib/splam/consistency.ts); default `code`, the official code's. */
  conditioning?: Conditioning;
  /**
   * LCM's per-sample guidance (absent = off, the SPLAM code's fixed w): each batch draws w_i = min + (max − min)·u_i,
   * u_i ~ U[0, 1), from the objective's stream after the batch's t, γ and noise draws, and calls the teacher, the
   * EMA target and the student with `cond.w` (the condition must then be an object, e.g. a ClassCond: the teacher
   * must be guided per sample by lib/diffusion/guidance.ts `guided`, the student must read w). Without it nothing is
   * drawn, so every existing run draws what it drew before.
   */
  wRange?: { min: number; max: number };
}

/** The no-gradient part of one training batch. Dispose with {@link disposeBatch}. */
export interface SplamBatch<C = unknown> {
  /** Sub-path ends per sample. */
  t: number[];
  s: number[];
  gamma: Float32Array;
  tTensor: tf.Tensor1D;
  gammaTensor: tf.Tensor1D;
  /** x_{γ,t}, [B, ...]. */
  xGamma: tf.Tensor;
  /** σ_γ, α_t, c_skip(t), c_out(t) per sample, [B]. */
  sigmaGamma: tf.Tensor1D;
  alphaT: tf.Tensor1D;
  cSkipT: tf.Tensor1D;
  cOutT: tf.Tensor1D;
  /** The EMA target y, [B, ...]. */
  target: tf.Tensor;
  /** The sub-path's noisier end x_t, [B, ...], and σ_t, [B] (LCM's view of the same samples, for diagnostics). */
  xT: tf.Tensor;
  sigmaT: tf.Tensor1D;
  /**
   * What the student is called on and how its ε̂ becomes ŷ: input [B, ...], network time [B], and the α, σ,
   * c_skip, c_out of the conversion [B]. With the code's conditioning these are x_{γ,t}, t, α_t, σ_γ, c_skip(t),
   * c_out(t) (the same tensors as above); with `matched`, c·x_{γ,t}, t_γ, c·α_t, c·σ_γ, c_skip(t_γ), c_out(t_γ).
   */
  studentIn: { x: tf.Tensor; t: tf.Tensor1D; alpha: tf.Tensor1D; sigma: tf.Tensor1D; cSkip: tf.Tensor1D; cOut: tf.Tensor1D };
  cond?: C;
}

export function disposeBatch(b: SplamBatch<unknown>): void {
  tf.dispose([b.tTensor, b.gammaTensor, b.xGamma, b.sigmaGamma, b.alphaT, b.cSkipT, b.cOutT, b.target, b.xT, b.sigmaT, ...Object.values(b.studentIn)]);
}

/** @throws ArgumentError for an invalid γ distribution, σ_γ form or loss. */
export function checkObjective(o: SplamObjective): void {
  checkGammaDistribution(o.gamma);
  checkLoss(o.loss);
  if (!(SIGMA_GAMMA_FORMS as readonly string[]).includes(o.sigmaGammaForm)) {
    throw new ArgumentError('checkObjective', 'sigmaGammaForm', o.sigmaGammaForm, SIGMA_GAMMA_FORMS.join(', '));
  }
  if (o.conditioning !== undefined && !(CONDITIONINGS as readonly string[]).includes(o.conditioning)) {
    throw new ArgumentError('checkObjective', 'conditioning', o.conditioning, CONDITIONINGS.join(', '));
  }
  if (o.wRange !== undefined) {
    const { min, max } = o.wRange;
    if (!Number.isFinite(min)) throw new ArgumentError('checkObjective', 'wRange.min', min, 'a finite number');
    if (!(Number.isFinite(max) && max >= min)) throw new ArgumentError('checkObjective', 'wRange.max', max, `a finite number ≥ wRange.min = ${min}`);
  }
}

/**
 * LCM's per-sample guidance of one batch: w_i = min + (max − min)·u_i for u_i ~ U[0, 1) from `rng` (diffusers:
 * `w = (w_max − w_min) * torch.rand(bsz) + w_min`).
 */
export function sampleGuidance(range: { min: number; max: number }, B: number, rng: Rng): number[] {
  return Array.from({ length: B }, () => range.min + (range.max - range.min) * rng.uniform());
}

export interface PrepareArgs<C> {
  /** Clean data x_0, [B, ...]. */
  x0: tf.Tensor;
  cond?: C;
  /** The frozen teacher ε_φ (guided where the objective distils a guided teacher). */
  teacher: Denoiser<C>;
  /** The EMA target ε_θ⁻. */
  target: GammaEpsModel<C>;
  schedule: Schedule;
  objective: SplamObjective;
  rng: Rng;
  /** Fraction of training done, in [0, 1], for γ distributions that move over training (default 0). */
  progress?: number;
}

/** Everything of one SPLAM step that carries no gradient (code L1126–1227). */
export function prepareSplamBatch<C>(a: PrepareArgs<C>): SplamBatch<C> {
  const { x0, schedule, objective: o, rng } = a;
  if (x0.rank < 2) throw new ShapeError('prepareSplamBatch', 'x0', '[B, ...] with B ≥ 1', x0.shape);
  if (o.grid.N !== schedule.N) throw new ArgumentError('prepareSplamBatch', 'grid.N', o.grid.N, `the schedule's N = ${schedule.N}`);
  const B = x0.shape[0];
  const M = o.grid.timesteps.length;
  const t: number[] = [];
  const s: number[] = [];
  for (let i = 0; i < B; i++) {
    const ti = o.grid.timesteps[rng.int(M)];
    t.push(ti);
    s.push(Math.max(ti - o.grid.k, 0));
  }
  const gamma = sampleGamma(o.gamma, B, rng, a.progress ?? 0);
  const noise = rng.normalArray(x0.size);
  // LCM's per-sample w, after every other draw of the batch (nothing drawn when off).
  const cond = o.wRange ? ({ ...(a.cond ?? {}), w: sampleGuidance(o.wRange, B, rng) } as C) : a.cond;
  const coefs = subPathCoefs(schedule, t, s);
  try {
    const tensors = tf.tidy(() => {
      const r = x0.rank;
      const tTensor = tf.tensor1d(t);
      const sTensor = tf.tensor1d(s);
      const eps = tf.tensor(noise, x0.shape);
      const xt = x0.mul(perSample(coefs.alphaT, r)).add(eps.mul(perSample(coefs.sigmaT, r)));
      // Teacher: one DDIM step t → s.
      const epsHat = a.teacher(xt, tTensor, cond);
      const x0Hat = xt.sub(epsHat.mul(perSample(coefs.sigmaT, r))).div(perSample(coefs.alphaT, r));
      const xs = x0Hat.mul(perSample(coefs.alphaS, r)).add(epsHat.mul(perSample(coefs.sigmaS, r)));
      // Target: EMA model at the solver point, γ = 1.
      const ones = tf.ones([B]) as tf.Tensor1D;
      const epsTgt = a.target(xs, sTensor, ones, cond);
      const cSkipS = tf.tensor1d(s.map((v) => cSkip(v, o.boundary)));
      const cOutS = tf.tensor1d(s.map((v) => cOut(v, o.boundary)));
      const target = consistencyFromEps(xs, epsTgt, { alpha: coefs.alphaS, sigma: coefs.sigmaS, cSkip: cSkipS, cOut: cOutS });
      // The SL-ODE point and its noise level.
      const gammaTensor = tf.tensor1d(gamma);
      const xGamma = slOdePoint(xt, xs, gammaTensor, coefs.r, gamma);
      const sg = sigmaGamma(coefs, gammaTensor, o.sigmaGammaForm, gamma) as tf.Tensor1D;
      const alphaT = coefs.alphaT.clone();
      const cSkipT = tf.tensor1d(t.map((v) => cSkip(v, o.boundary)));
      const cOutT = tf.tensor1d(t.map((v) => cOut(v, o.boundary)));
      let studentIn = { x: xGamma, t: tTensor, alpha: alphaT, sigma: sg, cSkip: cSkipT, cOut: cOutT };
      if ((o.conditioning ?? 'code') === 'matched' && gamma.some((g) => g !== 1)) {
        // Host-side (float64) views from the host γ: no read-back of a tensor. γ = 1 keeps the code's view exactly.
        const views = t.map((ti, i) => {
          const sgi = gamma[i] === 1 ? schedule.sigma(ti) : (sigmaGamma(subPathCoefs(schedule, ti, s[i]), gamma[i], o.sigmaGammaForm) as number);
          return studentView('matched', schedule, ti, s[i], gamma[i], sgi, o.boundary);
        });
        const scale = tf.tensor1d(views.map((v) => v.scale));
        studentIn = {
          x: xGamma.mul(perSample(scale, r)),
          t: tf.tensor1d(views.map((v) => v.time)),
          alpha: alphaT.mul(scale),
          sigma: sg.mul(scale),
          cSkip: tf.tensor1d(views.map((v) => v.cSkip)),
          cOut: tf.tensor1d(views.map((v) => v.cOut)),
        };
      }
      return { tTensor, gammaTensor, xGamma, sigmaGamma: sg, alphaT, cSkipT, cOutT, target, xT: xt, sigmaT: coefs.sigmaT.clone(), studentIn };
    });
    return { t, s, gamma, ...tensors, cond };
  } finally {
    disposeCoefs(coefs);
  }
}

/**
 * The student's consistency output on its view of the batch (code conditioning:
 * ŷ = c_skip(t)·x_{γ,t} + c_out(t)·(x_{γ,t} − σ_γ·ε_θ(x_{γ,t}, t, γ, c))/α_t), [B, ...].
 */
export function studentPrediction<C>(student: GammaEpsModel<C>, b: SplamBatch<C>): tf.Tensor {
  return tf.tidy(() => {
    const v = b.studentIn;
    const eps = student(v.x, v.t, b.gammaTensor, b.cond);
    return consistencyFromEps(v.x, eps, v);
  });
}

/** The differentiable part: mean d(ŷ, y). Call inside `tf.variableGrads` / `optimizer.minimize`. */
export function studentLoss<C>(student: GammaEpsModel<C>, b: SplamBatch<C>, loss: LossSpec): tf.Scalar {
  return tf.tidy(() => consistencyDistance(studentPrediction(student, b), b.target, loss));
}

/** Per-sample d(ŷ, y), [B] (the mean over each sample's elements): the loss split by γ or t in diagnostics. */
export function studentLossPerSample<C>(student: GammaEpsModel<C>, b: SplamBatch<C>, loss: LossSpec): tf.Tensor1D {
  return tf.tidy(() => perSampleDistance(studentPrediction(student, b), b.target, loss));
}
