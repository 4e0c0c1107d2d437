/**
 * `splam report <run-id | experiment>`: a static HTML page with PNG figures, written into the store
 * (`<store>/reports/<target>/index.html`), readable without plotly, a kernel or a network.
 *
 * A run's report, in reading order: the headline — a table and a figure of the student against the baselines at
 * each evaluated step count (lib/report/headline.ts: the deterministic chain beside DDIM and DPM-Solver++ for a
 * distillation run, FID rows for an image run); the training curves, one figure per metric against the training
 * step (loss and gradient norm never share an axis; per-bin families such as `diag/loss/<bin>` share one);
 * evaluation figures drawn on their own x (the one-jump error against the sub-path start, from eval.json); text
 * artifacts, record, params and artifacts; last, the raw summary collapsed in <details>. Every figure's plotly
 * JSON is kept beside the PNGs in `figures.json`. An experiment's
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
import { axis, colour } from '../viz/style.js';
import { isLcm, type GammaDistribution } from '../splam/gamma.js';
import { experimentHeadlineOf, headlineFigure, headlineOf, type Headline } from './headline.js';

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
h1{font-size:1.5em}caption{text-align:left;font-weight:600;padding-bottom:.3em}details>summary{cursor:pointer;color:#444}h2{font-size:1.2em;margin-top:1.8em}.meta{color:#666}
</style></head><body>
${body}
<p class="meta">written by <code>splam report</code> at ${esc(when(Date.now()))}</p>
</body></html>
`;
}

interface PendingFigure {
  file: string;
  title: string;
  /** What the figure is: the headline, a training curve (x = training step), an evaluation figure, an experiment's comparison. */
  kind: 'headline' | 'curve' | 'eval' | 'comparison' | 'parcoords';
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

/**
 * Write into a temporary folder, then swap it in: a crash never leaves a half-written report in place. Beside the
 * PNGs, `figures.json` holds every figure's plotly JSON (in page order), for a frontend with plotly and for tests.
 */
