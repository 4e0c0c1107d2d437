/**
 * The JupyterLab half of the real-browser check: serve executed notebooks with the JupyterLab of
 * the project-local venvs (scripts/jupyterlab-venv.sh), open each in headless Chromium, and find a
 * visible figure in every figure cell — an `<img>` that loaded (the bundle's PNG) or a drawn plotly plot — both with
 * plotly's JupyterLab renderer enabled and with it disabled (a plain JupyterLab, where a plotly-only bundle was an
 * empty output).
 *
 * The two JupyterLabs are two venvs (scripts/jupyterlab-venv.sh): disabling the renderer in one (page_config.json
 * `disabledExtensions`) was measured not to stop it drawing plotly-only bundles. Each server gets its own settings,
 * workspaces and config folder, so nothing of the user's JupyterLab is read or changed: cell windowing is off (every
 * cell is laid out, so cells map to the notebook's by position).
 *
 * Asked for a screenshot (`screenshot`: a .png path), the check also saves the first figure cell whose figures it
 * found, as JupyterLab shows it (code and output; with plotly's renderer, which shows the bundle's PNG until the
 * pointer enters it, the pointer on the figure, so the interactive plot and its mode bar are shown): an element screenshot (playwright), written as a palette PNG through sharp, so it stays small.
 * CI makes one on every run (test/notebook/notebooks.test.ts) and `docs/jupyterlab-figure.png` is a copy of it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { coalesceStreams, type BrowserSession, type Output } from './browser-check.js';
import { PROJECT_ROOT, jupyterPath } from './jupyter.js';

/** A plain JupyterLab (no plotly renderer) and one with plotly's renderer (the `plotly` package), scripts/jupyterlab-venv.sh. */
export const JUPYTERLAB_VENV = join(PROJECT_ROOT, '.venv-jupyterlab');
export const JUPYTERLAB_PLOTLY_VENV = join(PROJECT_ROOT, '.venv-jupyterlab-plotly');
/** What a {@link BrowserSession} for these checks may load: the local server (and files, data: and blob: URLs). */
export const LAB_ALLOW = /^(file:|data:|blob:|https?:\/\/127\.0\.0\.1:\d+\/)/;
const PLOTLY_MIME = 'application/vnd.plotly.v1+json';

/** JupyterLab's version in both project venvs (plotly's in the second), or why the check cannot run. */
export function jupyterLabTools(): { lab: string | null; plotly: string | null; missing: string[] } {
  const missing: string[] = [];
  let lab: string | null = null;
  let plotly: string | null = null;
  for (const [venv, mods] of [[JUPYTERLAB_VENV, 'jupyterlab'], [JUPYTERLAB_PLOTLY_VENV, 'jupyterlab, plotly']] as const) {
    const py = join(venv, 'bin', 'python');
    if (!existsSync(join(venv, 'bin', 'jupyter-lab'))) {
      missing.push(`JupyterLab: no ${join(venv, 'bin', 'jupyter-lab')} (run: bash scripts/jupyterlab-venv.sh)`);
      continue;
    }
    const r = spawnSync(py, ['-c', `import ${mods}; print(jupyterlab.__version__${mods.includes('plotly') ? ', plotly.__version__' : ''})`], { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) {
      missing.push(`JupyterLab: ${py} cannot import ${mods} (${(r.stderr ?? '').trim().split('\n').pop()}); run: bash scripts/jupyterlab-venv.sh`);
      continue;
    }
    const v = r.stdout.trim().split(/\s+/);
    lab = v[0];
    if (v[1]) plotly = v[1];
  }
  return { lab, plotly, missing };
}

export interface LabServer {
  url: string;
  token: string;
  plotlyRenderer: boolean;
  stop(): Promise<void>;
}

/** Start JupyterLab on a free port serving `rootDir`; resolves when it listens. */
export async function startJupyterLab(rootDir: string, opts: { plotlyRenderer: boolean; timeoutMs?: number }): Promise<LabServer> {
  const venv = opts.plotlyRenderer ? JUPYTERLAB_PLOTLY_VENV : JUPYTERLAB_VENV;
  const state = mkdtempSync(join(tmpdir(), 'splam-lab-'));
  const settings = join(state, 'settings', '@jupyterlab', 'notebook-extension');
  mkdirSync(settings, { recursive: true });
  writeFileSync(join(settings, 'tracker.jupyterlab-settings'), JSON.stringify({ windowingMode: 'none' }));
  const config = join(state, 'config');
  mkdirSync(config, { recursive: true });
  const token = Math.random().toString(36).slice(2) + Date.now().toString(36);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    JUPYTER_PATH: jupyterPath(),
    JUPYTER_CONFIG_DIR: config,
    JUPYTERLAB_SETTINGS_DIR: join(state, 'settings'),
    JUPYTERLAB_WORKSPACES_DIR: join(state, 'workspaces'),
    JUPYTER_RUNTIME_DIR: join(state, 'runtime'),
  };
  const args = [
    '--allow-root', '--no-browser', '--port=0', '--ip=127.0.0.1', `--ServerApp.token=${token}`, `--ServerApp.root_dir=${resolve(rootDir)}`,
    '--LabApp.news_url=None', '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate', '--ServerApp.open_browser=False',
  ];
  const p: ChildProcess = spawn(join(venv, 'bin', 'jupyter-lab'), args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const url = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`JupyterLab did not start in ${(opts.timeoutMs ?? 60_000) / 1000} s: ${log.slice(-1500)}`)), opts.timeoutMs ?? 60_000);
    const onData = (d: Buffer) => {
      log += d;
      const m = /(http:\/\/127\.0\.0\.1:\d+)\/lab\?token=/.exec(log);
      if (m) {
        clearTimeout(timer);
        res(m[1]);
      }
    };
    p.stdout!.on('data', onData);
    p.stderr!.on('data', onData);
    p.on('error', (e) => (clearTimeout(timer), rej(e)));
    p.on('exit', (c) => (clearTimeout(timer), rej(new Error(`JupyterLab exited ${c}: ${log.slice(-1500)}`))));
  });
  return {
    url,
    token,
    plotlyRenderer: opts.plotlyRenderer,
    async stop() {
      if (p.exitCode === null) {
        p.kill('SIGTERM');
        await new Promise<void>((res) => {
          const t = setTimeout(() => (p.kill('SIGKILL'), res()), 10_000);
          p.once('exit', () => (clearTimeout(t), res()));
        });
      }
      rmSync(state, { recursive: true, force: true });
    },
  };
}

