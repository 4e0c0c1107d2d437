/**
 * Edge checks shared by the figure builders. Each names the builder (`fn`) and the exact argument path
 * (`reports[1].report.subPaths[2].local.mean`) in an {@link ArgumentError}; messages are built only on failure.
 *
 * Two kinds of numbers: a *position* (step, time, γ, index, coordinate of a category) must be finite, since a
 * point without a position cannot be placed; a *measured value* (error, metric, state coordinate) may be NaN or
 * null, which becomes null, a gap in the plotted line, but not ±∞, which has no place on an axis and no JSON form.
 */
import { ArgumentError } from '../errors.js';
import type { Datum } from './types.js';

/** A measured value: finite → itself, NaN or null → null (a gap). @throws ArgumentError for ±∞ or a non-number. */
export function datum(fn: string, arg: string, v: unknown): Datum {
  if (v === null || (typeof v === 'number' && Number.isNaN(v))) return null;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  throw new ArgumentError(fn, arg, v, 'a finite number, or NaN / null for a gap');
}

/** A position on an axis. @throws ArgumentError unless a finite number. */
export function position(fn: string, arg: string, v: unknown): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  throw new ArgumentError(fn, arg, v, 'a finite number');
}

/** A non-empty array. @throws ArgumentError otherwise. */
export function nonEmpty<T>(fn: string, arg: string, v: readonly T[] | unknown, what: string): readonly T[] {
  if (!Array.isArray(v) || v.length === 0) throw new ArgumentError(fn, arg, v, `a non-empty array of ${what}`);
  return v as readonly T[];
}

/** An array of exactly n items. @throws ArgumentError otherwise, saying what n counts. */
export function ofLength<T>(fn: string, arg: string, v: readonly T[] | unknown, n: number, what: string): readonly T[] {
  if (!Array.isArray(v) || v.length !== n) {
    throw new ArgumentError(fn, arg, Array.isArray(v) ? `length ${v.length}` : v, `an array of length ${n} (${what})`);
  }
  return v as readonly T[];
}

/** A non-empty string, used as a legend label. */
export function label(fn: string, arg: string, v: unknown): string {
  if (typeof v === 'string' && v.length > 0) return v;
  throw new ArgumentError(fn, arg, v, 'a non-empty string');
}

/** Labels that tell legend entries apart. @throws ArgumentError at the first repeat. */
export function uniqueLabels(fn: string, arg: (i: number) => string, labels: readonly string[]): void {
  const seen = new Set<string>();
  labels.forEach((l, i) => {
    if (seen.has(l)) throw new ArgumentError(fn, arg(i), l, 'a label not used by an earlier item');
    seen.add(l);
  });
}