async function writeReport(dir: string, html: string, figs: PendingFigure[], opts: ReportOptions): Promise<void> {
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(tmp, { recursive: true });
  try {
    await renderAll(tmp, figs, opts);
    await writeFile(join(tmp, 'figures.json'), JSON.stringify(figs.map((f) => ({ file: f.file, title: f.title, kind: f.kind, figure: f.fig })), null, 1) + '\n');
    await writeFile(join(tmp, 'index.html'), html);
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

const figureHtml = (f: PendingFigure) => `<h3>${esc(f.title)}</h3><img src="${esc(f.file)}" alt="${esc(f.title)}">`;

/** How a metric key reads on an axis: `train/loss` → `training loss (…)`, `train/grad_norm` → `gradient norm (…)`. */
const AXIS_NAMES: Record<string, string> = {
  'train/loss': 'training loss (mean over the logging window)',
  'train/grad_norm': 'gradient norm (global L2 over all parameters)',
  'curve/fid': 'FID ↓',
  'curve/precision': 'precision ↑',
  'curve/recall': 'recall ↑',
};
export const axisName = (key: string) => AXIS_NAMES[key] ?? key;

/**
 * The curve figures of a run: one figure per metric, so quantities of different kinds and scales (loss and
 * gradient norm, FID and precision) never share an axis; a family of keys that differ only in their last segment
 * (`diag/loss/<bin>`, `diag/jump/t<t>`: one quantity per bin) shares one figure, at most `maxPerFigure` keys each.
 */
export function curveGroups(keys: readonly string[], maxPerFigure = 10): { title: string; metric: string; keys: string[] }[] {
  const families = new Map<string, string[]>();
  for (const k of keys) {
    const parts = k.split('/');
    const fam = parts.length >= 3 ? parts.slice(0, -1).join('/') + '/*' : k;
    const list = families.get(fam) ?? [];
    list.push(k);
    families.set(fam, list);
  }
  const out: { title: string; metric: string; keys: string[] }[] = [];
  for (const [fam, ks] of families) {
    const metric = fam.endsWith('/*') ? `${fam.slice(0, -2)} (per ${ks.length > 1 ? 'bin' : 'key'})` : axisName(fam);
    for (let i = 0; i < ks.length; i += maxPerFigure) {
      const part = ks.length > maxPerFigure ? ` (${i / maxPerFigure + 1})` : '';
      out.push({ title: (fam.endsWith('/*') ? fam.slice(0, -2) : fam) + part, metric, keys: ks.slice(i, i + maxPerFigure) });
    }
  }
  return out;
}

function headlineTable(h: Headline): string {
  const best = h.steps.map((_, j) => Math.min(...h.rows.map((r) => r.values[j] ?? Infinity)));
  const head = `<tr><th>method</th>${h.steps.map((s) => `<th>${s} step${s === 1 ? '' : 's'}</th>`).join('')}</tr>`;
  const body = h.rows
    .map((r) => `<tr><td>${esc(r.label)}</td>${r.values.map((v, j) => `<td>${v === null ? '—' : v === best[j] && h.rows.length > 1 ? `<strong>${esc(fmt(v))}</strong>` : esc(fmt(v))}</td>`).join('')}</tr>`)
    .join('');
  return `<table class="headline"><caption>${esc(h.metricLabel)} (lowest per column in bold)</caption><thead>${head}</thead><tbody>${body}</tbody></table>${h.notes.map((n) => `<p class="meta">${esc(n)}</p>`).join('')}`;
}

function studentName(rec: RunRecord): string {
  const params = rec.params as { kind?: string; objective?: { gamma?: GammaDistribution } };
  const gamma = params.objective?.gamma;
  if (params.kind === 'distill' || gamma) {
    try {
      return gamma && isLcm(gamma) ? 'LCM student' : 'SPLAM student';
    } catch {
      return 'student';
    }
  }
  return 'student';
}

async function readJsonArtifact(store: RunStore, rec: RunRecord, name: string): Promise<unknown> {
  if (!rec.artifacts.some((a) => a.name === name)) return undefined;
  try {
    return JSON.parse(Buffer.from(await store.readArtifact(rec.id, name)).toString('utf8'));
  } catch {
    return undefined;
  }
}

async function runReport(store: RunStore, rec: RunRecord, dir: string, opts: ReportOptions): Promise<ReportResult> {
  const series: MetricSeries[] = await store.readMetrics(rec.id);
  const max = opts.maxFigures ?? 24;
  const figs: PendingFigure[] = [];
  const add = (f: Omit<PendingFigure, 'file'>) => {
    if (figs.length < max) figs.push({ ...f, file: `fig-${figs.length + 1}.png` });
  };
  // 1. The headline: the student against the baselines at each step count.
  const headline = headlineOf(rec.summary, { student: studentName(rec) });
  if (headline) add({ title: `${headline.metricLabel} vs sampling steps`, kind: 'headline', fig: headlineFigure(headline, `${rec.name}: ${headline.metricLabel} vs sampling steps`) });
  // 2. Curves against the training step. Series logged against something else are drawn on their own x:
  //    eval/jump_error (by sub-path start, from eval.json), per-method series of the headline (by sampling steps).
  const evalJson = (await readJsonArtifact(store, rec, 'eval.json')) as { jumpErrors?: { t: number; error: number }[] } | undefined;
  const jumps = evalJson && Array.isArray(evalJson.jumpErrors) ? evalJson.jumpErrors.filter((j) => Number.isFinite(j?.t) && Number.isFinite(j?.error)) : [];
  const headlineMethods = new Set(headline?.rows.map((r) => r.method) ?? []);
  const notTrainingStep = (key: string) => key === 'eval/jump_error' || (key.includes('/') && headlineMethods.has(key.slice(0, key.lastIndexOf('/'))));
  const curveSeries = series.filter((s) => s.step.length > 0 && !notTrainingStep(s.key));
  const rank = (k: string) => (k === 'train/loss' ? 0 : k === 'train/grad_norm' ? 1 : k.startsWith('train/') ? 2 : 3);
  const keys = curveSeries.map((s) => s.key).sort((a, b) => rank(a) - rank(b));
  for (const g of curveGroups(keys)) {
    const ss = g.keys.map((k) => curveSeries.find((s) => s.key === k)!);
    const fig = trainingCurvesFigure(ss.map((s) => curveFromSeries(s, g.keys.length > 1 ? s.key.slice(s.key.lastIndexOf('/') + 1) : s.key)), { metric: g.metric, log: wantsLog(ss.flatMap((s) => s.value)), title: `${g.title} — ${rec.name}`, stepTitle: 'training step' });
    add({ title: g.title, kind: 'curve', fig });
  }
  if (jumps.length) {
    const sorted = [...jumps].sort((a, b) => a.t - b.t);
    add({
      title: 'one-jump error by sub-path start',
      kind: 'eval',
      fig: {
        data: [{ type: 'scatter', mode: 'lines+markers', name: 'student, one jump to the data end', x: sorted.map((j) => j.t), y: sorted.map((j) => j.error), line: { color: colour(0) } }],
        layout: {
          title: { text: `${rec.name}: one-jump error f(x*_t, t) → x*_0 after training` },
          xaxis: axis('sub-path start t (schedule step)'),
          yaxis: axis('one-jump error (RMS to the exact endpoint) ↓', wantsLog(sorted.map((j) => j.error))),
          hovermode: 'closest',
        },
      },
    });
  }
  const texts: string[] = [];
  for (const a of rec.artifacts.filter((x) => x.kind === 'text')) {
    const bytes = await store.readArtifact(rec.id, a.name);
    texts.push(`<h3>${esc(a.name)}</h3><pre>${esc(Buffer.from(bytes).toString('utf8').slice(0, 20000))}</pre>`);
  }
  const p = rec.provenance;
  const ofKind = (k: PendingFigure['kind']) => figs.filter((f) => f.kind === k);
  const summaryKeys = Object.keys(rec.summary).length;
  const body = [
    `<h1>Run ${esc(rec.name)} <span class="meta">${esc(rec.id)}</span></h1>`,
    `<p class="meta">${esc([rec.experiment && `experiment ${rec.experiment}`, rec.status + (rec.crashReason ? ` (${rec.crashReason})` : ''), duration(rec), `seed ${p.seed}`, p.gitCommit ? `commit ${p.gitCommit.slice(0, 12)}${p.gitDirty ? ' (dirty)' : ''}` : ''].filter(Boolean).join(' · '))}</p>`,
    `<h2>Headline</h2>`,
    headline ? `${headlineTable(headline)}\n${ofKind('headline').map(figureHtml).join('\n')}` : '<p>no per-step evaluation rows in this run\'s summary (keys &lt;method&gt;/steps&lt;n&gt;/&lt;metric&gt;)</p>',
    `<h2>Training curves</h2>${ofKind('curve').map(figureHtml).join('\n') || '<p>no metrics logged</p>'}`,
    ofKind('eval').length ? `<h2>Evaluation</h2>${ofKind('eval').map(figureHtml).join('\n')}` : '',
    texts.length ? `<h2>Text artifacts</h2>${texts.join('\n')}` : '',
    `<h2>Run record</h2>`,
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
    `<h2>Params</h2>${kv(flattenParams(rec.params))}`,
    `<h2>Artifacts</h2>${table(['name', 'kind', 'bytes'], rec.artifacts.map((a) => [a.name, a.kind, a.bytes]))}`,
    `<h2>Raw summary</h2>`,
    `<details class="summary"><summary>all ${summaryKeys} summary value${summaryKeys === 1 ? '' : 's'}</summary>${kv(rec.summary)}</details>`,
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
  // The headline first: every run's student against the baselines at each step count.
  const headline = experimentHeadlineOf(runs.map((r) => ({ id: r.id, name: r.name, summary: r.summary, student: studentName(r) })));
  if (headline) figs.push({ file: 'fig-1.png', title: `${headline.metricLabel} vs sampling steps`, kind: 'headline', fig: headlineFigure(headline, `${name}: ${headline.metricLabel} vs sampling steps`) });
  const seriesOf = await Promise.all(runs.map((r) => store.readMetrics(r.id)));
  const metricKeys = [...new Set(seriesOf.flatMap((ss) => ss.filter((s) => s.step.length > 1).map((s) => s.key)))];
  for (const key of metricKeys) {
    if (figs.length >= (opts.maxFigures ?? 24) - 1) break;
    const c = compareMetric(key, runs, seriesOf.map((ss) => ss.find((s) => s.key === key)));
    if (!c.steps.length) continue;
    const vals = c.values.flat().filter((v): v is number => v !== null);
    figs.push({ file: `fig-${figs.length + 1}.png`, title: key, kind: 'comparison', fig: comparisonFigure(c, { log: wantsLog(vals), title: key, metric: axisName(key), stepTitle: 'training step' }) });
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
    figs.push({ file: `fig-${figs.length + 1}.png`, title: `parameters → ${color}`, kind: 'parcoords', fig: parallelCoordinatesFigure(rows, { dimensions: [...short, color], color, title: `${name}: parameters → ${color}` }) });
  }
  const cols = varying.slice(0, 8);
  const runRows = runs.map((r, i) => [r.id, r.name, r.status, duration(r), ...diffKeys.slice(0, 6).map((k) => diff[k][i]), ...cols.map((k) => r.summary[k])]);
  const body = [
    `<h1>Experiment ${esc(name)}</h1>`,
    `<p>${runs.length} run${runs.length === 1 ? '' : 's'}; params that differ: ${esc(diffKeys.join(', ') || 'none')}</p>`,
    ...(headline ? ['<h2>Headline</h2>', headlineTable(headline), ...figs.filter((f) => f.kind === 'headline').map(figureHtml)] : []),
    '<h2>Runs</h2>',
    table(['id', 'name', 'status', 'duration', ...diffKeys.slice(0, 6), ...cols], runRows),
    `<h2>Figures</h2>${figs.filter((f) => f.kind !== 'headline').map(figureHtml).join('\n') || '<p>no metric series to compare</p>'}`,
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
