/**
 * Class-conditional Gaussian-mixture teachers: class c has data p_0(x | c) = Σ_k π_ck N(μ_ck, Σ_ck), classes have
 * prior weights ρ_c, and the unconditional data distribution is the class-weighted union
 * p_0(x) = Σ_c ρ_c Σ_k π_ck N(μ_ck, Σ_ck). ε*(x, t | c) is the exact ε-prediction of class c's noisy marginal and
 * ε*(x, t | ∅) (label {@link NULL_LABEL}, the label-dropout token) that of the union, so guidance with
 * {@link guided} gives the exact CFG teacher (conventions: lib/diffusion/guidance.ts; mixture formulas: mixture.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, ShapeError } from '../errors.js';
import type { Schedule } from '../diffusion/schedules.js';
import type { Denoiser, TimeArg } from '../diffusion/types.js';
import { labelsOf, NULL_LABEL, type ClassCond } from '../diffusion/guidance.js';
import { makeMixture, type Mixture, type MixtureSpec } from './mixture.js';
import { checkX, posterior, timeCoefs } from './gmm-kernel.js';

export { NULL_LABEL, guided, type ClassCond, type GuidanceConvention } from '../diffusion/guidance.js';

/** A class-conditional mixture as written in a config. */
export interface ConditionalMixtureSpec {
  /** One mixture per class (all of the same dimension D); class c is `classes[c]`. */
  classes: MixtureSpec[];
  /** Class prior weights ρ_c > 0 (normalised internally). Default: uniform. */
  classWeights?: number[];
}

/** A validated class-conditional mixture (host float64 arrays). */
export interface ConditionalMixture {
  readonly numClasses: number;
  readonly D: number;
  /** p_0(x | c) for each class c. */
  readonly classes: Mixture[];
  /** ρ_c, summing to 1. */
  readonly classWeights: Float64Array;
  /** The unconditional p_0 = Σ_c ρ_c p_0(· | c): class c's components, in order, with weights ρ_c·π_ck. */
  readonly marginal: Mixture;
  /** Class c owns components [offsets[c], offsets[c + 1]) of `marginal`. */
  readonly offsets: Int32Array;
}

const FN = 'makeConditionalMixture';

/**
 * Validate a {@link ConditionalMixtureSpec} and build the {@link ConditionalMixture}.
 * @throws ArgumentError for no classes, a class weight ≤ 0, or any error of {@link makeMixture} (arg prefixed
 *   `classes[c].`); ShapeError when classes differ in dimension or classWeights has the wrong length.
 */
export function makeConditionalMixture(spec: ConditionalMixtureSpec): ConditionalMixture {
  const specs = spec?.classes;
  if (!Array.isArray(specs) || specs.length === 0) {
    throw new ArgumentError(FN, 'classes', specs, 'a non-empty array of mixture specs (one per class)');
  }
  const classes = specs.map((s, c) => makeMixture(s, FN, `classes[${c}].`));
  const D = classes[0].D;
  classes.forEach((m, c) => {
    if (m.D !== D) throw new ShapeError(FN, `classes[${c}].means`, `[${m.K}, ${D}] (the dimension of classes[0])`, [m.K, m.D]);
  });
  const C = classes.length;
  const rawWeights = spec.classWeights ?? new Array(C).fill(1);
  if (!Array.isArray(rawWeights) || rawWeights.length !== C) {
    throw new ShapeError(FN, 'classWeights', `[${C}] (one weight per class)`, Array.isArray(rawWeights) ? [rawWeights.length] : []);
  }
  rawWeights.forEach((w, c) => {
    if (!(typeof w === 'number' && Number.isFinite(w) && w > 0)) {
      throw new ArgumentError(FN, `classWeights[${c}]`, w, 'a finite number > 0');
    }
  });
  const total = rawWeights.reduce((s, w) => s + w, 0);
  const classWeights = Float64Array.from(rawWeights, (w) => w / total);
  const offsets = new Int32Array(C + 1);
  classes.forEach((m, c) => (offsets[c + 1] = offsets[c] + m.K));
  const K = offsets[C];
  const weights = new Float64Array(K);
  const means = new Float64Array(K * D);
  const variances = new Float64Array(K * D);
  classes.forEach((m, c) => {
    for (let k = 0; k < m.K; k++) weights[offsets[c] + k] = classWeights[c] * m.weights[k];
    means.set(m.means, offsets[c] * D);
    variances.set(m.variances, offsets[c] * D);
  });
  const marginal: Mixture = {
    K,
    D,
    weights,
    logWeights: weights.map(Math.log),
    means,
    variances,
    isotropic: classes.every((m) => m.isotropic),
  };
  return { numClasses: C, D, classes, classWeights, marginal, offsets };
}

/**
 * The data mixture for one label: p_0(· | c) for c ≥ 0, the unconditional union for {@link NULL_LABEL}. Every
 * function of ./mixture.ts then applies to a batch that shares one label.
 * @throws ArgumentError for a label that is not an integer in [0, C−1] or −1.
 */
