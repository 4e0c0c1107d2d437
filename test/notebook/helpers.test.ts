import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cell, closeFigureRenderer, empiricalOrder, FIGURE_PNG, figureOutput, figurePng, isQuick, markdownTable, named, pick, setFigurePng } from '../../lib/notebook/index.js';
import { PLOTLY_MIME, PNG_MIME, TEXT_MIME } from '../../lib/viz/display.js';
import { FigureRenderer } from '../../lib/viz/png.js';
import { isBlank, pixelDifference, pixelStats } from '../../lib/viz/pixels.js';
import { trainingCurvesFigure } from '../../lib/viz/training.js';
import type { Figure } from '../../lib/viz/types.js';
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

test('the PNG in show()\'s bundles is on by default, off with SPLAM_NOTEBOOK_PNG=0 or setFigurePng(false); a bad value is a clear error', () => {
  assert.equal(figurePng({}), true);
  for (const v of ['1', 'true', 'ON']) assert.equal(figurePng({ SPLAM_NOTEBOOK_PNG: v }), true);
  for (const v of ['0', 'false', 'No', 'off']) assert.equal(figurePng({ SPLAM_NOTEBOOK_PNG: v }), false);
  assert.throws(() => figurePng({ SPLAM_NOTEBOOK_PNG: 'svg' }), (e: unknown) => e instanceof ArgumentError && e.arg === 'SPLAM_NOTEBOOK_PNG');
  try {
    setFigurePng(false);
    assert.equal(figurePng({ SPLAM_NOTEBOOK_PNG: '1' }), false, 'the call wins over the environment');
    setFigurePng(true);
    assert.equal(figurePng({ SPLAM_NOTEBOOK_PNG: '0' }), true);
  } finally {
    setFigurePng(null);
  }
  assert.equal(figurePng({ SPLAM_NOTEBOOK_PNG: '0' }), false, 'null goes back to the environment');
});

test('show()\'s bundle: plotly JSON named, a small PNG of the same figure with data ink, the text summary; no PNG when off', async () => {
  const fig = trainingCurvesFigure([{ label: 'loss', points: Array.from({ length: 60 }, (_, i) => ({ step: i, value: 1 / (1 + i) })) }], { metric: 'loss', log: true, title: 'loss' });
  const renderer = new FigureRenderer();
  try {
    const b = await figureOutput(fig, 'fig-loss');
    assert.deepEqual(Object.keys(b).sort(), [PNG_MIME, PLOTLY_MIME, TEXT_MIME].sort());
    assert.equal((b[PLOTLY_MIME] as Figure).layout.meta?.splamFigure, 'fig-loss');
    assert.equal(b[TEXT_MIME], '[plotly figure: 1 trace, title "loss"]');
    const png = Buffer.from(b[PNG_MIME]!, 'base64');
    assert.ok(png.byteLength < 150_000, `PNG ${png.byteLength} bytes`);
    const s = await pixelStats(png);
    assert.deepEqual([s.width, s.height], [FIGURE_PNG.width * FIGURE_PNG.scale, FIGURE_PNG.height * FIGURE_PNG.scale]);
    assert.ok(!isBlank(s), `pixel variance ${s.variance}, ink ${s.inked}`);
    // Data ink of the bundle's own PNG: against the same figure rendered with its traces transparent (png.ts dataInk).
    const traceless = await renderer.render(named({ ...fig, data: fig.data.map((t) => ({ ...t, opacity: 0 })) } as Figure, 'fig-loss'), FIGURE_PNG);
    const ink = await pixelDifference(png, traceless);
    assert.ok(ink > 0.001, `data ink ${ink}`);
    setFigurePng(false);
    assert.deepEqual(Object.keys(await figureOutput(fig, 'fig-loss')).sort(), [PLOTLY_MIME, TEXT_MIME].sort(), 'setFigurePng(false)');
  } finally {
    setFigurePng(null);
    await renderer.close();
    await closeFigureRenderer();
  }
  const prev = process.env.SPLAM_NOTEBOOK_PNG;
  process.env.SPLAM_NOTEBOOK_PNG = '0';
  try {
    assert.deepEqual(Object.keys(await figureOutput(fig, 'fig-loss')).sort(), [PLOTLY_MIME, TEXT_MIME].sort(), 'SPLAM_NOTEBOOK_PNG=0');
  } finally {
    if (prev === undefined) delete process.env.SPLAM_NOTEBOOK_PNG;
    else process.env.SPLAM_NOTEBOOK_PNG = prev;
  }
});
