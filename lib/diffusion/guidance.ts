/**
 * Classifier-free guidance (Ho & Salimans 2022) for any class-conditional {@link Denoiser}: the analytic
 * conditional mixture now, a trained network later.
 *
 * Two conventions for the same family of guided predictions, ε̂ = ε_u + s·(ε_c − ε_u) = ε_c + w·(ε_c − ε_u):
 *  - `'lcm'` (default): ε̂ = ε_c + w·(ε_c − ε_u), the LCM paper's and the SPLAM/LCM code's w (SPLAM's default
 *    `--w_scale` 8; research/splam-paper.md §3.1). w = 0 is the conditional teacher.
 *  - `'cfg'`: ε̂ = ε_u + s·(ε_c − ε_u), Ho & Salimans' / diffusers' `guidance_scale` s. s = 1 is the conditional
 *    teacher, s = 0 the unconditional one.
 * They map by s = 1 + w: SPLAM's w = 8 is CFG scale 9.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, ShapeError } from '../errors.js';
import type { Denoiser, TimeArg } from './types.js';

/** The label-dropout token: a sample with this label is denoised unconditionally. */
export const NULL_LABEL = -1;

/** Conditioning of a class-conditional denoiser: one label per sample, {@link NULL_LABEL} for unconditional. */
export interface ClassCond {
  /** Class indices, length B (integers ≥ 0, or −1 for unconditional); a host array or an int32 tensor [B]. */
  labels: number[] | tf.Tensor1D;
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
 * Guided ε̂ from a class-conditional denoiser: one call with the labels (ε_c), one with every label
 * {@link NULL_LABEL} (ε_u), combined as `'lcm'` ε̂ = ε_c + w(ε_c − ε_u) or `'cfg'` ε̂ = ε_u + w(ε_c − ε_u) (there
 * `w` is the CFG scale s; s = 1 + w_lcm). Samples already labelled NULL_LABEL get ε̂ = ε_u.
 * @param w guidance strength in the chosen convention: LCM's w (default convention; SPLAM uses 8), or CFG's s.
 * @returns a Denoiser<ClassCond> with the same shapes as `denoiser` ([B, …] in, [B, …] out).
 * @throws ArgumentError for a non-finite w or an unknown convention; the returned denoiser throws ShapeError when
 *   `cond.labels` is missing or not of length B.
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
    const epsC = denoiser(x, t, { labels });
    let epsU: tf.Tensor | undefined;
    try {
      epsU = denoiser(x, t, { labels: new Array(B).fill(NULL_LABEL) });
      const u = epsU;
      return tf.tidy(() =>
        convention === 'lcm'
          ? epsC.add(epsC.sub(u).mul(w)) // ε_c + w(ε_c − ε_u)
          : u.add(epsC.sub(u).mul(w)), // ε_u + s(ε_c − ε_u)
      );
    } finally {
      epsC.dispose();
      epsU?.dispose();
    }
  };
}
