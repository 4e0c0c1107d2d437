/**
 * Static PNG export of plotly figures through headless Chromium (playwright-core driving Debian's `chromium`), for
 * reports and for viewers that cannot run plotly.js (GitHub's notebook view, a PDF, an e-mail).
 *
 * One {@link FigureRenderer} keeps one browser page warm: the first figure costs the browser start (~0.4 s) and
 * plotly's load, later ones ~0.1 s each. plotly.js comes from the npm package
 * `plotly.js-dist-min`, read from disk: nothing is fetched. Chromium is started with the flags this machine needs
 * (no sandbox as root, no GPU, no background networking on a closed network).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { ArgumentError } from '../errors.js';
import type { Figure } from './types.js';

/** Where Chromium is looked for, in order, unless `SPLAM_CHROMIUM` names it. */
export const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The flags Chromium needs here (no sandbox as root, no GPU, nothing fetched in the background). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export interface PngOptions {
  /** CSS pixels. Default 800. */
  width?: number;
  /** CSS pixels. Default 500. */
  height?: number;
  /** Device pixel ratio (2 = sharp on high-DPI screens). Default 1. */
  scale?: number;
}

/** The Chromium executable to use: `SPLAM_CHROMIUM`, else the first of {@link CHROMIUM_CANDIDATES} that exists. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string {
  const forced = env.SPLAM_CHROMIUM;
  if (forced) {
    if (!existsSync(forced)) throw new ArgumentError('findChromium', 'SPLAM_CHROMIUM', forced, 'the path of a Chromium executable');
    return forced;
  }
  const found = CHROMIUM_CANDIDATES.find((p) => existsSync(p));
  if (!found) {
    throw new ArgumentError(
      'findChromium',
      'chromium',
      null,
      `Chromium at one of ${CHROMIUM_CANDIDATES.join(', ')} (install it: apt-get install -y --no-install-recommends chromium), or SPLAM_CHROMIUM=<path>`,
    );
  }
  return found;
}

function checkSize(fn: string, opts: PngOptions): Required<PngOptions> {
  const o = { width: 800, height: 500, scale: 1, ...opts };
  for (const k of ['width', 'height'] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 16 || o[k] > 8192) throw new ArgumentError(fn, k, o[k], 'an integer in [16, 8192] (CSS pixels)');
  }
  if (!(o.scale > 0 && o.scale <= 4)) throw new ArgumentError(fn, 'scale', o.scale, 'a number in (0, 4]');
  return o;
}

/** Renders figures to PNG in one warm headless page. Call {@link close} when done (or use {@link renderFiguresPng}). */
export class FigureRenderer {
  #context: BrowserContext | null = null;
  #page: Page | null = null;
  #scale = 0;
  #userDir: string | null = null;

  /** Start Chromium and load plotly.js (idempotent). */
  async open(scale = 1): Promise<void> {
    if (this.#page && this.#scale === scale) return;
    await this.close();
    const { chromium } = await import('playwright-core');
    this.#userDir = await mkdtemp(join(tmpdir(), 'splam-chromium-'));
    this.#context = await chromium.launchPersistentContext(this.#userDir, {
      executablePath: findChromium(),
      args: CHROMIUM_ARGS,
      deviceScaleFactor: scale,
      viewport: { width: 800, height: 500 },
    });
    this.#page = this.#context.pages()[0] ?? (await this.#context.newPage());
    this.#scale = scale;
    await this.#page.setContent('<!doctype html><html><head><style>html,body{margin:0;background:#fff}</style></head><body><div id="fig"></div></body></html>');
    const plotly = createRequire(import.meta.url).resolve('plotly.js-dist-min');
    await this.#page.addScriptTag({ path: plotly });
  }

  /** One figure as PNG bytes, `width × height` CSS pixels times `scale`. */
  async render(fig: Figure, opts: PngOptions = {}): Promise<Buffer> {
    const { width, height, scale } = checkSize('FigureRenderer.render', opts);
    if (!fig || !Array.isArray(fig.data)) throw new ArgumentError('FigureRenderer.render', 'fig', fig, 'a plotly figure { data: [...], layout }');
    await this.open(scale);
    const page = this.#page!;
    await page.setViewportSize({ width, height });
    const json = JSON.parse(JSON.stringify(fig)) as Figure;
    await page.evaluate(
      async ({ json, width, height }) => {
        // Runs in the page: `document` is the browser's (this project compiles without the DOM types).
        const el = (globalThis as unknown as { document: { getElementById(id: string): { style: Record<string, string> } } }).document.getElementById('fig');
        el.style.width = `${width}px`;
        el.style.height = `${height}px`;
        const P = (globalThis as unknown as { Plotly: { react: (...a: unknown[]) => Promise<unknown> } }).Plotly;
        await P.react(el, json.data, { ...json.layout, width, height, autosize: false }, { staticPlot: true, displayModeBar: false });
      },
      { json, width, height },
    );
    return await page.locator('#fig').screenshot({ type: 'png', animations: 'disabled' });
  }

  /**
   * The plot area (inside the axes' margins) of the figure rendered last, in image pixels: plotly's
   * `_fullLayout._size` times the scale. What a data-ink measure looks at, so that the legend does not count.
   */
  async plotArea(): Promise<{ left: number; top: number; width: number; height: number } | null> {
    if (!this.#page) return null;
    const s = (await this.#page.evaluate("(() => { const l = document.getElementById('fig')._fullLayout; return l && l._size ? { l: l._size.l, t: l._size.t, w: l._size.w, h: l._size.h } : null; })()")) as { l: number; t: number; w: number; h: number } | null;
    if (!s) return null;
    const k = this.#scale;
    return { left: Math.round(s.l * k), top: Math.round(s.t * k), width: Math.round(s.w * k), height: Math.round(s.h * k) };
  }

  async close(): Promise<void> {
    const b = this.#context;
    this.#context = null;
    this.#page = null;
    if (b) await b.close().catch(() => {});
    if (this.#userDir) await rm(this.#userDir, { recursive: true, force: true }).catch(() => {});
    this.#userDir = null;
  }
}

/**
 * The data ink of a figure: the fraction of pixels that change when every trace is made transparent (opacity 0
 * keeps the axes' autorange, legend and layout as they were, so only what the traces draw differs). An empty
 * plot — no traces, only nulls, NaNs that became gaps — has 0.
 */
export async function dataInk(renderer: FigureRenderer, fig: Figure, opts: PngOptions = {}): Promise<number> {
  const { pixelDifference } = await import('./pixels.js');
  const hidden = { ...fig, data: fig.data.map((t) => ({ ...t, opacity: 0 })) } as Figure;
  const [a, b] = [await renderer.render(fig, opts), await renderer.render(hidden, opts)];
  return pixelDifference(a, b);
}

/** Render several figures with one browser, in order. */
export async function renderFiguresPng(figs: readonly Figure[], opts: PngOptions = {}): Promise<Buffer[]> {
  const r = new FigureRenderer();
  try {
    const out: Buffer[] = [];
    for (const f of figs) out.push(await r.render(f, opts));
    return out;
  } finally {
    await r.close();
  }
}

/** Render one figure (starts and stops a browser: prefer {@link FigureRenderer} for many). */
export async function renderFigurePng(fig: Figure, opts: PngOptions = {}): Promise<Buffer> {
  return (await renderFiguresPng([fig], opts))[0];
}
