/**
 * `splam report` of a run reads at a glance: it leads with a headline figure and table (the
 * student's deterministic chain against DDIM and DPM-Solver++ at 1/2/4/8 steps; FID rows for an image run),
 * then curves with named axes — loss and gradient norm never on one axis, curves against the training step —
 * and puts the raw summary last, collapsed in <details>. Asserted on the report's HTML and figures.json.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runConfigFile } from '../../lib/experiments/runner.js';
import { spladSummaryOf } from '../../lib/experiments/splad/run.js';
import { openStore } from '../../lib/track/index.js';
import { curveGroups, writeRunReport } from '../../lib/report/build.js';
import { experimentHeadlineOf, headlineOf } from '../../lib/report/headline.js';
import type { Figure, ScatterTrace } from '../../lib/viz/types.js';
import { NO_GIT, ROOT, tempDir } from '../track/helpers.js';

interface FigureEntry {
  file: string;
  title: string;
  kind: string;
  figure: Figure;
}
const figuresOf = (dir: string): FigureEntry[] => JSON.parse(readFileSync(path.join(dir, 'figures.json'), 'utf8'));
const traces = (f: Figure) => f.data as ScatterTrace[];

let distill: Promise<{ store: string; runId: string }> | undefined;
const shared = tempDir('splam-report-headline-'); // made at load: removed after the file, not after the first test
/** One tiny distillation run (shared by the tests below), evaluated at 1/2/4/8 steps. */
function distillRun(): Promise<{ store: string; runId: string }> {
  distill ??= (async () => {
    const store = path.join(shared, 'store');
    const r = await runConfigFile(path.join(ROOT, 'experiments/quick/distill.json'), {
      storeDir: store,
      overrides: ['train.steps=6', 'train.logEvery=2', 'train.checkpointEvery=6', 'eval.samples=16', 'eval.steps=[1,2,4,8]', 'eval.referenceSubsteps=10'],
    });
    return { store, runId: r.runId };
  })();
  return distill;
}

async function reportOf(storeDir: string, id: string) {
  const store = await openStore(storeDir);
  try {
    const r = await writeRunReport(store, id);
    const rec = r.kind === 'run' ? await store.getRun(id) : (await store.listRuns({ experiment: id }))[0];
    return { r, rec, html: readFileSync(r.html, 'utf8'), figs: figuresOf(r.dir) };
  } finally {
    await store.close();
  }
}

test('a distillation run report leads with the headline: the deterministic chain against DDIM and DPM-Solver++ at 1/2/4/8 steps', async () => {
  const { store, runId } = await distillRun();
  const { r, rec, html, figs } = await reportOf(store, runId);
  assert.equal(figs[0].kind, 'headline', `first figure is the headline (got ${figs.map((f) => f.kind).join(', ')})`);
  assert.equal(r.figures[0], figs[0].file);
  const firstImg = /<img src="([^"]+)"/.exec(html)?.[1];
  assert.equal(firstImg, figs[0].file, 'the first image on the page is the headline');
  const h = figs[0].figure;
  const byName = new Map(traces(h).map((t) => [t.name, t]));
  const chain = [...byName.keys()].find((n) => /deterministic chain/.test(n));
  assert.ok(chain, `a deterministic-chain trace (got ${[...byName.keys()].join(' | ')})`);
  assert.ok(byName.has('DDIM on the exact teacher') && byName.has('DPM-Solver++(2M) on the exact teacher'), [...byName.keys()].join(' | '));
  assert.ok(![...byName.keys()].some((n) => /fresh noise/.test(n)), 'the fresh-noise sampler is not in the same-noise headline');
  const s = rec.summary;
  assert.deepEqual(byName.get(chain)!.x, [1, 2, 4, 8]);
  assert.deepEqual(byName.get(chain)!.y, [s['student/steps1/sameNoiseMean'], s['student-det/steps2/sameNoiseMean'], s['student-det/steps4/sameNoiseMean'], s['student-det/steps8/sameNoiseMean']]);
  assert.deepEqual(byName.get('DDIM on the exact teacher')!.y, [1, 2, 4, 8].map((n) => s[`ddim/steps${n}/sameNoiseMean`]));
  assert.equal(h.layout.xaxis?.title.text, 'sampling steps');
  assert.match(h.layout.yaxis?.title.text ?? '', /same-noise error/);
  // The table: under the Headline heading, before the curves, one column per step count.
  const headAt = html.indexOf('<h2>Headline</h2>');
  const tableAt = html.indexOf('<table class="headline">');
  assert.ok(headAt >= 0 && tableAt > headAt && tableAt < html.indexOf('<h2>Training curves</h2>'), 'headline table first');
  const tableHtml = html.slice(tableAt, html.indexOf('</table>', tableAt));
  for (const n of ['1 step', '2 steps', '4 steps', '8 steps']) assert.ok(tableHtml.includes(`<th>${n}</th>`), n);
  assert.match(tableHtml, /deterministic chain/);
  assert.match(tableHtml, /DPM-Solver\+\+\(2M\) on the exact teacher/);
});

