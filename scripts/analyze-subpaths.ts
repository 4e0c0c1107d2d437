/**
 * Sub-path analysis of trained students (LCM against SPLAM), recorded as its own run in the store:
 *   node --import tsx scripts/analyze-subpaths.ts <run-id> [<run-id> …]
 * For each distillation run: rebuild it from its recorded config and its final checkpoint, then measure against
 * the exact PF-ODE (reference RK4) on 256 fixed noises:
 *   - per sub-path of the training grid, the local error of one consistency jump and the cumulative error of the
 *     deterministic chain (lib/splam/trajectory-error.ts, `consistencyJump`, γ = 1);
 *   - the error along the SL-ODE of six sub-paths as a function of γ, with the cleaner end from the teacher's DDIM
 *     step, as in training (`gammaErrors`; the student told γ and using σ_γ).
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/backend.js';
import { parseConfig } from '../lib/config.js';
import { makeRng } from '../lib/data/rng.js';
import { distillSchema } from '../lib/experiments/distill-config.js';
import { disposeDistill, restoreDistill, setupDistill, studentMap } from '../lib/experiments/distill.js';
import { CHECKPOINT_NAME } from '../lib/experiments/registry.js';
import { mlpGammaModel } from '../lib/nn/adapters.js';
import { boundaries } from '../lib/splam/grid.js';
import { consistencyJump, denoiserJump, gammaErrors, referenceFlow, trajectoryErrors } from '../lib/splam/trajectory-error.js';
import { openStore, withRun } from '../lib/track/index.js';

const ids = process.argv.slice(2);
if (!ids.length) {
  console.error('usage: analyze-subpaths.ts <run-id> [<run-id> …]');
  process.exit(2);
}
const backend = await initBackend();
const store = await openStore();
const GAMMAS = [0, 0.25, 0.5, 0.75, 1];
try {
  await withRun(store, { experiment: 'analysis', name: `subpaths ${ids.join(' ')}`, params: { runs: ids, gammas: GAMMAS, samples: 256 }, backend, seed: 7 }, async (run) => {
    const report: string[] = [];
    for (const id of ids) {
      const rec = await store.getRun(id);
      const c = parseConfig(distillSchema, rec.params, `params of run ${id}`);
      const s = setupDistill(c);
      restoreDistill(s, await store.readArtifact(id, CHECKPOINT_NAME));
      const f = studentMap(mlpGammaModel(s.student), s.schedule, { k: s.grid.k, sigmaGammaForm: c.objective.sigmaGammaForm });
      const rng = makeRng(7);
      const n = 256;
      const xT = tf.tensor2d(rng.normalArray(n * s.data.D), [n, s.data.D]);
      const exact = referenceFlow(s.exactTeacher, s.schedule, 40);
      const times = boundaries(s.grid);
      const traj = trajectoryErrors(consistencyJump(f, s.schedule), exact, xT, times);
      const method = c.objective.gamma.kind === 'fixed' && c.objective.gamma.value === 1 ? 'LCM' : 'SPLAM';
      const label = `${method}/${id}`;
      traj.subPaths.forEach((p) => {
        run.logMetric(`local/${label}`, p.local.mean, p.index);
        run.logMetric(`cumulative/${label}`, p.cumulative.mean, p.index);
      });
      const pick = [999, 759, 499, 259, 99, 19].filter((t) => times.includes(t));
      const curves = gammaErrors(f, exact, s.schedule, xT, times, { gammas: GAMMAS, start: denoiserJump(s.exactTeacher, s.schedule) }).filter((cv) => pick.includes(cv.t));
      await run.logArtifact(`${id}.json`, JSON.parse(JSON.stringify({ id, method, trajectory: traj, gamma: curves })), { kind: 'json' });
      const meanLocal = traj.subPaths.reduce((a, p) => a + p.local.mean, 0) / traj.subPaths.length;
      report.push(`${label}: mean local jump error ${meanLocal.toExponential(3)}; cumulative error at the data end after ${traj.subPaths.length} jumps ${traj.endError.mean.toExponential(3)}`);
      report.push(`  error vs γ along the SL-ODE (rows: sub-path [s, t]; columns γ = ${GAMMAS.join(', ')})`);
      for (const cv of curves) report.push(`  [${String(cv.s).padStart(3)}, ${String(cv.t).padStart(3)}]  ${cv.error.map((e) => e.mean.toExponential(2)).join('  ')}`);
      run.logMetrics({ [`mean_local/${label}`]: meanLocal, [`end_cumulative/${label}`]: traj.endError.mean });
      xT.dispose();
      disposeDistill(s);
    }
    await run.logArtifact('report.txt', report.join('\n') + '\n', { kind: 'text' });
    console.log(report.join('\n'));
    console.log(`\nrecorded as run ${run.id}`);
  });
} finally {
  await store.close();
}
