/**
 * Sub-path analysis of trained students (LCM against SPLAM), recorded as its own run in the store:
 *   node --import tsx scripts/analyze-subpaths.ts <run-id> [<run-id> …]
 * For each distillation run: rebuild it from its recorded config and its final checkpoint, then measure against
 * the exact PF-ODE (reference RK4) on 256 fixed noises (lib/experiments/subpath-analysis.ts):
 *   - per sub-path of the training grid, the local error of one consistency jump and the cumulative error of the
 *     deterministic chain (γ = 1);
 *   - the error along the SL-ODE of six sub-paths as a function of γ, with the cleaner end from the teacher's DDIM
 *     step, as in training (the student told γ and using σ_γ).
 */
import { initBackend } from '../lib/backend.js';
import { loadDistillRun } from '../lib/experiments/load-run.js';
import { analyzeSubPaths, DEFAULT_GAMMAS } from '../lib/experiments/subpath-analysis.js';
import { openStore, withRun } from '../lib/track/index.js';

const ids = process.argv.slice(2);
if (!ids.length) {
  console.error('usage: analyze-subpaths.ts <run-id> [<run-id> …]');
  process.exit(2);
}
const backend = await initBackend();
const store = await openStore();
try {
  await withRun(store, { experiment: 'analysis', name: `subpaths ${ids.join(' ')}`, params: { runs: ids, gammas: DEFAULT_GAMMAS, samples: 256 }, backend, seed: 7 }, async (run) => {
    const report: string[] = [];
    for (const id of ids) {
      const loaded = await loadDistillRun(store, id);
      try {
        const a = analyzeSubPaths(loaded);
        const label = `${a.method}/${id}`;
        a.trajectory.subPaths.forEach((p) => {
          run.logMetric(`local/${label}`, p.local.mean, p.index);
          run.logMetric(`cumulative/${label}`, p.cumulative.mean, p.index);
        });
        await run.logArtifact(`${id}.json`, JSON.parse(JSON.stringify({ id, method: a.method, trajectory: a.trajectory, gamma: a.gamma })), { kind: 'json' });
        report.push(`${label}: mean local jump error ${a.meanLocal.toExponential(3)}; cumulative error at the data end after ${a.trajectory.subPaths.length} jumps ${a.trajectory.endError.mean.toExponential(3)}`);
        report.push(`  error vs γ along the SL-ODE (rows: sub-path [s, t]; columns γ = ${DEFAULT_GAMMAS.join(', ')})`);
        for (const cv of a.gamma) report.push(`  [${String(cv.s).padStart(3)}, ${String(cv.t).padStart(3)}]  ${cv.error.map((e) => e.mean.toExponential(2)).join('  ')}`);
        run.logMetrics({ [`mean_local/${label}`]: a.meanLocal, [`end_cumulative/${label}`]: a.trajectory.endError.mean });
      } finally {
        loaded.dispose();
      }
    }
    await run.logArtifact('report.txt', report.join('\n') + '\n', { kind: 'text' });
    console.log(report.join('\n'));
    console.log(`\nrecorded as run ${run.id}`);
  });
} finally {
  await store.close();
}
