import { test } from 'node:test';
import assert from 'node:assert/strict';
import { displayFigure, figureBundle, figureSummary, findDisplayWriter, plotlyMimeBundle, PLOTLY_MIME, PNG_MIME, TEXT_MIME, type DisplayWriter } from '../../lib/viz/display.js';
import { trainingCurvesFigure } from '../../lib/viz/training.js';
import type { Figure } from '../../lib/viz/types.js';

const fig = trainingCurvesFigure(
  [
    { label: 'a', points: [{ step: 0, value: 1 }] },
    { label: 'b', points: [{ step: 0, value: 2 }] },
  ],
  { metric: 'loss' },
);

test('the MIME bundle holds the figure under the plotly v1 JSON type', () => {
  assert.deepEqual(Object.keys(plotlyMimeBundle(fig)), ['application/vnd.plotly.v1+json']);
  assert.equal(plotlyMimeBundle(fig)[PLOTLY_MIME], fig);
});

test('inside tslab the figure goes out as ONE display message: plotly JSON (an object equal to the figure), PNG when given, text summary', async () => {
  const calls: { data: Record<string, unknown> }[] = [];
  const writer: DisplayWriter = (msg) => calls.push(msg);
  const printed: string[] = [];
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
  const where = await displayFigure(fig, { loadWriter: async () => writer, print: (l) => printed.push(l), png });
  assert.equal(where, 'tslab');
  assert.equal(calls.length, 1);
  assert.deepEqual(Object.keys(calls[0].data).sort(), [PNG_MIME, PLOTLY_MIME, TEXT_MIME].sort());
  assert.deepEqual(calls[0].data[PLOTLY_MIME], fig);
  assert.notEqual(calls[0].data[PLOTLY_MIME], fig, 'a JSON copy, not the caller\'s object');
  assert.equal(calls[0].data[PNG_MIME], Buffer.from(png).toString('base64'));
  assert.equal(calls[0].data[TEXT_MIME], '[plotly figure: 2 traces, title "loss"]');
  assert.deepEqual(printed, []);
  await displayFigure(fig, { loadWriter: async () => writer });
  assert.deepEqual(Object.keys(calls[1].data).sort(), [PLOTLY_MIME, TEXT_MIME].sort(), 'no PNG given, none in the bundle');
  assert.deepEqual(Object.keys(figureBundle(fig, new Uint8Array(0))).sort(), [PLOTLY_MIME, TEXT_MIME].sort(), 'an empty PNG is left out');
});

test('without a tslab kernel it prints a one-line summary and resolves', async () => {
  const printed: string[] = [];
  assert.equal(await displayFigure(fig, { print: (l) => printed.push(l) }), 'text');
  assert.deepEqual(printed, ['[plotly figure: 2 traces, title "loss"]']);
  assert.equal(await findDisplayWriter(), null, 'tslab is installed, but its writer is set only inside a kernel');
});

test('never throws: a failing tslab display, an unserialisable figure, a failing printer', async () => {
  const printed: string[] = [];
  const failing: DisplayWriter = () => { throw new Error('Not ready'); };
  assert.equal(await displayFigure(fig, { loadWriter: async () => failing, print: (l) => printed.push(l) }), 'text');
  const cyclic = { data: [], layout: { title: { text: 'loop' } } } as unknown as Figure & { self?: unknown };
  cyclic.self = cyclic;
  assert.equal(await displayFigure(cyclic, { loadWriter: async () => { throw new Error('unreachable'); }, print: (l) => printed.push(l) }), 'text');
  assert.deepEqual(printed, ['[plotly figure: 2 traces, title "loss"]', '[plotly figure: 0 traces, title "loop"]']);
  assert.equal(await displayFigure(fig, { loadWriter: async () => failing, print: () => { throw new Error('closed'); } }), 'text');
  assert.equal(figureSummary({ data: [], layout: { title: { text: '' } } }), '[plotly figure: 0 traces]');
});