/** Stop the kernels that opening notebooks started (one tslab each), so they do not pile up over many notebooks. */
export async function shutdownSessions(server: LabServer): Promise<void> {
  const auth = { headers: { Authorization: `token ${server.token}` } };
  try {
    const sessions = (await (await fetch(`${server.url}/api/sessions`, auth)).json()) as { id: string }[];
    for (const s of sessions) await fetch(`${server.url}/api/sessions/${s.id}`, { ...auth, method: 'DELETE' });
  } catch {
    // the server is gone: nothing to stop
  }
}

export interface LabCheckReport {
  notebook: string;
  plotlyRenderer: boolean;
  /** Figure cells (notebook cell index) and what was found in each. */
  cells: { cell: number; figures: number; visible: number }[];
  problems: string[];
  /** The screenshot saved when one was asked for (null when none could be taken: a problem says why). */
  screenshot?: LabScreenshot | null;
}

export interface LabScreenshot {
  file: string;
  /** The notebook cell it shows. */
  cell: number;
  /** What drew the figure in it: plotly's renderer (a `.js-plotly-plot`) or the bundle's PNG (an `<img>`). */
  drawnBy: 'plotly' | 'image';
  width: number;
  height: number;
  bytes: number;
}

export interface LabCheckOptions {
  /** How long to wait for the notebook and for each figure cell (default 60 s). */
  timeoutMs?: number;
  /** Save a screenshot of the first figure cell whose figures are all visible to this .png path (folders made). */
  screenshot?: string;
}

/** The notebook shown (a fresh workspace opens one, `?reset`; hidden tabs are left out all the same). */
const PANEL = '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook';

/** A figure's visible forms in one output: a loaded image or a plotly plot at least this many CSS px each side. */
const MIN_PX = 100;

/**
 * Open `file` (an executed notebook under the server's root) in JupyterLab and find a visible figure in every
 * figure output (matched by position, streams coalesced); never throws for what the page shows (the report says it).
 */
