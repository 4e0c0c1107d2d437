/**
 * Point clouds of 2-D samples (or the first two coordinates of D-dimensional ones), one marker trace per set:
 * teacher samples against a student's at 1, 2, 4 steps.
 */
import { ArgumentError } from '../errors.js';
import { label, nonEmpty, uniqueLabels } from './checks.js';
import { axis, colour } from './style.js';
import type { Figure, ScatterTrace } from './types.js';

export interface SampleSet {
  label: string;
  /** Row-major samples [n, D] (D ≥ 2): the first two coordinates are plotted. */
  values: Float32Array | number[];
  dim: number;
}

const FN = 'samplesFigure';

/**
 * One marker trace per set, equal axis scales. Non-finite samples are dropped (their count goes into the
 * legend label), so a diverged student shows as a short cloud, not a blank plot.
 * @throws ArgumentError (fn `samplesFigure`): no sets, an empty or repeated label, dim < 2, values not a
 *   multiple of dim.
 */
export function samplesFigure(sets: SampleSet[], opts: { title?: string; maxPoints?: number; markerSize?: number } = {}): Figure {
  const items = nonEmpty<SampleSet>(FN, 'sets', sets, 'sample sets { label, values, dim }');
  const labels = items.map((s, i) => label(FN, `sets[${i}].label`, s.label));
  uniqueLabels(FN, (i) => `sets[${i}].label`, labels);
  const max = opts.maxPoints ?? 2000;
  const data: ScatterTrace[] = items.map((s, i) => {
    if (!Number.isInteger(s.dim) || s.dim < 2) throw new ArgumentError(FN, `sets[${i}].dim`, s.dim, 'an integer ≥ 2');
    if (s.values.length % s.dim) throw new ArgumentError(FN, `sets[${i}].values`, `${s.values.length} values`, `a multiple of dim = ${s.dim}`);
    const n = Math.min(s.values.length / s.dim, max);
    const x: number[] = [];
    const y: number[] = [];
    let dropped = 0;
    for (let j = 0; j < n; j++) {
      const a = Number(s.values[j * s.dim]);
      const b = Number(s.values[j * s.dim + 1]);
      if (Number.isFinite(a) && Number.isFinite(b)) {
        x.push(a);
        y.push(b);
      } else dropped++;
    }
    return {
      type: 'scatter',
      mode: 'markers',
      name: dropped ? `${labels[i]} (${dropped} non-finite dropped)` : labels[i],
      x,
      y,
      marker: { color: colour(i), size: opts.markerSize ?? 3 },
    };
  });
  return { data, layout: { title: { text: opts.title ?? 'samples' }, xaxis: axis('x₁'), yaxis: axis('x₂', false, { scaleanchor: 'x' }) } };
}
