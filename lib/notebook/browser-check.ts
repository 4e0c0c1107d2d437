/**
 * The real-browser check of an executed notebook (the nbconvert-HTML half; the JupyterLab half is jupyterlab-check.ts): convert it to HTML with Debian's
 * nbconvert, as GitHub, nbviewer or a plain frontend without a plotly renderer would see it, open that page in
 * headless Chromium (playwright-core, the flags of png.ts), and look at every output:
 *
 * - every figure output (a display bundle with `application/vnd.plotly.v1+json`) is an `<img>` that loaded, is laid
 *   out at a visible size, is not blank on screen (pixels.ts) and has data ink: inside the plot area the displayed image
 *   differs from the same figure rendered with its traces hidden (png.ts `dataInk`, without the legend);
 * - every declared figure (`metadata.splam.figures`) is among those visible figures;
 * - no output is an empty box (nothing visible in it: the failure of a plotly-only bundle outside JupyterLab) and none
 *   is an error (an `error` output, a stderr stream, or what the page shows as stderr).
 *
 * Outputs are matched to the notebook by position: nbconvert writes one `.jp-Cell` per cell and one
 * `.jp-OutputArea-child` per output, in order; a count that differs is itself a problem.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { ArgumentError } from '../errors.js';
import { CHROMIUM_ARGS, FigureRenderer, findChromium } from '../viz/png.js';
import { isBlank, pixelDifference, pixelStats } from '../viz/pixels.js';
import type { Figure } from '../viz/types.js';
import { DEFAULT_JUPYTER_PYTHON } from './jupyter.js';

const PLOTLY_MIME = 'application/vnd.plotly.v1+json';
/** The least data ink a visible figure must have (the notebook test's threshold for a figure's traces). */
export const MIN_DATA_INK = 0.0005;
/** The least CSS size (each side) at which a figure image counts as visible. */
export const MIN_FIGURE_PX = 100;

export interface BrowserCheckTools {
  python: string;
  /** nbconvert's version, or null. */
  nbconvert: string | null;
  /** The Chromium executable, or null. */
  chromium: string | null;
  /** Why a tool is missing, one line each (empty when both are there). */
  missing: string[];
}

