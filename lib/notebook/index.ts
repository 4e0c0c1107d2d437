/**
 * What the notebooks (notebooks/*.ipynb, tslab kernel) share: quick mode, running a config as a recorded run,
 * and showing figures, images and tables as rich outputs.
 *
 * Quick mode (`SPLAM_QUICK=1`, what CI sets) runs the same configs with smaller budgets, given per call as
 * `path=value` overrides (the `splam run --set` syntax), so a quick notebook exercises exactly the code of a full
 * one. Every figure a notebook shows carries its name in `layout.meta.splamFigure`, so tests can check that each
 * notebook produced the figures it declares (notebook metadata `splam.figures`).
 */
import { runConfigFile, type RunFileResult } from '../experiments/runner.js';
import { openStore } from '../track/index.js';
import type { RunStore } from '../track/types.js';
import { ArgumentError } from '../errors.js';
import { displayBundle, displayFigure, figureBundle, figureSummary, findDisplayWriter, PLOTLY_MIME, type FigureBundle } from '../viz/display.js';
import { FigureRenderer } from '../viz/png.js';
import type { Figure } from '../viz/types.js';

/** Whether quick mode is on: `SPLAM_QUICK` is `1`, `true` or `yes`. */
export function isQuick(env: NodeJS.ProcessEnv = process.env): boolean {
  return /^(1|true|yes)$/i.test(env.SPLAM_QUICK ?? '');
}

/** `full` normally, `quick` in quick mode. */
export function pick<T>(full: T, quick: T, env: NodeJS.ProcessEnv = process.env): T {
  return isQuick(env) ? quick : full;
}

/** The part of tslab's public module the notebooks use (yunabe/tslab `src/public.ts`). */
interface TslabDisplay {
  display: { html(s: string): void; markdown(s: string): void; png(b: Uint8Array): void; raw(mime: string, data: unknown): void };
}

async function tslab(): Promise<TslabDisplay | null> {
  try {
    const name = 'tslab'; // non-literal: tslab is only there inside a kernel
    const m = (await import(name)) as TslabDisplay;
    return m?.display ? m : null;
  } catch {
    return null;
  }
}

/** The figure with its name in `layout.meta.splamFigure` (what tests look for in executed notebooks). */
export function named(fig: Figure, name: string): Figure {
  return { ...fig, layout: { ...fig.layout, meta: { ...(fig.layout?.meta ?? {}), splamFigure: name } } };
}

/**
 * Whether {@link show} adds a PNG to each figure's bundle: on unless `SPLAM_NOTEBOOK_PNG` is `0`, `false`, `no`
 * or `off`, or {@link setFigurePng} said otherwise (the call wins over the environment).
 */
export function figurePng(env: NodeJS.ProcessEnv = process.env): boolean {
  if (pngSetting !== null) return pngSetting;
  const v = (env.SPLAM_NOTEBOOK_PNG ?? '').trim().toLowerCase();
  if (v === '' || /^(1|true|yes|on)$/.test(v)) return true;
  if (/^(0|false|no|off)$/.test(v)) return false;
  throw new ArgumentError('show', 'SPLAM_NOTEBOOK_PNG', env.SPLAM_NOTEBOOK_PNG, '1/true/yes/on or 0/false/no/off');
}

let pngSetting: boolean | null = null;

/**
 * Turn the PNG in {@link show}'s bundles off (fast interactive work: no browser, ~0.1 s less per figure) or on;
 * `null` goes back to `SPLAM_NOTEBOOK_PNG`.
 */
export function setFigurePng(on: boolean | null): void {
  pngSetting = on;
}

/**
 * The PNG size of a shown figure: 900 × 520 CSS pixels at scale 1, stored as a palette PNG (pixels.ts
 * `compactPng`): ~15–40 kB for the notebooks' figures, so a notebook with ten figures stays far under the 1 MB
 * an executed notebook may take (test/notebook/notebooks.test.ts).
 */
export const FIGURE_PNG = { width: 900, height: 520, scale: 1 } as const;

let renderer: FigureRenderer | null = null;
let pngFailure: string | null = null;

/** The figure as a PNG through one warm headless Chromium per kernel session; null (said once) if that fails. */
async function renderPng(fig: Figure): Promise<Buffer | null> {
  if (pngFailure) return null;
  try {
    if (!renderer) {
      renderer = new FigureRenderer();
      process.once('exit', () => void renderer?.close());
    }
    const png = await renderer.render(fig, FIGURE_PNG);
    const { compactPng } = await import('../viz/pixels.js');
    return await compactPng(png).catch(() => png);
  } catch (e) {
    pngFailure = e instanceof Error ? e.message : String(e);
    console.log(`figures are shown without PNG: ${pngFailure}`);
    return null;
  }
}

/** Close the browser behind {@link show}'s PNGs (a kernel closes it on exit; a script or test calls this). */
export async function closeFigureRenderer(): Promise<void> {
  const r = renderer;
  renderer = null;
  await r?.close();
}

/**
 * The display bundle {@link show} sends for a figure under a name: the plotly JSON, a PNG of the same figure
 * rendered by headless Chromium (unless {@link figurePng} is off, or Chromium fails, said once) and the text
 * summary (lib/viz/display.ts).
 */
