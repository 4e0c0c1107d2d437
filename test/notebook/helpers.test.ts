import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cell, empiricalOrder, figureMode, isQuick, markdownTable, named, pick } from '../../lib/notebook/index.js';
import { ArgumentError } from '../../lib/errors.js';

test('quick mode is SPLAM_QUICK = 1/true/yes, and pick follows it', () => {
  for (const v of ['1', 'true', 'YES']) assert.equal(isQuick({ SPLAM_QUICK: v }), true);
  for (const v of [undefined, '', '0', 'no']) assert.equal(isQuick({ SPLAM_QUICK: v }), false);
  assert.equal(pick('full', 'quick', { SPLAM_QUICK: '1' }), 'quick');
  assert.equal(pick('full', 'quick', {}), 'full');
});

test('the empirical order of an exact power law e = C·n^(−p) is p', () => {
  for (const p of [1, 2, 0.5]) {
    const pts = [4, 8, 16, 32].map((n) => ({ steps: n, value: 3 * n ** -p }));
    assert.ok(Math.abs(empiricalOrder(pts) - p) < 1e-12, `p = ${p}`);
  }
  assert.ok(Number.isNaN(empiricalOrder([{ steps: 4, value: 1 }])), 'one point has no slope');
});

test('a figure is named in layout.meta without losing its layout', () => {
  const f = named({ data: [], layout: { title: { text: 't' }, meta: { other: 1 } } }, 'fig-a');
  assert.deepEqual(f.layout.meta, { other: 1, splamFigure: 'fig-a' });
  assert.equal(f.layout.title.text, 't');
});

test('tables: numbers to 4 significant digits, pipes escaped, missing cells as a dash', () => {
  assert.equal(cell(0.123456), '0.1235');
  assert.equal(cell(1.5e-7), '1.50e-7');
  assert.equal(cell(undefined), '—');
  assert.equal(markdownTable([{ a: 1, b: 'x|y' }, { a: 2.5 }]), '| a | b |\n| --- | --- |\n| 1 | x\\|y |\n| 2.500 | — |');
});

test('SPLAM_FIGURES is plotly by default, png or both on request, anything else a clear error', () => {
  assert.equal(figureMode({}), 'plotly');
  assert.equal(figureMode({ SPLAM_FIGURES: 'PNG' }), 'png');
  assert.throws(() => figureMode({ SPLAM_FIGURES: 'svg' }), (e: unknown) => e instanceof ArgumentError && e.arg === 'SPLAM_FIGURES');
});
