/**
 * Time grids for solvers: n steps give n + 1 strictly decreasing DDPM times from `tStart` (noisy) to `tEnd`.
 */
import { ArgumentError } from '../errors.js';
import type { Schedule } from './schedules.js';

export const SPACINGS = ['uniform', 'lambda'] as const;
export type Spacing = (typeof SPACINGS)[number];

export interface GridOptions {
  /** First (noisiest) time. Default N − 1. */
  tStart?: number;
  /** Last time. Default 0. */
  tEnd?: number;
  /** `uniform` in t (default) or uniform in λ = log(α/σ) (the DPM-Solver choice). */
  spacing?: Spacing;
}

/** n + 1 times from tStart down to tEnd. @throws ArgumentError for n < 1, a bad range or an unknown spacing. */
export function timeGrid(schedule: Schedule, n: number, opts: GridOptions = {}): number[] {
  const fn = 'timeGrid';
  const tStart = opts.tStart ?? schedule.N - 1;
  const tEnd = opts.tEnd ?? 0;
  const spacing = opts.spacing ?? 'uniform';
  if (!Number.isInteger(n) || n < 1) throw new ArgumentError(fn, 'n', n, 'an integer ≥ 1 (number of steps)');
  if (!(tStart <= schedule.N - 1 && tStart > tEnd && tEnd >= 0)) {
    throw new ArgumentError(fn, 'tStart/tEnd', [tStart, tEnd], `0 ≤ tEnd < tStart ≤ ${schedule.N - 1}`);
  }
  if (!(SPACINGS as readonly string[]).includes(spacing)) {
    throw new ArgumentError(fn, 'spacing', spacing, `one of ${SPACINGS.join(', ')}`);
  }
  const out: number[] = [];
  if (spacing === 'uniform') {
    for (let i = 0; i <= n; i++) out.push(tStart + ((tEnd - tStart) * i) / n);
  } else {
    const l0 = schedule.lambda(tStart);
    const l1 = schedule.lambda(tEnd);
    for (let i = 0; i <= n; i++) out.push(schedule.tOfLambda(l0 + ((l1 - l0) * i) / n));
  }
  out[0] = tStart;
  out[n] = tEnd;
  return out;
}
