import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parallelCoordinatesFigure } from '../../lib/viz/parcoords.js';
import type { ParcoordsTrace } from '../../lib/viz/types.js';
import { assertArgumentError } from '../helpers.js';
import { assertPlainJson } from './json.js';

const rows = [
  { k: 20, loss: 'pseudoHuber', lr: 1e-3, sw2: 0.12 },
  { k: 10, loss: 'l2', lr: 1e-3, sw2: 0.2 },
  { k: 5, loss: 'pseudoHuber', lr: 3e-4, sw2: 0.08 },
];

test('numeric dimensions keep their values; the line colour is the colour key\'s values', () => {
  const fig = parallelCoordinatesFigure(rows, { dimensions: ['k', 'lr', 'sw2'], color: 'sw2' });
  assert.equal(fig.data.length, 1);
  const pc = fig.data[0] as ParcoordsTrace;
  assert.equal(pc.type, 'parcoords');
  assert.deepEqual(pc.dimensions.map((d) => d.label), ['k', 'lr', 'sw2']);
  assert.deepEqual(pc.dimensions[0], { label: 'k', values: [20, 10, 5] });
  assert.deepEqual(pc.line.color, [0.12, 0.2, 0.08]);
  assert.equal(pc.line.colorbar.title.text, 'sw2');
  assertPlainJson(fig);
});

test('a string dimension maps to integer codes with its sorted values as ticks', () => {
  const fig = parallelCoordinatesFigure(rows, { dimensions: ['loss', 'sw2'], color: 'sw2' });
  const d = (fig.data[0] as ParcoordsTrace).dimensions[0];
  assert.deepEqual(d.ticktext, ['l2', 'pseudoHuber']);
  assert.deepEqual(d.tickvals, [0, 1]);
  assert.deepEqual(d.values, [1, 0, 1]);
  assertPlainJson(fig);
});

test('a mixed dimension is categorical with numeric-aware order (k=5 before k=10)', () => {
  const mixed = [{ tag: 'k=10', m: 1 }, { tag: 'k=5', m: 2 }, { tag: 3, m: 3 }];
  const fig = parallelCoordinatesFigure(mixed, { dimensions: ['tag', 'm'], color: 'tag' });
  const pc = fig.data[0] as ParcoordsTrace;
  assert.deepEqual(pc.dimensions[0].ticktext, ['3', 'k=5', 'k=10']);
  assert.deepEqual(pc.dimensions[0].values, [2, 1, 0]);
  assert.deepEqual(pc.line.color, [2, 1, 0]);
  assert.deepEqual(pc.line.colorbar.ticktext, ['3', 'k=5', 'k=10']);
});

test('bad rows or dimensions fail naming the row and key', () => {
  const fn = 'parallelCoordinatesFigure';
  assertArgumentError(() => parallelCoordinatesFigure([], { dimensions: ['k'], color: 'k' }), { fn, arg: 'rows' });
  assertArgumentError(() => parallelCoordinatesFigure(rows, { dimensions: [], color: 'k' }), { fn, arg: 'opts.dimensions' });
  assertArgumentError(() => parallelCoordinatesFigure(rows, { dimensions: ['k', 'k'], color: 'k' }), { fn, arg: 'opts.dimensions[1]', value: 'k' });
  assertArgumentError(() => parallelCoordinatesFigure(rows, { dimensions: ['k', 'w'], color: 'k' }), { fn, arg: 'rows[0].w', value: undefined });
  assertArgumentError(() => parallelCoordinatesFigure([...rows, { k: 1, loss: 'l2', lr: 1, sw2: NaN }], { dimensions: ['k'], color: 'sw2' }), { fn, arg: 'rows[3].sw2' });
});
