/**
 * Builds the README's distillation tables from the run store (no number is typed by hand):
 *   node --import tsx scripts/report-distill.ts [--store dir] > /tmp/tables.md
 * Main table: finished sweep runs (tagged `sweep`) of experiments distill-<dataset>, grouped by method (LCM = γ ≡ 1 without γ-embedding),
 * mean ± std over seeds, with the run ids. Ablations: experiment ablation-ring2d, grouped by the sweep point
 * without its seed; the main ring2d runs with seeds 0 and 1 are the reference rows.
 */
import { openStore } from '../lib/track/index.js';
import type { RunRecord } from '../lib/track/types.js';

const storeArg = process.argv.indexOf('--store');
const store = await openStore(storeArg > 0 ? process.argv[storeArg + 1] : undefined, { create: false });
// Only sweep points count: pilots and one-off runs in the same experiments are left out.
const runs = (await store.listRuns({ status: 'finished', orderBy: 'attributes.created ASC' })).filter((r) => r.tags.sweep !== undefined);
await store.close();

const STEPS = [1, 2, 4, 8];
const num = (r: RunRecord, key: string): number | undefined => {
  const v = r.summary[key] as unknown;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
};
const stats = (vals: number[]) => {
  const m = vals.reduce((a, b) => a + b, 0) / vals.length;
  const sd = Math.sqrt(vals.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(vals.length - 1, 1));
  return { m, sd, n: vals.length };
};
const fmt = (v: number) => (Math.abs(v) >= 100 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : v.toPrecision(3));
const cell = (rs: RunRecord[], key: string) => {
  const vals = rs.map((r) => num(r, key)).filter((v): v is number => v !== undefined);
  if (!vals.length) return '—';
  const s = stats(vals);
  return s.n > 1 ? `${fmt(s.m)} ± ${fmt(s.sd)}` : fmt(s.m);
};
const params = (r: RunRecord) => r.params as Record<string, any>;
const isLcm = (r: RunRecord) => params(r).objective?.gamma?.kind === 'fixed' && params(r).objective?.gamma?.value === 1;
/** LCM, LCM without the γ-projection (the student starts exactly at the teacher), or SPLAM. */
const methodOf = (r: RunRecord) => (isLcm(r) ? (params(r).student?.gammaEmbedDim === 0 ? 'LCM (no γ-projection)' : 'LCM') : 'SPLAM');
/** Same-noise error key: the 1-step map, or the deterministic chain for n > 1. */
const sameNoiseKey = (method: string, n: number) => (method === 'student' && n > 1 ? `student-det/steps${n}/sameNoiseMean` : `${method}/steps${n}/sameNoiseMean`);

const out: string[] = [];
const datasets = ['ring2d', 'gmm16d', 'cond2d'];
const metrics: [string, string, (m: string, n: number) => string][] = [
  ['same-noise RMS error to the exact PF-ODE endpoint (student: 1 step, then the deterministic chain of n jumps)', 'sameNoise', sameNoiseKey],
  ['sliced W2 to the exact endpoints (student: LCM multistep sampler, fresh noise)', 'sw2', (m, n) => `${m}/steps${n}/sw2`],
  ['mode coverage (modes receiving ≥ 10% of their share) / high-quality fraction (within 3σ of a mode)', 'hq', (m, n) => `${m}/steps${n}/coverage|${m}/steps${n}/highQuality`],
];
for (const [title, , keyOf] of metrics) {
  out.push(`\n**${title}**, mean ± std over seeds\n`);
  out.push(`| data | method | ${STEPS.map((n) => `${n} step${n > 1 ? 's' : ''}`).join(' | ')} |`);
  out.push(`|---|---|${STEPS.map(() => '---').join('|')}|`);
  for (const ds of datasets) {
    const main = runs.filter((r) => r.experiment === `distill-${ds}`);
    if (!main.length) continue;
    const groups: [string, RunRecord[], string][] = [
      ...['LCM', 'SPLAM', 'LCM (no γ-projection)'].map((m): [string, RunRecord[], string] => [m, main.filter((r) => methodOf(r) === m), 'student']),
      ['DDIM (exact teacher)', main.slice(0, 1), 'ddim'],
      ['DPM-Solver++(2M) (exact teacher)', main.slice(0, 1), 'dpmpp2m'],
    ];
    for (const [label, rs, method] of groups) {
      if (!rs.length) continue;
      const cells = STEPS.map((n) => {
        const key = keyOf(method, n);
        if (key.includes('|')) return key.split('|').map((k) => cell(rs, k)).join(' / ');
        return cell(rs, key);
      });
      out.push(`| ${ds} | ${label}${method === 'student' ? ` (${rs.length} seeds)` : ''} | ${cells.join(' | ')} |`);
    }
  }
}
out.push('\nRuns (`splam runs show <id>`):');
for (const ds of datasets) {
  const main = runs.filter((r) => r.experiment === `distill-${ds}`);
  if (!main.length) continue;
  const ids = (m: string) => main.filter((r) => methodOf(r) === m).map((r) => r.id).join(', ');
  out.push(`- ${ds}: ${['LCM', 'SPLAM', 'LCM (no γ-projection)'].filter((m) => ids(m)).map((m) => `${m} ${ids(m)}`).join('; ')}`);
}