/** What the browser check needs on this machine: Debian's nbconvert (under /usr/bin/python3) and Chromium. */
export function browserCheckTools(env: NodeJS.ProcessEnv = process.env): BrowserCheckTools {
  const python = env.SPLAM_JUPYTER_PYTHON ?? DEFAULT_JUPYTER_PYTHON;
  const missing: string[] = [];
  let nbconvert: string | null = null;
  const r = spawnSync(python, ['-m', 'nbconvert', '--version'], { encoding: 'utf8', timeout: 60_000 });
  if (!r.error && r.status === 0) nbconvert = r.stdout.trim();
  else missing.push(`nbconvert: ${python} -m nbconvert failed (${r.error ? r.error.message : (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`)}); install: apt-get install -y jupyter-nbconvert`);
  let chromium: string | null = null;
  try {
    chromium = findChromium(env);
  } catch (e) {
    missing.push(`chromium: ${(e as Error).message}`);
  }
  return { python, nbconvert, chromium, missing };
}

/** Convert an executed notebook to HTML with nbconvert (`--to html`, its default template). @returns the HTML path. */
export function notebookToHtml(file: string, outDir: string, python = process.env.SPLAM_JUPYTER_PYTHON ?? DEFAULT_JUPYTER_PYTHON): string {
  if (!existsSync(file)) throw new ArgumentError('notebookToHtml', 'file', file, 'an executed .ipynb file');
  mkdirSync(outDir, { recursive: true });
  const name = basename(file, '.ipynb');
  const r = spawnSync(python, ['-m', 'nbconvert', '--to', 'html', '--output-dir', resolve(outDir), '--output', name, resolve(file)], { encoding: 'utf8', timeout: 120_000 });
  const html = join(resolve(outDir), `${name}.html`);
  if (r.error || r.status !== 0 || !existsSync(html)) {
    throw new Error(`nbconvert --to html ${file} failed (${r.error?.message ?? `exit ${r.status}`}): ${(r.stderr ?? '').trim().slice(-1500)}`);
  }
  return html;
}

export interface FigureSeen {
  /** `layout.meta.splamFigure`, or null for an unnamed figure. */
  name: string | null;
  cell: number;
  output: number;
  /** CSS size of the image as laid out, or null when there is no image. */
  shown: { width: number; height: number } | null;
  /** Data ink of the displayed image (fraction of pixels its traces draw), or null when not measured. */
  ink: number | null;
  visible: boolean;
}

export interface BrowserCheckReport {
  notebook: string;
  html: string;
  figures: FigureSeen[];
  /** Every failure, one line each, naming the cell and output: empty means the check passed. */
  problems: string[];
}

export interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  ename?: string;
  evalue?: string;
  data?: Record<string, unknown>;
}
interface Notebook {
  cells: { cell_type: string; outputs?: Output[] }[];
  metadata?: { splam?: { figures?: unknown } };
}

/** What the page shows for one output, measured in Chromium. */
interface SeenOutput {
  mimes: string[];
  text: string;
  height: number;
  imgs: { complete: boolean; naturalWidth: number; naturalHeight: number; width: number; height: number; hidden: boolean; src: string }[];
  media: number;
}

export interface BrowserCheckOptions {
  /** Where the HTML goes. Default: beside the executed notebook, in `html/`. */
  htmlDir?: string;
  /** Figures that must be visible. Default the notebook's `metadata.splam.figures`. */
  declared?: string[];
  /** A renderer to reuse (for the traces-hidden renders); one is started and closed otherwise. */
  renderer?: FigureRenderer;
  /** A browser context to reuse for the pages; one is started and closed otherwise. */
  browser?: BrowserSession;
}

/** One headless Chromium for opening many pages (start with {@link BrowserSession.open}). */
export class BrowserSession {
  #context: BrowserContext | null = null;
  #userDir: string | null = null;

  /** @param allow the request URLs that may load (default: files and data: URLs only; a local server needs its origin). */
  constructor(readonly allow: RegExp = /^(file|data):/) {}

  async page(): Promise<Page> {
    if (!this.#context) {
      const { chromium } = await import('playwright-core');
      const { mkdtemp } = await import('node:fs/promises');
      const { tmpdir } = await import('node:os');
      this.#userDir = await mkdtemp(join(tmpdir(), 'splam-browser-check-'));
      this.#context = await chromium.launchPersistentContext(this.#userDir, { executablePath: findChromium(), args: CHROMIUM_ARGS, viewport: { width: 1280, height: 900 } });
      // A closed network: only the page itself, its data: images and Debian's local scripts (file://) load.
      await this.#context.route('**/*', (route) => (this.allow.test(route.request().url()) ? route.continue() : route.abort()));
    }
    return await this.#context.newPage();
  }

  async close(): Promise<void> {
    const c = this.#context;
    this.#context = null;
    if (c) await c.close().catch(() => {});
    if (this.#userDir) {
      const { rm } = await import('node:fs/promises');
      await rm(this.#userDir, { recursive: true, force: true }).catch(() => {});
    }
    this.#userDir = null;
  }
}

/**
 * Measured in the page, per cell and per output: mime types, visible text, images (loaded, laid-out size, hidden),
 * other media. A string, not a function, so that no compiler helper (esbuild's `__name`) leaks into the page.
 */
const PAGE_SCRIPT = `(() => {
  const hidden = (e) => { const s = getComputedStyle(e); return s.visibility === 'hidden' || s.display === 'none' || Number(s.opacity) === 0; };
  return Array.from(document.querySelectorAll('.jp-Cell')).map((cell) =>
    Array.from(cell.querySelectorAll('.jp-OutputArea-child')).map((child) => {
      const body = Array.from(child.querySelectorAll('.jp-OutputArea-output'));
      return {
        mimes: body.map((b) => b.getAttribute('data-mime-type') || ''),
        text: body.map((b) => b.innerText).join('').trim(),
        height: body.reduce((h, b) => h + b.getBoundingClientRect().height, 0),
        imgs: Array.from(child.querySelectorAll('img')).map((i) => {
          const r = i.getBoundingClientRect();
          return { complete: i.complete, naturalWidth: i.naturalWidth, naturalHeight: i.naturalHeight, width: r.width, height: r.height, hidden: hidden(i), src: i.src.slice(0, 40) };
        }),
        media: child.querySelectorAll('svg, canvas, iframe, video').length,
      };
    }),
  );
})()`;

const joinText = (t: string | string[] | undefined) => (Array.isArray(t) ? t.join('') : (t ?? ''));

/** Trace types that ignore `opacity` (or have no axes to keep): hidden with `visible: false` instead. */
const NO_OPACITY = new Set(['parcoords', 'parcats', 'table', 'sankey', 'sunburst', 'treemap', 'icicle', 'pie', 'funnelarea', 'indicator']);

/** The figure with its traces drawn invisibly (opacity 0 keeps axes, autorange and layout), as png.ts `dataInk` does. */
export function withoutTraces(fig: Figure): Figure {
  return { ...fig, data: fig.data.map((t) => (NO_OPACITY.has(String((t as { type?: unknown }).type)) ? { ...t, visible: false } : { ...t, opacity: 0 })) } as Figure;
}

/** Both images cut to the plot area (so a legend, whose symbols fade with their traces, is not data ink). */
async function cropBoth(a: Buffer, b: Buffer, area: { left: number; top: number; width: number; height: number } | null): Promise<[Buffer, Buffer]> {
  if (!area || area.width < 4 || area.height < 4) return [a, b];
  const sharp = (await import('sharp')).default;
  const meta = await sharp(a).metadata();
  const left = Math.max(0, area.left);
  const top = Math.max(0, area.top);
  const width = Math.min(area.width, (meta.width ?? 0) - left);
  const height = Math.min(area.height, (meta.height ?? 0) - top);
  if (width < 4 || height < 4) return [a, b];
  const cut = (x: Buffer) => sharp(x).extract({ left, top, width, height }).png().toBuffer();
  return [await cut(a), await cut(b)];
}

/** Consecutive stream outputs of one name as one, as nbconvert shows them (its coalesce_streams step). */
export function coalesceStreams(outputs: readonly Output[]): Output[] {
  const out: Output[] = [];
  for (const o of outputs) {
    const last = out[out.length - 1];
    if (o.output_type === 'stream' && last?.output_type === 'stream' && last.name === o.name) out[out.length - 1] = { ...last, text: joinText(last.text) + joinText(o.text) };
    else out.push(o);
  }
  return out;
}

/** Check one executed notebook in a real browser; never throws for what the notebook shows (the report says it). */
export async function checkNotebookInBrowser(file: string, opts: BrowserCheckOptions = {}): Promise<BrowserCheckReport> {
  const nb = JSON.parse(readFileSync(file, 'utf8')) as Notebook;
  const declared = opts.declared ?? (Array.isArray(nb.metadata?.splam?.figures) ? (nb.metadata!.splam!.figures as unknown[]).map(String) : []);
  const html = notebookToHtml(file, opts.htmlDir ?? join(resolve(file, '..'), 'html'));
  const browser = opts.browser ?? new BrowserSession();
  const renderer = opts.renderer ?? new FigureRenderer();
  const problems: string[] = [];
  const figures: FigureSeen[] = [];
  const name = basename(file);
  try {
    const page = await browser.page();
    try {
      await page.goto(pathToFileURL(html).href, { waitUntil: 'load', timeout: 60_000 });
      const seen = (await page.evaluate(PAGE_SCRIPT)) as SeenOutput[][];
      if (seen.length !== nb.cells.length) problems.push(`${name}: the page has ${seen.length} cells, the notebook ${nb.cells.length}`);
      const imgHandles = page.locator('.jp-Cell');
      for (let c = 0; c < Math.min(seen.length, nb.cells.length); c++) {
        const outs = coalesceStreams(nb.cells[c].outputs ?? []);
        if (seen[c].length !== outs.length) problems.push(`${name} cell ${c}: the page shows ${seen[c].length} outputs, the notebook has ${outs.length}`);
        for (let o = 0; o < Math.min(outs.length, seen[c].length); o++) {
          const out = outs[o];
          const s = seen[c][o];
          const where = `${name} cell ${c} output ${o}`;
          if (out.output_type === 'error') problems.push(`${where}: error output ${out.ename ?? ''}: ${(out.evalue ?? '').slice(0, 200)}`);
          else if (out.output_type === 'stream' && out.name === 'stderr') problems.push(`${where}: stderr: ${joinText(out.text).trim().slice(0, 200)}`);
          else if (s.mimes.includes('application/vnd.jupyter.stderr')) problems.push(`${where}: shown as an error (stderr): ${s.text.slice(0, 200)}`);
          const visibleImgs = s.imgs.filter((i) => i.complete && i.naturalWidth > 0 && !i.hidden && i.width >= 1 && i.height >= 1);
          if (!s.text && visibleImgs.length === 0 && s.media === 0) problems.push(`${where}: an empty output box (${out.output_type}${out.data ? `: ${Object.keys(out.data).join(', ')}` : ''})`);
          const plotly = out.data?.[PLOTLY_MIME] as Figure | undefined;
          if (!plotly) continue;
          const figName = ((plotly.layout as { meta?: { splamFigure?: unknown } } | undefined)?.meta?.splamFigure as string | undefined) ?? null;
          const label = `${where} (figure ${figName ?? 'unnamed'})`;
          const seenFig: FigureSeen = { name: figName, cell: c, output: o, shown: null, ink: null, visible: false };
          figures.push(seenFig);
          if (visibleImgs.length !== 1) {
            problems.push(`${label}: not visible as an image (${s.imgs.length} <img>, ${visibleImgs.length} loaded and visible)`);
            continue;
          }
          const img = visibleImgs[0];
          seenFig.shown = { width: Math.round(img.width), height: Math.round(img.height) };
          if (img.width < MIN_FIGURE_PX || img.height < MIN_FIGURE_PX) {
            problems.push(`${label}: shown at ${seenFig.shown.width}×${seenFig.shown.height} CSS px, under ${MIN_FIGURE_PX}`);
            continue;
          }
          // What the browser drew on screen is not blank …
          const el = imgHandles.nth(c).locator('.jp-OutputArea-child').nth(o).locator('img').first();
          const shot = await el.screenshot({ type: 'png', animations: 'disabled' });
          const stats = await pixelStats(shot);
          if (isBlank(stats)) {
            problems.push(`${label}: blank on screen (variance ${stats.variance.toFixed(1)}, ink ${stats.inked.toFixed(4)})`);
            continue;
          }
          // … and the image the page loaded has data ink: it differs from the figure drawn without its traces.
          const src = (await el.getAttribute('src')) ?? '';
          const m = /^data:image\/png;base64,(.*)$/s.exec(src);
          if (!m || !Array.isArray(plotly.data)) {
            problems.push(`${label}: the image is not an embedded PNG`);
            continue;
          }
          const shown = Buffer.from(m[1], 'base64');
          const bare = await renderer.render(withoutTraces(plotly), { width: img.naturalWidth, height: img.naturalHeight, scale: 1 });
          seenFig.ink = await pixelDifference(...(await cropBoth(shown, bare, await renderer.plotArea())));
          if (seenFig.ink < MIN_DATA_INK) {
            problems.push(`${label}: no data ink (${seenFig.ink.toFixed(5)} of the pixels differ from the figure without its traces, under ${MIN_DATA_INK})`);
            continue;
          }
          seenFig.visible = true;
        }
      }
      for (const d of declared) {
        if (!figures.some((f) => f.name === d && f.visible)) problems.push(`${name}: declared figure ${d} is not visible in the page`);
      }
    } finally {
      await page.close().catch(() => {});
    }
  } finally {
    if (!opts.browser) await browser.close();
    if (!opts.renderer) await renderer.close();
  }
  return { notebook: file, html, figures, problems };
}
