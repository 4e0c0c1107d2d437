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
import { initBackend } from '../lib/backend.js';
import { makeRng } from '../lib/data/rng.js';
import { timeGrid } from '../lib/diffusion/grids.js';
import { makeSchedule } from '../lib/diffusion/schedules.js';
import { SOLVERS } from '../lib/diffusion/solvers/index.js';
import { latentNoise } from '../lib/experiments/latent-sampling.js';
import { loadLatentUnet, readModelFile } from '../lib/experiments/model-files.js';
import { guidedNetDenoiser, netGammaModel, type EpsNet } from '../lib/nn/eps-net.js';
import { cOut, cSkip } from '../lib/splam/boundary.js';
import { openStore, withRun } from '../lib/track/index.js';

const args = process.argv.slice(2);
const nAt = args.indexOf('--n');
const n = nAt >= 0 ? Number(args[nAt + 1]) : 200;
const files = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1] === '--n'));
if (!files.length || !Number.isInteger(n) || n < 2) {
  console.error('usage: latent-jump-errors.ts <student.ckpt>... [--n 200]');
  process.exit(2);
}

const backend = await initBackend();
const students = files.map((f) => ({ file: f, ck: readModelFile(f, 'latent-unet') }));
const teacherFile = students[0].ck.meta.teacher ?? 'models/latent-teacher-fmnist.ckpt';
const w = students[0].ck.meta.guidance?.w ?? 0;
const tck = readModelFile(teacherFile, 'latent-unet');
const schedule = makeSchedule(tck.meta.schedule);
const teacher = loadLatentUnet(tck, makeRng(0)).net;
const nets = students.map((s) => loadLatentUnet(s.ck, makeRng(0)).net);
const noise = latentNoise(n, [7, 7, 4], 10, 1000);
const xT = tf.tensor4d(noise.xT, noise.shape);
const cond = { labels: noise.labels };
const ts = timeGrid(schedule, 50);
const sol = SOLVERS.ddim(guidedNetDenoiser(teacher, w), schedule, xT, ts, { cond, returnTrajectory: true });

/** f(x, t, γ = 1) of a γ-conditioned net (for the teacher, γ is ignored: its x̂_0 through the same boundary map). */
const jump = (net: EpsNet, x: tf.Tensor, t: number) =>
  tf.tidy(() => {
    const eps = netGammaModel(net)(x, tf.fill([n], t) as tf.Tensor1D, tf.ones([n]) as tf.Tensor1D, cond);
    const x0 = x.sub(eps.mul(schedule.sigma(t))).div(schedule.alpha(t));
    return x.mul(cSkip(t)).add(x0.mul(cOut(t)));
  });
const rms = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => a.sub(b).square().mean([1, 2, 3]).sqrt().mean().dataSync()[0]);

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