// Ablations on ring2d.
const abl = runs.filter((r) => r.experiment === 'ablation-ring2d');
if (abl.length) {
  const refs = runs.filter((r) => r.experiment === 'distill-ring2d' && [0, 1].includes(params(r).seed));
  const groups = new Map<string, RunRecord[]>();
  const add = (key: string, r: RunRecord) => groups.set(key, [...(groups.get(key) ?? []), r]);
  for (const r of refs) add(`${methodOf(r)}: defaults (k = 20, L2, EMA μ = 0.95${isLcm(r) ? '' : ', γ ~ U[0, 1], σ_γ rss, random γ-projection init, γ-embedding scale 1000'})`, r);
  // Variant = the sweep's name suffix (ring2d-<method>-<variant>) plus its swept values other than the seed.
  const VARIANTS: Record<string, string> = {
    k: '',
    huber: 'pseudo-Huber loss, c = 0.001',
    ema: '',
    gamma: '',
    linear: 'σ_γ linear (DDIM-exact)',
    zeroinit: 'γ-projection zero-initialised',
    noemb: 'no γ-embedding',
    long: '8,000 training steps',
    embscale: 'γ-embedding scale 1 (code: 1000)',
  };
  for (const r of abl) {
    const m = /^ring2d-(?:lcm|splam)-([a-z]+)(?:\[(.*)\])?$/.exec(r.name);
    const variant = m ? (VARIANTS[m[1]] ?? m[1]) : r.name;
    const point = (m?.[2] ?? '')
      .replace(/(^|,)seed=\d+/, '')
      .replace(/^,/, '')
      .replace(/objective\.numDdimTimesteps=(\d+)/, (_, n) => `skip k = ${1000 / Number(n)}`)
      .replace(/objective\.emaMu=/, 'EMA μ = ')
      .replace(/objective\.gamma=\{"kind":"power","p":([\d.]+)\}/, (_, p) => `γ = U^(1/${p}) (${Number(p) > 1 ? 'skewed to 1' : 'skewed to 0'})`);
    add(`${methodOf(r)}: ${[variant, point].filter(Boolean).join(', ')}`, r);
  }
  const cols: [string, string][] = [
    ['1-step same-noise', 'student/steps1/sameNoiseMean'],
    ['4-jump chain same-noise', 'student-det/steps4/sameNoiseMean'],
    ['4-step SW2', 'student/steps4/sw2'],
    ['4-step high-quality', 'student/steps4/highQuality'],
    ['one-jump error (mean over t)', 'eval/jump_error_mean'],
    ['final loss', 'train/loss_final'],
  ];
  out.push('\n**Ablations on ring2d** (2 seeds each, mean ± std; 2,000 steps, batch 256)\n');
  out.push(`| variant | ${cols.map((c) => c[0]).join(' | ')} | runs |`);
  out.push(`|---|${cols.map(() => '---').join('|')}|---|`);
  for (const [label, rs] of [...groups].sort((a, b) => a[0].localeCompare(b[0]))) {
    out.push(`| ${label} | ${cols.map(([, k]) => cell(rs, k)).join(' | ')} | ${rs.map((r) => r.id).join(' ')} |`);
  }
}
process.stdout.write(out.join('\n') + '\n');
