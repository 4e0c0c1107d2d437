/**
 * Which fields and metric keys the runs have, and the names closest to one they lack. A query
 * on a field no run has (`params.sed` for `params.seed`) is almost always a typo: the CLI fails on it with the
 * closest names instead of printing "no runs match". Pure: records in, names out.
 */
import { ConfigError } from '../errors.js';
import { flattenParams } from './compare.js';
import { fieldValue, parseFilter, parseOrderBy, type Field, type FilterExpr } from './filter.js';
import type { Params, RunRecord } from './types.js';

/**
 * A field or metric that no run has. One line: the flag, its value, the missing name, why, and the closest names
 * (or, when none is close, a few of the names there are).
 */
export class UnknownFieldError extends ConfigError {
  readonly closest: readonly string[];
  constructor(
    readonly flag: string,
    readonly value: string,
    readonly field: string,
    known: Iterable<string>,
    what = 'field',
    where = 'no run in the store has it',
  ) {
    const names = [...new Set(known)].sort();
    const closest = closestNames(field, names);
    const allowed = closest.length
      ? `closest: ${closest.join(', ')}`
      : names.length
        ? `nothing close; there are ${names.length} such names, e.g. ${names.slice(0, 3).join(', ')}`
        : 'no run has any such name';
    super(`options of ${flag}`, [{ path: flag, value, message: `unknown ${what} ${field}`, allowed }]);
    this.name = 'UnknownFieldError';
    this.closest = closest;
    const head = value === field ? `${flag}: unknown ${what} ${JSON.stringify(field)}` : `${flag} ${JSON.stringify(value)}: unknown ${what} ${field}`;
    this.message = `${head} (${where}); ${allowed}`;
  }
}

/** Levenshtein distance (two rows), for "did you mean". */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/**
 * Up to `n` candidates close to `name` by edit distance (ties: shorter, then alphabetical): within a third of the
 * name's length (at least 2). Names that share a namespace (`params.`) or prefix (`student/`) with `name` are
 * compared after it, so `params.sed` finds `params.seed` but not `params.kind`.
 */
export function closestNames(name: string, candidates: Iterable<string>, n = 3): string[] {
  const head = (s: string) => /^(params|metrics|tags|provenance)\./.exec(s)?.[0] ?? '';
  const tail = (s: string) => s.slice(head(s).length).toLowerCase();
  const target = tail(name);
  const limit = Math.max(2, Math.ceil(target.length / 3));
  return [...new Set(candidates)]
    .filter((c) => c !== name)
    .map((c) => ({ c, d: editDistance(target, tail(c)) + (head(c) === head(name) ? 0 : 1) }))
    .filter((x) => x.d <= limit)
    .sort((x, y) => x.d - y.d || x.c.length - y.c.length || (x.c < y.c ? -1 : 1))
    .slice(0, n)
    .map((x) => x.c);
}

/** Dotted keys of nested params and every prefix of them (`train`, `train.k`): the names a filter may use. */
function paramNames(params: Params): string[] {
  const out = new Set<string>();
  for (const k of Object.keys(flattenParams(params))) {
    const parts = k.split('.');
    for (let i = 1; i <= parts.length; i++) out.add(parts.slice(0, i).join('.'));
  }
  return [...out];
}

/** Every `ns.name` the records have, for suggestions (attributes are checked by the parser itself). */
export function fieldNames(records: readonly RunRecord[]): Set<string> {
  const names = new Set<string>();
  for (const r of records) {
    for (const k of paramNames(r.params)) names.add(`params.${k}`);
    for (const k of Object.keys(r.summary)) names.add(`metrics.${k}`);
    for (const k of Object.keys(r.tags)) names.add(`tags.${k}`);
    for (const k of paramNames(r.provenance as unknown as Params)) names.add(`provenance.${k}`);
  }
  return names;
}

function filterFields(expr: FilterExpr, out: Field[] = []): Field[] {
  switch (expr.kind) {
    case 'and':
    case 'or':
      filterFields(expr.left, out);
      filterFields(expr.right, out);
      break;
    case 'not':
      filterFields(expr.expr, out);
      break;
    case 'true':
      break;
    default:
      out.push(expr.field);
  }
  return out;
}

/** The field's canonical text (`params.seed`), whatever alias or quoting the query used. */
function fieldText(f: Field): string {
  return `${f.ns}.${f.path.join('.')}`;
}

