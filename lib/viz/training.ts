/**
 * Training curves: metric series against the optimiser step, from data the caller read out of the run store
 * (lib/track). The builders never touch the store.
 */
import type { MetricComparison, MetricSeries } from '../track/types.js';
import { ArgumentError } from '../errors.js';
import { datum, label, nonEmpty, ofLength, position, uniqueLabels } from './checks.js';
import { axis, colour } from './style.js';
import type { Datum, Figure, ScatterTrace } from './types.js';

/** One labelled curve of (step, value) points. */
export interface Curve {
  label: string;
  points: { step: number; value: number }[];
}

export interface TrainingCurvesOptions {
  /** The metric's name (and units), for the y axis and title (`loss`, `sub-path error`). */
  metric: string;
  /** Log-scale value axis. Default false. */
  log?: boolean;
  title?: string;
  /** X-axis title. Default `step`; a report says `training step`. */
  stepTitle?: string;
}

/** A stored {@link MetricSeries} (columnar) as a {@link Curve}; the label defaults to the series key. */
export function curveFromSeries(series: MetricSeries, curveLabel: string = series.key): Curve {
  if (series.step.length !== series.value.length) {
    throw new ArgumentError('curveFromSeries', 'series.value', `${series.value.length} values`, `one per step (${series.step.length})`);
  }
  return { label: curveLabel, points: series.step.map((step, i) => ({ step, value: series.value[i] })) };
}

const FN = 'trainingCurvesFigure';

/**
 * One line per curve, x = optimiser step, y = the metric, in the order given, points in the order given
 * (store series are already sorted by step). NaN values (a diverged loss) leave gaps.
 * @throws ArgumentError (fn `trainingCurvesFigure`): no curves, a curve without points, an empty or repeated
 *   label, a non-finite step, ±∞ in a value.
 */
export function trainingCurvesFigure(series: Curve[], opts: TrainingCurvesOptions): Figure {
  const metric = label(FN, 'opts.metric', opts?.metric);
  const items = nonEmpty<Curve>(FN, 'series', series, 'curves { label, points }');
  const labels = items.map((c, i) => label(FN, `series[${i}].label`, c.label));
  uniqueLabels(FN, (i) => `series[${i}].label`, labels);
  const data: ScatterTrace[] = items.map((c, i) => {
    const points = nonEmpty<Curve['points'][number]>(FN, `series[${i}].points`, c.points, 'points { step, value }');
    return {
      type: 'scatter',
      // A curve of one point (a quick run that logged once) has no line to draw: show the point.
      mode: points.length < 2 ? 'lines+markers' : 'lines',
      name: labels[i],
      x: points.map((p, j) => position(FN, `series[${i}].points[${j}].step`, p.step)),
      y: points.map((p, j) => datum(FN, `series[${i}].points[${j}].value`, p.value)),
      line: { color: colour(i) },
    };
  });
  return {
    data,
    layout: {
      title: { text: opts.title ?? metric },
      xaxis: axis(opts.stepTitle ?? 'step'),
      yaxis: axis(metric, opts.log === true),
      hovermode: 'x unified',
    },
  };
}

/**
 * Several runs on one metric, as `compare` in lib/track aligned them: one line per run, x = step. A run is
 * named by its name (its id when unnamed; a name shared by several runs gets the id appended). A null (the run
 * logged nothing at that step) is skipped, so runs that log at different steps still draw lines; a logged NaN
 * leaves a gap.
 * @throws ArgumentError (fn `comparisonFigure`): no runs or steps, `values` not one row per run or a row not one
 *   value per step, a non-finite step, ±∞ in a value.
 */
export function comparisonFigure(c: MetricComparison, opts: { log?: boolean; title?: string; stepTitle?: string; metric?: string } = {}): Figure {
  const fn = 'comparisonFigure';
  const runs = nonEmpty<MetricComparison['runs'][number]>(fn, 'c.runs', c.runs, 'runs');
  const steps = nonEmpty<number>(fn, 'c.steps', c.steps, 'steps').map((s, i) => position(fn, `c.steps[${i}]`, s));
  const rows = ofLength<(number | null)[]>(fn, 'c.values', c.values, runs.length, 'one row per run');
  const names = runs.map((run) => run.name || run.id);
  const repeated = (name: string) => names.filter((n) => n === name).length > 1;
  const data: ScatterTrace[] = runs.map((run, r) => {
    const row = ofLength<number | null>(fn, `c.values[${r}]`, rows[r], steps.length, 'one value per step');
    const x: number[] = [];
    const y: Datum[] = [];
    row.forEach((v, i) => {
      if (v === null) return;
      x.push(steps[i]);
      y.push(datum(fn, `c.values[${r}][${i}]`, v));
    });
    // A run with one logged point has no line to draw: show the point.
    return { type: 'scatter', mode: x.length < 2 ? 'lines+markers' : 'lines', name: repeated(names[r]) ? `${names[r]} (${run.id})` : names[r], x, y, line: { color: colour(r) } };
  });
  return {
    data,
    layout: {
      title: { text: opts.title ?? `${c.key}: ${runs.length} run${runs.length === 1 ? '' : 's'}` },
      xaxis: axis(opts.stepTitle ?? 'step'),
      yaxis: axis(opts.metric ?? c.key, opts.log === true),
      hovermode: 'x unified',
    },
  };
}