test('a run report draws loss and gradient norm on separate figures, every axis titled, curves against the training step', async () => {
  const { store, runId } = await distillRun();
  const { figs } = await reportOf(store, runId);
  const keysOf = (f: FigureEntry) => traces(f.figure).map((t) => t.name);
  const loss = figs.filter((f) => keysOf(f).includes('train/loss'));
  const grad = figs.filter((f) => keysOf(f).includes('train/grad_norm'));
  assert.equal(loss.length, 1, 'train/loss drawn once');
  assert.equal(grad.length, 1, 'train/grad_norm drawn once');
  assert.notEqual(loss[0].file, grad[0].file, 'loss and gradient norm are not in one figure');
  assert.match(loss[0].figure.layout.yaxis!.title.text, /loss/);
  assert.match(grad[0].figure.layout.yaxis!.title.text, /gradient norm/);
  for (const f of figs) {
    const l = f.figure.layout;
    assert.ok(l.xaxis?.title.text && l.yaxis?.title.text, `${f.title}: both axes have titles`);
    if (f.kind === 'curve') assert.equal(l.xaxis!.title.text, 'training step', f.title);
  }
  // eval/jump_error is logged by sub-path index, not training step: drawn against the sub-path start t instead.
  assert.ok(!figs.some((f) => f.kind === 'curve' && keysOf(f).includes('eval/jump_error')), 'jump error not drawn as a training curve');
  const jump = figs.find((f) => f.kind === 'eval');
  assert.ok(jump, 'the one-jump error figure');
  assert.match(jump.figure.layout.xaxis!.title.text, /sub-path start t/);
});

test('a run report puts the raw summary last, collapsed in <details>, after every figure', async () => {
  const { store, runId } = await distillRun();
  const { html, rec } = await reportOf(store, runId);
  const details = html.indexOf('<details class="summary">');
  assert.ok(details > 0, 'the summary is in <details>');
  assert.ok(!/<details[^>]*\bopen\b/.test(html), 'collapsed');
  assert.ok(details > html.lastIndexOf('<img '), 'after the figures');
  assert.ok(details > html.indexOf('<h2>Params</h2>'), 'after the params');
  const inside = html.slice(details, html.indexOf('</details>', details));
  assert.ok(inside.includes('<td>train/loss_final</td>') && inside.includes('<td>ddim/steps8/sameNoiseMean</td>'), 'the raw summary is inside');
  const before = html.slice(0, details);
  assert.ok(!before.includes('<td>ddim/steps8/sameNoiseMean</td>'), 'and not shown raw before it');
  assert.ok(Object.keys(rec.summary).length > 10);
});

