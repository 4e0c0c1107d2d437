/**
 * Per-sub-path error figures for {@link TrajectoryErrorReport} and {@link GammaErrorCurve}
 * (lib/splam/trajectory-error.ts). Errors there are per-sample RMS distances over the state's dimensions (data
 * units), summarised over the batch; the figures plot the batch mean. Error bars: on a log axis the 10 % and 90 %
 * quantiles when the statistic has them (± one std would cross zero there), otherwise ± one std.
 */
import type { GammaErrorCurve, TrajectoryErrorReport } from '../splam/trajectory-error.js';
import type { ErrorStat } from '../metrics/per-sample.js';
import { datum, label, nonEmpty, ofLength, position, uniqueLabels } from './checks.js';
import { axis, colour } from './style.js';
import type { Annotation, Axis, Datum, ErrorBars, Figure, Layout, ScatterTrace } from './types.js';

export interface SubPathErrorFigureOptions {
  /** Log-scale error axes (the local and chained panels; the increment panel stays linear). Default false. */
  log?: boolean;
  /**
   * What runs across: `index` (sub-path 0 at the noisy end, default) or `t`, the time at which each error is
   * measured, i.e. the cleaner end s of its sub-path (axis reversed so noise stays on the left).
   */
  x?: 'index' | 't';
  title?: string;
}

const FN_SUB = 'subPathErrorFigure';

/** The three panels of {@link subPathErrorFigure}, top to bottom, as [y-axis id, domain]. */
const SUB_PANELS = [
  ['y', [0.7, 1]],
  ['y2', [0.36, 0.64]],
  ['y3', [0, 0.28]],
] as const;

/**
 * Error per sub-path, per labelled report (one colour per label), in three panels sharing the x axis:
 * - **local**: one jump from the exact x*_t against x*_s (`local`);
 * - **chained**: the chain of jumps from x_T, at s, against x*_s (`cumulative`), beside the running sum of the
 *   local errors up to that sub-path (dotted) — what the chained error would be if every earlier error were
 *   carried forward undamped and all pointed the same way; the chain is below it, and can even fall, because the
 *   flow contracts nearby trajectories towards the modes and the jumps' errors partly cancel;
 * - **increment**: how much the chained error changed on that sub-path (chained at s minus chained at t; linear
 *   axis, negative where the chain got closer).
 *
 * Traces, per label in order: local, chained, Σ local, increment (axes y, y2, y2, y3), legend group = the label.
 * @throws ArgumentError (fn `subPathErrorFigure`): no reports, an empty or repeated label, a report without
 *   sub-paths, a non-finite index or time, ±∞ in an error statistic.
 */