export async function figureOutput(fig: Figure, name: string): Promise<FigureBundle> {
  const f = named(fig, name);
  return figureBundle(f, figurePng() ? await renderPng(f) : null);
}

/**
 * Show a plotly figure under a name, as one display bundle ({@link figureOutput}): interactive where the frontend
 * has a plotly renderer, the PNG in every other one (plain JupyterLab, GitHub, nbviewer, HTML exports). Outside a
 * notebook it prints the summary and starts no browser. Returns nothing, so a cell that ends with it shows only
 * the figure. The PNG is off with `SPLAM_NOTEBOOK_PNG=0` or {@link setFigurePng}(false).
 */
export async function show(fig: Figure, name: string): Promise<void> {
  const write = await findDisplayWriter();
  if (!write) {
    await displayFigure(named(fig, name), { loadWriter: async () => null });
    return;
  }
  let bundle: FigureBundle;
  try {
    bundle = await figureOutput(fig, name);
  } catch {
    await displayFigure(named(fig, name), { loadWriter: async () => null }); // not JSON: its summary
    return;
  }
  await displayBundle(bundle as unknown as Record<string, unknown>, { loadWriter: async () => write });
}

/** Show PNG bytes (a sample grid, a rendered figure). */
export async function showPng(png: Uint8Array, caption?: string): Promise<void> {
  const t = await tslab();
  if (caption) console.log(caption);
  if (t) t.display.png(png);
  else console.log(`[png image: ${png.byteLength} bytes]`);
}

/** Show Markdown (a conclusion computed from measured numbers). */
export async function showMarkdown(md: string): Promise<void> {
  const t = await tslab();
  if (t) t.display.markdown(md);
  else console.log(md);
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Format a table cell: numbers to 4 significant digits. */
export function cell(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5 ? v.toPrecision(4) : v.toExponential(2);
  return v === undefined || v === null ? '—' : String(v);
}

/** A table as Markdown text (what {@link showTable} shows, and what a test can read). */
export function markdownTable(rows: readonly Record<string, unknown>[], columns?: readonly string[]): string {
  const cols = columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(cols.map(esc)), line(cols.map(() => '---')), ...rows.map((r) => line(cols.map((c) => esc(cell(r[c])).replace(/\|/g, '\\|'))))].join('\n');
}

/** Show rows as a table. */
export async function showTable(rows: readonly Record<string, unknown>[], columns?: readonly string[]): Promise<void> {
  await showMarkdown(markdownTable(rows, columns));
}

export interface NotebookRunOptions {
  /** Overrides in every mode. */
  set?: readonly string[];
  /** Overrides added in quick mode (smaller budgets). */
  quick?: readonly string[];
  /** Run name (default: the config's). */
  name?: string;
  /** Tags beside the notebook's name. */
  tags?: Record<string, string>;
  /** Store folder (default SPLAM_STORE or ./store). */
  storeDir?: string;
}

/**
 * Run a config file as a recorded run (as `splam run` does), tagged with the notebook's name and the mode, with a
 * progress line at each quarter.
 */
export async function runExperiment(notebook: string, configFile: string, opts: NotebookRunOptions = {}): Promise<RunFileResult> {
  const quick = isQuick();
  const overrides = [...(opts.set ?? []), ...(quick ? (opts.quick ?? []) : [])];
  let shown = -1;
  const t0 = Date.now();
  const result = await runConfigFile(configFile, {
    overrides,
    name: opts.name,
    storeDir: opts.storeDir,
    tags: { notebook, mode: quick ? 'quick' : 'full', ...opts.tags },
    onStart: (id) => console.log(`run ${id}: ${configFile}${overrides.length ? ` with ${overrides.join(' ')}` : ''}`),
    onProgress: ({ done, total, label }) => {
      const q = total > 0 ? Math.floor((4 * done) / total) : 0;
      if (q > shown) {
        shown = q;
        console.log(`  ${label} ${done}/${total} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      }
    },
  });
  console.log(`run ${result.runId} finished in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return result;
}

/** Open the run store the CLI uses (SPLAM_STORE or ./store); close it when done. */
export function store(dir?: string): Promise<RunStore> {
  return openStore(dir);
}

export { figureSummary, PLOTLY_MIME };

/** A JSON artifact of a run, parsed. */
export async function readJsonArtifact<T = unknown>(s: RunStore, id: string, name: string): Promise<T> {
  return JSON.parse(Buffer.from(await s.readArtifact(id, name)).toString('utf8')) as T;
}

/**
 * The least-squares slope of log(value) against log(steps): the empirical order p of a solver whose error
 * falls as steps^(−p) (returned as −slope, so first order → ≈ 1).
 */
export function empiricalOrder(points: readonly { steps: number; value: number }[]): number {
  const pts = points.filter((p) => p.steps > 0 && p.value > 0);
  if (pts.length < 2) return NaN;
  const xs = pts.map((p) => Math.log(p.steps));
  const ys = pts.map((p) => Math.log(p.value));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  xs.forEach((x, i) => {
    num += (x - mx) * (ys[i] - my);
    den += (x - mx) ** 2;
  });
  return -num / den;
}
