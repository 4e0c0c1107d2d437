/**
 * Comparing runs and exporting them. Pure functions over records and series: the store fetches, these shape.
 *
 * - {@link compareMetric}: several runs on one metric, aligned by step (the union of their steps; a run with
 *   several points at one step contributes the last one logged), plus the params that differ between them.
 * - {@link runsToCsv} / {@link runsToJson} / {@link seriesToCsv}: the runs table (one row per run, params,
 *   summary metrics and tags as `params.*`, `metrics.*`, `tags.*` columns) and long-format series.
 */
import { ArgumentError } from '../errors.js';
import { checkMetricKey } from './validate.js';
import type { ExportOptions, JsonValue, MetricComparison, MetricSeries, Params, RunQuery, RunRecord, RunStore } from './types.js';

/** Set an own property, even one named `__proto__` (plain assignment would change the prototype). */
function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Flatten nested params to dotted keys (`train.k`); arrays stay whole values. */
export function flattenParams(params: Params, prefix = ''): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(params)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length > 0) {
      for (const [k2, v2] of Object.entries(flattenParams(v as Params, key))) setOwn(out, k2, v2);
    } else {
      setOwn(out, key, v);
    }
  }
  return out;
}

/** Params (flattened) whose values are not the same in every run: key → one value per run (undefined: absent). */
export function paramsDiff(records: readonly RunRecord[]): Record<string, (JsonValue | undefined)[]> {
  const flat = records.map((r) => flattenParams(r.params));
  const keys = [...new Set(flat.flatMap((f) => Object.keys(f)))].sort();
  const diff: Record<string, (JsonValue | undefined)[]> = {};
  for (const k of keys) {
    const values = flat.map((f) => (Object.hasOwn(f, k) ? f[k] : undefined));
    const texts = new Set(values.map((v) => (v === undefined ? '\u0000absent' : JSON.stringify(v))));
    if (texts.size > 1) setOwn(diff, k, values);
  }
  return diff;
}

/**
 * Align the runs' series of `key` by step.
 * @param series one entry per record (the run's series for `key`, or undefined when it never logged it)
 */
export function compareMetric(key: string, records: readonly RunRecord[], series: readonly (MetricSeries | undefined)[]): MetricComparison {
  const stepSet = new Set<number>();
  for (const s of series) for (const st of s?.step ?? []) stepSet.add(st);
  const steps = [...stepSet].sort((a, b) => a - b);
  const where = new Map(steps.map((s, i) => [s, i]));
  const values = series.map((s) => {
    const row: (number | null)[] = new Array(steps.length).fill(null);
    if (s) for (let i = 0; i < s.step.length; i++) row[where.get(s.step[i]) as number] = s.value[i];
    return row;
  });
  return {
    key,
    runs: records.map((r) => ({ id: r.id, name: r.name, experiment: r.experiment, status: r.status })),
    steps,
    values,
    paramsDiff: paramsDiff(records),
  };
}

