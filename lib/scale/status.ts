/**
 * `splam sweep status`: each plan row's state, from the run store (the runs tagged with the sweep and the row)
 * and, for Slurm sweeps, squeue's live tasks. No sacct (our cluster keeps no accounting): a task squeue no
 * longer lists is judged by its run in the store. Pure: the CLI gathers runs and tasks and calls
 * {@link pointStatuses}.
 */
import type { PlanRow } from '../experiments/sweep.js';
import type { RunRecord } from '../track/types.js';
import type { Submission } from './plan.js';
import { LIVE_STATES, type SlurmTask } from './slurm.js';

/**
 * planned: never submitted (a dry run, or a local sweep stopped before it). queued: a Slurm task waits.
 * running: a task or run is live. finished: a finished run. failed: its latest run failed (interrupted with a
 * checkpoint is a failed run that `splam sweep resume` continues), or its task ended without a run.
 * crashed: its latest run's process is gone (killed, node lost) without marking it.
 */
export const POINT_STATES = ['planned', 'queued', 'running', 'finished', 'failed', 'crashed'] as const;
export type PointState = (typeof POINT_STATES)[number];

export interface PointStatus {
  index: number;
  label: string;
  name: string;
  state: PointState;
  /** The run that decided it (the finished one, else the latest), or null. */
  runId: string | null;
  /** Every run of this row, oldest first. */
  runs: string[];
  /** The Slurm task it is or was (`<job>_<index>`), when known. */
  task: string | null;
  /** One line: why it failed, what it waits for, `interrupted (checkpoint)`, … */
  detail: string;
  /** Whether `splam resume` / `splam sweep resume` continues its run from a checkpoint. */
  checkpoint: boolean;
  summary: Record<string, number>;
}

export const CHECKPOINT_ARTIFACT = 'checkpoint.bin';

/** The row a run belongs to: its `sweep.index` tag (or, for runs of older sweeps, its `sweep.point` key). */
function rowOf(run: RunRecord, rows: readonly PlanRow[]): number | null {
  const tag = run.tags['sweep.index'];
  if (tag !== undefined) return /^\d+$/.test(tag) && Number(tag) < rows.length ? Number(tag) : null;
  const i = rows.findIndex((r) => r.key !== '' && r.key === run.tags['sweep.point']);
  return i >= 0 ? i : rows.length === 1 ? 0 : null;
}

function newestTask(tasks: readonly SlurmTask[]): SlurmTask | undefined {
  return [...tasks].sort((a, b) => Number(b.jobId) - Number(a.jobId))[0];
}

/**
 * Each row's state. `runs`: the store's runs tagged `sweep=<id>` (status already derived, so a dead `running`
 * run reads `crashed`); `tasks`: squeue's tasks of the sweep (null: squeue unavailable); `submissions`: the
 * sweep record's (which rows were ever submitted, under which job).
 */
export function pointStatuses(rows: readonly PlanRow[], runs: readonly RunRecord[], tasks: readonly SlurmTask[] | null, submissions: readonly Submission[] = []): PointStatus[] {
  const byRow = new Map<number, RunRecord[]>();
  for (const run of runs) {
    const i = rowOf(run, rows);
    if (i === null) continue;
    byRow.set(i, [...(byRow.get(i) ?? []), run]);
  }
  return rows.map((row) => {
    const own = (byRow.get(row.index) ?? []).sort((a, b) => a.createdAt - b.createdAt);
    const latest = own.at(-1);
    const finished = own.filter((r) => r.status === 'finished').at(-1);
    const rowTasks = (tasks ?? []).filter((t) => t.index === row.index);
    const live = newestTask(rowTasks.filter((t) => LIVE_STATES.has(t.state)));
    const ended = newestTask(rowTasks.filter((t) => !LIVE_STATES.has(t.state)));
    const lastJob = [...submissions].reverse().find((s) => s.indices.includes(row.index));
    const base = { index: row.index, label: row.label, name: row.name, runs: own.map((r) => r.id) };
    const of = (run: RunRecord | undefined) => ({
      runId: run?.id ?? null,
      checkpoint: run?.artifacts.some((a) => a.name === CHECKPOINT_ARTIFACT) ?? false,
      summary: run?.summary ?? {},
    });
    const taskName = (t: SlurmTask | undefined) => (t ? `${t.jobId}_${t.index}` : lastJob ? `${lastJob.jobId}_${row.index}` : null);

    if (finished) return { ...base, ...of(finished), state: 'finished' as const, task: taskName(ended ?? live), detail: '' };
    if (live?.state === 'PENDING' || live?.state === 'REQUEUED') {
      const waits = live.reason && live.reason !== 'None' ? `waits: ${live.reason}` : 'waits';
      return { ...base, ...of(latest), state: 'queued' as const, task: taskName(live), detail: latest ? `${waits}; earlier run ${latest.id} ${latest.status}` : waits };
    }
    if (live) return { ...base, ...of(latest), state: 'running' as const, task: taskName(live), detail: latest?.status === 'running' ? '' : `task ${live.state.toLowerCase()}, run not started yet` };
    if (latest) {
      const state = latest.status === 'finished' ? 'finished' : latest.status;
      const message = latest.error?.message.split('\n')[0] ?? '';
      const detail =
        latest.status === 'crashed'
          ? `process gone (${latest.crashReason ?? 'no heartbeat'})`
          : latest.status === 'failed'
            ? message.startsWith('interrupted')
              ? 'interrupted'
              : message
            : '';
      return { ...base, ...of(latest), state, task: taskName(ended), detail };
    }
    if (ended) return { ...base, ...of(undefined), state: 'failed' as const, task: taskName(ended), detail: `task ${ended.state.toLowerCase()} without a run (see its log)` };
    if (lastJob) {
      const why = tasks === null ? 'squeue unavailable' : 'squeue no longer lists its task';
      return { ...base, ...of(undefined), state: 'failed' as const, task: taskName(undefined), detail: `no run recorded and ${why} (see logs/${lastJob.jobId}_${row.index}.out)` };
    }
    return { ...base, ...of(undefined), state: 'planned' as const, task: null, detail: 'never submitted' };
  });
}

/** How many rows are in each state. */
export function countStates(points: readonly PointStatus[]): Record<PointState, number> {
  const counts = Object.fromEntries(POINT_STATES.map((s) => [s, 0])) as Record<PointState, number>;
  for (const p of points) counts[p.state]++;
  return counts;
}

/** `4 points: 2 finished, 1 running, 1 queued`. */
export function formatStates(counts: Record<PointState, number>): string {
  const total = POINT_STATES.reduce((n, s) => n + counts[s], 0);
  const parts = (['finished', 'running', 'queued', 'failed', 'crashed', 'planned'] as const).filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}`);
  return `${total} point${total === 1 ? '' : 's'}: ${parts.join(', ') || 'none'}`;
}

/** Rows `splam sweep resume` submits again: those without a finished run and not queued or running now. */
export function rowsToResume(points: readonly PointStatus[]): number[] {
  return points.filter((p) => p.state !== 'finished' && p.state !== 'queued' && p.state !== 'running').map((p) => p.index);
}

/** The status table: row, point, state, run, Slurm task, detail. */
export function formatStatusTable(points: readonly PointStatus[]): string {
  const header = ['#', 'point', 'status', 'run', 'task', 'detail'];
  const rows = points.map((p) => [String(p.index), p.label, p.state, p.runId ?? '-', p.task ?? '-', p.detail + (p.state === 'failed' || p.state === 'crashed' ? (p.checkpoint ? ' (checkpoint: resumable)' : '') : '')]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => cells.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
