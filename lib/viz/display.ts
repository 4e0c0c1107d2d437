/**
 * Showing a figure: one Jupyter display bundle inside a tslab notebook, a one-line summary elsewhere.
 *
 * The bundle carries the figure three ways and the frontend picks the richest it can draw (Jupyter's MIME
 * precedence): `application/vnd.plotly.v1+json`, interactive in JupyterLab with the plotly extension (the Python
 * `plotly` package in the server's environment) and in VS Code (its Jupyter Notebook Renderers extension,
 * github.com/Microsoft/vscode-notebook-renderers); `image/png`,
 * the same figure rendered by headless Chromium (png.ts), for every frontend without a plotly renderer (plain
 * JupyterLab, Notebook 6, GitHub, nbviewer, nbconvert HTML); and `text/plain`, the figure's summary.
 *
 * tslab's public `display.raw(type, data)` sends one MIME type per message, which would make three outputs; the
 * bundle goes through the writer behind it instead (tslab `src/jupyter.ts`, `lastWriteDisplayData`, what
 * `display.raw` itself calls), one `display_data` message with all three types. tslab is optional and not a
 * dependency: it is found by a dynamic import at call time, so this module loads anywhere.
 */
import type { Figure } from './types.js';

export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';
export const PNG_MIME = 'image/png';
export const TEXT_MIME = 'text/plain';

/** A Jupyter MIME bundle holding the figure, for kernels that take bundles (or to store beside a notebook). */
export function plotlyMimeBundle(fig: Figure): { [PLOTLY_MIME]: Figure } {
  return { [PLOTLY_MIME]: fig };
}

/** `[plotly figure: 3 traces, title "loss"]`: what {@link displayFigure} prints outside a notebook. */
export function figureSummary(fig: Figure): string {
  const n = Array.isArray(fig?.data) ? fig.data.length : 0;
  const title = fig?.layout?.title?.text;
  return `[plotly figure: ${n} trace${n === 1 ? '' : 's'}${typeof title === 'string' && title ? `, title ${JSON.stringify(title)}` : ''}]`;
}

/** A figure's display bundle: the plotly JSON, the PNG (base64, as Jupyter stores images) when given, the summary. */
export interface FigureBundle {
  [PLOTLY_MIME]: unknown;
  [PNG_MIME]?: string;
  [TEXT_MIME]: string;
}

/**
 * The display bundle of a figure and, optionally, its PNG rendering.
 *
 * The plotly part is a JSON round-trip of `fig` (an object, not a string: the plotly renderers read the bundle's
 * value as the figure itself, plotly.py `js/src/mimeExtension.ts`: `const { data, layout } = model.data[mime]`),
 * so what the notebook stores is exactly what JSON can hold. @throws for a figure that is not JSON (a cycle).
 */
export function figureBundle(fig: Figure, png?: Uint8Array | null): FigureBundle {
  const b: FigureBundle = { [PLOTLY_MIME]: JSON.parse(JSON.stringify(fig)), [TEXT_MIME]: figureSummary(fig) };
  if (png && png.byteLength > 0) b[PNG_MIME] = Buffer.from(png.buffer, png.byteOffset, png.byteLength).toString('base64');
  return b;
}

/** tslab's display writer: one `display_data` message (tslab `src/jupyter.ts`, `writeDisplayData`). */
export type DisplayWriter = (msg: { data: Record<string, unknown>; metadata: Record<string, unknown>; transient: Record<string, unknown> }, update: boolean) => void;

export interface DisplayOptions {
  /** How to find tslab's writer. Default: tslab's `dist/jupyter` module, whose writer is set only inside a kernel. */
  loadWriter?: () => Promise<DisplayWriter | null>;
  /** Where the fallback summary goes. Default `console.log`. */
  print?: (line: string) => void;
}

/**
 * Show a display bundle in the running tslab notebook as one output; elsewhere, or when anything on that path
 * fails (tslab absent, not inside a kernel), print its `text/plain`. Never throws.
 * @returns where it went: `tslab` or `text`.
 */
export async function displayBundle(bundle: Record<string, unknown>, opts: DisplayOptions = {}): Promise<'tslab' | 'text'> {
  try {
    const write = await (opts.loadWriter ?? tslabWriter)();
    if (typeof write !== 'function') throw new Error('not inside a tslab kernel');
    write({ data: { ...bundle }, metadata: {}, transient: {} }, false);
    return 'tslab';
  } catch {
    try {
      (opts.print ?? ((line: string) => console.log(line)))(String(bundle[TEXT_MIME] ?? '[display bundle]'));
    } catch {
      // A failing printer must not break the caller's cell either.
    }
    return 'text';
  }
}

/**
 * Show a figure (and its PNG, when given) as one bundle: see {@link figureBundle}, {@link displayBundle}. A figure
 * that is not JSON prints its summary. Never throws.
 */
export async function displayFigure(fig: Figure, opts: DisplayOptions & { png?: Uint8Array | null } = {}): Promise<'tslab' | 'text'> {
  let bundle: FigureBundle;
  try {
    bundle = figureBundle(fig, opts.png);
  } catch {
    let summary = '[plotly figure]';
    try {
      summary = figureSummary(fig);
    } catch {
      // keep the generic summary
    }
    return displayBundle({ [TEXT_MIME]: summary }, { ...opts, loadWriter: async () => null });
  }
  return displayBundle(bundle as unknown as Record<string, unknown>, opts);
}

/** tslab's display writer when running inside a tslab kernel (during a cell), else null. Never throws. */
export async function findDisplayWriter(): Promise<DisplayWriter | null> {
  try {
    return await tslabWriter();
  } catch {
    return null;
  }
}

async function tslabWriter(): Promise<DisplayWriter | null> {
  // A non-literal specifier: tslab is optional, so the type checker must not try to resolve it. Inside the kernel,
  // this resolves to the module instance the kernel itself loaded (node_modules/tslab), whose writer is set.
  const name = 'tslab/dist/jupyter';
  const m = (await import(name)) as { lastWriteDisplayData?: DisplayWriter | null; default?: { lastWriteDisplayData?: DisplayWriter | null } };
  // `default` first: an ES import of a CommonJS module snapshots named exports, `default` is the live exports.
  return m.default?.lastWriteDisplayData ?? m.lastWriteDisplayData ?? null;
}
