/**
 * Showing a figure: as the plotly MIME type inside a tslab notebook, as a one-line summary elsewhere.
 *
 * The MIME type `application/vnd.plotly.v1+json` is rendered by the plotly extension of JupyterLab (installed
 * with the Python `plotly` package in the Jupyter server's environment) and by VS Code's notebook renderers
 * (research/peers-tracking.md §4.3). tslab is optional and not a dependency: it is found by a dynamic import at
 * call time, so this module loads anywhere.
 */
import type { Figure } from './types.js';

export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';

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

/** The part of tslab's public module that we use (yunabe/tslab `src/public.ts`). */
export interface TslabDisplay {
  display: { raw(contentType: string, data: unknown): void };
}

export interface DisplayOptions {
  /** How to load tslab. Default: `import('tslab')`, which fails outside a tslab kernel's module resolution. */
  loadTslab?: () => Promise<TslabDisplay>;
  /** Where the fallback summary goes. Default `console.log`. */
  print?: (line: string) => void;
}

/**
 * Show a figure in the running tslab notebook; elsewhere, or when anything on that path fails (tslab absent, not
 * inside a kernel, a figure that is not JSON), print {@link figureSummary}. Never throws.
 *
 * The figure goes to `display.raw` as a JSON object, not as `JSON.stringify(fig)`: tslab puts whatever it is
 * given (other than bytes) into the display message's data unchanged, and the plotly renderers read that data as
 * the figure object itself (plotly.py `js/src/mimeExtension.ts`: `const { data, layout } = model.data[mime]`), so
 * a string would reach them as a string and draw nothing. The object is a JSON round-trip of `fig`, so what
 * the notebook stores is exactly what JSON can hold.
 * @returns where the figure went: `tslab` or `text`.
 */
export async function displayFigure(fig: Figure, opts: DisplayOptions = {}): Promise<'tslab' | 'text'> {
  const print = opts.print ?? ((line: string) => console.log(line));
  try {
    const json: unknown = JSON.parse(JSON.stringify(fig));
    const tslab = await (opts.loadTslab ?? importTslab)();
    tslab.display.raw(PLOTLY_MIME, json);
    return 'tslab';
  } catch {
    try {
      print(figureSummary(fig));
    } catch {
      // A failing printer must not break the caller's cell either.
    }
    return 'text';
  }
}

async function importTslab(): Promise<TslabDisplay> {
  // A non-literal specifier: tslab is optional, so the type checker must not try to resolve it.
  const name = 'tslab';
  return (await import(name)) as TslabDisplay;
}
