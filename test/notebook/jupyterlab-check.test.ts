/**
 * The JupyterLab check itself (lib/notebook/jupyterlab-check.ts) on a hand-made executed notebook: a good figure
 * bundle (plotly JSON + PNG + text, after two stdout streams) and a plotly-only bundle. In a plain JupyterLab (plotly's
 * renderer disabled) the plotly-only one is an empty output and must be named; with the renderer it is drawn and
 * nothing is named; asked for a screenshot, it saves the first figure cell as a small PNG that is not blank (drawn by
 * plotly's renderer where there is one). In CI (CI=true) a missing JupyterLab (scripts/jupyterlab-venv.sh) fails the test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BrowserSession } from '../../lib/notebook/browser-check.js';
import { LAB_ALLOW, checkNotebookInJupyterLab, jupyterLabTools, startJupyterLab } from '../../lib/notebook/jupyterlab-check.js';
import { FigureRenderer } from '../../lib/viz/png.js';
import { isBlank, pixelStats } from '../../lib/viz/pixels.js';
import type { Figure } from '../../lib/viz/types.js';
import { tempDir } from '../track/helpers.js';
import { assertSmallPng } from './screenshot.js';

const PLOTLY = 'application/vnd.plotly.v1+json';
const fig = (name: string) =>
  ({ data: [{ type: 'scatter', mode: 'lines', x: [0, 1, 2, 3], y: [0, 1, 0, 1] }], layout: { title: { text: name }, width: 400, height: 260, meta: { splamFigure: name } } }) as unknown as Figure;
const code = (outputs: unknown[], n: number) => ({ cell_type: 'code', id: `c${n}`, metadata: {}, execution_count: n, source: `cell ${n}`, outputs });

test('the JupyterLab check finds the figure of a full bundle, names a plotly-only bundle without plotly\'s renderer, and sees it drawn with it', { timeout: 240_000 }, async (t) => {
  const tools = jupyterLabTools();
  if (tools.missing.length) {
    if (process.env.CI === 'true' || process.env.CI === '1') assert.fail(`the JupyterLab check cannot run here: ${tools.missing.join('; ')}`);
    t.skip(tools.missing.join('; '));
    return;
  }
  const dir = tempDir('splam-lab-check-');
  const renderer = new FigureRenderer();
  const png = (await renderer.render(fig('good'), { width: 400, height: 260 })).toString('base64');
  await renderer.close();
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'splam-tslab', display_name: 'TypeScript (splam-lab)', language: 'typescript' } },
    cells: [
      { cell_type: 'markdown', id: 'm0', metadata: {}, source: '# tiny' },
      code([{ output_type: 'stream', name: 'stdout', text: 'a\n' }, { output_type: 'stream', name: 'stdout', text: 'b\n' }, { output_type: 'display_data', metadata: {}, data: { [PLOTLY]: fig('good'), 'image/png': png, 'text/plain': 'good' } }], 1),
      code([{ output_type: 'display_data', metadata: {}, data: { [PLOTLY]: fig('plotly-only') } }], 2),
    ],
  };
  writeFileSync(join(dir, 'tiny.ipynb'), JSON.stringify(nb));
  const browser = new BrowserSession(LAB_ALLOW);
  try {
    for (const plotlyRenderer of [false, true]) {
      const server = await startJupyterLab(dir, { plotlyRenderer });
      try {
        const shot = join(dir, `shot-${plotlyRenderer}`, 'cell.png');
        const r = await checkNotebookInJupyterLab(server, browser, join(dir, 'tiny.ipynb'), { timeoutMs: 20_000, screenshot: shot });
        const msg = JSON.stringify(r, null, 1);
        // The screenshot: the first figure cell (cell 1, the full bundle), drawn by plotly's renderer where there is one.
        assert.ok(r.screenshot, msg);
        assert.equal(r.screenshot.file, shot, msg);
        assert.equal(r.screenshot.cell, 1, msg);
        assert.equal(r.screenshot.drawnBy, plotlyRenderer ? 'plotly' : 'image', msg);
        assertSmallPng(shot, r.screenshot);
        assert.ok(!isBlank(await pixelStats(readFileSync(shot))), `${shot} is blank`);
        assert.deepEqual(r.cells.map((c) => [c.cell, c.figures]), [[1, 1], [2, 1]], msg);
        assert.equal(r.cells[0].visible, 1, msg);
        if (plotlyRenderer) assert.deepEqual(r.problems, [], msg);
        else assert.deepEqual(r.problems, ["tiny.ipynb cell 2 in JupyterLab (without plotly's renderer): 0 of 1 figures visible"], msg);
      } finally {
        await server.stop();
      }
    }
  } finally {
    await browser.close();
  }
});
