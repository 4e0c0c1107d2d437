/**
 * PF-ODE trajectories of 2-D states, with their sub-path boundaries and the SL-ODE of one sub-path
 * (SPLAM, Xu et al. 2024, figure 2: x_{γ,t} = γ·x_t + (1 − γ)·r_t·x̂_s, r_t = α_t/α_s, γ ∈ [0, 1]).
 */
import { ArgumentError } from '../errors.js';
import { datum, nonEmpty, ofLength, position } from './checks.js';
import { axis } from './style.js';
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
  /** The path whose sub-path the zoom panel shows. Default 0. */
  zoomPath?: number;
}

/** The colours of the figure: muted trajectories, and the highlighted sub-path in colours no path uses. */
export const TRAJECTORY_COLOURS = {
  paths: '#8c9db5',
  boundaries: 'rgba(70, 70, 70, 0.4)',
  exactSubPath: '#111111',
  slOde: '#d62728',
} as const;

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
 * 2-D state paths (x₁ across, x₂ up, equal scales, data units), one muted line per path; small open markers at
 * the sub-path boundaries (hover shows t), drawn under the paths so that they do not bury them. With `slOde`, the chosen
 * sub-path [s, t] is highlighted in its own colours on every path — the exact PF-ODE from x_t to x_s (solid,
 * dark) and the SL-ODE from the γ = 0 end r·x̂_s to the γ = 1 end x_t (dashed, red, markers at the given γ) —
 * and a second panel on the right zooms on one path's sub-path (`slOde.zoomPath`), whose box is drawn in the
 * first panel: at the data end a sub-path is a few hundredths long and invisible at the scale of the whole flow.
 *
 * Traces, in order: the boundary markers (if given, group `boundaries`; under the paths), one per path (legend
 * group `paths`), then with `slOde`: the exact sub-path per path (group `exact-sub-path`, only when s and t are among `times`),
 * the SL-ODE per path (group `sl-ode`), then the zoom panel's copies of these for the zoomed path (axes `x2`/`y2`). One
 * legend entry per group; clicking it toggles the group in both panels.
 * @throws ArgumentError (fn `trajectoryFigure`) naming the argument: empty `times` or `paths`, a path whose
 *   length differs from `times`, a state that is not 2 numbers, ±∞ in a state, a boundary not in `times`,
 *   s ≥ t, γ outside [0, 1], `slOde.xt`/`xs` not one state per path, or a `zoomPath` that is not a path.
 */
export function trajectoryFigure(input: TrajectoryFigureInput): Figure {
  const times = nonEmpty<number>(FN, 'times', input.times, 'times').map((t, i) => position(FN, `times[${i}]`, t));
  const paths = nonEmpty<number[][]>(FN, 'paths', input.paths, 'paths').map((path, p) =>
    ofLength<number[]>(FN, `paths[${p}]`, path, times.length, 'one state per time').map((x, i) => state(`paths[${p}][${i}]`, x)),
  );

  const pathTraces: ScatterTrace[] = paths.map((path, p) => ({
    type: 'scatter',
    mode: 'lines',
    name: 'PF-ODE trajectories (exact)',
    x: path.map((x) => x[0]),
    y: path.map((x) => x[1]),
    line: { color: TRAJECTORY_COLOURS.paths, width: 1.2 },
    legendgroup: 'paths',
    showlegend: p === 0,
  }));
  // Boundary markers first, so that the paths are drawn over them.
  const marks = input.subPathBoundaries !== undefined ? boundaryMarkers(times, paths, input.subPathBoundaries) : null;
  const data: ScatterTrace[] = [...(marks ? [marks] : []), ...pathTraces];
  const layout: Figure['layout'] = {
    title: { text: input.title ?? 'PF-ODE trajectories' },
    xaxis: axis('x₁'),
    yaxis: axis('x₂', false, { scaleanchor: 'x', scaleratio: 1 }),
    hovermode: 'closest',
  };
  if (input.slOde === undefined) return { data, layout };

  const sl = slOdeTraces(input.slOde, paths.length);
  const exact = exactSubPathTraces(times, paths, sl.t, sl.s);
  data.push(...exact, ...sl.traces);
  const zp = input.slOde.zoomPath ?? 0;
  if (!Number.isInteger(zp) || zp < 0 || zp >= paths.length) throw new ArgumentError(FN, 'slOde.zoomPath', zp, `an integer path index in [0, ${paths.length - 1}]`);
  const box = zoomBox([sl.traces[zp], ...(exact.length ? [exact[zp]] : [])]);
  const inZoom = (t: ScatterTrace): ScatterTrace => ({ ...t, xaxis: 'x2', yaxis: 'y2', showlegend: false });
  // The zoom panel draws only the zoomed path (the others rarely cross its box, and would double the JSON).
  const zoomMarks = input.subPathBoundaries !== undefined ? boundaryMarkers(times, [paths[zp]], input.subPathBoundaries) : null;
  data.push(...(zoomMarks ? [inZoom(zoomMarks)] : []), inZoom(pathTraces[zp]), ...(exact.length ? [inZoom(exact[zp])] : []), inZoom(sl.traces[zp]));
  layout.xaxis = { ...axis('x₁'), domain: [0, 0.55] };
  layout.yaxis = axis('x₂', false, { scaleanchor: 'x', scaleratio: 1, anchor: 'x' });
  layout.xaxis2 = { ...axis('x₁'), domain: [0.63, 1], range: box.x, anchor: 'y2' };
  layout.yaxis2 = axis('x₂', false, { range: box.y, anchor: 'x2', scaleanchor: 'x2', scaleratio: 1 });
  layout.shapes = [{ type: 'rect', xref: 'x', yref: 'y', x0: box.x[0], x1: box.x[1], y0: box.y[0], y1: box.y[1], line: { color: TRAJECTORY_COLOURS.slOde, width: 1 } }];
  layout.annotations = [
    { text: 'all paths', xref: 'paper', yref: 'paper', x: 0.275, y: 1, xanchor: 'center', yanchor: 'bottom', showarrow: false },
    { text: `zoom: path ${zp} on [s, t] = [${sl.s}, ${sl.t}]`, xref: 'paper', yref: 'paper', x: 0.815, y: 1, xanchor: 'center', yanchor: 'bottom', showarrow: false },
  ];
  return { data, layout };
}

