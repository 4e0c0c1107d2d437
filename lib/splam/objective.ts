/**
 * The SPLAM distillation objective, with LCM as the special case γ ≡ 1 (one code path, switches not forks).
 *
 * Faithful to the official code (splam/train_splam_distill_sd_wds.py L1126–1256; research/splam-paper.md §2.5, §3.2):
 *   n ~ U{0, …, M−1}, t = grid[n], s = max(t − k, 0);  ε ~ N(0, I);  x_t = α_t·x_0 + σ_t·ε
 *   teacher DDIM step (no grad):  ε̂ = ε_φ(x_t, t, c);  x̂_0 = (x_t − σ_t·ε̂)/α_t;  x̂_s = α_s·x̂_0 + σ_s·ε̂
 *   target (no grad, EMA θ⁻, γ = 1):  y = c_skip(s)·x̂_s + c_out(s)·(x̂_s − σ_s·ε_θ⁻(x̂_s, s, γ=1, c))/α_s
 *   SL-ODE point:  γ ~ p(γ);  x_{γ,t} = γ·x_t + (1 − γ)·(α_t/α_s)·x̂_s;  σ_γ (rss or linear)
 *   student:  ŷ = c_skip(t)·x_{γ,t} + c_out(t)·(x_{γ,t} − σ_γ·ε_θ(x_{γ,t}, t, γ, c))/α_t
 *   loss = mean d(ŷ, y)
 * With γ ≡ 1: x_{γ,t} = x_t, σ_γ = σ_t, and this is exactly LCM's consistency distillation at a fixed guidance.
 *
 * Work is split so that only the student's forward pass runs under the gradient tape:
 * {@link prepareSplamBatch} does everything without gradients, {@link studentLoss} is the differentiable part.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, ShapeError } from '../errors.js';
import type { Rng } from '../data/rng.js';
import type { Schedule } from '../diffusion/schedules.js';
import { perSample, type Denoiser } from '../diffusion/types.js';
import { cOut, cSkip, type BoundaryOptions } from './boundary.js';
import { checkGammaDistribution, sampleGamma, type GammaDistribution } from './gamma.js';
import type { SolverGrid } from './grid.js';
import { checkLoss, consistencyDistance, type LossSpec } from './loss.js';
import { sigmaGamma, type SigmaGammaForm, SIGMA_GAMMA_FORMS, subPathCoefs, disposeCoefs } from './sl-ode.js';

/**
 * A γ-conditioned noise predictor, the SPLAM student (LCM students ignore γ).
 * x: [B, ...]; t: [B] DDPM indices; gamma: [B] in [0, 1]. Returns ε̂ with x's shape.
 */
export type GammaEpsModel<C = unknown> = (x: tf.Tensor, t: tf.Tensor1D, gamma: tf.Tensor1D, cond?: C) => tf.Tensor;

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
  cond?: C;
}

export function disposeBatch(b: SplamBatch<unknown>): void {
  tf.dispose([b.tTensor, b.gammaTensor, b.xGamma, b.sigmaGamma, b.alphaT, b.cSkipT, b.cOutT, b.target]);
}

/** @throws ArgumentError for an invalid γ distribution, σ_γ form or loss. */
export function checkObjective(o: SplamObjective): void {
  checkGammaDistribution(o.gamma);
  checkLoss(o.loss);
  if (!(SIGMA_GAMMA_FORMS as readonly string[]).includes(o.sigmaGammaForm)) {
    throw new ArgumentError('checkObjective', 'sigmaGammaForm', o.sigmaGammaForm, SIGMA_GAMMA_FORMS.join(', '));
  }
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
}

/** Everything of one SPLAM step that carries no gradient (official code L1126–1227). */
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
  const gamma = sampleGamma(o.gamma, B, rng);
  const noise = rng.normalArray(x0.size);
  const coefs = subPathCoefs(schedule, t, s);
  try {
    const tensors = tf.tidy(() => {
      const r = x0.rank;
      const tTensor = tf.tensor1d(t);
      const sTensor = tf.tensor1d(s);
      const eps = tf.tensor(noise, x0.shape);
      const xt = x0.mul(perSample(coefs.alphaT, r)).add(eps.mul(perSample(coefs.sigmaT, r)));
      // Teacher: one DDIM step t → s.
      const epsHat = a.teacher(xt, tTensor, a.cond);
      const x0Hat = xt.sub(epsHat.mul(perSample(coefs.sigmaT, r))).div(perSample(coefs.alphaT, r));
      const xs = x0Hat.mul(perSample(coefs.alphaS, r)).add(epsHat.mul(perSample(coefs.sigmaS, r)));
      // Target: EMA model at the solver point, γ = 1.
      const ones = tf.ones([B]) as tf.Tensor1D;
      const epsTgt = a.target(xs, sTensor, ones, a.cond);
      const cSkipS = tf.tensor1d(s.map((v) => cSkip(v, o.boundary)));
      const cOutS = tf.tensor1d(s.map((v) => cOut(v, o.boundary)));
      const target = xs
        .mul(perSample(cSkipS, r))
        .add(xs.sub(epsTgt.mul(perSample(coefs.sigmaS, r))).div(perSample(coefs.alphaS, r)).mul(perSample(cOutS, r)));
      // The SL-ODE point and its noise level.
      const gammaTensor = tf.tensor1d(gamma);
      const g = perSample(gammaTensor, r);
      const xGamma = xt.mul(g).add(xs.mul(perSample(coefs.r, r)).mul(tf.sub(1, g)));
      const sg = sigmaGamma(coefs, gammaTensor, o.sigmaGammaForm) as tf.Tensor1D;
      return {
        tTensor,
        gammaTensor,
        xGamma,
        sigmaGamma: sg,
        alphaT: coefs.alphaT.clone(),
        cSkipT: tf.tensor1d(t.map((v) => cSkip(v, o.boundary))),
        cOutT: tf.tensor1d(t.map((v) => cOut(v, o.boundary))),
        target,
      };
    });
    return { t, s, gamma, ...tensors, cond: a.cond };
  } finally {
    disposeCoefs(coefs);
  }
}

/** The student's consistency output ŷ = c_skip(t)·x_{γ,t} + c_out(t)·(x_{γ,t} − σ_γ·ε_θ)/α_t, [B, ...]. */
export function studentPrediction<C>(student: GammaEpsModel<C>, b: SplamBatch<C>): tf.Tensor {
  return tf.tidy(() => {
    const r = b.xGamma.rank;
    const eps = student(b.xGamma, b.tTensor, b.gammaTensor, b.cond);
    const x0 = b.xGamma.sub(eps.mul(perSample(b.sigmaGamma, r))).div(perSample(b.alphaT, r));
    return b.xGamma.mul(perSample(b.cSkipT, r)).add(x0.mul(perSample(b.cOutT, r)));
  });
}

/** The differentiable part: mean d(ŷ, y). Call inside `tf.variableGrads` / `optimizer.minimize`. */
export function studentLoss<C>(student: GammaEpsModel<C>, b: SplamBatch<C>, loss: LossSpec): tf.Scalar {
  return tf.tidy(() => consistencyDistance(studentPrediction(student, b), b.target, loss));
}
