/**
 * Where a few-step chain goes wrong, recorded as a run: for n noises x_T (the few-step table's seed and
 * class-balanced labels) and each latent student, the n-step deterministic chain (implied noise, lib/splam/sampler.ts)
 * at the inference times τ_0 > … > τ_{n−1}, and at each τ_i:
 *   - `drift`: the RMS distance (scaled latent space, mean over samples) between the chain's state x_i and the
 *     teacher's guided DDIM trajectory from the same x_T at τ_i (how far off the teacher's trajectory the chain is);
 *   - `on`: the one-jump error of f(·, τ_i, γ = 1) from the teacher's own trajectory point, against the teacher's
 *     endpoint from x_T (the error distillation trains);
 *   - `own`: the one-jump error of f(x_i, τ_i, γ = 1) from the chain's own state, against the teacher's DDIM endpoint
 *     from that state (the teacher re-solved from x_i: the error the chain meets off the teacher's trajectory).
 * Teacher solves: DDIM with `--ddim` steps over [τ, 0] (default 40), guided at the students' w.
 *   node --import tsx scripts/chain-errors.ts a.ckpt b.ckpt … [--n 500] [--steps 4] [--ddim 40]
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
import { disposeParams } from '../lib/nn/params.js';
import { cOut, cSkip } from '../lib/splam/boundary.js';
import { solverGrid } from '../lib/splam/grid.js';
import { lcmTimesteps } from '../lib/splam/sampler.js';
import { openStore, withRun } from '../lib/track/index.js';

const args = process.argv.slice(2);
const opt = (k: string, d: number) => (args.includes(k) ? Number(args[args.indexOf(k) + 1]) : d);
const n = opt('--n', 500);
const steps = opt('--steps', 4);
const ddimSteps = opt('--ddim', 40);
const files = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--')));
if (!files.length || ![n, steps, ddimSteps].every((v) => Number.isInteger(v) && v >= 2)) {
  console.error('usage: chain-errors.ts <student.ckpt>... [--n 500] [--steps 4] [--ddim 40] (integers ≥ 2)');
  process.exit(2);
}

const backend = await initBackend();
const students = files.map((f) => ({ file: f, ck: readModelFile(f, 'latent-unet') }));
const teacherFile = students[0].ck.meta.teacher ?? 'models/latent-teacher-fmnist.ckpt';
const w = students[0].ck.meta.guidance?.w ?? 0;
const tck = readModelFile(teacherFile, 'latent-unet');
const schedule = makeSchedule(tck.meta.schedule);
const teacher = loadLatentUnet(tck, makeRng(0)).net;
const den = guidedNetDenoiser(teacher, w);
const noise = latentNoise(n, [7, 7, 4], 10, 1000);
const cond = { labels: noise.labels };
const xT = tf.tensor4d(noise.xT, noise.shape);
const taus = lcmTimesteps(solverGrid(schedule.N, students[0].ck.meta.numDdimTimesteps ?? 50), steps);

/** The teacher's guided DDIM from x at time τ to 0 (`ddimSteps` uniform steps). */
const teacherFrom = (x: tf.Tensor, tau: number) => SOLVERS.ddim(den, schedule, x, timeGrid(schedule, ddimSteps, { tStart: tau }), { cond }).x;
/** The teacher's trajectory from x_T, read at each τ_i: DDIM over [τ_0, τ_1], then [τ_1, τ_2], … (ddimSteps per piece). */
const onTraj: tf.Tensor[] = [xT];
for (let i = 1; i < taus.length; i++) onTraj.push(SOLVERS.ddim(den, schedule, onTraj[i - 1], timeGrid(schedule, ddimSteps, { tStart: taus[i - 1], tEnd: taus[i] }), { cond }).x);
const endpoint = teacherFrom(onTraj[onTraj.length - 1], taus[taus.length - 1]);

const jump = (net: EpsNet, x: tf.Tensor, t: number) =>
  tf.tidy(() => {
    const eps = netGammaModel(net)(x, tf.fill([n], t) as tf.Tensor1D, tf.ones([n]) as tf.Tensor1D, cond);
    const x0 = x.sub(eps.mul(schedule.sigma(t))).div(schedule.alpha(t));
    return { y: x.mul(cSkip(t)).add(x0.mul(cOut(t))), eps };
  });
const rms = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => a.sub(b).square().mean([1, 2, 3]).sqrt().mean().dataSync()[0]);

type Row = { student: string; tau: number; drift: number; on: number; own: number };
const rows: Row[] = [];
for (const s of students) {
  const net = loadLatentUnet(s.ck, makeRng(0)).net;
  const label = s.ck.meta.method ? `${s.ck.meta.method} (${s.file})` : s.file;
  let x: tf.Tensor = xT;
  for (let i = 0; i < taus.length; i++) {
    const tau = taus[i];
    const own = jump(net, x, tau);
    const ref = i === 0 ? endpoint : teacherFrom(x, tau);
    const on = i === 0 ? own.y : jump(net, onTraj[i], tau).y;
    rows.push({ student: label, tau, drift: rms(x, onTraj[i]), on: rms(on, endpoint), own: rms(own.y, ref) });
    if (i + 1 < taus.length) {
      const next = taus[i + 1];
      // The implied noise ε̂ = (x − α_τ·f)/σ_τ, then x ← α_τ′·f + σ_τ′·ε̂ (the sampler's `implied` branch).
      const nx = tf.tidy(() => own.y.mul(schedule.alpha(next)).add(x.sub(own.y.mul(schedule.alpha(tau))).div(schedule.sigma(tau)).mul(schedule.sigma(next))));
      if (x !== xT) x.dispose();
      x = nx;
    }
    tf.dispose([own.y, own.eps, ...(i === 0 ? [] : [ref, on])]);
  }
  if (x !== xT) x.dispose();
  disposeParams(net.params);
}

const report = [
  `the ${steps}-step deterministic chain against the teacher's guided (w = ${w}) DDIM (${ddimSteps} steps per solve), n = ${n}, RMS in scaled latent space`,
  `${'student'.padEnd(60)} ${'τ'.padStart(5)} ${'drift'.padStart(8)} ${'on'.padStart(8)} ${'own'.padStart(8)}`,
  ...rows.map((r) => `${r.student.slice(0, 60).padEnd(60)} ${String(r.tau).padStart(5)} ${r.drift.toFixed(4).padStart(8)} ${r.on.toFixed(4).padStart(8)} ${r.own.toFixed(4).padStart(8)}`),
].join('\n');
console.log(report);

const store = await openStore();
try {
  await withRun(store, { experiment: 'image-tier', name: 'chain errors', params: { students: files, teacher: teacherFile, n, steps, ddimSteps, w, taus }, backend, seed: 1000 }, async (run) => {
    const summary: Record<string, number> = {};
    rows.forEach((r) => {
      const j = files.findIndex((f) => r.student.includes(f));
      for (const k of ['drift', 'on', 'own'] as const) summary[`student${j}/tau${r.tau}/${k}`] = r[k];
    });
    await run.setSummary(summary);
    await run.logArtifact('report.txt', report + '\n', { kind: 'text' });
    await run.logArtifact('rows.json', JSON.stringify(rows, null, 2) + '\n', { kind: 'json' });
    console.log(`\nrecorded as run ${run.id}`);
  });
} finally {
  await store.close();
  tf.dispose([xT, endpoint, ...onTraj.slice(1)]);
}
