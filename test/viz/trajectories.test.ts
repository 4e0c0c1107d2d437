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
  const m = fig.data[2] as ScatterTrace;
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
  assert.equal(fig.data.length, 4);
  const seg = fig.data[2] as ScatterTrace;
  assert.equal(seg.line?.dash, 'dash');
  // γ = 0: r·x̂_s = (2, 0); γ = 0.5: 0.5·(2, 2) + 0.5·2·(1, 0) = (2, 1); γ = 1: x_t = (2, 2).
  assert.deepEqual(seg.x, [2, 2, 2]);
  assert.deepEqual(seg.y, [0, 1, 2]);
  assert.deepEqual(seg.text, ['γ = 0', 'γ = 0.5', 'γ = 1']);
  const seg2 = fig.data[3] as ScatterTrace;
  assert.deepEqual(seg2.x, [-2, -2, -2]);
  assert.deepEqual(seg2.y, [1, 1, 1]);
  const plain = trajectoryFigure({ times, paths, slOde: { t: 999, s: 500, xt: [[2, 2], [-2, 1]], xs: [[0, 0], [0, 0]], gammas: [0.25] } });
  assert.deepEqual((plain.data[2] as ScatterTrace).x, [0, 0.5, 2]);
  assertPlainJson(plain);
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
