/**
 * The real-browser check itself (lib/notebook/browser-check.ts), on a tiny hand-made executed notebook: one good
 * figure bundle (after two stdout streams, which nbconvert shows as one) (plotly JSON + a PNG of it + text), one output that is an empty box in a frontend without a plotly
 * renderer (a plotly-only bundle), one error output, one figure whose PNG has no data ink (one-point lines: only its
 * legend is drawn), and one declared figure that is never shown. The check must pass the good figure and name each of the
 * others, so a checker that passes everything, or fails everything, fails this test.
 * In CI (CI=true) a missing nbconvert or Chromium fails the test; elsewhere it skips with the reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { browserCheckTools, checkNotebookInBrowser, coalesceStreams, MIN_DATA_INK } from '../../lib/notebook/browser-check.js';
import { FigureRenderer } from '../../lib/viz/png.js';
import type { Figure } from '../../lib/viz/types.js';
import { tempDir } from '../track/helpers.js';

const PLOTLY = 'application/vnd.plotly.v1+json';
const SIZE = { width: 400, height: 260, scale: 1 };

function figure(name: string): Figure {
  const x = Array.from({ length: 40 }, (_, i) => i / 39);
  return {
    data: [{ type: 'scatter', mode: 'lines', x, y: x.map((v) => Math.sin(6 * v)), line: { width: 3, color: '#1f77b4' } }],
    layout: { title: { text: name }, width: SIZE.width, height: SIZE.height, meta: { splamFigure: name } },
  } as unknown as Figure;
}
const code = (outputs: unknown[], n: number) => ({ cell_type: 'code', id: `c${n}`, metadata: {}, execution_count: n, source: `cell ${n}`, outputs });

test('coalesceStreams merges consecutive streams of one name, as nbconvert shows them', () => {
  const out = coalesceStreams([
    { output_type: 'stream', name: 'stdout', text: 'a\n' },
    { output_type: 'stream', name: 'stdout', text: ['b', '\n'] },
    { output_type: 'stream', name: 'stderr', text: 'c' },
    { output_type: 'display_data', data: { 'text/plain': 'd' } },
    { output_type: 'stream', name: 'stdout', text: 'e' },
  ]);
  assert.deepEqual(out.map((o) => [o.output_type, o.text ?? null]), [['stream', 'a\nb\n'], ['stream', 'c'], ['display_data', null], ['stream', 'e']]);
});

test('browserCheckTools names a missing nbconvert and a missing Chromium (what makes CI fail, not skip)', () => {
  const r = browserCheckTools({ ...process.env, SPLAM_JUPYTER_PYTHON: '/nonexistent/python3', SPLAM_CHROMIUM: '/nonexistent/chromium' });
  assert.equal(r.nbconvert, null);
  assert.equal(r.chromium, null);
  assert.equal(r.missing.length, 2, r.missing.join('\n'));
  assert.match(r.missing[0], /^nbconvert: .*jupyter-nbconvert/);
  assert.match(r.missing[1], /^chromium: /);
});

test('the browser check passes a good figure and names an empty output box, an error, a figure without data ink and a declared figure never shown', { timeout: 180_000 }, async (t) => {
  const tools = browserCheckTools();
  if (tools.missing.length) {
    if (process.env.CI === 'true' || process.env.CI === '1') assert.fail(`the browser check cannot run here: ${tools.missing.join('; ')}`);
    t.skip(tools.missing.join('; '));
    return;
  }
  const dir = tempDir('splam-browser-check-');
  const renderer = new FigureRenderer();
  try {
    const good = figure('good-figure');
    // Two one-point line traces (notebook 07's old quick training figure): nothing in the plot area, but the legend
    // shows their symbols, which fade with the traces: data ink is what the plot area shows, not the legend.
    const inkless = {
      data: [0, 1].map((i) => ({ type: 'scatter', mode: 'lines', name: `run ${i}`, x: [30], y: [0.3 + i], line: { width: 3, color: i ? '#d62728' : '#1f77b4' } })),
      layout: { title: { text: 'inkless' }, width: SIZE.width, height: SIZE.height, showlegend: true, meta: { splamFigure: 'inkless-figure' } },
    } as unknown as Figure;
    const png = (await renderer.render(good, SIZE)).toString('base64');
    const bare = (await renderer.render(inkless, SIZE)).toString('base64');
    const nb = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { kernelspec: { name: 'splam-tslab', display_name: 'TypeScript', language: 'typescript' }, splam: { figures: ['good-figure', 'never-shown'] } },
      cells: [
        { cell_type: 'markdown', id: 'm0', metadata: {}, source: '# A tiny notebook\n\n**Claim tested**: none.' },
        code([{ output_type: 'stream', name: 'stdout', text: 'running\n' }, { output_type: 'stream', name: 'stdout', text: 'step 2\n' }, { output_type: 'display_data', metadata: {}, data: { [PLOTLY]: good, 'image/png': png, 'text/plain': 'figure good-figure' } }], 1),
        code([{ output_type: 'display_data', metadata: {}, data: { [PLOTLY]: figure('plotly-only') } }], 2),
        code([{ output_type: 'error', ename: 'TypeError', evalue: 'x is not a function', traceback: ['TypeError: x is not a function', '    at cell 3'] }], 3),
        code([{ output_type: 'display_data', metadata: {}, data: { [PLOTLY]: inkless, 'image/png': bare, 'text/plain': 'figure inkless-figure' } }], 4),
      ],
    };
    const file = join(dir, 'tiny.ipynb');
    writeFileSync(file, JSON.stringify(nb));
    const r = await checkNotebookInBrowser(file, { htmlDir: join(dir, 'html'), renderer });
    const msg = JSON.stringify(r, null, 1);

    // The good figure: visible at its size, with data ink, and no problem about its cell.
    const g = r.figures.find((f) => f.name === 'good-figure');
    assert.ok(g, msg);
    assert.equal(g.visible, true, msg);
    assert.deepEqual(g.shown, { width: SIZE.width, height: SIZE.height }, msg);
    assert.ok(g.ink !== null && g.ink > MIN_DATA_INK, msg);
    assert.ok(!r.problems.some((p) => /cell 1 /.test(p)), msg);

    // Each bad output is named, and nothing else is.
    assert.ok(r.problems.some((p) => /cell 2 output 0: an empty output box/.test(p)), msg);
    assert.ok(r.problems.some((p) => /cell 2 output 0 \(figure plotly-only\): not visible as an image/.test(p)), msg);
    assert.ok(r.problems.some((p) => /cell 3 output 0: error output TypeError: x is not a function/.test(p)), msg);
    assert.ok(r.problems.some((p) => /cell 4 output 0 \(figure inkless-figure\): no data ink/.test(p)), msg);
    assert.ok(r.problems.some((p) => /declared figure never-shown is not visible/.test(p)), msg);
    assert.equal(r.problems.length, 5, msg);
    assert.deepEqual(r.figures.map((f) => [f.name, f.visible]), [['good-figure', true], ['plotly-only', false], ['inkless-figure', false]], msg);
  } finally {
    await renderer.close();
  }
});
