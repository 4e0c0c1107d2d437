import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MetricComparison, MetricSeries } from '../../lib/track/types.js';
import { comparisonFigure, curveFromSeries, trainingCurvesFigure } from '../../lib/viz/training.js';
import type { ScatterTrace } from '../../lib/viz/types.js';
import { assertArgumentError } from '../helpers.js';
import { assertPlainJson } from './json.js';

const series: MetricSeries = { key: 'loss', step: [0, 10, 20], value: [1, NaN, 0.25], time: [0, 1, 2] };

test('a stored metric series maps to one curve: x = its steps, y = its values, NaN a gap', () => {
  const fig = trainingCurvesFigure([curveFromSeries(series, 'SPLAM k=20'), { label: 'LCM', points: [{ step: 0, value: 2 }, { step: 20, value: 0.5 }] }], { metric: 'loss' });
  const [a, b] = fig.data as ScatterTrace[];
  assert.equal(a.name, 'SPLAM k=20');
  assert.deepEqual(a.x, [0, 10, 20]);
  assert.deepEqual(a.y, [1, null, 0.25]);
  assert.deepEqual([b.name, b.x, b.y], ['LCM', [0, 20], [2, 0.5]]);
  assert.notEqual(a.line?.color, b.line?.color);
  assert.equal(fig.layout.xaxis?.title.text, 'step');
  assert.equal(fig.layout.yaxis?.type, 'linear');
  assertPlainJson(fig);
  assert.equal(curveFromSeries(series).label, 'loss', 'the label defaults to the key');
});

test('log axis when asked', () => {
  assert.equal(trainingCurvesFigure([curveFromSeries(series)], { metric: 'loss', log: true }).layout.yaxis?.type, 'log');
  assert.equal(comparisonFigure(comparison(), { log: true }).layout.yaxis?.type, 'log');
});

test('training curves: bad input fails naming the argument', () => {
  const fn = 'trainingCurvesFigure';
  assertArgumentError(() => trainingCurvesFigure([], { metric: 'loss' }), { fn, arg: 'series' });
  assertArgumentError(() => trainingCurvesFigure([{ label: 'a', points: [] }], { metric: 'loss' }), { fn, arg: 'series[0].points' });
  assertArgumentError(() => trainingCurvesFigure([{ label: 'a', points: [{ step: NaN, value: 1 }] }], { metric: 'loss' }), { fn, arg: 'series[0].points[0].step' });
  assertArgumentError(() => trainingCurvesFigure([{ label: 'a', points: [{ step: 1, value: Infinity }] }], { metric: 'loss' }), { fn, arg: 'series[0].points[0].value', value: Infinity });
  assertArgumentError(() => trainingCurvesFigure([curveFromSeries(series), curveFromSeries(series)], { metric: 'loss' }), { fn, arg: 'series[1].label', value: 'loss' });
  assertArgumentError(() => curveFromSeries({ ...series, value: [1] }), { fn: 'curveFromSeries', arg: 'series.value' });
});

function comparison(): MetricComparison {
  return {
    key: 'loss',
    runs: [
      { id: 'r1', name: 'lcm', experiment: 'e', status: 'finished' },
      { id: 'r2', name: 'splam', experiment: 'e', status: 'finished' },
      { id: 'r3', name: 'splam', experiment: 'e', status: 'running' },
    ],
    steps: [0, 5, 10, 15],
    values: [
      [1, null, 0.5, null],
      [null, 0.8, null, 0.4],
      [2, NaN, 1, 0.9],
    ],
    paramsDiff: {},
  };
}

test('a comparison draws one line per run over the steps it logged: null skipped, NaN a gap, shared names get the id', () => {
  const fig = comparisonFigure(comparison());
  const traces = fig.data as ScatterTrace[];
  assert.deepEqual(traces.map((t) => t.name), ['lcm', 'splam (r2)', 'splam (r3)']);
  assert.deepEqual([traces[0].x, traces[0].y], [[0, 10], [1, 0.5]]);
  assert.deepEqual([traces[1].x, traces[1].y], [[5, 15], [0.8, 0.4]]);
  assert.deepEqual([traces[2].x, traces[2].y], [[0, 5, 10, 15], [2, null, 1, 0.9]]);
  assert.equal(fig.layout.yaxis?.title.text, 'loss');
  assertPlainJson(fig);
});

test('a comparison whose values do not match its runs or steps fails naming the field', () => {
  const c = comparison();
  assertArgumentError(() => comparisonFigure({ ...c, values: c.values.slice(0, 2) }), { fn: 'comparisonFigure', arg: 'c.values', value: 'length 2' });
  assertArgumentError(() => comparisonFigure({ ...c, values: [c.values[0], [1, 2], c.values[2]] }), { fn: 'comparisonFigure', arg: 'c.values[1]', value: 'length 2' });
  assertArgumentError(() => comparisonFigure({ ...c, runs: [] }), { arg: 'c.runs' });
});

test('a curve or a run with one point shows it as a marker (a line of one point draws nothing); longer ones stay lines', () => {
  const fig = trainingCurvesFigure([{ label: 'one', points: [{ step: 30, value: 0.3 }] }, { label: 'two', points: [{ step: 0, value: 1 }, { step: 5, value: 0.5 }] }], { metric: 'loss' });
  assert.deepEqual(fig.data.map((t) => (t as ScatterTrace).mode), ['lines+markers', 'lines']);
  const c: MetricComparison = { key: 'train/loss', steps: [0, 10], runs: [{ id: 'a', name: 'a' }, { id: 'b', name: 'b' }] as MetricComparison['runs'], values: [[null, 0.4], [1, 0.5]], paramsDiff: {} } as unknown as MetricComparison;
  assert.deepEqual(comparisonFigure(c).data.map((t) => (t as ScatterTrace).mode), ['lines+markers', 'lines']);
});
