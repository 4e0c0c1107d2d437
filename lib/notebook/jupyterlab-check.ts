/**
 * The JupyterLab half of the real-browser check (issue 15 item 2): serve executed notebooks with the JupyterLab of
 * the project-local venvs (scripts/jupyterlab-venv.sh), open each in headless Chromium, and find a
 * visible figure in every figure cell — an `<img>` that loaded (the bundle's PNG) or a drawn plotly plot — both with
 * plotly's JupyterLab renderer enabled and with it disabled (a plain JupyterLab, where a plotly-only bundle was an
 * empty output).
 *
 * The two JupyterLabs are two venvs (scripts/jupyterlab-venv.sh): disabling the renderer in one (page_config.json
 * `disabledExtensions`) was measured not to stop it drawing plotly-only bundles. Each server gets its own settings,
 * workspaces and config folder, so nothing of the user's JupyterLab is read or changed: cell windowing is off (every
 * cell is laid out, so cells map to the notebook's by position).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
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
}

/** The notebook shown (a fresh workspace opens one, `?reset`; hidden tabs are left out all the same). */
const PANEL = '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook';

/** A figure's visible forms in one output: a loaded image or a plotly plot at least this many CSS px each side. */
const MIN_PX = 100;

/**
 * Open `file` (an executed notebook under the server's root) in JupyterLab and find a visible figure in every
 * figure output (matched by position, streams coalesced); never throws for what the page shows (the report says it).
 */
export async function checkNotebookInJupyterLab(server: LabServer, browser: BrowserSession, file: string, opts: { timeoutMs?: number } = {}): Promise<LabCheckReport> {
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
    }
  } catch (e) {
    report.problems.push(`${name} in JupyterLab: ${(e as Error).message.split('\n')[0]}`);
  } finally {
    await page.close().catch(() => {});
    await shutdownSessions(server);
  }
  return report;
}