export function classMixture(cm: ConditionalMixture, label: number): Mixture {
  if (label === NULL_LABEL) return cm.marginal;
  if (!(Number.isInteger(label) && label >= 0 && label < cm.numClasses)) {
    throw new ArgumentError('classMixture', 'label', label, `an integer in [0, ${cm.numClasses - 1}], or ${NULL_LABEL} (unconditional)`);
  }
  return cm.classes[label];
}

/**
 * Per-sample log-weights over the union's components, [B, K_total] (float32): log π_ck on class c's block and
 * −∞ elsewhere for label c; log ρ_c π_ck everywhere for NULL_LABEL.
 */
function labelLogWeights(cm: ConditionalMixture, labels: number[]): Float32Array {
  const K = cm.marginal.K;
  const out = new Float32Array(labels.length * K).fill(-Infinity);
  labels.forEach((c, i) => {
    if (c === NULL_LABEL) {
      out.set(Float32Array.from(cm.marginal.logWeights), i * K);
    } else {
      out.set(Float32Array.from(cm.classes[c].logWeights), i * K + cm.offsets[c]);
    }
  });
  return out;
}

/** Shared body of the per-label posterior functions. */
function labelled<T extends tf.Tensor>(
  fn: string,
  cm: ConditionalMixture,
  schedule: Schedule,
  x: tf.Tensor2D,
  t: TimeArg,
  cond: ClassCond,
  pick: (p: ReturnType<typeof posterior>, sigma: tf.Tensor) => T,
  withX0 = false,
): T {
  const B = checkX(fn, x, cm.D);
  const tc = timeCoefs(fn, schedule, t, B);
  const labels = labelsOf(fn, cond, B, cm.numClasses);
  return tf.tidy(() => {
    const logW = tf.tensor2d(labelLogWeights(cm, labels), [B, cm.marginal.K]);
    const sigma = tc.sigma.length === 1 ? tf.scalar(tc.sigma[0]) : tf.tensor2d(Float32Array.from(tc.sigma), [B, 1]);
    return pick(posterior(cm.marginal, logW, x, tc, withX0), sigma);
  });
}

/**
 * Exact class-conditional ε-prediction, per sample: ε*(x_b, t_b | c_b) = −σ_t ∇ log p_t(x_b | c_b), with
 * c_b = NULL_LABEL giving the unconditional ε*.
 * @param x [B, D]. @param t DDPM index, or [B] of them. @param cond labels, length B. @returns [B, D].
 * @throws ShapeError for x not [B, D], t not [B] or labels not of length B; ArgumentError for t outside [0, N−1]
 *   or a label outside [0, C−1] ∪ {−1}.
 */
export function conditionalEpsStar(
  cm: ConditionalMixture,
  schedule: Schedule,
  x: tf.Tensor2D,
  t: TimeArg,
  cond: ClassCond,
): tf.Tensor2D {
  return labelled('conditionalEpsStar', cm, schedule, x, t, cond, (p, sigma) => p.precDiff.mul(sigma) as tf.Tensor2D);
}

/**
 * Exact class-conditional denoiser, per sample: E[x_0 | x_t = x_b, c_b] (NULL_LABEL: unconditional).
 * @param x [B, D]. @param t DDPM index, or [B] of them. @param cond labels, length B. @returns x̂_0, [B, D].
 * @throws as {@link conditionalEpsStar}.
 */
export function conditionalDenoise(
  cm: ConditionalMixture,
  schedule: Schedule,
  x: tf.Tensor2D,
  t: TimeArg,
  cond: ClassCond,
): tf.Tensor2D {
  return labelled('conditionalDenoise', cm, schedule, x, t, cond, (p) => p.x0 as tf.Tensor2D, true);
}

/**
 * The class-conditional teacher as a {@link Denoiser}<ClassCond>: (x, t, {labels}) ↦ ε*(x, t | labels); wrap it
 * with {@link guided} for the CFG teacher. x is [B, D] or [B, …] with D values per sample (result has x's shape).
 * @throws ShapeError (fn `conditionalDenoiser`) for x without D values per sample or labels missing / not of
 *   length B; ArgumentError for bad t or labels.
 */
export function conditionalDenoiser(cm: ConditionalMixture, schedule: Schedule): Denoiser<ClassCond> {
  const fn = 'conditionalDenoiser';
  return (x: tf.Tensor, t: TimeArg, cond?: ClassCond): tf.Tensor => {
    const size = x instanceof tf.Tensor ? x.shape.slice(1).reduce((a, b) => a * b, 1) : NaN;
    if (!(x instanceof tf.Tensor) || x.rank < 2 || size !== cm.D) {
      throw new ShapeError(fn, 'x', `[B, ${cm.D}] or [B, …] with ${cm.D} values per sample`, x instanceof tf.Tensor ? x.shape : []);
    }
    const B = x.shape[0];
    const x2 = x.rank === 2 ? (x as tf.Tensor2D) : (x.reshape([B, cm.D]) as tf.Tensor2D);
    try {
      const eps = labelled(fn, cm, schedule, x2, t, cond as ClassCond, (p, sigma) => p.precDiff.mul(sigma) as tf.Tensor2D);
      if (x.rank === 2) return eps;
      const out = eps.reshape(x.shape);
      eps.dispose();
      return out;
    } finally {
      if (x2 !== x) x2.dispose();
    }
  };
}