/**
 * Fail on the first field of a filter or order-by that no record has.
 * @param flag the CLI flag the string came from (`--filter`, `--order-by`), named in the error
 * @throws UnknownFieldError; FilterError when the string does not parse
 */
export function checkQueryFields(records: readonly RunRecord[], flag: string, src: string, kind: 'filter' | 'order-by' = 'filter'): void {
  if (records.length === 0) return; // an empty store: nothing to know names from
  const fields = kind === 'filter' ? filterFields(parseFilter(src)) : parseOrderBy(src).map((k) => k.field);
  for (const f of fields) {
    if (f.ns === 'attributes') continue;
    if (records.some((r) => fieldValue(r, f) !== undefined)) continue;
    const name = fieldText(f);
    const names = fieldNames(records);
    const same = [...names].filter((n) => n.startsWith(`${f.ns}.`));
    throw new UnknownFieldError(flag, src, name, same.length ? same : names);
  }
}

/**
 * Fail when `keys` (column names of `runs ls -m` / `-p`) name a summary metric or param that no record has.
 * @throws UnknownFieldError
 */
export function checkColumnKeys(records: readonly RunRecord[], flag: string, value: string, ns: 'metrics' | 'params', keys: readonly string[]): void {
  if (records.length === 0) return;
  const names = new Set(records.flatMap((r) => (ns === 'metrics' ? Object.keys(r.summary) : Object.keys(flattenParams(r.params)))));
  for (const k of keys) {
    if (!names.has(k)) throw new UnknownFieldError(flag, value, k, names, ns === 'metrics' ? 'metric' : 'param');
  }
}

/**
 * The error for `runs compare --metric <key>` when none of the compared runs logged a series of `key`.
 * @param seriesKeys the series keys the runs logged; @param summaryKeys their summary keys (a summary-only value
 *   is named as such: the comparison without --metric shows it)
 */
export function unknownMetricError(key: string, runs: number, seriesKeys: Iterable<string>, summaryKeys: Iterable<string>): UnknownFieldError {
  const summary = new Set(summaryKeys);
  const where = summary.has(key)
    ? `a summary value only, no series: runs compare without --metric shows it`
    : `none of the ${runs} runs logged it`;
  return new UnknownFieldError('--metric', key, key, seriesKeys, 'metric series', where);
}

/** The query flags of `runs ls` / `runs export` whose names {@link checkQueryFlags} checks. */
export interface NamedQueryFlags {
  filter?: string;
  orderBy?: string;
  /** `runs ls -m a,b`: summary metric columns. */
  metrics?: string;
  /** `runs ls -p a.b,c`: param columns. */
  params?: string;
}

/** Whether any flag names a field (then the CLI reads every run once to check the names). */
export function namesFields(flags: NamedQueryFlags): boolean {
  return flags.filter !== undefined || flags.orderBy !== undefined || !!flags.metrics || !!flags.params;
}

/**
 * Check every name the flags use against the runs of the store (all of them, not only those selected).
 * @throws UnknownFieldError for the first name no run has; FilterError for a filter that does not parse
 */
export function checkQueryFlags(records: readonly RunRecord[], flags: NamedQueryFlags): void {
  if (flags.filter !== undefined) checkQueryFields(records, '--filter', flags.filter, 'filter');
  if (flags.orderBy !== undefined) checkQueryFields(records, '--order-by', flags.orderBy, 'order-by');
  const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);
  if (flags.metrics) checkColumnKeys(records, '--metrics', flags.metrics, 'metrics', list(flags.metrics));
  if (flags.params) checkColumnKeys(records, '--params', flags.params, 'params', list(flags.params));
}

/**
 * `runs compare --prefix p`: some run must have a summary metric under `p`.
 * @throws UnknownFieldError naming the closest prefixes (`student/`, `student/steps4/`, …) the runs have
 */
export function checkMetricPrefix(records: readonly RunRecord[], prefix: string): void {
  const keys = records.flatMap((r) => Object.keys(r.summary));
  if (keys.length === 0 || keys.some((k) => k.startsWith(prefix))) return;
  const prefixes = new Set<string>();
  for (const k of keys) {
    const parts = k.split('/');
    for (let i = 1; i < parts.length; i++) prefixes.add(`${parts.slice(0, i).join('/')}/`);
  }
  throw new UnknownFieldError('--prefix', prefix, prefix, prefixes.size ? prefixes : keys, 'metric prefix', 'no summary metric of these runs starts with it');
}
