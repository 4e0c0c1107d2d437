/**
 * Classifier-free guidance (Ho & Salimans 2022) for any class-conditional {@link Denoiser}: the analytic
 * conditional mixture now, a trained network later.
 *
 * Two conventions for the same family of guided predictions, ε̂ = ε_u + s·(ε_c − ε_u) = ε_c + w·(ε_c − ε_u):
 *  - `'lcm'` (default): ε̂ = ε_c + w·(ε_c − ε_u), the LCM paper's and the SPLAM/LCM code's w (SPLAM's default
 *    `--w_scale` 8, MCG-NJU/SPLAM@dc442bf:splam/train_splam_distill_sd_wds.py:638-644, 1143-1147).
 *    w = 0 is the conditional teacher.
 *  - `'cfg'`: ε̂ = ε_u + s·(ε_c − ε_u), Ho & Salimans' / diffusers' `guidance_scale` s. s = 1 is the conditional
 *    teacher, s = 0 the unconditional one.
 * They map by s = 1 + w: SPLAM's w = 8 is CFG scale 9.
 *
 * The guidance is one fixed number, or per sample: a {@link ClassCond} with `w` guides sample i with w_i (LCM's
 * training draws w ~ U[w_min, w_max] per sample; diffusers' `examples/consistency_distillation/
 * train_lcm_distill_sd_wds.py`). A per-sample w is in the wrapper's convention, like the fixed one.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, ShapeError } from '../errors.js';
import { perSample, type Denoiser, type TimeArg } from './types.js';

/** The label-dropout token: a sample with this label is denoised unconditionally. */
export const NULL_LABEL = -1;

/** Conditioning of a class-conditional denoiser: one label per sample, {@link NULL_LABEL} for unconditional. */
export interface ClassCond {
  /** Class indices, length B (integers ≥ 0, or −1 for unconditional); a host array or an int32 tensor [B]. */
  labels: number[] | tf.Tensor1D;
  /**
   * Per-sample guidance w, length B (optional): {@link guided} uses w_i for sample i instead of its fixed w, and a
   * student with LCM's w-embedding (lib/nn/conditioning.ts `makeWProjection`) reads it as an input. In the
   * convention of the guidance it is used with (`lcm` w by default).
   */
  w?: number[];
}

export const GUIDANCE_CONVENTIONS = ['lcm', 'cfg'] as const;
/** `'lcm'`: ε_c + w(ε_c − ε_u); `'cfg'`: ε_u + s(ε_c − ε_u). See the module comment. */
export type GuidanceConvention = (typeof GUIDANCE_CONVENTIONS)[number];

/** CFG scale s equivalent to LCM guidance w: s = 1 + w. */
export const cfgScaleOf = (w: number): number => 1 + w;
/** LCM guidance w equivalent to CFG scale s: w = s − 1. */
export const lcmScaleOf = (s: number): number => s - 1;

/**
 * Read labels as a host array of length B.
 * @throws ShapeError (arg `cond.labels`) when not B labels; ArgumentError (arg `cond.labels[i]`) for a label that is
 *   not an integer ≥ −1 (or, with `numClasses`, not below it).
 */
export function labelsOf(fn: string, cond: ClassCond | undefined, B: number, numClasses?: number): number[] {
  const labels = cond?.labels;
  let out: number[];
  if (Array.isArray(labels)) out = labels;
  else if (labels instanceof tf.Tensor && labels.rank === 1) out = Array.from(labels.dataSync());
  else {
    throw new ShapeError(fn, 'cond.labels', `[${B}] (one label per sample; ${NULL_LABEL} for unconditional)`,
      labels instanceof tf.Tensor ? labels.shape : []);
  }
  if (out.length !== B) {
    throw new ShapeError(fn, 'cond.labels', `[${B}] (one label per sample; ${NULL_LABEL} for unconditional)`, [out.length]);
  }
  const top = numClasses === undefined ? Infinity : numClasses - 1;
  out.forEach((c, i) => {
    if (!(Number.isInteger(c) && c >= NULL_LABEL && c <= top)) {
      const range = numClasses === undefined ? 'an integer ≥ 0' : `an integer in [0, ${top}]`;
      throw new ArgumentError(fn, `cond.labels[${i}]`, c, `${range}, or ${NULL_LABEL} (unconditional)`);
    }
  });
  return out;
}

