import { test } from 'node:test';
import assert from 'node:assert/strict';
import { displayFigure, figureSummary, plotlyMimeBundle, PLOTLY_MIME, type TslabDisplay } from '../../lib/viz/display.js';
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

test('inside tslab the figure goes to display.raw under the plotly type, as a JSON object equal to the figure', async () => {
  const calls: [string, unknown][] = [];
  const fake: TslabDisplay = { display: { raw: (type, data) => calls.push([type, data]) } };
  const printed: string[] = [];
  const where = await displayFigure(fig, { loadTslab: async () => fake, print: (l) => printed.push(l) });
  assert.equal(where, 'tslab');
  assert.equal(calls.length, 1);
  assert.equal(calls[0][0], PLOTLY_MIME);
  assert.deepEqual(calls[0][1], fig);
  assert.notEqual(calls[0][1], fig, 'a JSON copy, not the caller\'s object');
  assert.deepEqual(printed, []);
});

test('without tslab (not installed here) it prints a one-line summary and resolves', async () => {
  const printed: string[] = [];
  assert.equal(await displayFigure(fig, { print: (l) => printed.push(l) }), 'text');
  assert.deepEqual(printed, ['[plotly figure: 2 traces, title "loss"]']);
});

test('never throws: a failing tslab display, an unserialisable figure, a failing printer', async () => {
  const printed: string[] = [];
  const failing: TslabDisplay = { display: { raw: () => { throw new Error('Not ready'); } } };
  assert.equal(await displayFigure(fig, { loadTslab: async () => failing, print: (l) => printed.push(l) }), 'text');
  const cyclic = { data: [], layout: { title: { text: 'loop' } } } as unknown as Figure & { self?: unknown };
  cyclic.self = cyclic;
  assert.equal(await displayFigure(cyclic, { loadTslab: async () => { throw new Error('unreachable'); }, print: (l) => printed.push(l) }), 'text');
  assert.deepEqual(printed, ['[plotly figure: 2 traces, title "loss"]', '[plotly figure: 0 traces, title "loop"]']);
  assert.equal(await displayFigure(fig, { loadTslab: async () => failing, print: () => { throw new Error('closed'); } }), 'text');
  assert.equal(figureSummary({ data: [], layout: { title: { text: '' } } }), '[plotly figure: 0 traces]');
});
