/**
 * `splam report <run-id | experiment>`: a static HTML page with PNG figures, written into the store
 * (`<store>/reports/<target>/index.html`), readable without plotly, a kernel or a network.
 *
 * A run's report: its record (status, duration, seed, commit, backend), params, summary, text artifacts, and one
 * figure per metric group (keys grouped by their first path segment: `train/…`, `eval/…`). An experiment's
 * report: a table of its runs, one comparison figure per shared metric (aligned by step), and parallel
 * coordinates over the params that differ, coloured by a summary metric.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ArgumentError } from '../errors.js';
import { compareMetric, flattenParams, paramsDiff } from '../track/compare.js';
import type { MetricSeries, RunRecord, RunStore } from '../track/types.js';
import { parallelCoordinatesFigure } from '../viz/parcoords.js';
import { FigureRenderer } from '../viz/png.js';
import { comparisonFigure, curveFromSeries, trainingCurvesFigure } from '../viz/training.js';
import type { Figure } from '../viz/types.js';

export interface ReportOptions {
  /** Output folder. Default `<store>/reports/<target>`. */
  outDir?: string;
  /** At most this many figures. Default 24. */
  maxFigures?: number;
  /** Summary metric that colours the parallel coordinates (experiments). Default: the first shared numeric one. */
  color?: string;
  /** Called per figure rendered. */
  onProgress?: (done: number, total: number) => void;
}

export interface ReportResult {
  kind: 'run' | 'experiment';
  target: string;
  dir: string;
  html: string;
  figures: string[];
  runs: number;
}

const esc = (s: unknown) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (v: unknown) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5 ? v.toPrecision(4) : v.toExponential(3)) : v === null || v === undefined ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v));
const table = (head: string[], rows: unknown[][]) =>
  `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(fmt(c))}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
const kv = (o: Record<string, unknown>) => table(['key', 'value'], Object.entries(o).map(([k, v]) => [k, v]));
const when = (ms: number | null) => (ms ? new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + ' UTC' : '—');
const duration = (r: RunRecord) => (r.endedAt ? `${((r.endedAt - r.createdAt) / 1000).toFixed(1)} s` : 'running');

/** Group metric keys by their first path segment (`train/loss` → `train`), keeping order. */
export function groupKeys(keys: readonly string[], maxPerGroup = 10): { group: string; keys: string[] }[] {
  const groups = new Map<string, string[]>();
  for (const k of keys) {
    const g = k.includes('/') ? k.slice(0, k.indexOf('/')) : k;
    const list = groups.get(g) ?? [];
    list.push(k);
    groups.set(g, list);
  }
  const out: { group: string; keys: string[] }[] = [];
  for (const [group, ks] of groups) {
    for (let i = 0; i < ks.length; i += maxPerGroup) out.push({ group: ks.length > maxPerGroup ? `${group} (${i / maxPerGroup + 1})` : group, keys: ks.slice(i, i + maxPerGroup) });
  }
  return out;
}

/** The last path segment of each dotted key, or more segments where that would repeat: `objective.gamma.kind` → `gamma.kind`. */
export function shortLabels(keys: readonly string[]): string[] {
  const parts = keys.map((k) => k.split('.'));
  const out = parts.map((p) => p[p.length - 1]);
  for (let depth = 2; new Set(out).size < out.length; depth++) {
    const clashing = out.map((o) => out.filter((x) => x === o).length > 1);
    for (let i = 0; i < out.length; i++) if (clashing[i]) out[i] = parts[i].slice(-depth).join('.');
    if (depth > 16) return [...keys];
  }
  return out;
}

/** Log axis when every value is positive and they span more than two decades. */
function wantsLog(values: number[]): boolean {
  const v = values.filter((x) => Number.isFinite(x));
  if (!v.length || v.some((x) => x <= 0)) return false;
  return Math.max(...v) / Math.min(...v) > 100;
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1000px;color:#222;padding:0 1em}
table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:13px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}
th{background:#f4f4f4}img{max-width:100%;border:1px solid #eee;margin:.5em 0}pre{background:#f7f7f7;padding:.8em;overflow:auto;font-size:12px}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.8em}.meta{color:#666}
</style></head><body>
${body}
<p class="meta">written by <code>splam report</code> at ${esc(when(Date.now()))}</p>
</body></html>
`;
}

