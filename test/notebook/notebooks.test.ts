/**
 * The notebooks: their structure (claim first, conclusion last, declared figures, small and output-free as
 * committed), the project-local kernelspec, and — the part CI depends on — every notebook executed end to end
 * through Jupyter (nbclient) in quick mode on a fresh store, failing on any error output or missing figure.
 * In JupyterLab with plotly's renderer it saves a screenshot of the first notebook's first figure cell,
 * `jupyterlab-figure.png` in `$SPLAM_SCREENSHOT_DIR` (else in the executed copies' folder); `docs/jupyterlab-figure.png`
 * is one (`SPLAM_NOTEBOOKS=00 SPLAM_SCREENSHOT_DIR=docs node --import tsx --test test/notebook/notebooks.test.ts`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { declaredFigures, executeNotebook, jupyterPath, kernelSpec, KERNEL_NAME, listNotebooks, resolveNotebook, writeKernelspec, PROJECT_ROOT } from '../../lib/notebook/jupyter.js';
import { FigureRenderer, dataInk } from '../../lib/viz/png.js';
import { BrowserSession, browserCheckTools, checkNotebookInBrowser } from '../../lib/notebook/browser-check.js';
import { LAB_ALLOW, checkNotebookInJupyterLab, jupyterLabTools, startJupyterLab } from '../../lib/notebook/jupyterlab-check.js';
import { isBlank, pixelStats } from '../../lib/viz/pixels.js';
import { ArgumentError } from '../../lib/errors.js';
import { tempDir } from '../track/helpers.js';
import { assertSmallPng } from './screenshot.js';

const notebooks = listNotebooks();
/** The most a notebook may weigh, committed or executed in quick mode (figures as plotly JSON + a ~30–70 kB PNG each). */
const SIZE_LIMIT = 1_000_000;
const EXPECTED = ['00-quickstart', '01-solvers', '02-subpaths', '03-cumulative-error', '04-distillation', '05-ablations', '06-querying', '07-autoencoder-teacher', '08-splad', '09-few-step-table'];

interface Cell {
  cell_type: string;
  source: string | string[];
  outputs?: unknown[];
}
const read = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as { cells: Cell[]; metadata: { kernelspec: { name: string } } };
const text = (c: Cell) => (Array.isArray(c.source) ? c.source.join('') : c.source);

test('the notebooks 00–09 are there, in order', () => {
  for (const name of EXPECTED) assert.ok(notebooks.some((f) => basename(f, '.ipynb') === name), `${name}.ipynb`);
});

