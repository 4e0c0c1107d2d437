import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boundaries, checkSkip, gridForSkip, solverGrid, splitTrajectory, subPaths } from '../../lib/splam/grid.js';
import { assertArgumentError } from '../helpers.js';

test('the default grid is the official code\'s {19, 39, …, 999} with skip k = 20', () => {
  const g = solverGrid();
  assert.equal(g.k, 20);
  assert.equal(g.timesteps.length, 50);
  assert.equal(g.timesteps[0], 19);
  assert.equal(g.timesteps[1], 39);
  assert.equal(g.timesteps[49], 999);
});

test('sub-paths run from the noisy end, [979, 999] first, down to [0, 19] with the lower end clamped at 0', () => {
  const sp = subPaths(solverGrid());
  assert.equal(sp.length, 50);
  assert.deepEqual(sp[0], { index: 0, t: 999, s: 979 });
  assert.deepEqual(sp[49], { index: 49, t: 19, s: 0 });
  const b = boundaries(solverGrid(1000, 10));
  assert.deepEqual(b, [999, 899, 799, 699, 599, 499, 399, 299, 199, 99, 0]);
});

test('gridForSkip(k) is the grid with N / k points', () => {
  for (const k of [10, 20, 50, 100]) assert.equal(gridForSkip(1000, k).timesteps.length, 1000 / k);
  assertArgumentError(() => gridForSkip(1000, 30), { fn: 'gridForSkip', arg: 'k', value: 30 });
});

test('splitTrajectory pairs consecutive states into sub-paths', () => {
  const parts = splitTrajectory([999, 500, 0], ['a', 'b', 'c']);
  assert.deepEqual(parts, [
    { t: 999, s: 500, xt: 'a', xs: 'b' },
    { t: 500, s: 0, xt: 'b', xs: 'c' },
  ]);
  assertArgumentError(() => splitTrajectory([999, 500], ['a']), { fn: 'splitTrajectory', arg: 'states' });
  assertArgumentError(() => splitTrajectory([999, 999], ['a', 'b']), { fn: 'splitTrajectory', arg: 'times[1]', value: 999 });
});

test('a grid size that does not divide the training steps is rejected with the allowed divisors', () => {
  const e = assertArgumentError(() => solverGrid(1000, 30), { fn: 'solverGrid', arg: 'numDdimTimesteps', value: 30 });
  assert.match(e.allowed, /divisor of the training steps N = 1000/);
  assertArgumentError(() => solverGrid(1000, 0), { arg: 'numDdimTimesteps', value: 0 });
  assertArgumentError(() => solverGrid(1000, 2000), { arg: 'numDdimTimesteps', value: 2000 });
});

test('a skip k that does not match the grid is rejected, naming the grid\'s k', () => {
  const e = assertArgumentError(() => checkSkip(solverGrid(1000, 50), 10), { fn: 'checkSkip', arg: 'k', value: 10 });
  assert.match(e.allowed, /= 20/);
  checkSkip(solverGrid(1000, 50), 20);
});