/** The exact path from x_t to x_s (the states at t and s, and any times between), per path; none unless both are in `times`. */
function exactSubPathTraces(times: readonly number[], paths: readonly [Datum, Datum][][], t: number, s: number): ScatterTrace[] {
  const near = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
  const it = times.findIndex((u) => near(u, t));
  const is = times.findIndex((u) => near(u, s));
  if (it < 0 || is < 0) return [];
  const [lo, hi] = it < is ? [it, is] : [is, it];
  return paths.map((path, p) => ({
    type: 'scatter',
    mode: 'lines',
    name: `exact PF-ODE on [${s}, ${t}]`,
    x: path.slice(lo, hi + 1).map((x) => x[0]),
    y: path.slice(lo, hi + 1).map((x) => x[1]),
    line: { color: TRAJECTORY_COLOURS.exactSubPath, width: 3 },
    legendgroup: 'exact-sub-path',
    showlegend: p === 0,
  }));
}

/** The axis ranges that hold every point of the traces, padded by 20 % of the larger side (equal aspect). */
function zoomBox(traces: readonly ScatterTrace[]): { x: [number, number]; y: [number, number] } {
  const xs = traces.flatMap((t) => t.x).filter((v): v is number => v !== null);
  const ys = traces.flatMap((t) => t.y).filter((v): v is number => v !== null);
  if (!xs.length || !ys.length) return { x: [-1, 1], y: [-1, 1] };
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const half = Math.max(x1 - x0, y1 - y0, 1e-3) * 0.6; // the larger side plus 20 %, halved
  const [cx, cy] = [(x0 + x1) / 2, (y0 + y1) / 2];
  return { x: [cx - half, cx + half], y: [cy - half, cy + half] };
}

/** Coordinates to 1e-6 (a zoom on a sub-path at the data end spans ~1e-2): half the JSON of full doubles. */
const round6 = (v: Datum): Datum => (v === null ? null : Math.round(v * 1e6) / 1e6);

function state(arg: string, x: unknown): [Datum, Datum] {
  if (!Array.isArray(x) || x.length !== 2) throw new ArgumentError(FN, arg, x, 'a 2-D state [x₁, x₂]');
  return [round6(datum(FN, `${arg}[0]`, x[0])), round6(datum(FN, `${arg}[1]`, x[1]))];
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
  paths.forEach((path) =>
    at.forEach((i) => {
      x.push(path[i][0]);
      y.push(path[i][1]);
      text.push(`t = ${times[i]}`);
    }),
  );
  // Small open circles in translucent grey: 50 boundaries per path must not bury the paths drawn under them.
  return {
    type: 'scatter',
    mode: 'markers',
    name: 'sub-path boundaries',
    x,
    y,
    text,
    marker: { color: TRAJECTORY_COLOURS.boundaries, size: 4, symbol: 'circle-open', line: { color: TRAJECTORY_COLOURS.boundaries, width: 0.8 } },
    legendgroup: 'boundaries',
  };
}

function slOdeTraces(sl: SlOdeSegments, nPaths: number): { t: number; s: number; traces: ScatterTrace[] } {
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
  const along = (a: Datum, b: Datum, g: number): Datum => (a === null || b === null ? null : round6(g * a + (1 - g) * r * b));
  const traces: ScatterTrace[] = xt.map((a, p) => ({
    type: 'scatter',
    mode: 'lines+markers',
    name: `SL-ODE on [${s}, ${t}] (γ = 0 … 1)`,
    x: gs.map((g) => along(a[0], xs[p][0], g)),
    y: gs.map((g) => along(a[1], xs[p][1], g)),
    text: gs.map((g) => `γ = ${g}`),
    line: { color: TRAJECTORY_COLOURS.slOde, dash: 'dash', width: 2 },
    marker: { size: 5, color: TRAJECTORY_COLOURS.slOde },
    legendgroup: 'sl-ode',
    showlegend: p === 0,
  }));
  return { t, s, traces };
}
