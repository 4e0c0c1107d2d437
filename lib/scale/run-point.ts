/**
 * One plan row as a recorded run: what every engine's worker runs (`splam sweep run-point <plan> <index>`; the
 * local pool, a Slurm array task, a Kubernetes Indexed Job pod). Idempotent, so a scheduler may run a row again
 * (a resubmitted task, a replaced pod):
 * - the row already has a finished run: nothing is run, that run is the result (`skipped: true`);
 * - its latest run failed or crashed and left a checkpoint (interrupted by scancel/SIGTERM, a killed node):
 *   that run is resumed from it;
 * - else a new run, tagged `sweep=<id>`, `sweep.index=<i>`, `sweep.point=<key>` (and `slurm.job` under Slurm).
 * A row whose latest run is live elsewhere is refused.
 */
import { SplamError } from '../errors.js';
import type { PlanRow } from '../experiments/sweep.js';
import type { RunFileOptions, RunFileResult } from '../experiments/runner.js';
import { CHECKPOINT_ARTIFACT } from './status.js';

export class PointBusyError extends SplamError {
  readonly code = 'point_running';
  constructor(
    readonly index: number,
    readonly runId: string,
  ) {
    super(`row ${index} is already running as run ${runId} (another worker?); not started twice`);
    this.name = 'PointBusyError';
  }
}

export type PointRunResult = RunFileResult & { skipped?: boolean; resumed?: boolean };

/** Tags of a row's run. */
export function rowTags(row: PlanRow, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const tags: Record<string, string> = { sweep: row.sweepId, 'sweep.index': String(row.index), config: row.source };
  if (row.key) tags['sweep.point'] = row.key;
  if (env.SLURM_ARRAY_JOB_ID && env.SLURM_ARRAY_TASK_ID) tags['slurm.job'] = `${env.SLURM_ARRAY_JOB_ID}_${env.SLURM_ARRAY_TASK_ID}`;
  else if (env.SLURM_JOB_ID) tags['slurm.job'] = env.SLURM_JOB_ID;
  if (env.JOB_COMPLETION_INDEX !== undefined) tags['k8s.index'] = env.JOB_COMPLETION_INDEX;
  return tags;
}

export async function runPoint(row: PlanRow, opts: { storeDir: string } & Pick<RunFileOptions, 'onProgress' | 'onStart'>): Promise<PointRunResult> {
  const { openStore } = await import('../track/index.js');
  const store = await openStore(opts.storeDir);
  let runs;
  try {
    runs = (await store.listRuns({ tags: { sweep: row.sweepId, 'sweep.index': String(row.index) }, orderBy: 'attributes.created ASC' })).sort((a, b) => a.createdAt - b.createdAt);
  } finally {
    await store.close();
  }
  const finished = runs.filter((r) => r.status === 'finished').at(-1);
  if (finished) return { runId: finished.id, kind: row.kind, summary: finished.summary, report: `row ${row.index} already finished as run ${finished.id}; not run again`, skipped: true };
  const latest = runs.at(-1);
  if (latest?.status === 'running') throw new PointBusyError(row.index, latest.id);
  const runner = await import('../experiments/runner.js');
  if (latest && latest.artifacts.some((a) => a.name === CHECKPOINT_ARTIFACT)) {
    return { ...(await runner.resumeRunById(latest.id, { storeDir: opts.storeDir, onProgress: opts.onProgress, onStart: opts.onStart })), resumed: true };
  }
  return runner.runConfig(row.config, row.source, { storeDir: opts.storeDir, name: row.name, tags: rowTags(row), onProgress: opts.onProgress, onStart: opts.onStart });
}