test('an image run (SPLAD summary keys) leads with FID rows; its FID curve is against the training step, apart from precision', async () => {
  const dir = tempDir('splad-report-');
  const store = await openStore(dir);
  let id = '';
  try {
    const run = await store.startRun({ experiment: 'img', name: 'splad tiny', params: { kind: 'splad', objective: { gamma: { kind: 'fixed', value: 0.5 } } }, seed: 0, provenance: NO_GIT });
    for (let i = 0; i <= 20; i += 5) run.logMetrics({ 'train/loss': 1 / (1 + i), 'train/grad_norm': 10 / (1 + i), 'curve/fid': 200 - 5 * i, 'curve/precision': 0.2 + i / 100, 'curve/recall': 0.1 + i / 200 }, i);
    const rows = [1, 2, 4, 8].map((steps) => ({ method: 'SPLAD', steps, nfe: steps, fid: 100 / steps, precision: 0.5, recall: 0.4, n: 100, samplePer1000: 1, decodePer1000: 1 }));
    await run.finish({ 'train/loss_final': 0.05, ...spladSummaryOf(rows, undefined), 'floor/fid': 3.5 });
    id = run.id;
  } finally {
    await store.close();
  }
  const { html, figs } = await reportOf(dir, id);
  assert.equal(figs[0].kind, 'headline');
  assert.match(figs[0].figure.layout.yaxis!.title.text, /FID/);
  assert.deepEqual(traces(figs[0].figure)[0].x, [1, 2, 4, 8]);
  assert.deepEqual(traces(figs[0].figure)[0].y, [100, 50, 25, 12.5]);
  assert.match(html, /data floor[^<]*FID 3\.500/);
  const fid = figs.find((f) => traces(f.figure).some((t) => t.name === 'curve/fid'))!;
  assert.equal(fid.kind, 'curve');
  assert.equal(fid.figure.layout.xaxis!.title.text, 'training step');
  assert.ok(!traces(fid.figure).some((t) => t.name === 'curve/precision'), 'FID and precision on separate axes');
});

test('curve groups: one figure per metric; only a family of per-bin keys shares one; headlineOf reads the summary', () => {
  assert.deepEqual(
    curveGroups(['train/loss', 'train/grad_norm', 'diag/loss/g0', 'diag/loss/g1', 'diag/grad/g0']).map((g) => g.keys),
    [['train/loss'], ['train/grad_norm'], ['diag/loss/g0', 'diag/loss/g1'], ['diag/grad/g0']],
  );
  const h = headlineOf({ 'student/steps1/sameNoiseMean': 0.5, 'student/steps2/sameNoiseMean': 9, 'student-det/steps2/sameNoiseMean': 0.3, 'ddim/steps1/sameNoiseMean': 2, 'ddim/steps2/sameNoiseMean': 1, 'dpmpp2m/steps2/sameNoiseMean': 0.2, 'euler/steps1/sameNoiseMean': 3 });
  assert.ok(h);
  assert.deepEqual(h.steps, [1, 2]);
  assert.deepEqual(h.rows.map((r) => r.method), ['student', 'ddim', 'dpmpp2m', 'euler']);
  assert.deepEqual(h.rows[0].values, [0.5, 0.3], 'the deterministic chain, not the fresh-noise sampler (9)');
  assert.deepEqual(h.rows[2].values, [null, 0.2]);
  assert.equal(headlineOf({ 'train/loss_final': 1 }), null);
});

test('an experiment report leads with the headline too: each run\'s student, the shared baselines once', async () => {
  const { store } = await distillRun();
  const { r, html, figs } = await reportOf(store, 'quick');
  assert.equal(r.kind, 'experiment');
  assert.equal(figs[0].kind, 'headline');
  assert.equal(/<img src="([^"]+)"/.exec(html)?.[1], figs[0].file);
  assert.ok(html.indexOf('<table class="headline">') < html.indexOf('<h2>Runs</h2>'));
  for (const f of figs.filter((x) => x.kind === 'comparison')) assert.equal(f.figure.layout.xaxis!.title.text, 'training step', f.title);
  const s = (chain: number, ddim: number) => ({ 'student/steps1/sameNoiseMean': chain, 'student-det/steps2/sameNoiseMean': chain / 2, 'ddim/steps1/sameNoiseMean': ddim, 'ddim/steps2/sameNoiseMean': ddim / 2 });
  const h = experimentHeadlineOf([
    { id: 'a', name: 'lcm', summary: s(1, 3), student: 'LCM student' },
    { id: 'b', name: 'splam', summary: s(2, 3), student: 'SPLAM student' },
  ]);
  assert.ok(h);
  assert.deepEqual(h.rows.map((x) => x.label), ['lcm: LCM student, deterministic chain', 'splam: SPLAM student, deterministic chain', 'DDIM on the exact teacher']);
  assert.deepEqual(h.rows[1].values, [2, 1]);
});
