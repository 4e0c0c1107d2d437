/**
 * PF-ODE trajectories of 2-D states, with their sub-path boundaries and the SL-ODE of one sub-path
 * (SPLAM, Xu et al. 2024, figure 2: x_{γ,t} = γ·x_t + (1 − γ)·r_t·x̂_s, r_t = α_t/α_s, γ ∈ [0, 1]).
 */
import { ArgumentError } from '../errors.js';
import { datum, nonEmpty, ofLength, position } from './checks.js';
import { axis, colour } from './style.js';
import type { Datum, Figure, ScatterTrace } from './types.js';

/** The SL-ODE segment of one sub-path [s, t], one per path. */
export interface SlOdeSegments {
  /** Noisier end of the sub-path (same time units as `times`). */
  t: number;
  /** Cleaner end, s < t. */
  s: number;
  /** x_t of each path, [path][2]: the γ = 1 end. */
  xt: number[][];
  /** x̂_s of each path, [path][2]: the solver's point at s (γ = 0 gives r·x̂_s). */
  xs: number[][];
  /** γ values to mark on each segment, in [0, 1]; the ends γ = 0 and γ = 1 are always drawn. */
  gammas: number[];
  /** r_t = α_t/α_s (`subPathCoefs(schedule, t, s).r`). Default 1: `xs` is already the γ = 0 end r_t·x̂_s. */
  r?: number;
}

export interface TrajectoryFigureInput {
  /** Time of each state, noisy → clean (t or σ, as the caller's solver used). */
  times: number[];
  /** States, [path][timeIndex][2]: paths[p][i] is path p at times[i]. NaN (a diverged sample) leaves a gap. */
  paths: number[][][];
  /** Times at which to mark every path (sub-path boundaries, e.g. `boundaries(grid)`); each must be in `times`. */
  subPathBoundaries?: number[];
  /** Dashed SL-ODE segments of one sub-path. */
  slOde?: SlOdeSegments;
  title?: string;
}

const FN = 'trajectoryFigure';

/**
 * 2-D state paths (x₁ across, x₂ up, equal scales, data units), one solid line per path; round markers at
 * the sub-path boundaries (hover shows t); for the chosen sub-path [s, t], one dashed segment per path from the
 * γ = 0 end r·x̂_s to the γ = 1 end x_t, with markers at the given γ (hover shows γ).
 *
 * Traces, in order: one per path (legend group `paths`), then one marker trace of boundaries (if given), then
 * one SL-ODE trace per path (legend group `sl-ode`). Only the first trace of each group shows in the legend.
 * @throws ArgumentError (fn `trajectoryFigure`) naming the argument: empty `times` or `paths`, a path whose
 *   length differs from `times`, a state that is not 2 numbers, ±∞ in a state, a boundary not in `times`,
 *   s ≥ t, γ outside [0, 1], or `slOde.xt`/`xs` not one state per path.
 */
export function trajectoryFigure(input: TrajectoryFigureInput): Figure {
  const times = nonEmpty<number>(FN, 'times', input.times, 'times').map((t, i) => position(FN, `times[${i}]`, t));
  const paths = nonEmpty<number[][]>(FN, 'paths', input.paths, 'paths').map((path, p) =>
    ofLength<number[]>(FN, `paths[${p}]`, path, times.length, 'one state per time').map((x, i) => state(`paths[${p}][${i}]`, x)),
  );

  const data: ScatterTrace[] = paths.map((path, p) => ({
    type: 'scatter',
    mode: 'lines',
    name: 'trajectories',
    x: path.map((x) => x[0]),
    y: path.map((x) => x[1]),
    line: { color: colour(p), width: 1.5 },
    legendgroup: 'paths',
    showlegend: p === 0,
  }));

  if (input.subPathBoundaries !== undefined) data.push(boundaryMarkers(times, paths, input.subPathBoundaries));
  if (input.slOde !== undefined) data.push(...slOdeTraces(input.slOde, paths.length));

  return {
    data,
    layout: {
      title: { text: input.title ?? 'PF-ODE trajectories' },
      xaxis: axis('x₁'),
      yaxis: axis('x₂', false, { scaleanchor: 'x', scaleratio: 1 }),
      hovermode: 'closest',
    },
  };
}

