/**
 * One-jump errors of latent students, recorded as a run: for n noises x_T (the few-step table's seed and
 * class-balanced labels), the teacher's guided 50-step DDIM trajectory x_t and endpoint x*_0; then, at eleven
 * points t of that trajectory, the RMS distance (scaled latent space, mean over samples) between x*_0 and
 *   - the teacher's own x̂_0 = (x_t − σ_t·ε_c)/α_t (conditional ε, what a student starts from: "init"),
 *   - each student's consistency map f(x_t, t, γ = 1) = c_skip(t)·x_t + c_out(t)·(x_t − σ_t·ε_θ)/α_t.
 * A distillation that works lowers the error below "init" at every t.
 *   node --import tsx scripts/latent-jump-errors.ts models/splad-splam-fmnist.ckpt models/splad-lcm-fmnist.ckpt [--n 200]
 */
import * as tf from '@tensorflow/tfjs';
import { makeRng } from '../lib/data/rng.js';
import { timeGrid } from '../lib/diffusion/grids.js';
import { SOLVERS } from '../lib/diffusion/solvers/index.js';
import { loadLatentUnet } from '../lib/experiments/model-files.js';
import { guidedNetDenoiser } from '../lib/nn/eps-net.js';
import { openStore, withRun } from '../lib/track/index.js';
import { openLatentProbe, rms } from './latent-probe.js';

const args = process.argv.slice(2);
const nAt = args.indexOf('--n');
const n = nAt >= 0 ? Number(args[nAt + 1]) : 200;
const files = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1] === '--n'));
if (!files.length || !Number.isInteger(n) || n < 2) {
  console.error('usage: latent-jump-errors.ts <student.ckpt>... [--n 200]');
  process.exit(2);
}

const { backend, students, teacherFile, w, schedule, teacher, xT, cond, jump } = await openLatentProbe(files, n);
const nets = students.map((s) => loadLatentUnet(s.ck, makeRng(0)).net);
const ts = timeGrid(schedule, 50);
const sol = SOLVERS.ddim(guidedNetDenoiser(teacher, w), schedule, xT, ts, { cond, returnTrajectory: true });

const labels = ['init (teacher x̂₀)', ...students.map((s) => `${s.ck.meta.method ?? s.file} (${s.file})`)];
const rows: { t: number; errors: number[] }[] = [];
for (const i of [0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 49]) {
  const xt = sol.trajectory![i];
  rows.push({ t: ts[i], errors: [teacher, ...nets].map((net) => { const y = jump(net, xt, ts[i]); const e = rms(y, sol.x); y.dispose(); return e; }) });
}
const report = [
  `one-jump RMS error to the teacher's guided (w = ${w}) 50-step DDIM endpoint, n = ${n}, scaled latent space`,
  ['t'.padStart(5), ...labels.map((l) => l.slice(0, 28).padStart(28))].join(' '),
  ...rows.map((r) => [r.t.toFixed(0).padStart(5), ...r.errors.map((e) => e.toFixed(4).padStart(28))].join(' ')),
].join('\n');
console.log(report);

const store = await openStore();
try {
  await withRun(store, { experiment: 'image-tier', name: 'latent jump errors', params: { students: files, teacher: teacherFile, n, w }, backend, seed: 1000 }, async (run) => {
    rows.forEach((r, k) => labels.forEach((l, j) => run.logMetric(`jump_error/${j === 0 ? 'init' : (students[j - 1].ck.meta.method ?? `student${j}`).toLowerCase()}`, r.errors[j], k)));
    const summary: Record<string, number> = {};
    labels.forEach((_, j) => (summary[`jump_error_mean/${j === 0 ? 'init' : (students[j - 1].ck.meta.method ?? `student${j}`).toLowerCase()}`] = rows.reduce((a, r) => a + r.errors[j], 0) / rows.length));
    await run.setSummary(summary);
    await run.logArtifact('report.txt', report + '\n', { kind: 'text' });
    console.log(`\nrecorded as run ${run.id}`);
  });
} finally {
  await store.close();
  tf.dispose([xT, sol.x, ...(sol.trajectory ?? [])]);
}