export async function checkNotebookInJupyterLab(server: LabServer, browser: BrowserSession, file: string, opts: LabCheckOptions = {}): Promise<LabCheckReport> {
  const nb = JSON.parse(readFileSync(file, 'utf8')) as { cells: { outputs?: { data?: Record<string, unknown> }[] }[] };
  const name = basename(file);
  // Outputs by position, streams coalesced as JupyterLab shows them: the figure outputs' indices in each cell.
  const figureCells = nb.cells
    .map((c, i) => ({ cell: i, at: coalesceStreams((c.outputs ?? []) as Output[]).flatMap((o, k) => (o.data?.[PLOTLY_MIME] ? [k] : [])) }))
    .filter((c) => c.at.length > 0)
    .map((c) => ({ ...c, figures: c.at.length }));
  const report: LabCheckReport = { notebook: file, plotlyRenderer: server.plotlyRenderer, cells: [], problems: [] };
  const page = await browser.page();
  try {
    await page.goto(`${server.url}/lab/tree/${encodeURIComponent(name)}?reset&token=${server.token}`, { waitUntil: 'load', timeout: 60_000 });
    await page.waitForSelector(`${PANEL} .jp-Cell`, { timeout: opts.timeoutMs ?? 60_000 });
    const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
    for (const fc of figureCells) {
      const cell = page.locator(`${PANEL} .jp-Cell`).nth(fc.cell);
      await cell.scrollIntoViewIfNeeded({ timeout: 10_000 }).catch(() => {});
      let visible = 0;
      // (page.evaluate of a string: no compiler helper leaks into the page)
      do {
        visible = (await page.evaluate(
          `(() => { const c = document.querySelectorAll('${PANEL} .jp-Cell')[${fc.cell}]; if (!c) return 0;
            const big = (e) => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e); return r.width >= ${MIN_PX} && r.height >= ${MIN_PX} && s.visibility !== 'hidden' && s.display !== 'none'; };
            const outs = c.querySelectorAll('.jp-OutputArea-child');
            return ${JSON.stringify(fc.at)}.map((k) => outs[k]).filter((o) => o && (
              Array.from(o.querySelectorAll('img')).some((i) => i.complete && i.naturalWidth > 0 && big(i))
              || Array.from(o.querySelectorAll('.js-plotly-plot')).some((p) => big(p) && p.querySelector('.main-svg')))).length; })()`,
        )) as number;
        if (visible >= fc.figures) break;
        await page.waitForTimeout(500);
      } while (Date.now() < deadline);
      report.cells.push({ cell: fc.cell, figures: fc.figures, visible });
      if (visible < fc.figures) report.problems.push(`${name} cell ${fc.cell} in JupyterLab (${server.plotlyRenderer ? 'with' : 'without'} plotly's renderer): ${visible} of ${fc.figures} figures visible`);
      else if (opts.screenshot && report.screenshot === undefined) report.screenshot = await screenshotCell(page, fc.cell, opts.screenshot);
    }
    if (opts.screenshot && !report.screenshot) {
      report.screenshot = null;
      report.problems.push(`${name} in JupyterLab: no screenshot for ${opts.screenshot} (no figure cell with all its figures visible)`);
    }
  } catch (e) {
    if (opts.screenshot && report.screenshot === undefined) report.screenshot = null;
    report.problems.push(`${name} in JupyterLab: ${(e as Error).message.split('\n')[0]}`);
  } finally {
    await page.close().catch(() => {});
    await shutdownSessions(server);
  }
  return report;
}

/** The tallest screenshot (CSS px); a taller cell is cut there. */
const SHOT_MAX_HEIGHT = 1200;

/**
 * Screenshot notebook cell `index` of the page's notebook and write it to `file` as a palette PNG (sharp, 128
 * colours: a few tens of kB). Where plotly's renderer shows the figure, the pointer first enters it, so that the
 * interactive plot is drawn (the renderer shows the bundle's PNG until then) and plotly's mode bar is shown.
 */
async function screenshotCell(page: Page, index: number, file: string): Promise<LabScreenshot> {
  const cell = page.locator(`${PANEL} .jp-Cell`).nth(index);
  // A viewport tall enough for the whole cell (JupyterLab scrolls inside its own panel, so the page cannot be taller).
  const box0 = await cell.boundingBox();
  const viewport = page.viewportSize() ?? { width: 1280, height: 900 };
  if (box0 && box0.height + 200 > viewport.height) await page.setViewportSize({ width: viewport.width, height: Math.min(SHOT_MAX_HEIGHT + 200, Math.ceil(box0.height) + 200) });
  await cell.scrollIntoViewIfNeeded({ timeout: 10_000 });
  // plotly's JupyterLab renderer shows a bundle's PNG first and draws the interactive plot when the pointer enters it.
  // (The image, not the output: the output spans the cell's width, the image only the figure's.)
  const rendered = cell.locator('.jp-RenderedPlotly img.plot-img').first();
  const img = (await rendered.count()) > 0 ? await rendered.boundingBox() : null;
  if (img) {
    // (A mouse move, not locator.hover, which retries once the image it entered is replaced by the plot.)
    await page.mouse.move(img.x + img.width / 2, img.y + img.height / 2, { steps: 4 });
    const svg = cell.locator('.js-plotly-plot .main-svg').first();
    await svg.waitFor({ state: 'visible', timeout: 20_000 }).catch(() => {});
    const b = await svg.boundingBox().catch(() => null);
    // A move over the drawn plot: plotly shows its mode bar (and the hover label of the nearest point).
    if (b) await page.mouse.move(b.x + b.width * 0.55, b.y + b.height * 0.5, { steps: 4 });
    await page.waitForTimeout(800);
  }
  const drawnBy = (await page.evaluate(
    `(() => { const c = document.querySelectorAll('${PANEL} .jp-Cell')[${index}];
      return !!c && Array.from(c.querySelectorAll('.js-plotly-plot')).some((p) => p.querySelector('.main-svg') && p.getBoundingClientRect().height >= ${MIN_PX} && getComputedStyle(p.querySelector('.plot-container') || p).display !== 'none'); })()`,
  )) ? 'plotly' : 'image';
  const box = await cell.boundingBox();
  if (!box) throw new Error(`cell ${index} is not laid out`);
  const raw = await page.screenshot({ clip: { x: box.x, y: box.y, width: box.width, height: Math.min(box.height, SHOT_MAX_HEIGHT) } });
  await page.setViewportSize(viewport);
  const png = await sharp(raw).png({ palette: true, colours: 128, compressionLevel: 9, effort: 10 }).toBuffer({ resolveWithObject: true });
  mkdirSync(dirname(resolve(file)), { recursive: true });
  writeFileSync(file, png.data);
  return { file, cell: index, drawnBy, width: png.info.width, height: png.info.height, bytes: png.data.length };
}
