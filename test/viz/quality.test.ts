import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EvalRow } from '../../lib/experiments/distill/run.js';
import type { SolverComparisonRow } from '../../lib/experiments/solver-comparison/run.js';
import { qualityRowsFromEval, qualityRowsFromSolverComparison, qualityVsStepsFigure } from '../../lib/viz/quality.js';
import type { ScatterTrace } from '../../lib/viz/types.js';
import { assertArgumentError } from '../helpers.js';
import { assertPlainJson } from './json.js';

const rows = [
  { method: 'DDIM', steps: 4, value: 0.5, std: 0.05 },
  { method: 'SPLAM', steps: 2, value: 0.12, std: 0.01 },
  { method: 'DDIM', steps: 1, value: 2.0, std: 0.2 },
  { method: 'SPLAM', steps: 1, value: 0.2, std: 0.02 },
  { method: 'DDIM', steps: 2, value: 1.0, std: 0.1 },
  { method: 'LCM', steps: 1, value: 0.3 },
  { method: 'LCM', steps: 2, value: 0.25 },
];

test('one line per method in order of first appearance, points sorted by steps, y = the values, error bars = the std', () => {
  const fig = qualityVsStepsFigure(rows, { metric: 'same-noise error' });
  const traces = fig.data as ScatterTrace[];
  assert.deepEqual(traces.map((t) => t.name), ['DDIM', 'SPLAM', 'LCM']);
  assert.deepEqual(traces[0].x, [1, 2, 4]);
  assert.deepEqual(traces[0].y, [2.0, 1.0, 0.5]);
  assert.deepEqual(traces[0].error_y?.array, [0.2, 0.1, 0.05]);
  assert.equal('error_y' in traces[2], false, 'no error bars for a method without std');
  assert.deepEqual(fig.layout.xaxis?.tickvals, [1, 2, 4]);
  assert.equal(fig.layout.yaxis?.title.text, 'same-noise error');
  assert.equal(fig.layout.yaxis?.type, 'linear');
  assertPlainJson(fig);
});

test('log axis when asked; a NaN value becomes null', () => {
  const fig = qualityVsStepsFigure([...rows, { method: 'LCM', steps: 4, value: NaN }], { metric: 'SW2', log: true });
  assert.equal(fig.layout.yaxis?.type, 'log');
  assert.deepEqual((fig.data[2] as ScatterTrace).y, [0.3, 0.25, null]);
  assertPlainJson(fig);
});

test('bad rows fail naming the row and field', () => {
  const fn = 'qualityVsStepsFigure';
  assertArgumentError(() => qualityVsStepsFigure([], { metric: 'm' }), { fn, arg: 'rows' });
  assertArgumentError(() => qualityVsStepsFigure(rows, { metric: '' }), { fn, arg: 'opts.metric' });
  assertArgumentError(() => qualityVsStepsFigure([...rows, { method: 'DDIM', steps: 2, value: 1 }], { metric: 'm' }), { fn, arg: 'rows[7]', value: { method: 'DDIM', steps: 2 } });
  assertArgumentError(() => qualityVsStepsFigure([{ method: 'a', steps: Infinity, value: 1 }], { metric: 'm' }), { fn, arg: 'rows[0].steps', value: Infinity });
  assertArgumentError(() => qualityVsStepsFigure([{ method: 'a', steps: 1, value: -Infinity }], { metric: 'm' }), { fn, arg: 'rows[0].value' });
});

test('eval rows map a …Mean metric with its …Std; a missing metric names the row', () => {
  const ev: EvalRow[] = [
    { method: 'student', steps: 1, nfe: 1, metrics: { n: 10, sameNoiseMean: 0.3, sameNoiseStd: 0.1, sw2: 0.2 } },
    { method: 'ddim', steps: 1, nfe: 1, metrics: { n: 10, sameNoiseMean: 0.9, sameNoiseStd: 0.4 } },
  ];
  assert.deepEqual(qualityRowsFromEval(ev, 'sameNoiseMean'), [
    { method: 'student', steps: 1, value: 0.3, std: 0.1 },
    { method: 'ddim', steps: 1, value: 0.9, std: 0.4 },
  ]);
  assertArgumentError(() => qualityRowsFromEval(ev, 'sw2'), { fn: 'qualityRowsFromEval', arg: 'rows[1].metrics.sw2' });
});

test('solver-comparison rows: one data set, NFE on x by default, spacing in the name only when several', () => {
  const r = (solver: SolverComparisonRow['solver'], spacing: SolverComparisonRow['spacing'], steps: number, nfe: number, dataset = 'a'): SolverComparisonRow => ({
    dataset, dim: 2, solver, spacing, steps, nfe, error: { mean: 1 / nfe, std: 0.1 / nfe, max: 2 / nfe }, ms: 1,
  });
  const one = [r('heun', 'uniform', 2, 4), r('ddim', 'uniform', 4, 4)];
  assert.deepEqual(qualityRowsFromSolverComparison(one).map((q) => [q.method, q.steps, q.value, q.std]), [['heun', 4, 0.25, 0.025], ['ddim', 4, 0.25, 0.025]]);
  assert.deepEqual(qualityRowsFromSolverComparison(one, { x: 'steps' }).map((q) => q.steps), [2, 4]);
  const two = [r('ddim', 'uniform', 4, 4), r('ddim', 'lambda', 4, 4)];
  assert.deepEqual(qualityRowsFromSolverComparison(two).map((q) => q.method), ['ddim (uniform)', 'ddim (lambda)']);
  const mixed = [...one, r('ddim', 'uniform', 4, 4, 'b')];
  assertArgumentError(() => qualityRowsFromSolverComparison(mixed), { fn: 'qualityRowsFromSolverComparison', arg: 'opts.dataset' });
  assert.equal(qualityRowsFromSolverComparison(mixed, { dataset: 'b' }).length, 1);
});
