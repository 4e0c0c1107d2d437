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
import { displayFigure, figureSummary, PLOTLY_MIME } from '../viz/display.js';
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

/** How {@link show} draws: `SPLAM_FIGURES` = `plotly` (default), `png` or `both`. */
export function figureMode(env: NodeJS.ProcessEnv = process.env): 'plotly' | 'png' | 'both' {
  const m = (env.SPLAM_FIGURES ?? 'plotly').toLowerCase();
  if (m === 'plotly' || m === 'png' || m === 'both') return m;
  throw new ArgumentError('show', 'SPLAM_FIGURES', env.SPLAM_FIGURES, 'plotly, png or both');
}

let renderer: FigureRenderer | null = null;

/**
 * Show a plotly figure under a name; outside a notebook, print its summary. Returns nothing, so a cell that
 * ends with it shows only the figure.
 *
 * With `SPLAM_FIGURES=png` (or `both`) the figure is also, or instead, rendered to a PNG through headless
 * Chromium and shown as an image: for frontends without a plotly renderer (Debian's Jupyter Notebook 6, GitHub's
 * notebook view). One browser serves the whole kernel session.
 */
export async function show(fig: Figure, name: string): Promise<void> {
  const mode = figureMode();
  const f = named(fig, name);
  if (mode !== 'png') await displayFigure(f);
  if (mode !== 'plotly') {
    if (!renderer) {
      renderer = new FigureRenderer();
      process.once('exit', () => void renderer?.close());
    }
    await showPng(await renderer.render(f, { width: 900, height: 520 }));
  }
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
