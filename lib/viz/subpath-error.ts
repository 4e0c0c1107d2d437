/**
 * Per-sub-path error figures for {@link TrajectoryErrorReport} and {@link GammaErrorCurve}
 * (lib/splam/trajectory-error.ts). Errors there are per-sample RMS distances over the state's dimensions (data
 * units), summarised over the batch; the figures plot the batch mean with ± one standard deviation as error bars.
 */
import type { ErrorStat, GammaErrorCurve, TrajectoryErrorReport } from '../splam/trajectory-error.js';
import { datum, label, nonEmpty, ofLength, position, uniqueLabels } from './checks.js';
import { axis, colour, dash } from './style.js';
import type { Datum, ErrorBars, Figure, ScatterTrace } from './types.js';

export interface SubPathErrorFigureOptions {
  /** Log-scale error axis. Default false. */
  log?: boolean;
  /**
   * What runs across: `index` (sub-path 0 at the noisy end, default) or `t`, the time at which each error is
   * measured, i.e. the cleaner end s of its sub-path (axis reversed so noise stays on the left).
   */
  x?: 'index' | 't';
  title?: string;
}

const FN_SUB = 'subPathErrorFigure';

/**
 * Local error (one jump from the exact point) and cumulative error (the chained estimate) of each sub-path,
 * per labelled report: two traces per label in the label's colour, local solid then cumulative dashed,
 * y = mean error, error bars = std, x = sub-path index or time (see {@link SubPathErrorFigureOptions.x}).
 * @throws ArgumentError (fn `subPathErrorFigure`): no reports, an empty or repeated label, a report without
 *   sub-paths, a non-finite index or time, ±∞ in an error statistic.
 */
export function subPathErrorFigure(reports: { label: string; report: TrajectoryErrorReport }[], opts: SubPathErrorFigureOptions = {}): Figure {
  const byTime = (opts.x ?? 'index') === 't';
  const items = nonEmpty<{ label: string; report: TrajectoryErrorReport }>(FN_SUB, 'reports', reports, 'labelled reports');
  const labels = items.map((r, i) => label(FN_SUB, `reports[${i}].label`, r.label));
  uniqueLabels(FN_SUB, (i) => `reports[${i}].label`, labels);

  const data: ScatterTrace[] = items.flatMap(({ report }, i) => {
    const at = `reports[${i}].report.subPaths`;
    const subPaths = nonEmpty<TrajectoryErrorReport['subPaths'][number]>(FN_SUB, at, report?.subPaths, 'sub-path errors');
    const x = subPaths.map((sp, j) => (byTime ? position(FN_SUB, `${at}[${j}].s`, sp.s) : position(FN_SUB, `${at}[${j}].index`, sp.index)));
    const trace = (kind: 'local' | 'cumulative'): ScatterTrace => {
      const stats = summary(FN_SUB, subPaths.map((sp) => sp[kind]), (j) => `${at}[${j}].${kind}`);
      return {
        type: 'scatter',
        mode: 'lines+markers',
        name: `${labels[i]}: ${kind}`,
        x,
        y: stats.y,
        error_y: stats.error,
        line: { color: colour(i), dash: kind === 'local' ? 'solid' : 'dash' },
        legendgroup: labels[i],
      };
    };
    return [trace('local'), trace('cumulative')];
  });

  return {
    data,
    layout: {
      title: { text: opts.title ?? 'Error per sub-path: local (solid) and cumulative (dashed)' },
      xaxis: byTime ? axis('t (cleaner end of the sub-path)', false, { autorange: 'reversed' }) : axis('sub-path index (0 = noisy end)'),
      yaxis: axis('error (per-sample RMS, mean ± std)', opts.log === true),
      hovermode: 'closest',
    },
  };
}

export interface GammaErrorFigureOptions {
  /** Log-scale error axis. Default false. */
  log?: boolean;
  title?: string;
}

const FN_GAMMA = 'gammaErrorFigure';

/**
 * Error of a γ-conditioned map along the SL-ODE of each sub-path against the exact data end: x = γ ∈ [0, 1],
 * y = mean error, error bars = std, one line per (label, sub-path). Colour follows the sub-path's position in
 * its list, dash the label; legend entries read `label: sub-path i [s, t]`, grouped by label.
 * @throws ArgumentError (fn `gammaErrorFigure`): no labels or curves, an empty or repeated label, γ and errors
 *   of different lengths, a non-finite γ, ±∞ in an error statistic.
 */
export function gammaErrorFigure(curves: { label: string; curves: GammaErrorCurve[] }[], opts: GammaErrorFigureOptions = {}): Figure {
  const items = nonEmpty<{ label: string; curves: GammaErrorCurve[] }>(FN_GAMMA, 'curves', curves, 'labelled curve lists');
  const labels = items.map((c, i) => label(FN_GAMMA, `curves[${i}].label`, c.label));
  uniqueLabels(FN_GAMMA, (i) => `curves[${i}].label`, labels);

  const data: ScatterTrace[] = items.flatMap((item, i) =>
    nonEmpty<GammaErrorCurve>(FN_GAMMA, `curves[${i}].curves`, item.curves, 'γ-error curves').map((c, j) => {
      const at = `curves[${i}].curves[${j}]`;
      const x = nonEmpty<number>(FN_GAMMA, `${at}.gammas`, c.gammas, 'γ values').map((g, k) => position(FN_GAMMA, `${at}.gammas[${k}]`, g));
      const errors = ofLength<ErrorStat>(FN_GAMMA, `${at}.error`, c.error, x.length, 'one statistic per γ');
      const stats = summary(FN_GAMMA, errors, (k) => `${at}.error[${k}]`);
      return {
        type: 'scatter',
        mode: 'lines+markers',
        name: `${labels[i]}: sub-path ${c.index} [${c.s}, ${c.t}]`,
        x,
        y: stats.y,
        error_y: stats.error,
        line: { color: colour(j), dash: dash(i) },
        legendgroup: labels[i],
      } satisfies ScatterTrace;
    }),
  );

  return {
    data,
    layout: {
      title: { text: opts.title ?? 'Error along the SL-ODE vs γ' },
      xaxis: axis('γ (0: r·x̂_s, 1: x_t)', false, { range: [-0.03, 1.03] }),
      yaxis: axis('error to the exact data end (per-sample RMS, mean ± std)', opts.log === true),
      hovermode: 'closest',
    },
  };
}

/** Means as y and standard deviations as error bars; NaN becomes a gap. */
function summary(fn: string, stats: readonly ErrorStat[], arg: (j: number) => string): { y: Datum[]; error: ErrorBars } {
  return {
    y: stats.map((e, j) => datum(fn, `${arg(j)}.mean`, e?.mean)),
    error: { type: 'data', array: stats.map((e, j) => datum(fn, `${arg(j)}.std`, e?.std)), visible: true },
  };
}
