import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { FigureRenderer, dataInk, findChromium } from '../../lib/viz/png.js';
import { isBlank, pixelStats } from '../../lib/viz/pixels.js';
import { trainingCurvesFigure } from '../../lib/viz/training.js';
import { samplesFigure } from '../../lib/viz/samples.js';
import type { Figure } from '../../lib/viz/types.js';
import { ArgumentError } from '../../lib/errors.js';

const renderer = new FigureRenderer();
after(() => renderer.close());

const curve = trainingCurvesFigure([{ label: 'loss', points: Array.from({ length: 50 }, (_, i) => ({ step: i, value: 1 / (1 + i) })) }], { metric: 'loss', log: true });

test('a figure renders to a PNG of the asked size through headless Chromium, and it is not blank', async () => {
  const png = await renderer.render(curve, { width: 640, height: 400 });
  assert.deepEqual([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join(''), 'PNG');
  const s = await pixelStats(png);
  assert.equal(s.width, 640);
  assert.equal(s.height, 400);
  assert.ok(!isBlank(s), `pixel variance ${s.variance}, ink ${s.inked}`);
  assert.ok(s.variance > 10, `pixel variance ${s.variance}`);
});

test('the traces themselves put ink on the page: data ink > 0.1 % for a line plot and a point cloud', async () => {
  const cloud = samplesFigure([{ label: 'a', values: Array.from({ length: 400 }, (_, i) => Math.sin(i * 1.7) * 2), dim: 2 }]);
  for (const fig of [curve, cloud]) {
    const ink = await dataInk(renderer, fig, { width: 500, height: 350 });
    assert.ok(ink > 0.001, `data ink ${ink}`);
  }
});

test('an empty plot cannot pass: no traces, or traces of nulls, have zero data ink; a white page is blank', async () => {
  const empty: Figure = { data: [], layout: { title: { text: 'empty' } } };
  const nulls: Figure = { data: [{ type: 'scatter', mode: 'lines', name: 'gap', x: [1, 2, 3], y: [null, null, null] }], layout: { title: { text: 'nulls' } } };
  assert.equal(await dataInk(renderer, empty), 0);
  assert.equal(await dataInk(renderer, nulls), 0);
  const white: Figure = { data: [], layout: { title: { text: '' }, xaxis: { title: { text: '' }, type: 'linear', visible: false } as never, yaxis: { title: { text: '' }, type: 'linear', visible: false } as never } };
  assert.ok(isBlank(await pixelStats(await renderer.render(white))));
});

test('bad sizes and a missing Chromium are clear errors', async () => {
  await assert.rejects(renderer.render(curve, { width: 3 }), (e: unknown) => e instanceof ArgumentError && e.arg === 'width');
  await assert.rejects(renderer.render({} as Figure), (e: unknown) => e instanceof ArgumentError && e.arg === 'fig');
  assert.throws(() => findChromium({ SPLAM_CHROMIUM: '/nonexistent/chromium' }), (e: unknown) => e instanceof ArgumentError && e.arg === 'SPLAM_CHROMIUM');
});
