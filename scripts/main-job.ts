/**
 * The main job of `bash scripts/setup.sh` (README "Quick start"): three distillation runs on the exact ring2d teacher
 * — LCM, SPLAM as the official code writes it, and SPLAM with the two switches of README §3.1 (matched
 * conditioning, half of each batch at γ = 1) — recorded in the store, then one table beside DDIM and
 * DPM-Solver++(2M) on the exact teacher at 1/2/4/8 steps, where each run is, and what to open next.
 *   node --import tsx scripts/main-job.ts [--store dir] [--quick]
 * `--quick` trains 200 steps instead of 2,000 (a smoke test, not the README's numbers).
 */
import { runConfigFile } from '../lib/experiments/runner.js';

const arg = (k: string) => (process.argv.indexOf(k) > 0 ? process.argv[process.argv.indexOf(k) + 1] : undefined);
const storeDir = arg('--store');
const quick = process.argv.includes('--quick');
const STUDENTS = [
  { label: 'LCM student (γ ≡ 1)', file: 'experiments/ring2d-lcm.json' },
  { label: 'SPLAM student, the official code', file: 'experiments/ring2d-splam.json' },
  { label: 'SPLAM student, matched + p = 0.5 (§3.1)', file: 'experiments/ring2d-splam-matched.json' },
];
const STEPS = [1, 2, 4, 8];

const runs: { label: string; id: string; summary: Record<string, number> }[] = [];
for (const [i, s] of STUDENTS.entries()) {
  process.stderr.write(`main job ${i + 1}/${STUDENTS.length}: ${s.label} (${s.file}) … `);
  const t0 = Date.now();
  const r = await runConfigFile(s.file, { storeDir, overrides: quick ? ['train.steps=200', 'train.checkpointEvery=100', 'eval.samples=500'] : [] });
  process.stderr.write(`run ${r.runId}, ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  runs.push({ label: s.label, id: r.runId, summary: r.summary });
}

const v = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '—' : x.toPrecision(3));
const sameNoise = (s: Record<string, number>, prefix: string, n: number) => s[`${prefix === 'student' && n > 1 ? 'student-det' : prefix}/steps${n}/sameNoiseMean`];
const rows: string[][] = [
  ...runs.map((r) => [r.label, ...STEPS.map((n) => v(sameNoise(r.summary, 'student', n))), v(r.summary['student/steps4/sw2']), v(r.summary['train/loss_final'])]),
  ...[
    ['DDIM on the exact teacher', 'ddim'],
    ['DPM-Solver++(2M) on the exact teacher', 'dpmpp2m'],
  ].map(([label, key]) => [label, ...STEPS.map((n) => v(sameNoise(runs[0].summary, key, n))), v(runs[0].summary[`${key}/steps4/sw2`]), '']),
];
const head = ['method', ...STEPS.map((n) => `${n} step${n > 1 ? 's' : ''}`), 'SW2 (4 steps)', 'final loss'];
const width = head.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
const line = (c: string[]) => c.map((x, j) => (j === 0 ? x.padEnd(width[j]) : x.padStart(width[j]))).join('  ').trimEnd();
console.log(`\nring2d (8 Gaussians on a circle), ${quick ? '200 (quick)' : '2,000'} training steps per student, ${quick ? 500 : 2000} fixed evaluation noises\n`);
console.log([line(head), line(head.map((_, j) => '-'.repeat(width[j]))), ...rows.map(line)].join('\n'));
console.log(`
columns:
  1–8 steps      same-noise RMS error to the exact PF-ODE endpoint of the same noise (↓ lower is better); students: the
                 1-step map, then the deterministic chain of n jumps; solvers: n steps of the exact teacher's PF-ODE
  SW2 (4 steps)  sliced Wasserstein-2 distance of 4-step samples (students: LCM sampler, fresh noise) to the exact
                 endpoints (↓)
  final loss     the student's consistency loss, mean of the last logging window (the number the progress line shows)
runs:`);
for (const r of runs) console.log(`  ${r.label.padEnd(width[0])}  ${r.id}`);
const store = storeDir ? ` --store ${storeDir}` : '';
console.log(`
next:
  splam runs compare ${runs.map((r) => r.id).join(' ')} --prefix student-det/${store}
  splam report ${runs[2].id}${store}          (an HTML report with the figures)
  splam notebook run --quick                  (execute the ten notebooks; copies in notebooks/executed/)`);
