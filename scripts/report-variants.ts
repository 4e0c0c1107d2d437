/**
 * The README's SPLAM-variant tables (README §3.1), built from the run store — no number is typed by hand:
 *   node --import tsx scripts/report-variants.ts [--store dir] [--json out.json] [--records runs.jsonl] > /tmp/variants.md
 * Runs: finished runs named `v-<data>-<variant>[-<suffix>]-s<seed>` (scripts/splam-variants.sh). A group is a name
 * without its seed; each is compared with LCM of the same data and suffix (same budget, skip and lr).
 * `--json`: the tables' numbers by group. An existing file is merged: groups this store has replace theirs, the others
 * (recorded in an earlier session's store, which the repository does not hold) are kept as they are.
 * `--records`: one JSON line per run of the tables (id, name, config, the student/teacher summary, provenance), merged
 * the same way, so every run id a table names resolves to its config and numbers without the store.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { openStore } from '../lib/track/index.js';
import type { RunRecord } from '../lib/track/types.js';

const arg = (k: string) => (process.argv.indexOf(k) > 0 ? process.argv[process.argv.indexOf(k) + 1] : undefined);
const store = await openStore(arg('--store'), { create: false });
const finished = await store.listRuns({ status: 'finished', orderBy: 'attributes.created ASC' });
const all = finished.filter((r) => /^v-.+-s\d+$/.test(r.name));
const series = new Map<string, Map<string, { step: number[]; value: number[] }>>();
for (const r of all) series.set(r.id, new Map((await store.readMetrics(r.id)).map((m) => [m.key, m])));
const teacherRun = finished.filter((r) => r.name === 'teacher-fid-5k').pop();
await store.close();

const groupOf = (r: RunRecord) => r.name.replace(/-s\d+$/, '').replace(/^v-/, '');
const groups = new Map<string, RunRecord[]>();
for (const r of all) groups.set(groupOf(r), [...(groups.get(groupOf(r)) ?? []), r]);
const num = (r: RunRecord, k: string) => (typeof r.summary[k] === 'number' && Number.isFinite(r.summary[k]) ? r.summary[k] : undefined);
const stats = (v: number[]) => {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  return { m, sd: Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(v.length - 1, 1)), n: v.length };
};
const fmt = (v: number) => (Math.abs(v) >= 100 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : v.toPrecision(3));
const mean = (rs: RunRecord[], k: string) => {
  const v = rs.map((r) => num(r, k)).filter((x): x is number => x !== undefined);
  return v.length ? stats(v) : undefined;
};
const cell = (rs: RunRecord[], k: string) => {
  const s = mean(rs, k);
  return s ? (s.n > 1 ? `${fmt(s.m)} ± ${fmt(s.sd)}` : fmt(s.m)) : '—';
};
const sameNoise = (n: number) => (n > 1 ? `student-det/steps${n}/sameNoiseMean` : 'student/steps1/sameNoiseMean');
const STEPS = [1, 2, 4, 8];
const out: string[] = [];
const json: Record<string, unknown> = {};

// Toys: one table per data set; rows are groups; ratios against LCM of the same data and suffix.
const VARIANT_ORDER = ['lcm', 'lcm-zero', 'lcm-w', 'splam', 'p50-w', 'matched-p50-w', 'p25', 'p50', 'matched', 'matched-p50', 'matched-p25', 'curriculum', 'matched-curriculum', 'matched-p50-smooth', 'matched-p50-linear', 'p50-zero', 'matched-zero', 'matched-p50-zero'];
const LABEL: Record<string, string> = {
  lcm: 'LCM (γ ≡ 1)',
  splam: 'SPLAM, the code (γ ~ U[0, 1], code conditioning)',
  p25: 'γ mixture p = 0.25',
  p50: 'γ mixture p = 0.5',
  matched: 'matched conditioning, γ ~ U[0, 1]',
  'matched-p50': 'matched + γ mixture p = 0.5',
  'matched-p25': 'matched + γ mixture p = 0.25',
  curriculum: 'curriculum γ ~ U[lo, 1], lo 0 → 1',
  'matched-curriculum': 'matched + curriculum lo 0 → 1',
  'matched-p50-smooth': 'matched + p = 0.5 + smooth γ-embedding (scale 1)',
  'matched-p50-linear': 'matched + p = 0.5 + linear σ_γ',
  'lcm-w': "LCM + LCM's w-embedding (w ~ U[0, 4], sampled at w = 2)",
  'p50-w': "γ mixture p = 0.5 + LCM's w-embedding (w ~ U[0, 4], sampled at w = 2)",
  'matched-p50-w': "matched + p = 0.5 + LCM's w-embedding (w ~ U[0, 4], sampled at w = 2)",
  'lcm-zero': 'LCM, zero γ-projection (starts at the teacher)',
  'p50-zero': 'γ mixture p = 0.5, zero γ-projection',
  'matched-zero': 'matched, γ ~ U[0, 1], zero γ-projection',
  'matched-p50-zero': 'matched + p = 0.5, zero γ-projection',
};
const parse = (g: string) => {
  const m = /^(ring2d|gmm16d|cond2d|fmnist)-(.+?)(-(k\d+|8k|lr[\d.e-]+))?$/.exec(g);
  return m ? { data: m[1], variant: m[2], suffix: m[4] ?? '' } : undefined;
};
for (const data of ['ring2d', 'gmm16d', 'cond2d']) {
  const suffixes = [...new Set([...groups.keys()].map(parse).filter((p) => p && p.data === data).map((p) => p!.suffix))].sort();
  for (const suffix of suffixes) {
    const rowsOf = (v: string) => groups.get(`${data}-${v}${suffix ? '-' + suffix : ''}`);
    const present = VARIANT_ORDER.filter((v) => rowsOf(v));
    if (!present.length) continue;
    const budget = rowsOf(present[0])![0].params as any;
    const k = 1000 / budget.objective.numDdimTimesteps;
    out.push(`\n**${data}, k = ${k}, ${budget.train.steps} steps, lr ${budget.train.lr}** — same-noise RMS error to the exact PF-ODE endpoint (1 step, then the deterministic chain of n jumps), SW2 at 4 steps (fresh noise), high-quality fraction at 4 steps; mean ± std over seeds; ratio = variant / LCM (of the same γ-projection init) at 2 and 4 steps\n`);
    out.push('| variant | seeds | 1 step | 2 steps | 4 steps | 8 steps | SW2 (4) | coverage (4) | HQ (4) | ratio 2 / 4 | runs |');
    out.push('|---|--:|---|---|---|---|---|---|---|---|---|');
    for (const v of present) {
      const rs = rowsOf(v)!;
      // The LCM of the same init: a zero γ-projection variant against LCM with a zero γ-projection.
      const lcm = v.endsWith('-zero') && rowsOf('lcm-zero') ? rowsOf('lcm-zero') : rowsOf('lcm');
      const ratio = (n: number) => {
        const a = mean(rs, sameNoise(n));
        const b = lcm && mean(lcm, sameNoise(n));
        return a && b ? a.m / b.m : NaN;
      };
      const r2 = ratio(2), r4 = ratio(4);
      json[`${data}${suffix ? '-' + suffix : ''}/${v}`] = {
        seeds: rs.length,
        k,
        trainSteps: budget.train.steps,
        lr: budget.train.lr,
        ratio2: r2,
        ratio4: r4,
        sameNoise: STEPS.map((n) => mean(rs, sameNoise(n))),
        sw2: STEPS.map((n) => mean(rs, `student/steps${n}/sw2`)),
        coverage: STEPS.map((n) => mean(rs, `student/steps${n}/coverage`)),
        highQuality: STEPS.map((n) => mean(rs, `student/steps${n}/highQuality`)),
        runs: rs.map((r) => r.id),
      };
      out.push(`| ${LABEL[v] ?? v} | ${rs.length} | ${STEPS.map((n) => cell(rs, sameNoise(n))).join(' | ')} | ${cell(rs, 'student/steps4/sw2')} | ${cell(rs, 'student/steps4/coverage')} | ${cell(rs, 'student/steps4/highQuality')} | ${v === 'lcm' || v === 'lcm-zero' ? '1 / 1' : `${fmt(r2)} / ${fmt(r4)}`} | ${rs.map((r) => r.id).join(' ')} |`);
    }
  }
}

// Diagnostics (ring2d k = 20, seed 0; the latent tier, seed 0): loss, gradient norm and LCM cosine by γ bin, and the γ = 1 one-jump error over training.
const diagTable = (name: string) => {
  const r = all.find((x) => x.name === name);
  if (!r) return;
  const s = series.get(r.id)!;
  const at = (k: string, step: number) => {
    const m = s.get(k);
    if (!m) return '—';
    const i = m.step.indexOf(step);
    return i < 0 ? '—' : fmt(m.value[i]);
  };
  const steps = s.get('diag/loss/lcm')?.step ?? [];
  if (!steps.length) return;
  const show = [...new Set([steps[0], steps[1], steps[Math.floor(steps.length / 2)], steps[steps.length - 1]])];
  out.push(`\n**Diagnostics of ${name}** (run ${r.id}): per γ bin, loss / ‖∇‖ / cos with LCM's gradient; then the γ = 1 one-jump error at t = 999, 759, 499\n`);
  const bins = ['g1', 'g0.00-0.25', 'g0.25-0.50', 'g0.50-0.75', 'g0.75-1.00', 't750-999', 't0-249'];
  out.push(`| step | ${bins.join(' | ')} | LCM loss / ‖∇‖ | jump t999 | t759 | t499 |`);
  out.push(`|--:|${bins.map(() => '---').join('|')}|---|---|---|---|`);
  for (const st of show) {
    out.push(`| ${st} | ${bins.map((b) => (s.has(`diag/loss/${b}`) ? `${at(`diag/loss/${b}`, st)} / ${at(`diag/grad/${b}`, st)} / ${at(`diag/cos/${b}`, st)}` : '—')).join(' | ')} | ${at('diag/loss/lcm', st)} / ${at('diag/grad/lcm', st)} | ${at('diag/jump/t999', st)} | ${at('diag/jump/t759', st)} | ${at('diag/jump/t499', st)} |`);
  }
};
for (const n of ['v-ring2d-lcm-s0', 'v-ring2d-splam-s0', 'v-ring2d-matched-s0', 'v-ring2d-p50-s0', 'v-ring2d-matched-p50-s0', 'v-fmnist-lcm-s0', 'v-fmnist-splam-s0', 'v-fmnist-matched-p50-s0']) diagTable(n);

// Latent tier: FID / precision / recall at 1–8 steps (5,000 samples), the teacher's DDIM on the same noises, the FID curve.
const LATENT = ['lcm', 'lcm-w', 'splam', 'matched-p50', 'matched-p25', 'matched-p50-w', 'matched-p50-linear'];
// A latent row's label: a w-embedding variant names its training range and sampling w from its config (the latent
// runs use their own range around the table's w, not the toys' U[0, 4]).
const latentLabel = (v: string, rs: RunRecord[], w?: number) => {
  const p = rs[0].params as { student?: { wEmbed?: { dim: number; min: number; max: number } }; guidance: { w: number } };
  const we = p.student?.wEmbed;
  if (!we || !(we.dim > 0)) return LABEL[v] ?? v;
  const base = v === 'lcm-w' ? 'LCM (γ ≡ 1)' : v === 'matched-p50-w' ? 'matched + p = 0.5' : (LABEL[v] ?? v);
  return `${base} + LCM's w-embedding (w ~ U[${we.min}, ${we.max}], sampled at w = ${w ?? p.guidance.w})`;
};
/** The further sampling w of a w-embedding run (`eval.w` without the default `guidance.w`). */
const otherWs = (rs: RunRecord[]) => {
  const p = rs[0].params as { guidance: { w: number }; eval: { w?: number[] } };
  return (p.eval.w ?? []).filter((w) => w !== p.guidance.w);
};
type TeacherJson = Record<string, { fid?: number } | string | undefined> & { run?: string };
const earlierTeacher = arg('--json') && existsSync(arg('--json')!) ? (JSON.parse(readFileSync(arg('--json')!, 'utf8'))['fmnist/teacher-ddim'] as TeacherJson | undefined) : undefined;
/** The teacher's DDIM FID at n steps (5,000 samples): this store's teacher run, else the one recorded in --json. */
const teacherAt = (n: number): { fid: number; run: string } | undefined => {
  const own = teacherRun?.summary[`teacher_ddim_w_1/steps${n}/fid`];
  if (teacherRun && typeof own === 'number') return { fid: own, run: teacherRun.id };
  const e = earlierTeacher?.[`steps${n}`] as { fid?: number } | undefined;
  return e?.fid !== undefined && earlierTeacher?.run ? { fid: e.fid, run: earlierTeacher.run } : undefined;
};
const teacher50 = teacherAt(50);
for (const suffix of ['', '-2k', '-4k', '-k100']) {
  const latent = LATENT.filter((v) => groups.has(`fmnist-${v}${suffix}`));
  if (!latent.length) continue;
  const p0 = groups.get(`fmnist-${latent[0]}${suffix}`)![0].params as { objective: { numDdimTimesteps: number }; train: { steps: number } };
  const k = 1000 / p0.objective.numDdimTimesteps;
  const setting = `k = ${k}, ${p0.train.steps} training steps`;
  out.push(`\n**Fashion-MNIST latents (SPLAD), ${setting}, 5,000 samples, FID / precision / recall**, mean ± std over seeds\n`);
  out.push(`| method | seeds | ${STEPS.map((n) => `${n} step${n > 1 ? 's' : ''}`).join(' | ')} | runs |`);
  out.push(`|---|--:|${STEPS.map(() => '---').join('|')}|---|`);
  if (teacherRun && suffix === '') {
    const row = (n: number) => ['fid', 'precision', 'recall'].map((m) => (typeof teacherRun.summary[`teacher_ddim_w_1/steps${n}/${m}`] === 'number' ? fmt(teacherRun.summary[`teacher_ddim_w_1/steps${n}/${m}`]) : '—')).join(' / ');
    out.push(`| teacher DDIM, w = 1 (NFE 2n) | 1 | ${STEPS.map(row).join(' | ')} | ${teacherRun.id} (50 steps: ${row(50)}) |`);
    json['fmnist/teacher-ddim'] = Object.fromEntries([...STEPS, 50].map((n) => [`steps${n}`, Object.fromEntries(['fid', 'precision', 'recall'].map((m) => [m, teacherRun.summary[`teacher_ddim_w_1/steps${n}/${m}`]]))]).concat([['run', teacherRun.id] as never]));
  }
  /** One table row (FID / precision / recall at each step count from `key`) and its JSON entry `fmnist<suffix>/<id>`. */
  const latentRow = (rs: RunRecord[], key: (n: number, m: string) => string, id: string, labels: { table: string; json: string }, extra: Record<string, unknown>) => {
    out.push(`| ${labels.table} | ${rs.length} | ${STEPS.map((n) => ['fid', 'precision', 'recall'].map((m) => cell(rs, key(n, m))).join(' / ')).join(' | ')} | ${rs.map((r) => r.id).join(' ')} |`);
    json[`fmnist${suffix}/${id}`] = { k, ...extra, label: labels.json, fid: STEPS.map((n) => mean(rs, key(n, 'fid'))), precision: STEPS.map((n) => mean(rs, key(n, 'precision'))), recall: STEPS.map((n) => mean(rs, key(n, 'recall'))), runs: rs.map((r) => r.id) };
  };
  for (const v of latent) {
    const rs = groups.get(`fmnist-${v}${suffix}`)!;
    // The default sampling w (`student/steps<n>/…`), then each further `eval.w` (`student/w<w>/steps<n>/…`).
    for (const w of [undefined, ...otherWs(rs)]) {
      const label = latentLabel(v, rs, w);
      latentRow(rs, (n, m) => (w === undefined ? `student/steps${n}/${m}` : `student/w${w}/steps${n}/${m}`), `${v}${w === undefined ? '' : `@w${w}`}`, { table: label, json: label }, w === undefined ? {} : { w });
    }
  }
  // The same students under the deterministic chain (`eval.noise` with `implied`: `student-det/steps<n>/…`; 1 step is
  // the same sample under either re-noising).
  const detKey = (n: number, m: string) => `student-det/steps${n}/${m}`;
  for (const v of latent) {
    const rs = groups.get(`fmnist-${v}${suffix}`)!;
    if (!mean(rs, detKey(2, 'fid'))) continue;
    latentRow(rs, detKey, `${v}@det`, { table: `${latentLabel(v, rs)} — **implied noise** (deterministic chain)`, json: `${latentLabel(v, rs)}, implied noise` }, { noise: 'implied' });
  }
  out.push(`\n**FID at 4 steps (1,000 samples) over training, ${setting}**, mean over seeds; "implied" rows: the same students under the deterministic chain\n`);
  const curveOf = (v: string, key = 'curve/fid') => {
    const rs = groups.get(`fmnist-${v}${suffix}`)!;
    const cs = rs.map((r) => series.get(r.id)!.get(key)).filter((c): c is { step: number[]; value: number[] } => !!c);
    if (!cs.length) return undefined;
    const steps = cs[0].step;
    return { steps, fid: steps.map((st) => stats(cs.map((c) => c.value[c.step.indexOf(st)]).filter(Number.isFinite)).m) };
  };
  const curves = latent.map((v) => [v, curveOf(v)] as const).filter(([, c]) => c);
  const detCurves = latent.map((v) => [v, curveOf(v, 'curve-det/fid')] as const).filter(([, c]) => c);
  if (curves.length) {
    const steps = curves[0][1]!.steps;
    out.push(`| method | ${steps.join(' | ')} |`);
    out.push(`|---|${steps.map(() => '--:').join('|')}|`);
    for (const [v, c] of curves) out.push(`| ${latentLabel(v, groups.get(`fmnist-${v}${suffix}`)!)} | ${c!.fid.map(fmt).join(' | ')} |`);
    for (const [v, c] of detCurves) out.push(`| ${latentLabel(v, groups.get(`fmnist-${v}${suffix}`)!)} — implied | ${c!.fid.map(fmt).join(' | ')} |`);
    if (suffix === '') json.curves = Object.fromEntries(curves);
    else json[`curves${suffix}`] = Object.fromEntries(curves);
    if (detCurves.length) json[`curves-det${suffix}`] = Object.fromEntries(detCurves);
  }
  // The latent goals: 4-step FID ÷ the teacher's DDIM-50 FID (this store's teacher run, else the one recorded in
  // --json) and ÷ LCM's; the first curve step at or below LCM's final curve FID; the step counts not worse than the
  // teacher's DDIM at as many steps.
  const lcmRows = groups.get(`fmnist-lcm${suffix}`);
  if (lcmRows) {
    // Each sampler's goals against LCM under the same sampler; "÷ LCM's best" against LCM's lower 4-step FID of the two.
    const samplers = [
      { name: 'fresh noise (LCM sampler)', key: 'student', curves, tag: '' },
      { name: 'implied noise (deterministic chain)', key: 'student-det', curves: detCurves, tag: '@det' },
    ].filter((sm) => mean(lcmRows, `${sm.key}/steps4/fid`));
    const lcmBest4 = Math.min(...samplers.map((sm) => mean(lcmRows, `${sm.key}/steps4/fid`)!.m));
    out.push(`\n**Goals, ${setting}**: 4-step FID (5,000 samples) ÷ the teacher's DDIM-50 FID${teacher50 ? ` (${fmt(teacher50.fid)}, run ${teacher50.run})` : ''}, ÷ LCM's 4-step FID under the same sampler and ÷ LCM's best 4-step FID under either (${fmt(lcmBest4)}); first curve step with FID ≤ LCM's final curve FID under the same sampler ("none" = not within the run); the step counts (of ${STEPS.join(', ')}) at which the student's FID is at most the teacher's DDIM FID at the same number of steps\n`);
    out.push("| method | sampler | 4-step FID | ÷ teacher DDIM-50 | ÷ LCM (same sampler) | ÷ LCM's best | first step ≤ LCM final | steps ≤ teacher DDIM |");
    out.push('|---|---|--:|--:|--:|--:|--:|---|');
    for (const sm of samplers) {
      const lcm4 = mean(lcmRows, `${sm.key}/steps4/fid`)!.m;
      const lcmCurve = sm.curves.find(([v]) => v === 'lcm')?.[1];
      const lcmFinal = lcmCurve?.fid[lcmCurve.fid.length - 1];
      const firstAtOrBelow = (c: { steps: number[]; fid: number[] } | undefined) => (c && lcmFinal !== undefined ? (c.steps.find((st, i) => c.fid[i] <= lcmFinal) ?? null) : undefined);
      for (const v of latent) {
        const rs = groups.get(`fmnist-${v}${suffix}`)!;
        const f4 = mean(rs, `${sm.key}/steps4/fid`);
        if (!f4) continue;
        const reach = firstAtOrBelow(sm.curves.find(([x]) => x === v)?.[1]);
        // One step is the same sample under either sampler (no re-noising), so the fresh key serves both.
        const fidAt = (n: number) => mean(rs, n === 1 ? 'student/steps1/fid' : `${sm.key}/steps${n}/fid`)?.m;
        const notWorse = STEPS.filter((n) => {
          const t = teacherAt(n);
          const f = fidAt(n);
          return t !== undefined && f !== undefined && f <= t.fid;
        });
        const goal = { sampler: sm.key, fid4: f4.m, overTeacher50: teacher50 ? f4.m / teacher50.fid : null, overLcm: f4.m / lcm4, overLcmBest: f4.m / lcmBest4, firstStepAtLcmFinal: reach ?? null, lcmFinalCurveFid: lcmFinal ?? null, stepsNotWorseThanTeacher: notWorse, teacherRun: teacher50?.run ?? null };
        json[`fmnist${suffix}/goals/${v}${sm.tag}`] = goal;
        out.push(`| ${latentLabel(v, rs)} | ${sm.name} | ${fmt(f4.m)} | ${goal.overTeacher50 === null ? '—' : fmt(goal.overTeacher50)} | ${fmt(goal.overLcm)} | ${fmt(goal.overLcmBest)} | ${reach === undefined ? '—' : reach === null ? 'none' : reach} | ${notWorse.length ? notWorse.join(', ') : 'none'} |`);
      }
    }
  }
}
// The ratio summary: one row per toy setting (data, skip, budget, lr), a column per main variant: ratio 2 / 4 steps.
{
  const cols = ['splam', 'p50', 'matched-p50', 'matched-p50-linear', 'lcm-w', 'matched-p50-w', 'p50-zero', 'matched-p50-zero'];
  const settings = [...new Set(Object.keys(json).filter((k) => /^(ring2d|gmm16d|cond2d)/.test(k)).map((k) => k.split('/')[0]))];
  const used = cols.filter((c) => settings.some((st) => json[`${st}/${c}`]));
  const head: string[] = ['\n**Ratio to LCM of the same setting (2-step / 4-step same-noise error of the deterministic chain; goal ≤ 0.8 / 0.8)**; LCM of the zero-γ-projection rows is LCM with a zero γ-projection\n'];
  const SHORT: Record<string, string> = { splam: 'SPLAM (code)', p50: 'p = 0.5', 'matched-p50': 'matched, p = 0.5', 'matched-p50-linear': 'matched, p = 0.5, linear σ_γ', 'lcm-w': 'LCM + w-emb.', 'matched-p50-w': 'matched, p = 0.5 + w-emb.', 'p50-zero': 'p = 0.5, zero γ-proj.', 'matched-p50-zero': 'matched, p = 0.5, zero γ-proj.' };
  head.push(`| setting | LCM 2 / 4 steps | ${used.map((c) => SHORT[c]).join(' | ')} |`);
  head.push(`|---|---|${used.map(() => '---').join('|')}|`);
  for (const st of settings) {
    const seeds = Object.entries(json).filter(([k]) => k.startsWith(`${st}/`)).map(([, v]) => (v as { seeds: number }).seeds);
    const lcm = (json[`${st}/lcm`] ?? json[`${st}/lcm-zero`]) as { k: number; trainSteps: number; lr: number; sameNoise: { m: number }[] } | undefined;
    if (!lcm) continue;
    const cell = (c: string) => {
      const e = json[`${st}/${c}`] as { ratio2: number; ratio4: number } | undefined;
      return e ? `${fmt(e.ratio2)} / ${fmt(e.ratio4)}` : '';
    };
    head.push(`| ${st.split('-')[0]}, k = ${lcm.k}, ${lcm.trainSteps} steps, lr ${lcm.lr} (${Math.min(...seeds)}${Math.max(...seeds) > Math.min(...seeds) ? `–${Math.max(...seeds)}` : ''} seeds) | ${fmt(lcm.sameNoise[1].m)} / ${fmt(lcm.sameNoise[2].m)} | ${used.map(cell).join(' | ')} |`);
  }
  out.unshift(...head);
}
console.log(out.join('\n'));
const jsonOut = arg('--json');
if (jsonOut) {
  const earlier: Record<string, unknown> = existsSync(jsonOut) ? JSON.parse(readFileSync(jsonOut, 'utf8')) : {};
  const curves = { ...((earlier.curves as object) ?? {}), ...((json.curves as object) ?? {}) };
  writeFileSync(jsonOut, JSON.stringify({ ...earlier, ...json, curves }, null, 2) + '\n');
}
const recordsOut = arg('--records');
if (recordsOut) {
  const keep = (k: string) => /^(student|student-det|teacher_[^/]+|ddim|dpmpp2m)\/.*\/(sameNoiseMean|sw2|coverage|highQuality|fid|precision|recall)$/.test(k) || k === 'train/loss_final' || k === 'train/steps';
  const line = (r: RunRecord) =>
    JSON.stringify({ id: r.id, name: r.name, experiment: r.experiment, createdAt: r.createdAt, config: r.params, summary: Object.fromEntries(Object.entries(r.summary).filter(([k]) => keep(k))), gitCommit: r.provenance.gitCommit, gitDirty: r.provenance.gitDirty, backend: r.provenance.backend?.name ?? null, host: r.host });
  const mine = [...all, ...(teacherRun ? [teacherRun] : [])];
  const ids = new Set(mine.map((r) => r.id));
  const earlier = existsSync(recordsOut) ? readFileSync(recordsOut, 'utf8').split('\n').filter((l) => l && !ids.has(JSON.parse(l).id)) : [];
  writeFileSync(recordsOut, [...earlier, ...mine.map(line)].join('\n') + '\n');
}
