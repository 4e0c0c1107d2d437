/**
 * A sweep's life in the store, for every engine: write its plan and record, submit rows to Slurm,
 * read each row's state back. The CLI (lib/cli/sweep.ts) only parses flags and prints.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalStore } from '../track/location.js';
import { redact } from '../track/postgres/url.js';
import type { PlanRow } from '../experiments/sweep.js';
import { LOGS_DIR, SCRIPT_FILE, readSweepRecord, sweepDir, writePlan, writeSweepRecord, type Engine, type Submission, type SweepRecord } from './plan.js';
import { arrayScript, arraySpec, querySqueue, submitArray, type SlurmOptions } from './slurm.js';
import { pointStatuses, type PointStatus } from './status.js';

export interface CreatedSweep {
  dir: string;
  planFile: string;
  /** The array script (engine slurm). */
  script: string | null;
  record: SweepRecord;
}

/**
 * Write `<store>/sweeps/<id>/`: the plan, the sweep record and, for Slurm, the array script and the logs folder.
 * The store must exist already (open it first: a folder with a `sweeps/` and no marker is not a store).
 */
export async function createSweep(
  rows: readonly PlanRow[],
  opts: { storeDir: string; engine: Engine; config: string; sets: readonly string[]; slurm?: { options: SlurmOptions; node: string; bin: string; cwd: string } },
): Promise<CreatedSweep> {
  const storeDir = canonicalStore(opts.storeDir);
  const sweepId = rows[0].sweepId;
  const dir = sweepDir(storeDir, sweepId);
  await mkdir(dir, { recursive: true });
  const planFile = await writePlan(dir, rows);
  const record: SweepRecord = {
    format: 'splam-sweep',
    version: 1,
    id: sweepId,
    engine: opts.engine,
    config: opts.config,
    sets: [...opts.sets],
    points: rows.length,
    store: redact(storeDir),
    createdAt: new Date().toISOString(),
  };
  let script: string | null = null;
  if (opts.engine === 'slurm') {
    if (!opts.slurm) throw new Error('createSweep: engine slurm needs its options');
    const logsDir = join(dir, LOGS_DIR);
    await mkdir(logsDir, { recursive: true });
    script = join(dir, SCRIPT_FILE);
    await writeFile(script, arrayScript({ sweepId, planFile, storeDir, logsDir, ...opts.slurm }), { mode: 0o755 });
    record.slurm = { options: { ...opts.slurm.options }, script, submissions: [] };
  }
  await writeSweepRecord(dir, record);
  return { dir, planFile, script, record };
}

/** Submit `indices` as one array job of the sweep's script and record the submission. @throws SlurmError. */
export async function submitRows(dir: string, record: SweepRecord, indices: readonly number[], maxParallel?: number): Promise<Submission> {
  if (!record.slurm) throw new Error(`sweep ${record.id} is not a Slurm sweep`);
  const array = arraySpec(indices, maxParallel);
  const jobId = submitArray(record.slurm.script, array);
  const submission: Submission = { jobId, indices: [...indices].sort((a, b) => a - b), array, at: new Date().toISOString() };
  record.slurm.submissions.push(submission);
  await writeSweepRecord(dir, record);
  return submission;
}

export interface SweepStatus {
  record: SweepRecord;
  dir: string;
  rows: PlanRow[];
  points: PointStatus[];
  /** Why squeue could not be asked (Slurm sweeps only), else null. */
  squeue: string | null;
}

/** Each row's state from the store (runs tagged with the sweep) and, for Slurm sweeps, squeue. @throws SweepNotFoundError. */
export async function sweepStatus(storeDir: string, sweepId: string): Promise<SweepStatus> {
  const { dir, record, rows } = readSweepRecord(storeDir, sweepId);
  const { openStore } = await import('../track/index.js');
  const store = await openStore(storeDir, { create: false });
  let runs;
  try {
    runs = await store.listRuns({ tags: { sweep: sweepId } });
  } finally {
    await store.close();
  }
  let tasks = null;
  let why: string | null = null;
  if (record.engine === 'slurm') {
    const q = querySqueue(sweepId);
    tasks = q.tasks;
    if (q.tasks === null) why = q.why;
  }
  const points = pointStatuses(rows, runs, record.engine === 'slurm' ? tasks : [], record.slurm?.submissions ?? []);
  return { record, dir, rows, points, squeue: why };
}
