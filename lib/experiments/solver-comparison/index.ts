/** `kind: "solver-comparison"` for `splam run`: runs the comparison and records every cell in the run. */
import { defineKind } from '../kind.js';
import { solverComparisonSchema } from './config.js';
import { formatSolverTable, runSolverComparison } from './run.js';

export const solverComparisonKind = defineKind({
  schema: solverComparisonSchema,
  kind: 'solver-comparison',
  description: 'training-free PF-ODE solvers on exact mixture teachers: same-noise error vs NFE',
  experimentOf: (c) => c.experiment,
  seedOf: (c) => c.seed,
  async run(config, { run, progress }) {
    const result = await runSolverComparison(config, progress);
    for (const row of result.rows) {
      run.logMetric(`error/${row.dataset}/${row.solver}/${row.spacing}`, row.error.mean, row.nfe);
      run.logMetric(`ms/${row.dataset}/${row.solver}/${row.spacing}`, row.ms, row.nfe);
    }
    const summary: Record<string, number> = {};
    for (const r of result.reference) summary[`reference_check/${r.dataset}`] = r.halfStepDiff;
    const table = formatSolverTable(result);
    await run.logArtifact('result.json', JSON.parse(JSON.stringify(result)), { kind: 'json' });
    await run.logArtifact('table.txt', table + '\n', { kind: 'text' });
    const refLines = result.reference.map(
      (r) => `  ${r.dataset}: reference RK4 ${config.referenceSubsteps} steps in ${(r.ms / 1000).toFixed(1)} s; max RMS change at half the steps ${r.halfStepDiff.toExponential(1)}`,
    );
    return { summary, report: `same-noise RMS error at the data end vs the reference flow (mean over ${config.samples} samples)\n${table}\n${refLines.join('\n')}` };
  },
});
