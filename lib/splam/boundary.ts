/**
 * LCM's boundary-condition scalings (MCG-NJU/SPLAM@dc442bf:splam/train_splam_distill_sd_wds.py:331-336; diffusers
 * LCMScheduler.get_scalings_for_boundary_condition_discrete):
 *   c_skip(t) = σ_d² / ((s·t)² + σ_d²),   c_out(t) = s·t / √((s·t)² + σ_d²),
 * with σ_d = 0.5 and timestep scaling s = 10 (the code writes t/0.1), t the DDPM index. c_skip(0) = 1 and
 * c_out(0) = 0, so f(x, 0) = x; at every grid time t ≥ 19, c_out ≈ 1 and f is the network's x̂_0.
 * The consistency map is f_θ(x, t) = c_skip(t)·x + c_out(t)·x̂_0,θ(x, t).
 */
import { ArgumentError } from '../errors.js';

/** σ_d of LCM/SPLAM. */
export const SIGMA_DATA = 0.5;
/** LCM's timestep scaling (the code's `t / 0.1`). */
export const TIMESTEP_SCALING = 10;

export interface BoundaryOptions {
  /** σ_d, default {@link SIGMA_DATA} = 0.5. */
  sigmaData?: number;
  /** Timestep scaling, default {@link TIMESTEP_SCALING} = 10. */
  timestepScaling?: number;
}

function check(fn: string, t: number, o: BoundaryOptions) {
  if (!(t >= 0) || !Number.isFinite(t)) throw new ArgumentError(fn, 't', t, 'a finite time ≥ 0 (the DDPM index)');
  if (o.sigmaData !== undefined && !(o.sigmaData > 0)) throw new ArgumentError(fn, 'sigmaData', o.sigmaData, 'a number > 0');
  if (o.timestepScaling !== undefined && !(o.timestepScaling > 0)) {
    throw new ArgumentError(fn, 'timestepScaling', o.timestepScaling, 'a number > 0');
  }
}

/** c_skip(t) = σ_d²/((10t)² + σ_d²). */
export function cSkip(t: number, o: BoundaryOptions = {}): number {
  check('cSkip', t, o);
  const sd = o.sigmaData ?? SIGMA_DATA;
  const st = (o.timestepScaling ?? TIMESTEP_SCALING) * t;
  return (sd * sd) / (st * st + sd * sd);
}

/** c_out(t) = 10t/√((10t)² + σ_d²). */
export function cOut(t: number, o: BoundaryOptions = {}): number {
  check('cOut', t, o);
  const sd = o.sigmaData ?? SIGMA_DATA;
  const st = (o.timestepScaling ?? TIMESTEP_SCALING) * t;
  return st / Math.sqrt(st * st + sd * sd);
}
