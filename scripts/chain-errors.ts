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
import { makeRng } from '../lib/data/rng.js';
import { timeGrid } from '../lib/diffusion/grids.js';
import { SOLVERS } from '../lib/diffusion/solvers/index.js';
import { loadLatentUnet } from '../lib/experiments/model-files.js';
import { guidedNetDenoiser, netGammaModel } from '../lib/nn/eps-net.js';
import { disposeParams } from '../lib/nn/params.js';
import { solverGrid } from '../lib/splam/grid.js';
import { lcmSample, lcmTimesteps } from '../lib/splam/sampler.js';
import { openStore, withRun } from '../lib/track/index.js';
import { openLatentProbe, rms } from './latent-probe.js';

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

const { backend, students, teacherFile, w, schedule, teacher, xT, cond, jump } = await openLatentProbe(files, n);
const den = guidedNetDenoiser(teacher, w);
const taus = lcmTimesteps(solverGrid(schedule.N, students[0].ck.meta.numDdimTimesteps ?? 50), steps);

/** The teacher's guided DDIM from x at time τ to 0 (`ddimSteps` uniform steps). */
const teacherFrom = (x: tf.Tensor, tau: number) => SOLVERS.ddim(den, schedule, x, timeGrid(schedule, ddimSteps, { tStart: tau }), { cond }).x;
/** The teacher's trajectory from x_T, read at each τ_i: DDIM over [τ_0, τ_1], then [τ_1, τ_2], … (ddimSteps per piece). */
const onTraj: tf.Tensor[] = [xT];
for (let i = 1; i < taus.length; i++) onTraj.push(SOLVERS.ddim(den, schedule, onTraj[i - 1], timeGrid(schedule, ddimSteps, { tStart: taus[i - 1], tEnd: taus[i] }), { cond }).x);
const endpoint = teacherFrom(onTraj[onTraj.length - 1], taus[taus.length - 1]);

type Row = { student: string; tau: number; drift: number; on: number; own: number };
const rows: Row[] = [];
for (const s of students) {
  const net = loadLatentUnet(s.ck, makeRng(0)).net;
  const label = s.ck.meta.method ? `${s.ck.meta.method} (${s.file})` : s.file;
  // The chain as the sampler runs it (lib/splam/sampler.ts, implied noise): each step's state x_i and f(x_i, τ_i).
  const states: tf.Tensor[] = [];
  const own: tf.Tensor[] = [];
  const onStep = ({ x, denoised }: { x: tf.Tensor; denoised: tf.Tensor }) => {
    states.push(x.clone());
    own.push(denoised.clone());
  };
  const out = lcmSample(netGammaModel(net), schedule, xT, taus, { rng: makeRng(0), cond, noise: 'implied', onStep });
  for (let i = 0; i < taus.length; i++) {
    const tau = taus[i];
    const ref = i === 0 ? endpoint : teacherFrom(states[i], tau);
    const on = i === 0 ? own[0] : jump(net, onTraj[i], tau);
    rows.push({ student: label, tau, drift: rms(states[i], onTraj[i]), on: rms(on, endpoint), own: rms(own[i], ref) });
    if (i > 0) tf.dispose([ref, on]);
  }
  tf.dispose([out.x, ...states, ...own]);
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
