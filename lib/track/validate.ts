/**
 * Checks on what callers log: params must be plain JSON (so they round-trip exactly), tags are strings, metric
 * keys and values have a fixed shape. Each failure is an ArgumentError naming the function, the offending
 * path and what is allowed.
 */
import { ArgumentError } from '../errors.js';
import type { JsonValue, Params } from './types.js';

/** Metric keys: letters, digits, `_ - . / : ` and spaces (MLflow's set plus `:`), 1–250 characters. */
export const METRIC_KEY_PATTERN = /^[A-Za-z0-9_\-./: ]{1,250}$/;
/** Tag keys follow metric keys; experiment names too. */
export const NAME_PATTERN = METRIC_KEY_PATTERN;

/** `__proto__` passes the pattern but is an accessor on plain objects: refused as a key. */
const RESERVED = '__proto__';

export function checkMetricKey(fn: string, key: unknown): string {
  if (typeof key !== 'string' || !METRIC_KEY_PATTERN.test(key) || key === RESERVED) {
    throw new ArgumentError(fn, 'key', key, `a metric key matching ${METRIC_KEY_PATTERN}, other than ${RESERVED}`);
  }
  return key;
}

/** Metric values: any number, NaN and ±Infinity included (a diverged loss is data). */
export function checkMetricValue(fn: string, key: string, value: unknown): number {
  if (typeof value !== 'number') throw new ArgumentError(fn, `value of ${key}`, value, 'a number');
  return value;
}

/** Steps: safe integers ≥ 0. */
export function checkStep(fn: string, step: unknown): number {
  if (typeof step !== 'number' || !Number.isSafeInteger(step) || step < 0) {
    throw new ArgumentError(fn, 'step', step, 'an integer ≥ 0');
  }
  return step;
}

/** What experiment names and tag keys may be. */
export const NAME_ALLOWED = `a name matching ${NAME_PATTERN}, other than ${RESERVED}`;

/** Whether `value` is an allowed experiment name or tag key. */
export function isName(value: unknown): value is string {
  return typeof value === 'string' && NAME_PATTERN.test(value) && value !== RESERVED;
}

export function checkName(fn: string, arg: string, value: unknown): string {
  if (!isName(value)) throw new ArgumentError(fn, arg, value, NAME_ALLOWED);
  return value;
}

/** Run names: free text for people, at most 250 characters, no control characters (tabs and newlines break tables). */
export const RUN_NAME_ALLOWED = 'a string of at most 250 characters without control characters';

export function isRunName(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 250 && !/[\u0000-\u001f\u007f]/.test(value);
}

export function checkRunName(fn: string, value: unknown): string {
  if (!isRunName(value)) throw new ArgumentError(fn, 'name', value, RUN_NAME_ALLOWED);
  return value;
}

/** Tags: keys like metric keys; values strings, or numbers/booleans turned into strings. */
export function checkTags(fn: string, tags: unknown): Record<string, string> {
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) {
    throw new ArgumentError(fn, 'tags', tags, 'an object of string, number or boolean values');
  }
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(tags)) {
    checkName(fn, `tags key`, k);
    if (typeof v === 'string') out.push([k, v]);
    else if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') out.push([k, String(v)]);
    else throw new ArgumentError(fn, `tags.${k}`, v, 'a string, finite number or boolean');
  }
  return Object.fromEntries(out);
}

/**
 * Check that params are plain JSON: objects with string keys, arrays, strings, finite numbers, booleans, null.
 * Rejects undefined, functions, bigints, NaN/±Infinity (JSON would silently turn them into null), class
 * instances (Date, Map, tensors) and cycles, naming the path of the first offender.
 */
export function checkParams(fn: string, params: unknown): Params {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new ArgumentError(fn, 'params', params, 'a plain object of JSON values');
  }
  const seen = new Set<object>();
  const visit = (value: unknown, at: string): void => {
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return;
      case 'number':
        if (!Number.isFinite(value)) throw new ArgumentError(fn, at, value, 'a finite number (JSON has no NaN or Infinity)');
        return;
      case 'object': {
        if (value === null) return;
        if (seen.has(value)) throw new ArgumentError(fn, at, '[cycle]', 'a JSON tree without cycles');
        seen.add(value);
        if (Array.isArray(value)) {
          value.forEach((v, i) => visit(v, `${at}[${i}]`));
        } else {
          const proto = Object.getPrototypeOf(value);
          if (proto !== Object.prototype && proto !== null) {
            throw new ArgumentError(fn, at, value, 'a plain object (not a class instance such as Date, Map or a tensor)');
          }
          for (const [k, v] of Object.entries(value)) visit(v, `${at}.${k}`);
        }
        seen.delete(value);
        return;
      }
      default:
        throw new ArgumentError(fn, at, value, 'a JSON value (string, finite number, boolean, null, array, plain object)');
    }
  };
  visit(params, 'params');
  return params as Params;
}

/** Deep copy of a JSON value (params are checked JSON, so this is exact). */
export function cloneJson<T extends JsonValue | Params>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Summary values: an object of metric keys to numbers (as {@link checkMetricKey} / {@link checkMetricValue}). */
export function checkSummary(fn: string, values: Record<string, number>): Record<string, number> {
  if (typeof values !== 'object' || values === null) throw new ArgumentError(fn, 'summary', values, 'an object of numbers');
  for (const [k, v] of Object.entries(values)) {
    checkMetricKey(fn, k);
    checkMetricValue(fn, k, v);
  }
  return values;
}