export function subPathErrorFigure(reports: { label: string; report: TrajectoryErrorReport }[], opts: SubPathErrorFigureOptions = {}): Figure {
  const byTime = (opts.x ?? 'index') === 't';
  const log = opts.log === true;
  const items = nonEmpty<{ label: string; report: TrajectoryErrorReport }>(FN_SUB, 'reports', reports, 'labelled reports');
  const labels = items.map((r, i) => label(FN_SUB, `reports[${i}].label`, r.label));
  uniqueLabels(FN_SUB, (i) => `reports[${i}].label`, labels);
  let quantileBars = log;

  const data: ScatterTrace[] = items.flatMap(({ report }, i) => {
    const at = `reports[${i}].report.subPaths`;
    const subPaths = nonEmpty<TrajectoryErrorReport['subPaths'][number]>(FN_SUB, at, report?.subPaths, 'sub-path errors');
    const x = subPaths.map((sp, j) => (byTime ? position(FN_SUB, `${at}[${j}].s`, sp.s) : position(FN_SUB, `${at}[${j}].index`, sp.index)));
    const local = summary(FN_SUB, subPaths.map((sp) => sp.local), (j) => `${at}[${j}].local`, log);
    const chained = summary(FN_SUB, subPaths.map((sp) => sp.cumulative), (j) => `${at}[${j}].cumulative`, log);
    quantileBars &&= local.quantiles && chained.quantiles;
    let run = 0;
    const sumLocal: Datum[] = local.y.map((v) => (v === null || run === null ? (run = null as unknown as number) : (run += v)));
    const increment: Datum[] = chained.y.map((v, j) => (j === 0 ? v : v === null || chained.y[j - 1] === null ? null : v - (chained.y[j - 1] as number)));
    const c = colour(i);
    const base = { type: 'scatter' as const, x, legendgroup: labels[i] };
    return [
      { ...base, mode: 'lines+markers', name: `${labels[i]}: local`, y: local.y, error_y: local.error, line: { color: c }, marker: { size: 5 } },
      { ...base, mode: 'lines+markers', name: `${labels[i]}: chained`, y: chained.y, error_y: chained.error, line: { color: c }, marker: { size: 5 }, yaxis: 'y2' },
      { ...base, mode: 'lines', name: `${labels[i]}: sum of local errors`, y: sumLocal, line: { color: c, dash: 'dot', width: 1.5 }, yaxis: 'y2' },
      { ...base, mode: 'lines+markers', name: `${labels[i]}: increment of the chained error`, y: increment, line: { color: c }, marker: { size: 4 }, yaxis: 'y3' },
    ] satisfies ScatterTrace[];
  });

  const bars = quantileBars ? 'mean; bars: 10–90 % quantiles' : 'mean ± std';
  const [yTop, yMid, yLow] = SUB_PANELS.map(([, d]) => [...d] as [number, number]);
  const layout: Layout = {
    title: { text: opts.title ?? 'Error per sub-path: local, chained, and the chained error\'s increment' },
    xaxis: byTime ? axis('t (cleaner end of the sub-path)', false, { autorange: 'reversed', anchor: 'y3' }) : axis('sub-path index (0 = noisy end)', false, { anchor: 'y3' }),
    yaxis: axis('local', log, { domain: yTop, anchor: 'x' }),
    yaxis2: axis('chained', log, { domain: yMid, anchor: 'x' }),
    yaxis3: axis('increment', false, { domain: yLow, anchor: 'x', zeroline: true }),
    annotations: [
      panelTitle(`local error: one jump from the exact x*_t (per-sample RMS, ${bars})`, yTop[1]),
      panelTitle('chained error of the jumps from x_T (solid) and the sum of local errors (dotted)', yMid[1]),
      panelTitle('increment of the chained error on each sub-path (< 0: the chain got closer)', yLow[1]),
    ],
    hovermode: 'closest',
  };
  return { data, layout };
}

function panelTitle(text: string, top: number, x = 0.5): Annotation {
  return { text, xref: 'paper', yref: 'paper', x, y: top, xanchor: 'center', yanchor: 'bottom', showarrow: false };
}

export interface GammaErrorFigureOptions {
  /** Log-scale error axis. Default false. */
  log?: boolean;
  title?: string;
  /** Facets per row. Default 3. */
  columns?: number;
}

const FN_GAMMA = 'gammaErrorFigure';

/**
 * Error of a γ-conditioned map along the SL-ODE of each sub-path against the exact data end: one small panel per
 * sub-path (facets on one shared y scale, titled `sub-path i [s, t]`), x = γ ∈ [0, 1], y = mean error with
 * error bars (see the module note), one line per label in the label's colour. The legend has one entry per
 * label (clicking it toggles that label in every facet). Sub-paths are matched across labels by index; each
 * facet shows the labels that measured that sub-path.
 * @throws ArgumentError (fn `gammaErrorFigure`): no labels or curves, an empty or repeated label, γ and errors
 *   of different lengths, a non-finite γ, ±∞ in an error statistic.
 */
