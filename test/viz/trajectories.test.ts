import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trajectoryFigure } from '../../lib/viz/trajectories.js';
import type { ScatterTrace } from '../../lib/viz/types.js';
import { assertArgumentError } from '../helpers.js';
import { assertPlainJson } from './json.js';

const times = [999, 500, 0];
const paths = [
  [[2, 2], [1, 1], [0.5, 0.25]],
  [[-2, 1], [-1, 0.5], [-0.5, 0]],
];

test('one solid line per path with x = x₁ and y = x₂ of its states, in equal-aspect state axes', () => {
  const fig = trajectoryFigure({ times, paths });
  assert.equal(fig.data.length, 2);
  const [a, b] = fig.data as ScatterTrace[];
  assert.deepEqual([a.x, a.y], [[2, 1, 0.5], [2, 1, 0.25]]);
  assert.deepEqual([b.x, b.y], [[-2, -1, -0.5], [1, 0.5, 0]]);
  assert.equal(a.line?.dash, undefined);
  assert.deepEqual([a.showlegend, b.showlegend], [true, false]);
  assert.equal(fig.layout.yaxis?.scaleanchor, 'x');
  assertPlainJson(fig);
});

test('boundary markers sit at the states of the boundary times of every path, hover text giving t', () => {
  const fig = trajectoryFigure({ times, paths, subPathBoundaries: [999, 0] });
  const m = fig.data[0] as ScatterTrace;
  assert.equal(m.legendgroup, 'boundaries', 'drawn first, under the paths');
  assert.equal(m.mode, 'markers');
  assert.deepEqual(m.x, [2, 0.5, -2, -0.5]);
  assert.deepEqual(m.y, [2, 0.25, 1, 0]);
  assert.deepEqual(m.text, ['t = 999', 't = 0', 't = 999', 't = 0']);
  assertPlainJson(fig);
});

test('the SL-ODE segment runs from r·x̂_s at γ = 0 to x_t at γ = 1, dashed, through the asked γ', () => {
  const fig = trajectoryFigure({
    times,
    paths,
    slOde: { t: 999, s: 500, xt: [[2, 2], [-2, 1]], xs: [[1, 0], [-1, 0.5]], gammas: [0.5], r: 2 },
  });
  const segs = (fig.data as ScatterTrace[]).filter((t) => t.legendgroup === 'sl-ode' && t.xaxis === undefined);
  assert.equal(segs.length, 2);
  const seg = segs[0];
  assert.equal(seg.line?.dash, 'dash');
  // γ = 0: r·x̂_s = (2, 0); γ = 0.5: 0.5·(2, 2) + 0.5·2·(1, 0) = (2, 1); γ = 1: x_t = (2, 2).
  assert.deepEqual(seg.x, [2, 2, 2]);
  assert.deepEqual(seg.y, [0, 1, 2]);
  assert.deepEqual(seg.text, ['γ = 0', 'γ = 0.5', 'γ = 1']);
  const seg2 = segs[1];
  assert.deepEqual(seg2.x, [-2, -2, -2]);
  assert.deepEqual(seg2.y, [1, 1, 1]);
  const plain = trajectoryFigure({ times, paths, slOde: { t: 999, s: 500, xt: [[2, 2], [-2, 1]], xs: [[0, 0], [0, 0]], gammas: [0.25] } });
  assert.deepEqual((plain.data as ScatterTrace[]).find((t) => t.legendgroup === 'sl-ode')!.x, [0, 0.5, 2]);
  assertPlainJson(plain);
});

