/**
 * Sample quality against the number of sampling steps, one line per method (student, LCM, SPLAM, DDIM,
 * DPM-Solver++, …), with adapters from the experiment result rows of lib/experiments (as viz sees them: the
 * row shapes in ./types.ts, which the experiments' rows satisfy).
 */
import { ArgumentError } from '../errors.js';
import { datum, label, nonEmpty, position } from './checks.js';
import { axis, colour } from './style.js';
import type { Datum, EvalRow, Figure, ScatterTrace, SolverComparisonRow } from './types.js';

/** One measured point: `value` (± `std`) of a metric for `method` sampled with `steps` steps. */
export interface QualityRow {
  method: string;
  steps: number;
  /** NaN leaves a gap. */
  value: number;
  std?: number;
}

export interface QualityOptions {
  /** The metric's name with its units, for the y axis and title (`same-noise error`, `SW2`, `FID`). */
  metric: string;
  /** Log-scale metric axis. Default false. */
  log?: boolean;
  /** X-axis title. Default `sampling steps`; say `NFE` when the rows count evaluations. */
  stepsTitle?: string;
  title?: string;
}

const FN = 'qualityVsStepsFigure';

/**
 * A metric against sampling steps: one line per method (in order of first appearance, points sorted by steps),
 * markers at each measured step count (also the x ticks), error bars from `std` when any row of the method
 * has one (null where a row has none).
 * @throws ArgumentError (fn `qualityVsStepsFigure`): no rows, an empty method, a non-finite step count, ±∞ in
 *   a value or std, or the same (method, steps) twice.
 */
export function qualityVsStepsFigure(rows: QualityRow[], opts: QualityOptions): Figure {
  const metric = label(FN, 'opts.metric', opts?.metric);
  const items = nonEmpty<QualityRow>(FN, 'rows', rows, 'rows { method, steps, value, std? }');
  const byMethod = new Map<string, { steps: number; value: Datum; std: Datum | undefined }[]>();
  items.forEach((r, i) => {
    const method = label(FN, `rows[${i}].method`, r.method);
    const point = {
      steps: position(FN, `rows[${i}].steps`, r.steps),
      value: datum(FN, `rows[${i}].value`, r.value),
      std: r.std === undefined ? undefined : datum(FN, `rows[${i}].std`, r.std),
    };
    const points = byMethod.get(method) ?? [];
    if (points.some((p) => p.steps === point.steps)) {
      throw new ArgumentError(FN, `rows[${i}]`, { method, steps: point.steps }, 'one row per (method, steps); this pair came earlier');
    }
    points.push(point);
    byMethod.set(method, points);
  });

  const data: ScatterTrace[] = [...byMethod].map(([method, points], m) => {
    const sorted = [...points].sort((a, b) => a.steps - b.steps);
    const trace: ScatterTrace = {
      type: 'scatter',
      mode: 'lines+markers',
      name: method,
      x: sorted.map((p) => p.steps),
      y: sorted.map((p) => p.value),
      line: { color: colour(m) },
    };
    if (sorted.some((p) => p.std !== undefined)) trace.error_y = { type: 'data', array: sorted.map((p) => p.std ?? null), visible: true };
    return trace;
  });
  const ticks = [...new Set(items.map((r) => r.steps))].sort((a, b) => a - b);

  return {
    data,
    layout: {
      title: { text: opts.title ?? `${metric} vs sampling steps` },
      xaxis: axis(opts.stepsTitle ?? 'sampling steps', false, { tickvals: ticks }),
      yaxis: axis(metric, opts.log === true),
      hovermode: 'closest',
    },
  };
}

/**
 * Rows of a distillation evaluation (`evaluateDistill`) for one metric key of its {@link EvalRow.metrics}.
 * A `…Mean` key takes its `…Std` sibling as the error bar (`sameNoiseMean` → `sameNoiseStd`).
 * @throws ArgumentError (fn `qualityRowsFromEval`, arg `rows[i].metrics.<metric>`) when a row lacks the metric.
 */
export function qualityRowsFromEval(rows: EvalRow[], metric: string): QualityRow[] {
  const stdKey = metric.endsWith('Mean') ? `${metric.slice(0, -'Mean'.length)}Std` : undefined;
  return rows.map((r, i) => {
    const value = r.metrics[metric];
    if (value === undefined) {
      throw new ArgumentError('qualityRowsFromEval', `rows[${i}].metrics.${metric}`, value, `a metric the row has: ${Object.keys(r.metrics).join(', ')}`);
    }
    const std = stdKey === undefined ? undefined : r.metrics[stdKey];
    return std === undefined ? { method: r.method, steps: r.steps, value } : { method: r.method, steps: r.steps, value, std };
  });
}

/**
 * Rows of the exact-teacher solver comparison (`runSolverComparison`): value = mean same-noise error, std = its
 * standard deviation. Keeps the rows of `dataset` (default: all, which must then be one data set) and names a
 * method `solver` when one spacing is present, else `solver (spacing)`. `x` picks steps or NFE (default NFE, the
 * fair budget across solvers of different order).
 * @throws ArgumentError (fn `qualityRowsFromSolverComparison`, arg `opts.dataset`) when the rows hold several
 *   data sets and none is chosen, or the chosen one has no rows.
 */
export function qualityRowsFromSolverComparison(rows: SolverComparisonRow[], opts: { dataset?: string; x?: 'steps' | 'nfe' } = {}): QualityRow[] {
  const fn = 'qualityRowsFromSolverComparison';
  const datasets = [...new Set(rows.map((r) => r.dataset))];
  if (opts.dataset === undefined && datasets.length > 1) throw new ArgumentError(fn, 'opts.dataset', undefined, `one of ${datasets.join(', ')}`);
  const kept = opts.dataset === undefined ? rows : rows.filter((r) => r.dataset === opts.dataset);
  if (kept.length === 0) throw new ArgumentError(fn, 'opts.dataset', opts.dataset, `a data set with rows: ${datasets.join(', ') || '(none)'}`);
  const manySpacings = new Set(kept.map((r) => r.spacing)).size > 1;
  return kept.map((r) => ({
    method: manySpacings ? `${r.solver} (${r.spacing})` : r.solver,
    steps: (opts.x ?? 'nfe') === 'nfe' ? r.nfe : r.steps,
    value: r.error.mean,
    std: r.error.std,
  }));
}
