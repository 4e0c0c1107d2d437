/** Shared look of the figures: the colour cycle, line dashes and axis construction. */
import type { Axis, Dash } from './types.js';

/** Plotly's default colour cycle (D3 category10), so our figures match plotly's own defaults. */
export const PALETTE = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
] as const;

/** The i-th colour of the cycle. */
export function colour(i: number): string {
  return PALETTE[i % PALETTE.length];
}

/** Dashes in the order used to tell series of one colour apart. */
export const DASHES: readonly Dash[] = ['solid', 'dash', 'dot', 'dashdot', 'longdash', 'longdashdot'];

/** The i-th dash of the cycle. */
export function dash(i: number): Dash {
  return DASHES[i % DASHES.length];
}

/** An axis with a title, linear unless `log`. Extra attributes are merged in. */
export function axis(title: string, log = false, extra: Omit<Axis, 'title' | 'type'> = {}): Axis {
  return { title: { text: title }, type: log ? 'log' : 'linear', ...extra };
}