test('the highlighted sub-path is visible: its own colours, a zoom panel whose ranges hold it, boundary markers that do not bury the paths, one legend entry per group', () => {
  const times3 = [999, 500, 20, 0];
  const paths3 = [
    [[2, 2], [1, 1], [0.52, 0.27], [0.5, 0.25]],
    [[-2, 1], [-1, 0.5], [-0.49, 0.01], [-0.5, 0]],
  ];
  const fig = trajectoryFigure({
    times: times3,
    paths: paths3,
    subPathBoundaries: times3,
    slOde: { t: 20, s: 0, xt: [[0.52, 0.27], [-0.49, 0.01]], xs: [[0.505, 0.255], [-0.5, 0.005]], gammas: [0.5], zoomPath: 0 },
  });
  const traces = fig.data as ScatterTrace[];
  const main = traces.filter((t) => t.xaxis === undefined);
  const zoom = traces.filter((t) => t.xaxis === 'x2');
  const colourOf = (g: string) => new Set(main.filter((t) => t.legendgroup === g).map((t) => t.line?.color ?? t.marker?.color));
  const [paths, exact, sl] = ['paths', 'exact-sub-path', 'sl-ode'].map(colourOf);
  assert.equal(paths.size, 1, 'trajectories share one muted colour');
  assert.equal(sl.size, 1);
  assert.equal(exact.size, 1);
  for (const c of sl) assert.ok(!paths.has(c) && !exact.has(c), 'the SL-ODE has its own colour');
  for (const c of exact) assert.ok(!paths.has(c), 'the exact sub-path has its own colour');
  // One legend entry per group, none from the zoom panel.
  const shown = traces.filter((t) => t.showlegend !== false).map((t) => t.legendgroup);
  assert.deepEqual(shown.sort(), ['boundaries', 'exact-sub-path', 'paths', 'sl-ode']);
  // The zoom panel holds the zoomed path's highlighted sub-path inside its ranges, and is much smaller than the data.
  const { xaxis2, yaxis2 } = fig.layout;
  assert.ok(xaxis2?.range && yaxis2?.range);
  assert.equal(yaxis2.anchor, 'x2');
  const inside = (v: number | null, r: [number, number]) => v !== null && v > r[0] && v < r[1];
  for (const t of zoom.filter((z) => z.legendgroup === 'sl-ode' || z.legendgroup === 'exact-sub-path')) {
    t.x.forEach((v) => assert.ok(inside(v, xaxis2.range!), `x ${v} in ${xaxis2.range}`));
    t.y.forEach((v) => assert.ok(inside(v, yaxis2.range!), `y ${v} in ${yaxis2.range}`));
  }
  assert.ok(xaxis2.range[1] - xaxis2.range[0] < 0.1, `zoom width ${xaxis2.range[1] - xaxis2.range[0]}`);
  assert.deepEqual(fig.layout.shapes?.map((b) => [b.x0, b.x1]), [xaxis2.range], 'the zoom box is drawn in the first panel');
  // Boundary markers: small, open, translucent.
  const marks = main.find((t) => t.legendgroup === 'boundaries')!;
  assert.ok((marks.marker?.size ?? 99) <= 5);
  assert.ok(traces.indexOf(marks) < traces.findIndex((t) => t.legendgroup === 'paths'), 'under the paths');
  assert.match(String(marks.marker?.symbol), /open/);
  assert.match(String(marks.marker?.color), /^rgba\(.*0\.\d+\)$/);
  assertPlainJson(fig);
  assertArgumentError(() => trajectoryFigure({ times: times3, paths: paths3, slOde: { t: 20, s: 0, xt: [[0, 0], [0, 0]], xs: [[0, 0], [0, 0]], gammas: [0.5], zoomPath: 2 } }), { arg: 'slOde.zoomPath', value: 2 });
});

test('NaN in a state becomes null (a gap)', () => {
  const fig = trajectoryFigure({ times, paths: [[[1, 1], [NaN, 0.5], [0, 0]]] });
  assert.deepEqual((fig.data[0] as ScatterTrace).x, [1, null, 0]);
  assertPlainJson(fig);
});

test('bad input fails naming the argument', () => {
  assertArgumentError(() => trajectoryFigure({ times: [], paths }), { fn: 'trajectoryFigure', arg: 'times' });
  assertArgumentError(() => trajectoryFigure({ times, paths: [] }), { arg: 'paths' });
  assertArgumentError(() => trajectoryFigure({ times, paths: [paths[0], paths[1].slice(0, 2)] }), { arg: 'paths[1]', value: 'length 2' });
  assertArgumentError(() => trajectoryFigure({ times, paths: [[[1, 1], [1, 2, 3], [0, 0]]] }), { arg: 'paths[0][1]' });
  assertArgumentError(() => trajectoryFigure({ times, paths: [[[1, 1], [1, Infinity], [0, 0]]] }), { arg: 'paths[0][1][1]', value: Infinity });
  assertArgumentError(() => trajectoryFigure({ times: [999, NaN, 0], paths }), { arg: 'times[1]' });
  assertArgumentError(() => trajectoryFigure({ times, paths, subPathBoundaries: [750] }), { arg: 'subPathBoundaries[0]', value: 750 });
  const sl = { t: 999, s: 500, xt: [[2, 2], [-2, 1]], xs: [[1, 1], [-1, 0.5]], gammas: [0.5] };
  assertArgumentError(() => trajectoryFigure({ times, paths, slOde: { ...sl, s: 999 } }), { arg: 'slOde.s', value: 999 });
  assertArgumentError(() => trajectoryFigure({ times, paths, slOde: { ...sl, gammas: [1.5] } }), { arg: 'slOde.gammas[0]', value: 1.5 });
  assertArgumentError(() => trajectoryFigure({ times, paths, slOde: { ...sl, xs: [[1, 1]] } }), { arg: 'slOde.xs', value: 'length 1' });
  assertArgumentError(() => trajectoryFigure({ times, paths, slOde: { ...sl, r: 0 } }), { arg: 'slOde.r', value: 0 });
});
