/**
 * The solver grid of the official SPLAM / LCM code and its sub-paths
 * ("SPLAM code" below: MCG-NJU/SPLAM@dc442bf:splam/train_splam_distill_sd_wds.py).
 *
 * With N training steps and `numDdimTimesteps` grid points the skip is k = N / numDdimTimesteps and the grid is
 * {k·i − 1 : i = 1 … numDdimTimesteps} = {19, 39, …, 999} for N = 1000, k = 20 (SPLAM code L377–402, L1126–1131).
 * A sub-path is [t − k, t] for a grid time t, with the lower end clamped at 0 (t = 19 → [0, 19]). The sub-path
 * boundaries from noise to data are therefore 999, 979, …, 19, 0.
 */
import { ArgumentError } from '../errors.js';

export interface SolverGrid {
  /** Training steps N. */
  N: number;
  /** Skip k = N / numDdimTimesteps. */
  k: number;
  /** Grid times k·i − 1, ascending: [k − 1, 2k − 1, …, N − 1]. */
  timesteps: number[];
}

/** A sub-path [s, t] with s = max(t − k, 0). */
export interface SubPath {
  /** Index of the sub-path, 0 at the noisy end. */
  index: number;
  /** The noisier end (a grid time). */
  t: number;
  /** The cleaner end: max(t − k, 0). */
  s: number;
}

/**
 * The official code's DDIM grid. Defaults: N = 1000, 50 points (k = 20), as in SPLAM and LCM.
 * @throws ArgumentError if `numDdimTimesteps` is not an integer in [1, N] that divides N.
 */
export function solverGrid(N = 1000, numDdimTimesteps = 50): SolverGrid {
  const fn = 'solverGrid';
  if (!Number.isInteger(N) || N < 2) throw new ArgumentError(fn, 'N', N, 'an integer ≥ 2 (training steps)');
  if (!Number.isInteger(numDdimTimesteps) || numDdimTimesteps < 1 || numDdimTimesteps > N) {
    throw new ArgumentError(fn, 'numDdimTimesteps', numDdimTimesteps, `an integer in [1, ${N}]`);
  }
  if (N % numDdimTimesteps !== 0) {
    throw new ArgumentError(
      fn,
      'numDdimTimesteps',
      numDdimTimesteps,
      `a divisor of the training steps N = ${N} (for example ${divisors(N).slice(0, 12).join(', ')})`,
    );
  }
  const k = N / numDdimTimesteps;
  return { N, k, timesteps: Array.from({ length: numDdimTimesteps }, (_, i) => k * (i + 1) - 1) };
}

/** The grid whose skip is k: N / k points. @throws ArgumentError if k does not divide N. */
export function gridForSkip(N: number, k: number): SolverGrid {
  if (!Number.isInteger(k) || k < 1 || k > N || N % k !== 0) {
    throw new ArgumentError('gridForSkip', 'k', k, `a divisor of N = ${N} (for example ${divisors(N).slice(0, 12).join(', ')})`);
  }
  return solverGrid(N, N / k);
}

/** Check that a skip k matches a grid. @throws ArgumentError naming both. */
export function checkSkip(grid: SolverGrid, k: number): void {
  if (k !== grid.k) {
    throw new ArgumentError('checkSkip', 'k', k, `the grid's skip N / numDdimTimesteps = ${grid.N} / ${grid.timesteps.length} = ${grid.k}`);
  }
}

/** The sub-paths of a grid from the noisy end to the data end: [N−k−1, N−1], …, [0, k−1]. */
export function subPaths(grid: SolverGrid): SubPath[] {
  const desc = [...grid.timesteps].reverse();
  return desc.map((t, index) => ({ index, t, s: Math.max(t - grid.k, 0) }));
}

/** Sub-path boundaries from noise to data: N − 1, N − 1 − k, …, k − 1, 0. */
export function boundaries(grid: SolverGrid): number[] {
  return [...[...grid.timesteps].reverse(), 0];
}

/**
 * Split a trajectory given at a descending list of times into consecutive sub-paths [times[i+1], times[i]].
 * @param times strictly decreasing times, one per trajectory state.
 * @param states the states (any type: tensors, arrays) at those times.
 */
export function splitTrajectory<S>(times: readonly number[], states: readonly S[]): { t: number; s: number; xt: S; xs: S }[] {
  if (times.length !== states.length) {
    throw new ArgumentError('splitTrajectory', 'states', `${states.length} states`, `one state per time (${times.length})`);
  }
  const out: { t: number; s: number; xt: S; xs: S }[] = [];
  for (let i = 0; i + 1 < times.length; i++) {
    if (!(times[i + 1] < times[i])) {
      throw new ArgumentError('splitTrajectory', `times[${i + 1}]`, times[i + 1], `less than times[${i}] = ${times[i]}`);
    }
    out.push({ t: times[i], s: times[i + 1], xt: states[i], xs: states[i + 1] });
  }
  return out;
}

function divisors(n: number): number[] {
  const out: number[] = [];
  for (let d = 1; d <= n; d++) if (n % d === 0) out.push(d);
  return out;
}

/** Times of the one-jump probe over training: five sub-path starts from the noisy end to near the data, then 0. */
export function probeTimes(grid: SolverGrid): number[] {
  const desc = [...grid.timesteps].reverse();
  const pick = [0, 0.25, 0.5, 0.75, 0.95].map((f) => desc[Math.min(desc.length - 1, Math.floor(f * desc.length))]);
  return [...new Set(pick)].concat(0);
}
