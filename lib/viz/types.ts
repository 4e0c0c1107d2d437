/**
 * Minimal local types for the plotly figures that lib/viz builds: only the attributes our builders set, named
 * as plotly.js names them (https://plotly.com/javascript/reference/). Plotly is not a dependency: a figure is
 * plain JSON data, rendered by whatever frontend holds plotly.js (JupyterLab's plotly MIME renderer, a browser
 * page, a PNG exporter).
 *
 * Every figure a builder returns is JSON-serialisable and survives `JSON.parse(JSON.stringify(fig))` unchanged:
 * no `undefined` fields, no functions, no non-finite numbers (a gap in a series is `null`).
 */

/** One plotted value: a finite number, or null for a gap (plotly breaks the line there). */
export type Datum = number | null;

export type Dash = 'solid' | 'dash' | 'dot' | 'dashdot' | 'longdash' | 'longdashdot';

export interface Title {
  text: string;
}

export interface Line {
  color?: string;
  dash?: Dash;
  width?: number;
}

export interface Marker {
  /** One colour, or one per point. */
  color?: string | string[];
  size?: number;
  symbol?: string;
  /** The outline of each marker (an open symbol draws only this). */
  line?: { color?: string; width?: number };
}

/**
 * Error bars with one length per point (null: no bar): symmetric (`array` both ways) unless `symmetric` is false,
 * then `array` up and `arrayminus` down (quantile bars on a log axis, where ± std would cross zero).
 */
export interface ErrorBars {
  type: 'data';
  array: Datum[];
  arrayminus?: Datum[];
  symmetric?: boolean;
  visible: boolean;
}

export interface ScatterTrace {
  type: 'scatter';
  mode: 'lines' | 'markers' | 'lines+markers';
  name: string;
  x: Datum[];
  y: Datum[];
  /** Hover text, one per point. */
  text?: string[];
  line?: Line;
  marker?: Marker;
  error_y?: ErrorBars;
  legendgroup?: string;
  showlegend?: boolean;
  /** Whether a null value is bridged (true) or leaves a gap (plotly's default, false). */
  connectgaps?: boolean;
  /** Which axes the trace is drawn on (`x2`, `y2`: a second panel); default `x`, `y`. */
  xaxis?: string;
  yaxis?: string;
  /** The legend group's title (plotly `legendgrouptitle`). */
  legendgrouptitle?: Title;
  /** Hidden (`legendonly`: listed in the legend, drawn when clicked); default drawn. */
  visible?: boolean | 'legendonly';
}

/** One axis of a parallel-coordinates plot. Categorical axes carry integer codes and their names as ticks. */
export interface ParcoordsDimension {
  label: string;
  values: number[];
  tickvals?: number[];
  ticktext?: string[];
  range?: [number, number];
}

export interface ParcoordsTrace {
  type: 'parcoords';
  name: string;
  dimensions: ParcoordsDimension[];
  line: {
    color: number[];
    colorscale: string;
    showscale: boolean;
    colorbar: { title: Title; tickvals?: number[]; ticktext?: string[] };
  };
}

export type Trace = ScatterTrace | ParcoordsTrace;

export interface Axis {
  title: Title;
  type: 'linear' | 'log';
  autorange?: boolean | 'reversed';
  /** Tie this axis's scale to another (`'x'`), for equal aspect in state space. */
  scaleanchor?: string;
  scaleratio?: number;
  range?: [number, number];
  tickvals?: number[];
  ticktext?: string[];
  /** The fraction of the plot area the axis spans, for panels side by side. */
  domain?: [number, number];
  /** The axis it is drawn against (`x2` for `yaxis2`). */
  anchor?: string;
  /** Share the range of another axis (`y`): facets on one scale. */
  matches?: string;
  /** Draw the zero line (an increment's sign). */
  zeroline?: boolean;
}

/** A rectangle drawn in data coordinates (the zoom box of an inset). */
export interface RectShape {
  type: 'rect';
  xref: string;
  yref: string;
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  line: Line;
}

/** A text placed in paper coordinates (0–1 over the whole figure): a panel's title. */
export interface Annotation {
  text: string;
  xref: 'paper';
  yref: 'paper';
  x: number;
  y: number;
  xanchor?: 'left' | 'center' | 'right';
  yanchor?: 'top' | 'middle' | 'bottom';
  showarrow: false;
}

/** A button bar (plotly `updatemenus`): each button restyles the traces, e.g. shows one group at a time. */
export interface UpdateMenu {
  type: 'dropdown' | 'buttons';
  active: number;
  x: number;
  y: number;
  xanchor?: 'left' | 'center' | 'right';
  yanchor?: 'top' | 'middle' | 'bottom';
  buttons: { label: string; method: 'restyle' | 'update'; args: unknown[] }[];
}

export interface Layout {
  title: Title;
  xaxis?: Axis;
  yaxis?: Axis;
  /** A second panel's axes (see {@link Axis.domain}, {@link Axis.anchor}). */
  xaxis2?: Axis;
  yaxis2?: Axis;
  /** Further panels' axes (`xaxis3`, `yaxis3`, …). */
  [facet: `xaxis${number}` | `yaxis${number}`]: Axis | undefined;
  shapes?: RectShape[];
  annotations?: Annotation[];
  updatemenus?: UpdateMenu[];
  showlegend?: boolean;
  hovermode?: 'closest' | 'x' | 'x unified';
  /** Free data plotly keeps with the figure; the notebooks put the figure's name here (`splamFigure`). */
  meta?: Record<string, string | number>;
  width?: number;
  height?: number;
}

/** A plotly figure: what `Plotly.newPlot(div, fig.data, fig.layout)` and the plotly MIME type take. */
export interface Figure {
  data: Trace[];
  layout: Layout;
}

/**
 * A row of a few-step evaluation as the figures read it: a method sampled with `steps` steps and its metrics by name.
 * lib/experiments/distill/run.ts `EvalRow` (the `evaluateDistill` rows) is one.
 */
export interface EvalRow {
  method: string;
  steps: number;
  metrics: Record<string, number | undefined>;
}

/**
 * A row of the exact-teacher solver comparison as the figures read it: the same-noise error of `solver` on a
 * `spacing` grid at `steps` steps (`nfe` network evaluations). lib/experiments/solver-comparison/run.ts
 * `SolverComparisonRow` is one.
 */
export interface SolverComparisonRow {
  dataset: string;
  solver: string;
  spacing: string;
  steps: number;
  nfe: number;
  error: { mean: number; std: number };
}