interface PendingFigure {
  file: string;
  title: string;
  fig: Figure;
}

async function renderAll(dir: string, figs: PendingFigure[], opts: ReportOptions): Promise<void> {
  if (!figs.length) return;
  const r = new FigureRenderer();
  try {
    for (const [i, f] of figs.entries()) {
      await writeFile(join(dir, f.file), await r.render(f.fig, { width: 900, height: 480 }));
      opts.onProgress?.(i + 1, figs.length);
    }
  } finally {
    await r.close();
  }
}

/** Write into a temporary folder, then swap it in: a crash never leaves a half-written report in place. */
async function writeReport(dir: string, html: string, figs: PendingFigure[], opts: ReportOptions): Promise<void> {
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(tmp, { recursive: true });
  try {
    await renderAll(tmp, figs, opts);
    await writeFile(join(tmp, 'index.html'), html);
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

const figureHtml = (f: PendingFigure) => `<h3>${esc(f.title)}</h3><img src="${esc(f.file)}" alt="${esc(f.title)}">`;

async function runReport(store: RunStore, rec: RunRecord, dir: string, opts: ReportOptions): Promise<ReportResult> {
  const series: MetricSeries[] = await store.readMetrics(rec.id);
  const figs: PendingFigure[] = [];
  for (const g of groupKeys(series.map((s) => s.key))) {
    if (figs.length >= (opts.maxFigures ?? 24)) break;
    const ss = g.keys.map((k) => series.find((s) => s.key === k)!).filter((s) => s.step.length > 0);
    if (!ss.length) continue;
    const fig = trainingCurvesFigure(ss.map((s) => curveFromSeries(s)), { metric: g.group, log: wantsLog(ss.flatMap((s) => s.value)), title: `${g.group} — ${rec.name}` });
    figs.push({ file: `fig-${figs.length + 1}.png`, title: g.group, fig });
  }
  const texts: string[] = [];
  for (const a of rec.artifacts.filter((x) => x.kind === 'text')) {
    const bytes = await store.readArtifact(rec.id, a.name);
    texts.push(`<h3>${esc(a.name)}</h3><pre>${esc(Buffer.from(bytes).toString('utf8').slice(0, 20000))}</pre>`);
  }
  const p = rec.provenance;
  const body = [
    `<h1>Run ${esc(rec.name)} <span class="meta">${esc(rec.id)}</span></h1>`,
    kv({
      experiment: rec.experiment,
      status: rec.status + (rec.crashReason ? ` (${rec.crashReason})` : ''),
      created: when(rec.createdAt),
      duration: duration(rec),
      seed: p.seed,
      commit: p.gitCommit ? `${p.gitCommit.slice(0, 12)}${p.gitDirty ? ' (dirty)' : ''}` : '—',
      backend: p.backend ? `${p.backend.name}` : '—',
      host: `${rec.host} (${p.cpus ?? '?'} cpus)`,
      tags: Object.entries(rec.tags).map(([k, v]) => `${k}=${v}`).join(', '),
      ...(rec.error ? { error: rec.error.message } : {}),
    }),
    `<h2>Summary</h2>${kv(rec.summary)}`,
    `<h2>Metrics</h2>${figs.map(figureHtml).join('\n') || '<p>no metrics logged</p>'}`,
    texts.length ? `<h2>Text artifacts</h2>${texts.join('\n')}` : '',
    `<h2>Params</h2>${kv(flattenParams(rec.params))}`,
    `<h2>Artifacts</h2>${table(['name', 'kind', 'bytes'], rec.artifacts.map((a) => [a.name, a.kind, a.bytes]))}`,
  ].join('\n');
  await writeReport(dir, page(`${rec.name} (${rec.id})`, body), figs, opts);
  return { kind: 'run', target: rec.id, dir, html: join(dir, 'index.html'), figures: figs.map((f) => f.file), runs: 1 };
}

async function experimentReport(store: RunStore, name: string, runs: RunRecord[], dir: string, opts: ReportOptions): Promise<ReportResult> {
  const summaryKeys = [...new Set(runs.flatMap((r) => Object.keys(r.summary)))].sort();
  const shared = summaryKeys.filter((k) => runs.every((r) => Number.isFinite(r.summary[k])));
  // Columns worth a look: shared summary metrics that differ between runs (baselines identical in every run drop out).
  const varying = shared.filter((k) => new Set(runs.map((r) => r.summary[k])).size > 1);
  const diff = paramsDiff(runs);
  const diffKeys = Object.keys(diff).filter((k) => !k.startsWith('name'));
  const figs: PendingFigure[] = [];
  const seriesOf = await Promise.all(runs.map((r) => store.readMetrics(r.id)));
  const metricKeys = [...new Set(seriesOf.flatMap((ss) => ss.filter((s) => s.step.length > 1).map((s) => s.key)))];
  for (const key of metricKeys) {
    if (figs.length >= (opts.maxFigures ?? 24) - 1) break;
    const c = compareMetric(key, runs, seriesOf.map((ss) => ss.find((s) => s.key === key)));
    if (!c.steps.length) continue;
    const vals = c.values.flat().filter((v): v is number => v !== null);
    figs.push({ file: `fig-${figs.length + 1}.png`, title: key, fig: comparisonFigure(c, { log: wantsLog(vals), title: key }) });
  }
  const color = opts.color ?? varying[0] ?? shared[0];
  if (opts.color && !summaryKeys.includes(opts.color)) throw new ArgumentError('splam report', '--color', opts.color, `a summary metric of these runs: ${summaryKeys.slice(0, 15).join(', ') || '(none)'}${summaryKeys.length > 15 ? ` … (${summaryKeys.length - 15} more; see splam runs show <id>)` : ''}`);
  if (runs.length >= 2 && diffKeys.length && color && shared.includes(color)) {
    const dims = diffKeys.slice(0, 8);
    const short = shortLabels(dims);
    const rows = runs.map((r, i) => {
      const row: Record<string, number | string> = { [color]: r.summary[color] };
      dims.forEach((k, j) => {
        const v = diff[k][i];
        row[short[j]] = typeof v === 'number' && Number.isFinite(v) ? v : v === undefined || v === null ? '—' : String(v);
      });
      return row;
    });
    figs.push({ file: `fig-${figs.length + 1}.png`, title: `parameters → ${color}`, fig: parallelCoordinatesFigure(rows, { dimensions: [...short, color], color, title: `${name}: parameters → ${color}` }) });
  }
  const cols = varying.slice(0, 8);
  const runRows = runs.map((r, i) => [r.id, r.name, r.status, duration(r), ...diffKeys.slice(0, 6).map((k) => diff[k][i]), ...cols.map((k) => r.summary[k])]);
  const body = [
    `<h1>Experiment ${esc(name)}</h1>`,
    `<p>${runs.length} run${runs.length === 1 ? '' : 's'}; params that differ: ${esc(diffKeys.join(', ') || 'none')}</p>`,
    table(['id', 'name', 'status', 'duration', ...diffKeys.slice(0, 6), ...cols], runRows),
    `<h2>Figures</h2>${figs.map(figureHtml).join('\n') || '<p>no metric series to compare</p>'}`,
  ].join('\n');
  await writeReport(dir, page(`experiment ${name}`, body), figs, opts);
  return { kind: 'experiment', target: name, dir, html: join(dir, 'index.html'), figures: figs.map((f) => f.file), runs: runs.length };
}

/**
 * Write the report of a run (by id) or of an experiment (by name; its 50 newest runs).
 * @throws ArgumentError when the target is neither a run id nor an experiment of the store.
 */
export async function writeRunReport(store: RunStore, target: string, opts: ReportOptions = {}): Promise<ReportResult> {
  const safe = target.replace(/[^A-Za-z0-9._-]/g, '_');
  const dir = opts.outDir ?? join(store.location, 'reports', safe);
  let rec: RunRecord | null = null;
  try {
    rec = await store.getRun(target);
  } catch {
    rec = null;
  }
  if (rec) return runReport(store, rec, dir, opts);
  const runs = await store.listRuns({ experiment: target, limit: 50 });
  if (!runs.length) {
    const exps = (await store.listExperiments()).map((e) => e.name);
    throw new ArgumentError('splam report', 'target', target, `a run id or an experiment of ${store.location} (experiments: ${exps.join(', ') || 'none'})`);
  }
  return experimentReport(store, target, runs, dir, opts);
}