function state(arg: string, x: unknown): [Datum, Datum] {
  if (!Array.isArray(x) || x.length !== 2) throw new ArgumentError(FN, arg, x, 'a 2-D state [x₁, x₂]');
  return [datum(FN, `${arg}[0]`, x[0]), datum(FN, `${arg}[1]`, x[1])];
}

function boundaryMarkers(times: readonly number[], paths: readonly [Datum, Datum][][], boundaries: unknown): ScatterTrace {
  const at = nonEmpty<number>(FN, 'subPathBoundaries', boundaries, 'times').map((b, j) => {
    const arg = `subPathBoundaries[${j}]`;
    const t = position(FN, arg, b);
    const i = times.findIndex((u) => Math.abs(u - t) <= 1e-9 * Math.max(1, Math.abs(t)));
    if (i < 0) throw new ArgumentError(FN, arg, t, `one of the times (${times.length} from ${times[0]} to ${times[times.length - 1]})`);
    return i;
  });
  const x: Datum[] = [];
  const y: Datum[] = [];
  const text: string[] = [];
  const color: string[] = [];
  paths.forEach((path, p) =>
    at.forEach((i) => {
      x.push(path[i][0]);
      y.push(path[i][1]);
      text.push(`t = ${times[i]}`);
      color.push(colour(p));
    }),
  );
  return { type: 'scatter', mode: 'markers', name: 'sub-path boundaries', x, y, text, marker: { color, size: 7, symbol: 'circle' } };
}

function slOdeTraces(sl: SlOdeSegments, nPaths: number): ScatterTrace[] {
  const t = position(FN, 'slOde.t', sl.t);
  const s = position(FN, 'slOde.s', sl.s);
  if (!(s < t)) throw new ArgumentError(FN, 'slOde.s', s, `less than slOde.t = ${t}`);
  const r = sl.r === undefined ? 1 : position(FN, 'slOde.r', sl.r);
  if (!(r > 0)) throw new ArgumentError(FN, 'slOde.r', r, 'a positive number α_t/α_s');
  const gammas = nonEmpty<number>(FN, 'slOde.gammas', sl.gammas, 'γ values').map((g, j) => {
    const v = position(FN, `slOde.gammas[${j}]`, g);
    if (v < 0 || v > 1) throw new ArgumentError(FN, `slOde.gammas[${j}]`, v, 'a number in [0, 1]');
    return v;
  });
  const gs = [...new Set([0, ...gammas, 1])].sort((a, b) => a - b);
  const xt = ofLength<number[]>(FN, 'slOde.xt', sl.xt, nPaths, 'one state per path').map((x, p) => state(`slOde.xt[${p}]`, x));
  const xs = ofLength<number[]>(FN, 'slOde.xs', sl.xs, nPaths, 'one state per path').map((x, p) => state(`slOde.xs[${p}]`, x));
  // x_{γ,t} = γ·x_t + (1 − γ)·r·x̂_s, coordinate by coordinate; a gap stays a gap.
  const along = (a: Datum, b: Datum, g: number): Datum => (a === null || b === null ? null : g * a + (1 - g) * r * b);
  return xt.map((a, p) => ({
    type: 'scatter',
    mode: 'lines+markers',
    name: `SL-ODE [${s}, ${t}]`,
    x: gs.map((g) => along(a[0], xs[p][0], g)),
    y: gs.map((g) => along(a[1], xs[p][1], g)),
    text: gs.map((g) => `γ = ${g}`),
    line: { color: colour(p), dash: 'dash', width: 1.5 },
    marker: { size: 4 },
    legendgroup: 'sl-ode',
    showlegend: p === 0,
  }));
}
