/**
 * The student's error at initialisation as a function of γ (README §3.1, "Diagnosis"): a student initialised from the
 * teacher has not learnt to read γ, so it predicts ε̂ as the teacher would at its input. On SPLAM batches with γ fixed,
 * measure ‖f_student(x_{γ,t}) − x̂_0‖ (RMS per element), where x̂_0 is the training teacher's clean estimate at x_t —
 * the clean end every point of the DDIM line shares — under the code's conditioning and the noise-level-matched one,
 * beside the prediction (σ_t − σ_γ)/α_t·‖ε̂‖ of the code's mis-scaling. Rows: ring2d with the exact teacher as the
 * student, ring2d with the committed learned teacher (models/teacher-ring2d.ckpt, the real init) and the
 * Fashion-MNIST latent teacher (models/latent-teacher-fmnist.ckpt, guided at w = 1) on 512 training latents.
 *   node --import tsx scripts/diagnose-init.ts [--out file.json]
 */
import { writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/backend.js';
import { makeRng } from '../lib/data/rng.js';
import { gatherRows, loadFashionMnist } from '../lib/data/fashion-mnist.js';
import { makeSchedule, type Schedule } from '../lib/diffusion/schedules.js';
import type { Denoiser } from '../lib/diffusion/types.js';
import { netDenoiser } from '../lib/nn/eps-net.js';
import { guidedNetDenoiser } from '../lib/nn/eps-net.js';
import { solverGrid } from '../lib/splam/grid.js';
import { disposeBatch, prepareSplamBatch, studentPrediction } from '../lib/splam/objective.js';
import type { GammaEpsModel } from '../lib/diffusion/types.js';
import { makeExperimentData } from '../lib/experiments/mixture-data.js';
import { loadNet, readNetCheckpoint } from '../lib/train/net-checkpoint.js';
import { loadAutoencoder, loadLatentUnet, readModelFile } from '../lib/experiments/model-files.js';
import { latentSet } from '../lib/experiments/latent-sampling.js';

await initBackend();
const GAMMAS = [0, 0.25, 0.5, 0.75, 1];
type Row = { case: string; conditioning: string; gamma: number; errHigh: number; expectedHigh: number; errAll: number };
const rows: Row[] = [];

function measure(name: string, x0: tf.Tensor, labels: number[] | undefined, teacher: Denoiser<any>, student: Denoiser<any>, schedule: Schedule) {
  const asStudent: GammaEpsModel<any> = (x, t, _g, c) => student(x, t, c);
  const cond = labels ? { labels } : undefined;
  for (const conditioning of ['code', 'matched'] as const) {
    for (const gamma of GAMMAS) {
      const b = prepareSplamBatch({ x0, cond, teacher, target: asStudent, schedule, objective: { grid: solverGrid(schedule.N, 50), gamma: { kind: 'fixed', value: gamma }, sigmaGammaForm: 'rss', loss: { kind: 'l2' }, conditioning }, rng: makeRng(11) });
      const r = tf.tidy(() => {
        const col = (v: tf.Tensor1D) => v.reshape([-1, ...new Array(x0.rank - 1).fill(1)]);
        const epsT = teacher(b.xT, b.tTensor, cond);
        const ref = b.xT.sub(epsT.mul(col(b.sigmaT))).div(col(b.alphaT));
        const flat = (t: tf.Tensor) => t.reshape([t.shape[0], -1]);
        const err = flat(studentPrediction(asStudent, b).sub(ref)).square().mean(1).sqrt();
        const expected = b.sigmaT.sub(b.sigmaGamma).div(b.alphaT).mul(flat(epsT).square().mean(1).sqrt());
        return { err: err.arraySync() as number[], expected: expected.arraySync() as number[] };
      });
      const hi = b.t.flatMap((t, i) => (t >= 750 ? [i] : []));
      const mean = (a: number[], idx: number[]) => idx.reduce((s, i) => s + a[i], 0) / idx.length;
      rows.push({ case: name, conditioning, gamma, errHigh: mean(r.err, hi), expectedHigh: mean(r.expected, hi), errAll: mean(r.err, b.t.map((_, i) => i)) });
      disposeBatch(b);
    }
  }
}

// ring2d: the exact teacher, and the learned DSM teacher the configs start from.
{
  const schedule = makeSchedule({ name: 'scaled-linear', N: 1000 });
  const data = makeExperimentData({ type: 'mixture', mixture: { type: 'ring', modes: 8, radius: 2, variance: 0.05 } } as never, schedule);
  const { x } = data.sample(1024, makeRng(5));
  const exact = data.exactTeacher({ w: 0, convention: 'lcm' } as never);
  measure('ring2d, exact teacher as student', x, undefined, exact, exact, schedule);
  const { net } = loadNet(readNetCheckpoint('models/teacher-ring2d.ckpt'), makeRng(1));
  measure('ring2d, learned teacher as student', x, undefined, exact, netDenoiser(net), schedule);
  x.dispose();
}
// Fashion-MNIST latents: the guided latent teacher as teacher and as student.
{
  const ck = readModelFile('models/latent-teacher-fmnist.ckpt', 'latent-unet');
  const schedule = makeSchedule(ck.meta.schedule);
  const { ae, scale } = loadAutoencoder(readModelFile(ck.meta.autoencoder, 'autoencoder'));
  const set = await latentSet(ae, scale, loadFashionMnist('train', { limit: 512 }));
  const { images, labels } = gatherRows(set, Array.from({ length: 512 }, (_, i) => i));
  const x0 = tf.tensor4d(images, [512, ...(set.shape.slice(1) as [number, number, number])]);
  const teacher = guidedNetDenoiser(loadLatentUnet(ck, makeRng(1)).net, 1);
  measure('fmnist latents, latent teacher as student', x0, Array.from(labels), teacher, teacher, schedule);
  x0.dispose();
}

const fmt = (v: number) => v.toPrecision(3);
console.log('| case | conditioning | ' + GAMMAS.map((g) => `γ = ${g}: t ≥ 750 (predicted) / all t`).join(' | ') + ' |');
console.log('|---|---|' + GAMMAS.map(() => '---|').join(''));
for (const c of [...new Set(rows.map((r) => r.case))]) {
  for (const cond of ['code', 'matched']) {
    const rs = rows.filter((r) => r.case === c && r.conditioning === cond);
    console.log(`| ${c} | ${cond} | ` + rs.map((r) => `${fmt(r.errHigh)} (${fmt(r.expectedHigh)}) / ${fmt(r.errAll)}`).join(' | ') + ' |');
  }
}
const out = process.argv.indexOf('--out');
if (out > 0) writeFileSync(process.argv[out + 1], JSON.stringify({ date: new Date().toISOString(), command: 'node --import tsx scripts/diagnose-init.ts', rows }, null, 2) + '\n');