/**
 * Read a per-sample guidance `cond.w` (undefined when absent).
 * @throws ShapeError (arg `cond.w`) when not an array of length B; ArgumentError (arg `cond.w[i]`) for a value that is
 *   not finite.
 */
export function guidanceOf(fn: string, cond: ClassCond | undefined, B: number): number[] | undefined {
  const w = cond?.w;
  if (w === undefined) return undefined;
  if (!Array.isArray(w) || w.length !== B) throw new ShapeError(fn, 'cond.w', `[${B}] (one guidance w per sample)`, Array.isArray(w) ? [w.length] : []);
  w.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new ArgumentError(fn, `cond.w[${i}]`, v, 'a finite number');
  });
  return w;
}

/**
 * Guided ε̂ from a class-conditional denoiser: one call with the labels (ε_c), one with every label
 * {@link NULL_LABEL} (ε_u), combined as `'lcm'` ε̂ = ε_c + w(ε_c − ε_u) or `'cfg'` ε̂ = ε_u + w(ε_c − ε_u) (there
 * `w` is the CFG scale s; s = 1 + w_lcm). Samples already labelled NULL_LABEL get ε̂ = ε_u. When `cond.w` is given,
 * sample i is guided with cond.w[i] instead of `w` (ε_c + w_i(ε_c − ε_u) in the `lcm` convention): LCM's per-sample
 * guidance. The inner denoiser is called with the labels only (the guidance is this wrapper's, not the network's).
 * @param w guidance strength in the chosen convention: LCM's w (default convention; SPLAM uses 8), or CFG's s; the
 *   default when `cond.w` is absent.
 * @returns a Denoiser<ClassCond> with the same shapes as `denoiser` ([B, …] in, [B, …] out).
 * @throws ArgumentError for a non-finite w or an unknown convention; the returned denoiser throws ShapeError when
 *   `cond.labels` is missing or not of length B, or `cond.w` is given but not of length B, and ArgumentError for a
 *   non-finite cond.w[i].
 */
export function guided(
  denoiser: Denoiser<ClassCond>,
  w: number,
  convention: GuidanceConvention = 'lcm',
): Denoiser<ClassCond> {
  if (!Number.isFinite(w)) throw new ArgumentError('guided', 'w', w, 'a finite number');
  if (!(GUIDANCE_CONVENTIONS as readonly string[]).includes(convention)) {
    throw new ArgumentError('guided', 'convention', convention, `one of ${GUIDANCE_CONVENTIONS.join(', ')}`);
  }
  return (x: tf.Tensor, t: TimeArg, cond?: ClassCond): tf.Tensor => {
    const B = x.shape[0];
    const labels = labelsOf('guided', cond, B);
    const wi = guidanceOf('guided', cond, B);
    const epsC = denoiser(x, t, { labels });
    let epsU: tf.Tensor | undefined;
    try {
      epsU = denoiser(x, t, { labels: new Array(B).fill(NULL_LABEL) });
      const u = epsU;
      return tf.tidy(() => {
        const scale = wi === undefined ? w : perSample(tf.tensor1d(wi), x.rank);
        return convention === 'lcm'
          ? epsC.add(epsC.sub(u).mul(scale)) // ε_c + w(ε_c − ε_u)
          : u.add(epsC.sub(u).mul(scale)); // ε_u + s(ε_c − ε_u)
      });
    } finally {
      epsC.dispose();
      epsU?.dispose();
    }
  };
}