test('each notebook opens with its claim, closes with a computed conclusion, declares its figures, and is committed small and without outputs', () => {
  for (const f of notebooks) {
    const nb = read(f);
    const name = basename(f);
    assert.equal(nb.metadata.kernelspec.name, KERNEL_NAME, `${name}: kernel`);
    assert.equal(nb.cells[0].cell_type, 'markdown', `${name}: first cell`);
    assert.match(text(nb.cells[0]), /\*\*Claims? tested/, `${name}: the claim comes first`);
    const last = nb.cells.length - 1;
    assert.match(text(nb.cells[last - 1]), /## Conclusion/, `${name}: conclusion heading`);
    assert.match(text(nb.cells[last]), /showMarkdown\(/, `${name}: the conclusion is computed from measured output`);
    assert.ok(declaredFigures(f).length >= 1, `${name}: declares figures`);
    assert.ok(statSync(f).size < SIZE_LIMIT, `${name}: under 1 MB`);
    assert.ok(nb.cells.every((c) => !c.outputs || c.outputs.length === 0), `${name}: committed with outputs cleared`);
    for (const fig of declaredFigures(f)) assert.ok(nb.cells.some((c) => text(c).includes(fig) || (fig.includes('-') && text(c).includes(fig.split('-')[0]))), `${name}: figure ${fig} named in a cell`);
  }
});

test('the kernelspec is project-local and starts tslab through the shim with this Node', () => {
  const file = writeKernelspec();
  assert.equal(file, join(jupyterPath(), 'kernels', KERNEL_NAME, 'kernel.json'));
  const spec = JSON.parse(readFileSync(file, 'utf8'));
  assert.deepEqual(spec, JSON.parse(JSON.stringify(kernelSpec())));
  assert.equal(spec.argv[0], process.execPath);
  assert.equal(spec.argv[1], join(PROJECT_ROOT, 'scripts', 'tslab-kernel.cjs'));
  assert.ok(existsSync(spec.argv[1]));
  assert.ok(spec.argv.includes('{connection_file}'));
});

test('notebook references resolve by prefix; an unknown one lists the choices; the CLI exits 2', () => {
  assert.equal(basename(resolveNotebook('03')), '03-cumulative-error.ipynb');
  assert.throws(() => resolveNotebook('zz'), (e: unknown) => e instanceof ArgumentError && /00-quickstart/.test(String(e.allowed)));
  const bin = join(PROJECT_ROOT, 'bin', 'splam.mjs');
  const r = spawnSync(process.execPath, [bin, 'notebook', 'run', 'zz'], { encoding: 'utf8' });
  assert.equal(r.status, 2, r.stderr);
});

test('every notebook executes through Jupyter in quick mode with no error output and shows every figure it declares; a figure is not blank; in nbconvert HTML opened in Chromium every declared figure is a visible image with data ink and no output is empty or an error; in JupyterLab (with and without plotly\'s renderer) every figure output is visible', { timeout: 30 * 60_000 }, async (t) => {
  if (process.env.SPLAM_SKIP_NOTEBOOKS === '1') {
    t.skip('SPLAM_SKIP_NOTEBOOKS=1');
    return;
  }
  // SPLAM_NOTEBOOKS=00,03 executes and checks only those (by prefix), for a quick local look; CI runs all ten.
  const only = process.env.SPLAM_NOTEBOOKS?.split(',').map((x) => x.trim()).filter(Boolean);
  const ci = process.env.CI === 'true' || process.env.CI === '1';
  if (only && ci) assert.fail(`SPLAM_NOTEBOOKS=${process.env.SPLAM_NOTEBOOKS}: CI executes every notebook; unset it`);
  const chosen = only ? notebooks.filter((f) => only.some((p) => basename(f).startsWith(p))) : notebooks;
  if (only) assert.ok(chosen.length > 0, `SPLAM_NOTEBOOKS=${process.env.SPLAM_NOTEBOOKS} names no notebook (${notebooks.map((f) => basename(f, '.ipynb')).join(', ')})`);
  const store = tempDir('splam-nb-store-');
  const out = tempDir('splam-nb-out-');
  const renderer = new FigureRenderer();
  // The real-browser check runs on the executed copies made here, so no notebook runs twice.
  const tools = browserCheckTools();
  if (tools.missing.length && ci) assert.fail(`the browser check cannot run in CI: ${tools.missing.join('; ')}`);
  if (tools.missing.length) process.stderr.write(`# browser check not run here: ${tools.missing.join('; ')}\n`);
  const lab = jupyterLabTools();
  if (lab.missing.length && ci) assert.fail(`the JupyterLab check cannot run in CI: ${lab.missing.join('; ')}`);
  if (lab.missing.length) process.stderr.write(`# JupyterLab check not run here: ${lab.missing.join('; ')}\n`);
  const browser = new BrowserSession(LAB_ALLOW);
  const copies: string[] = [];
  try {
    for (const f of chosen) {
      const r = await executeNotebook(f, { quick: true, storeDir: store, outDir: out, timeout: 300 });
      process.stderr.write(`# ${basename(f)}: ${r.ok ? 'ok' : 'FAILED'} in ${r.seconds} s, ${r.plotly} plotly, ${r.png} png\n`);
      assert.deepEqual(r.errors, [], `${basename(f)}: error output`);
      assert.deepEqual(r.missingFigures, [], `${basename(f)}: missing figures`);
      assert.ok(r.ok);
      // The first figure of the notebook, as the notebook stored it, has data on it.
      const executed = read(r.output);
      const bundles = executed.cells.flatMap((c) => (c.outputs ?? []) as { data?: Record<string, unknown> }[]).filter((o) => o.data?.['application/vnd.plotly.v1+json']);
      const fig = bundles[0]?.data?.['application/vnd.plotly.v1+json'];
      assert.ok(fig, `${basename(f)}: a plotly output`);
      const ink = await dataInk(renderer, fig as never, { width: 600, height: 400 });
      assert.ok(ink > 0.0005, `${basename(f)}: first figure's data ink ${ink}`);
      // Every figure is one bundle that any frontend can draw: plotly JSON, a PNG of it (not blank), a text line.
      for (const b of bundles) assert.deepEqual(Object.keys(b.data!).sort(), ['application/vnd.plotly.v1+json', 'image/png', 'text/plain'], `${basename(f)}: a figure's bundle`);
      const png = Buffer.from(String(bundles[0].data!['image/png']), 'base64');
      assert.ok(!isBlank(await pixelStats(png)), `${basename(f)}: first figure's PNG is blank`);
      assert.ok(statSync(r.output).size < SIZE_LIMIT, `${basename(f)}: executed copy ${statSync(r.output).size} bytes, over ${SIZE_LIMIT}`);
      if (!tools.missing.length) {
        const b = await checkNotebookInBrowser(r.output, { htmlDir: join(out, 'html'), renderer, browser, declared: declaredFigures(f) });
        process.stderr.write(`# ${basename(f)}: browser check ${b.problems.length ? 'FAILED' : 'ok'}, ${b.figures.filter((x) => x.visible).length}/${b.figures.length} figures visible\n`);
        assert.deepEqual(b.problems, [], `${basename(f)}: in nbconvert HTML in Chromium`);
      }
      copies.push(r.output);
    }
    // The same executed copies in JupyterLab, plain and with plotly's renderer: a visible figure in each figure output.
    if (!lab.missing.length) {
      for (const plotlyRenderer of [false, true]) {
        const server = await startJupyterLab(out, { plotlyRenderer });
        try {
          for (const [i, file] of copies.entries()) {
            // With plotly's renderer, a screenshot of the first notebook's first figure cell (the README's picture).
            const screenshot = plotlyRenderer && i === 0 ? join(process.env.SPLAM_SCREENSHOT_DIR ?? out, 'jupyterlab-figure.png') : undefined;
            const l = await checkNotebookInJupyterLab(server, browser, file, { screenshot });
            process.stderr.write(`# ${basename(file)}: JupyterLab ${plotlyRenderer ? 'with' : 'without'} plotly's renderer ${l.problems.length ? 'FAILED' : 'ok'}, ${l.cells.length} figure cells\n`);
            assert.deepEqual(l.problems, [], `${basename(file)}: in JupyterLab`);
            if (screenshot) {
              const shot = l.screenshot;
              assert.ok(shot, `${basename(file)}: no screenshot`);
              process.stderr.write(`# ${basename(file)}: screenshot of cell ${shot.cell} (${shot.drawnBy}), ${shot.width}×${shot.height} px, ${shot.bytes} bytes → ${shot.file}\n`);
              assert.equal(shot.drawnBy, 'plotly', `${basename(file)}: the screenshot's figure is drawn by plotly's renderer`);
              assertSmallPng(screenshot, shot);
              const stats = await pixelStats(readFileSync(screenshot));
              assert.ok(!isBlank(stats), `${screenshot} is blank: ${JSON.stringify(stats)}`);
            }
          }
        } finally {
          await server.stop();
        }
      }
    }
  } finally {
    await browser.close();
    await renderer.close();
  }
});
