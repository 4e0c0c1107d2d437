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
}

/** Symmetric error bars with one half-length per point (null: no bar). */
export interface ErrorBars {
  type: 'data';
  array: Datum[];
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
}

export interface Layout {
  title: Title;
  xaxis?: Axis;
  yaxis?: Axis;
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
