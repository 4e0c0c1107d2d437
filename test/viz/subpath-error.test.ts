import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GammaErrorCurve, TrajectoryErrorReport } from '../../lib/splam/trajectory-error.js';
import { gammaErrorFigure, subPathErrorFigure } from '../../lib/viz/subpath-error.js';
import type { ScatterTrace } from '../../lib/viz/types.js';
import { assertArgumentError } from '../helpers.js';
import { assertPlainJson } from './json.js';

const stat = (mean: number, std: number) => ({ mean, std, max: mean + 2 * std });

function report(scale: number): TrajectoryErrorReport {
  const subPaths = [
    { index: 0, t: 999, s: 666, local: stat(0.1 * scale, 0.01), cumulative: stat(0.1 * scale, 0.01) },
    { index: 1, t: 666, s: 333, local: stat(0.2 * scale, 0.02), cumulative: stat(0.3 * scale, 0.03) },
    { index: 2, t: 333, s: 0, local: stat(0.4 * scale, 0.04), cumulative: stat(0.6 * scale, 0.06) },
  ];
  return { times: [999, 666, 333, 0], subPaths, endError: subPaths[2].cumulative };
}

test('the sub-path error figure has one local (solid) and one cumulative (dashed) trace per label, x = sub-path index, y = the means, error bars = the std', () => {
  const reports = [
    { label: 'LCM', report: report(1) },
    { label: 'SPLAM', report: report(0.5) },
  ];
  const fig = subPathErrorFigure(reports);
  assert.equal(fig.data.length, 4);
  const traces = fig.data as ScatterTrace[];
  assert.deepEqual(traces.map((t) => t.name), ['LCM: local', 'LCM: cumulative', 'SPLAM: local', 'SPLAM: cumulative']);
  reports.forEach(({ report: r }, i) => {
    const [local, cum] = [traces[2 * i], traces[2 * i + 1]];
    assert.deepEqual(local.x, [0, 1, 2]);
    assert.deepEqual(local.y, r.subPaths.map((sp) => sp.local.mean));
    assert.deepEqual(local.error_y?.array, r.subPaths.map((sp) => sp.local.std));
    assert.deepEqual(cum.y, r.subPaths.map((sp) => sp.cumulative.mean));
    assert.deepEqual(cum.error_y?.array, r.subPaths.map((sp) => sp.cumulative.std));
    assert.equal(local.line?.dash, 'solid');
    assert.equal(cum.line?.dash, 'dash');
    assert.equal(local.line?.color, cum.line?.color, 'one colour per label');
  });
  assert.notEqual(traces[0].line?.color, traces[2].line?.color);
  assert.equal(fig.layout.yaxis?.type, 'linear');
  assertPlainJson(fig);
});

test('log axis when asked; x = the time each error is measured at (s), axis reversed', () => {
  const fig = subPathErrorFigure([{ label: 'LCM', report: report(1) }], { log: true, x: 't' });
  assert.equal(fig.layout.yaxis?.type, 'log');
  assert.deepEqual((fig.data[0] as ScatterTrace).x, [666, 333, 0]);
  assert.equal(fig.layout.xaxis?.autorange, 'reversed');
});

test('a NaN mean or std becomes null', () => {
  const r = report(1);
  r.subPaths[1].local = stat(NaN, NaN);
  const fig = subPathErrorFigure([{ label: 'x', report: r }]);
  const local = fig.data[0] as ScatterTrace;
  assert.deepEqual(local.y, [0.1, null, 0.4]);
  assert.deepEqual(local.error_y?.array, [0.01, null, 0.04]);
  assertPlainJson(fig);
});

test('sub-path error: bad input fails naming the argument', () => {
  const fn = 'subPathErrorFigure';
  assertArgumentError(() => subPathErrorFigure([]), { fn, arg: 'reports' });
  assertArgumentError(() => subPathErrorFigure([{ label: 'a', report: report(1) }, { label: 'a', report: report(2) }]), { fn, arg: 'reports[1].label', value: 'a' });
  assertArgumentError(() => subPathErrorFigure([{ label: '', report: report(1) }]), { fn, arg: 'reports[0].label', value: '' });
  assertArgumentError(() => subPathErrorFigure([{ label: 'a', report: { ...report(1), subPaths: [] } }]), { fn, arg: 'reports[0].report.subPaths' });
  const r = report(1);
  r.subPaths[2].cumulative = stat(Infinity, 0);
  assertArgumentError(() => subPathErrorFigure([{ label: 'a', report: r }]), { fn, arg: 'reports[0].report.subPaths[2].cumulative.mean', value: Infinity });
});

const curve = (index: number, t: number, s: number, means: number[]): GammaErrorCurve => ({
  index,
  t,
  s,
  gammas: means.map((_, j) => j / (means.length - 1)),
  error: means.map((m) => stat(m, m / 10)),
});

test('the γ-error figure has one line per (label, sub-path), x = γ, y = the means, error bars = the std, label and sub-path in the legend', () => {
  const input = [
    { label: 'SPLAM', curves: [curve(0, 999, 979, [0.3, 0.2, 0.1]), curve(1, 979, 959, [0.5, 0.4, 0.2])] },
    { label: 'LCM', curves: [curve(0, 999, 979, [0.6, 0.3, 0.1])] },
  ];
  const fig = gammaErrorFigure(input);
  const traces = fig.data as ScatterTrace[];
  assert.equal(traces.length, 3);
  assert.deepEqual(traces.map((t) => t.name), ['SPLAM: sub-path 0 [979, 999]', 'SPLAM: sub-path 1 [959, 979]', 'LCM: sub-path 0 [979, 999]']);
  assert.deepEqual(traces[1].x, [0, 0.5, 1]);
  assert.deepEqual(traces[1].y, [0.5, 0.4, 0.2]);
  assert.deepEqual(traces[1].error_y?.array, [0.05, 0.04, 0.02]);
  assert.deepEqual(traces.map((t) => t.legendgroup), ['SPLAM', 'SPLAM', 'LCM']);
  assert.notEqual(traces[0].line?.color, traces[1].line?.color, 'sub-paths of one label differ in colour');
  assert.notEqual(traces[0].line?.dash, traces[2].line?.dash, 'labels differ in dash');
  assert.equal(gammaErrorFigure(input, { log: true }).layout.yaxis?.type, 'log');
  assertPlainJson(fig);
});

test('γ-error: γ and errors of different lengths fail naming the curve', () => {
  const bad = curve(0, 999, 979, [0.3, 0.2, 0.1]);
  bad.error = bad.error.slice(0, 2);
  assertArgumentError(() => gammaErrorFigure([{ label: 'a', curves: [bad] }]), { fn: 'gammaErrorFigure', arg: 'curves[0].curves[0].error', value: 'length 2' });
  assertArgumentError(() => gammaErrorFigure([{ label: 'a', curves: [] }]), { fn: 'gammaErrorFigure', arg: 'curves[0].curves' });
  const nanGamma = curve(0, 999, 979, [0.3, 0.2]);
  nanGamma.gammas[1] = NaN;
  assertArgumentError(() => gammaErrorFigure([{ label: 'a', curves: [nanGamma] }]), { arg: 'curves[0].curves[0].gammas[1]' });
});
