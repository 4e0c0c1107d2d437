/**
 * Presentation of runs for a terminal: fixed-width tables that fit 80–100 columns, run details, comparisons
 * and doctor reports. Pure: data in, text out (the CLI prints it; `--json` bypasses it).
 */
import { flattenParams } from './compare.js';
import type { DoctorReport, MetricComparison, MetricSeries, RunRecord } from './types.js';

/** A number for a table: integers as they are, others to 5 significant digits, NaN/±Infinity by name. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e12) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-4 || a >= 1e6)) return v.toExponential(3);
  return String(Number(v.toPrecision(5)));
}

/** `2026-11-26 19:08` (UTC). */
export function formatTime(ms: number | null): string {
  if (ms === null) return '';
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

/** `850ms`, `4.2s`, `3m07s`, `2h05m`, `3d04h`. */
export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const pad = (n: number) => String(Math.floor(n)).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${pad((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d${pad((s % 86400) / 3600)}h`;
}

function cellText(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

function truncate(s: string, width: number): string {
  const flat = s.replace(/[\r\n\t]+/g, ' ');
  return flat.length <= width ? flat : flat.slice(0, Math.max(0, width - 1)) + '…';
}

export interface Column {
  header: string;
  /** Cap on the column's width (default 30). */
  max?: number;
  align?: 'left' | 'right';
}

/** A plain-text table: columns two spaces apart, cells truncated with `…` at their column's cap. */
export function formatTable(columns: readonly Column[], rows: readonly unknown[][]): string {
  const texts = rows.map((r) => columns.map((c, i) => truncate(cellText(r[i]), c.max ?? 30)));
  const widths = columns.map((c, i) => Math.min(c.max ?? 30, Math.max(c.header.length, ...texts.map((t) => t[i].length))));
  const line = (cells: string[]) =>
    cells
      .map((s, i) => (columns[i].align === 'right' ? s.padStart(widths[i]) : s.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c, i) => truncate(c.header, widths[i]))), ...texts.map(line)].join('\n') + '\n';
}

/** Duration of a run: to its end, or to its last heartbeat while running or crashed. */
export function runDuration(r: RunRecord, now: number = Date.now()): number {
  // A live run has no end yet: its duration so far. (Its heartbeat lives in a file's mtime, not in the record.)
  if (r.status === 'running') return now - r.createdAt;
  return (r.endedAt ?? r.heartbeatAt) - r.createdAt;
}

export interface RunsTableOptions {
  /** Summary metrics to show as columns. */
  metrics?: readonly string[];
  /** Params (dotted paths) to show as columns. */
  params?: readonly string[];
  /** How many runs matched, when only some are shown. */
  total?: number;
}

/** The `runs ls` table. The NAME column appears only when some run has a name other than its id. */
export function formatRunsTable(runs: readonly RunRecord[], opts: RunsTableOptions = {}): string {
  if (runs.length === 0) return 'no runs match\n';
  const named = runs.some((r) => r.name !== r.id);
  const columns: Column[] = [
    { header: 'ID', max: 28 },
    { header: 'EXPERIMENT', max: 18 },
    ...(named ? [{ header: 'NAME', max: 18 }] : []),
    { header: 'STATUS', max: 8 },
    { header: 'CREATED (UTC)', max: 16 },
    { header: 'DURATION', max: 8, align: 'right' as const },
    ...(opts.params ?? []).map((p) => ({ header: p, max: 14, align: 'right' as const })),
    ...(opts.metrics ?? []).map((m) => ({ header: m, max: 12, align: 'right' as const })),
  ];
  const rows = runs.map((r) => {
    const flat = opts.params?.length ? flattenParams(r.params) : {};
    return [
      r.id,
      r.experiment,
      ...(named ? [r.name === r.id ? '' : r.name] : []),
      r.status,
      formatTime(r.createdAt),
      formatDuration(runDuration(r)),
      ...(opts.params ?? []).map((p) => (Object.hasOwn(flat, p) ? flat[p] : undefined)),
      ...(opts.metrics ?? []).map((m) => (Object.hasOwn(r.summary, m) ? r.summary[m] : undefined)),
    ];
  });
  const total = opts.total ?? runs.length;
  const footer = total > runs.length ? `${runs.length} of ${total} runs shown (--limit 0 for all)` : `${total} run${total === 1 ? '' : 's'}`;
  return formatTable(columns, rows) + footer + '\n';
}

function kv(entries: [string, unknown][], indent = '  '): string {
  if (entries.length === 0) return `${indent}(none)\n`;
  const w = Math.min(32, Math.max(...entries.map(([k]) => k.length)));
  return entries.map(([k, v]) => `${indent}${k.padEnd(w)}  ${truncate(cellText(v), 96 - w)}`).join('\n') + '\n';
}

/** The `runs show` page: attributes, provenance, params, tags, summary, series overview, artifacts, error. */
export function formatRunDetails(r: RunRecord, series: readonly MetricSeries[]): string {
  const p = r.provenance;
  const status = r.status === 'crashed' && r.crashReason ? `crashed (${r.crashReason.replace('_', ' ')})` : r.status;
  let out = `run ${r.id}\n`;
  out += kv([
    ['name', r.name],
    ['experiment', r.experiment],
    ['status', status],
    ['created', `${formatTime(r.createdAt)} UTC`],
    ['ended', r.endedAt === null ? '' : `${formatTime(r.endedAt)} UTC`],
    ['duration', formatDuration(runDuration(r))],
    ['last heartbeat', `${formatTime(r.heartbeatAt)} UTC`],
    ['process', `pid ${r.pid} on ${r.host}`],
    ...(r.resumedAt.length ? ([['resumed', r.resumedAt.map((t) => formatTime(t)).join(', ')]] as [string, unknown][]) : []),
  ]);
  out += 'provenance\n';
  out += kv([
    ['git', p.gitCommit === null ? '(not a git checkout)' : `${p.gitCommit}${p.gitDirty ? ' (dirty)' : ''}${p.gitBranch ? ` on ${p.gitBranch}` : ''}`],
    ['node', p.node],
    ['packages', Object.entries(p.packages).map(([k, v]) => `${k}@${v}`).join(' ')],
    ['backend', p.backend ? `${p.backend.name} (tfjs ${p.backend.tfjsVersion}${p.backend.forced ? ', forced' : ''})` : '(none recorded)'],
    ['host', `${p.host} ${p.platform}/${p.arch}, ${p.cpus} CPUs`],
    ['seed', p.seed],
    ['command', p.argv.join(' ')],
  ]);
  out += 'params\n' + kv(Object.entries(flattenParams(r.params)));
  out += 'tags\n' + kv(Object.entries(r.tags));
  out += 'summary\n' + kv(Object.entries(r.summary));
  out += 'metric series\n';
  out +=
    series.length === 0
      ? '  (none)\n'
      : formatTable(
          [
            { header: '  KEY', max: 26 },
            { header: 'POINTS', align: 'right' },
            { header: 'STEPS', max: 16, align: 'right' },
            { header: 'LAST', align: 'right', max: 12 },
            { header: 'MIN', align: 'right', max: 12 },
            { header: 'MAX', align: 'right', max: 12 },
          ],
          series.map((s) => {
            const finite = s.value.filter(Number.isFinite);
            return [
              `  ${s.key}`,
              s.step.length,
              `${s.step[0]}–${s.step[s.step.length - 1]}`,
              s.value[s.value.length - 1],
              finite.length ? Math.min(...finite) : undefined,
              finite.length ? Math.max(...finite) : undefined,
            ];
          }),
        );
  out += 'artifacts\n';
  out += r.artifacts.length === 0 ? '  (none)\n' : kv(r.artifacts.map((a) => [a.name, `${a.kind}, ${a.bytes} bytes, sha256 ${a.sha256.slice(0, 12)}`]));
  if (r.error) out += `error\n  ${r.error.name}: ${r.error.message}\n${r.error.stack ? r.error.stack.split('\n').slice(1, 8).map((l) => `  ${l.trim()}`).join('\n') + '\n' : ''}`;
  return out;
}

/** Short labels for runs in column headers: their names if distinct and short, else the ends of their ids. */
function runLabels(runs: readonly { id: string; name: string }[]): string[] {
  const names = runs.map((r) => r.name);
  if (new Set(names).size === names.length && names.every((n) => n !== '' && n.length <= 14)) return names;
  for (let k = 6; k <= 28; k += 2) {
    const tails = runs.map((r) => r.id.slice(-k));
    if (new Set(tails).size === tails.length) return tails;
  }
  return runs.map((r) => r.id);
}

/**
 * The `runs compare --metric` table: one row per step (at most `maxRows`, evenly spaced, always the first and
 * last step), one column per run; then the params that differ.
 */
export function formatComparison(c: MetricComparison, maxRows = 20): string {
  const labels = runLabels(c.runs);
  let out = `metric ${c.key} by step\n`;
  out += c.runs.map((r, i) => `  [${labels[i]}] ${r.id}  ${r.experiment}  ${r.status}`).join('\n') + '\n';
  if (c.steps.length === 0) {
    out += '  (no points)\n';
  } else {
    const n = c.steps.length;
    const idx = n <= maxRows ? [...Array(n).keys()] : [...new Set(Array.from({ length: maxRows }, (_, i) => Math.round((i * (n - 1)) / (maxRows - 1))))];
    out += formatTable(
      [{ header: 'STEP', align: 'right', max: 10 }, ...labels.map((l) => ({ header: l, align: 'right' as const, max: 14 }))],
      idx.map((i) => [c.steps[i], ...c.values.map((row) => row[i] ?? undefined)]),
    );
    if (n > maxRows) out += `(${idx.length} of ${n} steps shown; --json for all)\n`;
  }
  out += formatParamsDiff(c.paramsDiff, labels);
  return out;
}

function formatParamsDiff(diff: Record<string, unknown[]>, labels: readonly string[]): string {
  const keys = Object.keys(diff);
  if (keys.length === 0) return 'params: identical\n';
  return (
    'params that differ\n' +
    formatTable(
      // Names are never cut: `student.architecture.hidden` and `….blocks` must stay apart.
      [{ header: '  PARAM', max: Math.max(7, ...keys.map((k) => k.length + 2)) }, ...labels.map((l) => ({ header: l, max: 14, align: 'right' as const }))],
      keys.map((k) => [`  ${k}`, ...diff[k].map((v) => (v === undefined ? '—' : v))]),
    )
  );
}

/** Text of a summary value for deciding whether runs differ (NaN equals NaN; absent is its own value). */
function sameText(v: number | undefined): string {
  return v === undefined ? '\u0000absent' : String(v);
}

export interface SummaryComparisonOptions {
  /** Only summary metrics whose key starts with this (`student/steps4/`). */
  prefix?: string;
}

/**
 * `runs compare` without `--metric`: summary metrics side by side, those that differ between the runs first, then
 * those equal in every run; then the params that differ. Metric names are never cut (`…_max` and `…_mean` must
 * stay apart): the name column is as wide as the longest name.
 */
export function formatSummaryComparison(runs: readonly RunRecord[], diff: Record<string, unknown[]>, opts: SummaryComparisonOptions = {}): string {
  const labels = runLabels(runs);
  let out = runs.map((r, i) => `[${labels[i]}] ${r.id}  ${r.experiment}  ${r.status}`).join('\n') + '\n';
  const all = [...new Set(runs.flatMap((r) => Object.keys(r.summary)))].sort();
  const keys = opts.prefix === undefined ? all : all.filter((k) => k.startsWith(opts.prefix as string));
  const value = (r: RunRecord, k: string) => (Object.hasOwn(r.summary, k) ? r.summary[k] : undefined);
  const differs = (k: string) => new Set(runs.map((r) => sameText(value(r, k)))).size > 1;
  const table = (title: string, list: string[]) => {
    const width = Math.max(8, ...list.map((k) => k.length + 2));
    return (
      `${title}\n` +
      formatTable(
        [{ header: '  METRIC', max: width }, ...labels.map((l) => ({ header: l, max: 14, align: 'right' as const }))],
        list.map((k) => [`  ${k}`, ...runs.map((r) => value(r, k))]),
      )
    );
  };
  const scope = opts.prefix === undefined ? '' : ` under ${JSON.stringify(opts.prefix)}`;
  if (keys.length === 0) {
    out += `summary metrics${scope}: none\n`;
  } else {
    const differing = keys.filter(differs);
    const same = keys.filter((k) => !differs(k));
    if (differing.length) out += table(`summary metrics${scope} that differ (${differing.length})`, differing);
    if (same.length) out += table(`summary metrics${scope} equal in every run (${same.length})`, same);
  }
  return out + formatParamsDiff(diff, labels);
}

/** The doctor report for people. */
export function formatDoctorReport(r: DoctorReport, dryRun: boolean, repairable: boolean): string {
  let out = `store ${r.store}: ${r.runs} run${r.runs === 1 ? '' : 's'} on disk, index ${r.index}\n`;
  if (r.issues.length === 0) return out + 'no problems found\n';
  for (const i of r.issues) out += `  ${i.code.padEnd(18)} ${i.message}\n`;
  if (r.actions.length) out += 'repaired:\n' + r.actions.map((a) => `  - ${a}\n`).join('');
  else if (dryRun && repairable) out += 'run `splam runs doctor` without --dry-run to repair\n';
  else if (!repairable) out += 'nothing to repair (the findings above are reported only; the data they concern is skipped on read)\n';
  return out;
}