const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV cell (RFC 4180 quoting). Strings that a spreadsheet would run as a formula (leading `=`, `+`, `-`,
 * `@`, tab, CR) and are not plain numbers get a leading `'` (OWASP's CSV-injection advice): stored text is
 * never executed, not even by the program that opens the export.
 */
export function csvCell(v: unknown): string {
  if (v === undefined || v === null) return '';
  let s: string;
  if (typeof v === 'number') s = String(v);
  else if (typeof v === 'string') s = FORMULA_START.test(v) && !Number.isFinite(Number(v)) ? `'${v}` : v;
  else if (typeof v === 'boolean') s = String(v);
  else s = JSON.stringify(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function iso(ms: number | null): string {
  return ms === null ? '' : new Date(ms).toISOString();
}

/** The runs table as CSV: fixed columns, then every params.*, metrics.* and tags.* column any run has. */
export function runsToCsv(records: readonly RunRecord[]): string {
  const flat = records.map((r) => flattenParams(r.params));
  const union = (lists: string[][]) => [...new Set(lists.flat())].sort();
  const paramKeys = union(flat.map((f) => Object.keys(f)));
  const metricKeys = union(records.map((r) => Object.keys(r.summary)));
  const tagKeys = union(records.map((r) => Object.keys(r.tags)));
  const header = [
    'id', 'name', 'experiment', 'status', 'created', 'ended', 'duration_s', 'error',
    'git_commit', 'git_dirty', 'seed', 'backend', 'host',
    ...paramKeys.map((k) => `params.${k}`),
    ...metricKeys.map((k) => `metrics.${k}`),
    ...tagKeys.map((k) => `tags.${k}`),
  ];
  const rows = records.map((r, i) => [
    r.id, r.name, r.experiment, r.status, iso(r.createdAt), iso(r.endedAt),
    r.endedAt === null ? null : (r.endedAt - r.createdAt) / 1000,
    r.error?.message ?? null,
    r.provenance.gitCommit, r.provenance.gitDirty, r.provenance.seed, r.provenance.backend?.name ?? null, r.provenance.host,
    ...paramKeys.map((k) => (Object.hasOwn(flat[i], k) ? flat[i][k] : null)),
    ...metricKeys.map((k) => (Object.hasOwn(r.summary, k) ? r.summary[k] : null)),
    ...tagKeys.map((k) => (Object.hasOwn(r.tags, k) ? r.tags[k] : null)),
  ]);
  return [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\n') + '\n';
}

/** Long-format series CSV: `run_id,key,step,value,time` (time as ISO 8601). */
export function seriesToCsv(entries: readonly { id: string; series: readonly MetricSeries[] }[]): string {
  const lines = ['run_id,key,step,value,time'];
  for (const { id, series } of entries) {
    for (const s of series) {
      for (let i = 0; i < s.step.length; i++) {
        lines.push([id, s.key, s.step[i], s.value[i], iso(s.time[i])].map(csvCell).join(','));
      }
    }
  }
  return lines.join('\n') + '\n';
}

/** JSON export: the records (non-finite summary values as "NaN"/"Infinity" strings), with series when given. */
export function runsToJson(records: readonly RunRecord[], series?: ReadonlyMap<string, readonly MetricSeries[]>): string {
  const enc = (v: number) => (Number.isFinite(v) ? v : String(v));
  const out = records.map((r) => {
    const summary = Object.fromEntries(Object.entries(r.summary).map(([k, v]) => [k, enc(v)]));
    const base = { ...r, summary };
    if (!series) return base;
    const list = series.get(r.id) ?? [];
    return { ...base, series: list.map((s) => ({ ...s, value: s.value.map(enc) })) };
  });
  return JSON.stringify(out, null, 2) + '\n';
}

/** What {@link compareRuns} and {@link exportRunsOf} read: any store's records and series. */
type StoreReads = Pick<RunStore, 'getRun' | 'listRuns' | 'readMetrics'>;

/** `RunStore.compare` for every backend: the runs' records and their series of `key`, aligned by step. */
export async function compareRuns(store: StoreReads, ids: readonly string[], key: string): Promise<MetricComparison> {
  checkMetricKey('compare', key);
  if (!Array.isArray(ids) || ids.length === 0) throw new ArgumentError('compare', 'ids', ids, 'one or more run ids');
  const records = await Promise.all(ids.map((id) => store.getRun(id)));
  const series = await Promise.all(ids.map(async (id) => (await store.readMetrics(id, [key]))[0]));
  return compareMetric(key, records, series);
}

/** `RunStore.exportRuns` for every backend: CSV or JSON of the selected runs, with their series when asked. */
export async function exportRunsOf(store: StoreReads, query: RunQuery, opts: ExportOptions): Promise<string> {
  if (opts?.format !== 'csv' && opts?.format !== 'json') throw new ArgumentError('exportRuns', 'format', opts?.format, 'csv or json');
  const runs = await store.listRuns(query);
  if (!opts.series) return opts.format === 'csv' ? runsToCsv(runs) : runsToJson(runs);
  const series = new Map<string, MetricSeries[]>();
  for (const r of runs) series.set(r.id, await store.readMetrics(r.id));
  if (opts.format === 'json') return runsToJson(runs, series);
  return seriesToCsv(runs.map((r) => ({ id: r.id, series: series.get(r.id) ?? [] })));
}
