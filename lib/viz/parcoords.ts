/**
 * Parallel coordinates over a sweep: one line per run through its parameter values and a metric, coloured by
 * one dimension (usually the metric), as in W&B's and MLflow's sweep views.
 */
import { ArgumentError } from '../errors.js';
import { label, nonEmpty, position } from './checks.js';
import type { Figure, ParcoordsDimension } from './types.js';

export interface ParallelCoordinatesOptions {
  /** Keys of the rows to draw as axes, left to right. */
  dimensions: string[];
  /** Key whose values colour the lines (a dimension or any other key of the rows). */
  color: string;
  /** Plotly colour scale name. Default `Viridis`. */
  colorscale?: string;
  title?: string;
}

const FN = 'parallelCoordinatesFigure';
const collator = new Intl.Collator('en', { numeric: true });

/**
 * One axis per dimension; a row is a line. A numeric dimension plots its values; a dimension with any string
 * value is categorical: its distinct values (numbers written as strings) are sorted (numeric-aware, so `k=5`
 * comes before `k=10`), coded 0, 1, … and shown as tick labels. The colour bar is titled with `color`.
 * @throws ArgumentError (fn `parallelCoordinatesFigure`): no rows or dimensions, a repeated dimension, a row
 *   missing a key, a value neither a string nor a finite number (drop or relabel diverged runs first).
 */
export function parallelCoordinatesFigure(rows: Record<string, number | string>[], opts: ParallelCoordinatesOptions): Figure {
  const items = nonEmpty<Record<string, number | string>>(FN, 'rows', rows, 'rows of parameter and metric values');
  const keys = nonEmpty<string>(FN, 'opts.dimensions', opts?.dimensions, 'row keys').map((k, i) => label(FN, `opts.dimensions[${i}]`, k));
  keys.forEach((k, i) => {
    if (keys.indexOf(k) !== i) throw new ArgumentError(FN, `opts.dimensions[${i}]`, k, 'a key not listed earlier');
  });
  const colorKey = label(FN, 'opts.color', opts.color);
  const colour = dimension(items, colorKey);
  return {
    data: [
      {
        type: 'parcoords',
        name: opts.title ?? 'sweep',
        dimensions: keys.map((k) => dimension(items, k)),
        line: {
          color: colour.values,
          colorscale: opts.colorscale ?? 'Viridis',
          showscale: true,
          colorbar:
            colour.ticktext === undefined
              ? { title: { text: colorKey } }
              : { title: { text: colorKey }, tickvals: colour.tickvals ?? [], ticktext: colour.ticktext },
        },
      },
    ],
    layout: { title: { text: opts.title ?? `Sweep: ${keys.join(', ')}` } },
  };
}

/** One axis: numeric values as they are, or categorical codes with tick labels. */
function dimension(rows: readonly Record<string, number | string>[], key: string): ParcoordsDimension {
  const raw = rows.map((row, i) => {
    const v = row?.[key];
    if (typeof v === 'string') return v;
    if (v === undefined) throw new ArgumentError(FN, `rows[${i}].${key}`, v, `a value for dimension ${JSON.stringify(key)}`);
    return position(FN, `rows[${i}].${key}`, v);
  });
  if (raw.every((v): v is number => typeof v === 'number')) return { label: key, values: raw };
  const categories = [...new Set(raw.map(String))].sort(collator.compare);
  const code = new Map(categories.map((c, i) => [c, i]));
  return {
    label: key,
    values: raw.map((v) => code.get(String(v)) as number),
    tickvals: categories.map((_, i) => i),
    ticktext: categories,
    range: [0, Math.max(categories.length - 1, 1)],
  };
}