export function gammaErrorFigure(curves: { label: string; curves: GammaErrorCurve[] }[], opts: GammaErrorFigureOptions = {}): Figure {
  const items = nonEmpty<{ label: string; curves: GammaErrorCurve[] }>(FN_GAMMA, 'curves', curves, 'labelled curve lists');
  const labels = items.map((c, i) => label(FN_GAMMA, `curves[${i}].label`, c.label));
  uniqueLabels(FN_GAMMA, (i) => `curves[${i}].label`, labels);
  const log = opts.log === true;

  // The facets: every sub-path index any label measured, in order of first appearance.
  const facets: { index: number; s: number; t: number }[] = [];
  items.forEach((item, i) =>
    nonEmpty<GammaErrorCurve>(FN_GAMMA, `curves[${i}].curves`, item.curves, 'γ-error curves').forEach((c) => {
      if (!facets.some((f) => f.index === c.index)) facets.push({ index: c.index, s: c.s, t: c.t });
    }),
  );
  const cols = Math.max(1, Math.min(opts.columns ?? 3, facets.length));
  const rows = Math.ceil(facets.length / cols);
  const id = (k: number) => (k === 0 ? '' : String(k + 1));
  let quantileBars = log;
  const shown = new Set<string>();

  const data: ScatterTrace[] = items.flatMap((item, i) =>
    item.curves.map((c, j) => {
      const at = `curves[${i}].curves[${j}]`;
      const x = nonEmpty<number>(FN_GAMMA, `${at}.gammas`, c.gammas, 'γ values').map((g, k) => position(FN_GAMMA, `${at}.gammas[${k}]`, g));
      const errors = ofLength<ErrorStat>(FN_GAMMA, `${at}.error`, c.error, x.length, 'one statistic per γ');
      const stats = summary(FN_GAMMA, errors, (k) => `${at}.error[${k}]`, log);
      quantileBars &&= stats.quantiles;
      const k = facets.findIndex((f) => f.index === c.index);
      const first = !shown.has(labels[i]);
      shown.add(labels[i]);
      return {
        type: 'scatter',
        mode: 'lines+markers',
        name: labels[i],
        x,
        y: stats.y,
        error_y: stats.error,
        text: x.map(() => `sub-path ${c.index} [${c.s}, ${c.t}]`),
        line: { color: colour(i) },
        marker: { size: 5 },
        legendgroup: labels[i],
        showlegend: first,
        xaxis: `x${id(k)}`,
        yaxis: `y${id(k)}`,
      } satisfies ScatterTrace;
    }),
  );

  const bars = quantileBars ? 'mean; bars: 10–90 % quantiles' : 'mean ± std';
  const layout: Layout = {
    title: { text: `${opts.title ?? 'Error along the SL-ODE vs γ, one panel per sub-path'} (per-sample RMS, ${bars})` },
    hovermode: 'closest',
    annotations: [],
  };
  const gap = 0.06;
  facets.forEach((f, k) => {
    const r = Math.floor(k / cols);
    const c = k % cols;
    const xd: [number, number] = [c / cols + (c > 0 ? gap / 2 : 0), (c + 1) / cols - (c < cols - 1 ? gap / 2 : 0)];
    const yd: [number, number] = [1 - (r + 1) / rows + (r < rows - 1 ? gap : 0), 1 - r / rows - (r > 0 ? gap / 2 : 0)];
    const xAxis: Axis = axis(r === rows - 1 || k + cols >= facets.length ? 'γ (0: r·x̂_s, 1: x_t)' : '', false, { range: [-0.05, 1.05], domain: xd, anchor: `y${id(k)}` });
    const yAxis: Axis = axis(c === 0 ? 'error to the data end' : '', log, { domain: yd, anchor: `x${id(k)}`, ...(k > 0 ? { matches: 'y' } : {}) });
    layout[`xaxis${id(k)}` as 'xaxis'] = xAxis;
    layout[`yaxis${id(k)}` as 'yaxis'] = yAxis;
    layout.annotations!.push(panelTitle(`sub-path ${f.index} [${f.s}, ${f.t}]`, yd[1], (xd[0] + xd[1]) / 2));
  });
  return { data, layout };
}

/**
 * Means as y; error bars from the 10 %/90 % quantiles on a log axis when every statistic has them (asymmetric,
 * clipped at the mean), else ± std. NaN becomes a gap.
 */
function summary(fn: string, stats: readonly ErrorStat[], arg: (j: number) => string, log: boolean): { y: Datum[]; error: ErrorBars; quantiles: boolean } {
  const y = stats.map((e, j) => datum(fn, `${arg(j)}.mean`, e?.mean));
  const quantiles = log && stats.every((e) => typeof e?.q10 === 'number' && typeof e?.q90 === 'number');
  if (quantiles) {
    const up = stats.map((e, j) => (y[j] === null ? null : Math.max(0, (datum(fn, `${arg(j)}.q90`, e.q90) ?? NaN) - (y[j] as number))));
    const down = stats.map((e, j) => (y[j] === null ? null : Math.max(0, (y[j] as number) - (datum(fn, `${arg(j)}.q10`, e.q10) ?? NaN))));
    const clean = (v: number | null) => (v === null || Number.isNaN(v) ? null : v);
    return { y, error: { type: 'data', symmetric: false, array: up.map(clean), arrayminus: down.map(clean), visible: true }, quantiles };
  }
  return { y, error: { type: 'data', array: stats.map((e, j) => datum(fn, `${arg(j)}.std`, e?.std)), visible: true }, quantiles };
}
