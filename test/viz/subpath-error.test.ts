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

test('the sub-path error figure: local, chained (beside the sum of local errors) and the increment in three panels, one colour per label', () => {
  const reports = [
    { label: 'LCM', report: report(1) },
    { label: 'SPLAM', report: report(0.5) },
  ];
  const fig = subPathErrorFigure(reports);
  const traces = fig.data as ScatterTrace[];
  assert.deepEqual(traces.map((t) => t.name), [
    'LCM: local', 'LCM: chained', 'LCM: sum of local errors', 'LCM: increment of the chained error',
    'SPLAM: local', 'SPLAM: chained', 'SPLAM: sum of local errors', 'SPLAM: increment of the chained error',
  ]);
  // Local and chained are told apart by panel (their own y axes), not by dash.
  assert.deepEqual(traces.slice(0, 4).map((t) => t.yaxis ?? 'y'), ['y', 'y2', 'y2', 'y3']);
  const domains = ['yaxis', 'yaxis2', 'yaxis3'].map((k) => fig.layout[k as 'yaxis']?.domain);
  domains.forEach((d, i) => i > 0 && assert.ok(d![1] < domains[i - 1]![0], 'panels do not overlap'));
  reports.forEach(({ report: r }, i) => {
    const [local, cum, sum, inc] = traces.slice(4 * i, 4 * i + 4);
    assert.deepEqual(local.x, [0, 1, 2]);
    assert.deepEqual(local.y, r.subPaths.map((sp) => sp.local.mean));
    assert.deepEqual(local.error_y?.array, r.subPaths.map((sp) => sp.local.std));
    assert.deepEqual(cum.y, r.subPaths.map((sp) => sp.cumulative.mean));
    let acc = 0;
    sum.y.forEach((v, j) => assert.ok(Math.abs((v as number) - (acc += r.subPaths[j].local.mean)) < 1e-12, 'running sum of local errors'));
    inc.y.forEach((v, j) => assert.ok(Math.abs((v as number) - (r.subPaths[j].cumulative.mean - (j ? r.subPaths[j - 1].cumulative.mean : 0))) < 1e-12, 'increment'));
    assert.equal(new Set([local, cum, sum, inc].map((t) => t.line?.color)).size, 1, 'one colour per label');
    assert.equal(local.legendgroup, reports[i].label);
  });
  assert.notEqual(traces[0].line?.color, traces[4].line?.color);
  assert.equal(fig.layout.yaxis?.type, 'linear');
  assert.equal(fig.layout.yaxis3?.type, 'linear');
  assertPlainJson(fig);
});

test('log axis when asked (the increment stays linear), with 10–90 % quantile bars when the statistics carry them; x = s, axis reversed', () => {
  const fig = subPathErrorFigure([{ label: 'LCM', report: report(1) }], { log: true, x: 't' });
  assert.equal(fig.layout.yaxis?.type, 'log');
  assert.equal(fig.layout.yaxis2?.type, 'log');
  assert.equal(fig.layout.yaxis3?.type, 'linear');
  assert.deepEqual((fig.data[0] as ScatterTrace).x, [666, 333, 0]);
  assert.equal(fig.layout.xaxis?.autorange, 'reversed');
  assert.match(fig.layout.annotations![0].text, /± std/, 'no quantiles in these statistics: std bars, said so');
  const r = report(1);
  r.subPaths.forEach((sp) => Object.assign(sp.local, { q10: sp.local.mean / 2, q90: sp.local.mean * 3 }, {}) && Object.assign(sp.cumulative, { q10: sp.cumulative.mean / 2, q90: sp.cumulative.mean * 3 }));
  const q = subPathErrorFigure([{ label: 'LCM', report: r }], { log: true });
  const local = q.data[0] as ScatterTrace;
  assert.equal(local.error_y?.symmetric, false);
  const close = (a: (number | null)[] | undefined, b: number[], what: string) => b.forEach((v, j) => assert.ok(Math.abs((a?.[j] as number) - v) < 1e-12, what));
  close(local.error_y?.array, r.subPaths.map((sp) => sp.local.mean * 2), 'up to the 90 % quantile');
  close(local.error_y?.arrayminus, r.subPaths.map((sp) => sp.local.mean / 2), 'down to the 10 % quantile, never below zero on a log axis');
  assert.match(q.layout.annotations![0].text, /10–90 % quantiles/);
  assertPlainJson(q);
});

test('a NaN mean or std becomes null', () => {
  const r = report(1);
  r.subPaths[1].local = stat(NaN, NaN);
  const fig = subPathErrorFigure([{ label: 'x', report: r }]);
  const local = fig.data[0] as ScatterTrace;
  assert.deepEqual(local.y, [0.1, null, 0.4]);
  assert.deepEqual((fig.data[2] as ScatterTrace).y, [0.1, null, null], 'the running sum stops at a gap');
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

test('the γ-error figure: one facet per sub-path on a shared y scale, one line per label in its colour, one legend entry per label', () => {
  const input = [
    { label: 'SPLAM', curves: [curve(0, 999, 979, [0.3, 0.2, 0.1]), curve(1, 979, 959, [0.5, 0.4, 0.2])] },
    { label: 'LCM', curves: [curve(0, 999, 979, [0.6, 0.3, 0.1]), curve(1, 979, 959, [0.7, 0.5, 0.3])] },
  ];
  const fig = gammaErrorFigure(input);
  const traces = fig.data as ScatterTrace[];
  assert.equal(traces.length, 4);
  assert.deepEqual(traces.map((t) => [t.name, t.xaxis, t.yaxis]), [['SPLAM', 'x', 'y'], ['SPLAM', 'x2', 'y2'], ['LCM', 'x', 'y'], ['LCM', 'x2', 'y2']]);
  assert.deepEqual(traces[1].x, [0, 0.5, 1]);
  assert.deepEqual(traces[1].y, [0.5, 0.4, 0.2]);
  assert.deepEqual(traces[1].error_y?.array, [0.05, 0.04, 0.02]);
  assert.deepEqual(traces.filter((t) => t.showlegend !== false).map((t) => t.name), ['SPLAM', 'LCM'], 'one legend entry per label');
  assert.equal(traces[0].line?.color, traces[1].line?.color, 'a label keeps its colour across facets');
  assert.notEqual(traces[0].line?.color, traces[2].line?.color, 'labels differ in colour');
  assert.equal(fig.layout.yaxis2?.matches, 'y', 'facets share the y scale');
  assert.deepEqual(fig.layout.annotations?.map((a) => a.text), ['sub-path 0 [979, 999]', 'sub-path 1 [959, 979]']);
  assert.ok(fig.layout.xaxis!.domain![1] <= fig.layout.xaxis2!.domain![0], 'facets side by side');
  assert.equal(gammaErrorFigure(input, { log: true }).layout.yaxis?.type, 'log');
  assertPlainJson(fig);
  // Twelve curves (two labels × six sub-paths) give six facets in two rows and a two-entry legend.
  const six = [0, 1, 2, 3, 4, 5].map((i) => curve(i, 999 - 20 * i, 979 - 20 * i, [0.3, 0.2, 0.1]));
  const big = gammaErrorFigure([{ label: 'A', curves: six }, { label: 'B', curves: six }]);
  assert.equal(big.data.length, 12);
  assert.equal((big.data as ScatterTrace[]).filter((t) => t.showlegend !== false).length, 2);
  assert.ok(big.layout.yaxis6 && big.layout.xaxis6);
  assert.ok(big.layout.yaxis4!.domain![1] < big.layout.yaxis!.domain![0], 'second row below the first');
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
