/**
 * A sweep on disk: the plan file every engine executes and the sweep's record, in the run store's
 * folder (the store itself never reads them: `lib/track` knows only runs).
 *
 *   <store>/sweeps/<sweep-id>/plan.jsonl   one {@link PlanRow} per line, row i on line i (0-based)
 *   <store>/sweeps/<sweep-id>/sweep.json   the {@link SweepRecord}: engine, config, point count, Slurm submissions
 *   <store>/sweeps/<sweep-id>/job.sbatch   the Slurm array script (engine slurm)
 *   <store>/sweeps/<sweep-id>/logs/        Slurm's output files, <job>_<task>.out
 *
 * The plan row index is a worker's only input: `splam sweep run-point <plan> <index>`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ArgumentError, SplamError } from '../errors.js';
import { writeFileAtomic } from '../track/atomic.js';
import { storeFolder } from '../track/location.js';
import type { PlanRow } from '../experiments/sweep.js';

export const SWEEPS_DIR = 'sweeps';
export const PLAN_FILE = 'plan.jsonl';
export const SWEEP_FILE = 'sweep.json';
export const SCRIPT_FILE = 'job.sbatch';
export const LOGS_DIR = 'logs';

/** Sweep ids as {@link newSweepId} makes them, or any id safe as a folder name. */
const SWEEP_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export const ENGINES = ['local', 'slurm'] as const;
export type Engine = (typeof ENGINES)[number];

/** One `sbatch` of (some of) the sweep's rows. */
export interface Submission {
  jobId: string;
  /** Plan rows (= array task ids) submitted. */
  indices: number[];
  /** The `--array` value given to sbatch. */
  array: string;
  /** ISO time. */
  at: string;
}

/** `sweep.json`. */
export interface SweepRecord {
  format: 'splam-sweep';
  version: 1;
  id: string;
  engine: Engine;
  /** The config file the sweep was planned from. */
  config: string;
  /** The `--set` flags as given. */
  sets: string[];
  points: number;
  /** The store at planning time: an absolute folder, or a `postgres://` URL (password masked). */
  store: string;
  createdAt: string;
  /** Engine slurm: the options the script was written with and every submission (first, then each resume). */
  slurm?: { options: Record<string, unknown>; script: string; submissions: Submission[] };
}

export class SweepNotFoundError extends SplamError {
  readonly code = 'sweep_not_found';
  constructor(
    readonly sweepId: string,
    readonly dir: string,
  ) {
    super(`no sweep ${sweepId} in ${dirname(dirname(dir))} (no ${join(dir, SWEEP_FILE)})\n  hint: pass --store <dir> or set SPLAM_STORE to the store the sweep was planned in`);
    this.name = 'SweepNotFoundError';
  }
}

/** A plan file that cannot be read as plan rows. */
export class PlanError extends SplamError {
  readonly code = 'bad_plan';
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'PlanError';
  }
}

/**
 * `<store>/sweeps/<id>`; for a PostgreSQL store, `<artifacts>/sweeps/<id>` (its artifact folder, shared by every host).
 * @throws ArgumentError for an id that is not a plain folder name
 */
export function sweepDir(storeDir: string, sweepId: string): string {
  if (!SWEEP_ID.test(sweepId)) throw new ArgumentError('splam sweep', 'sweep-id', sweepId, `a sweep id such as sweep-20250102-030405-00ab (${SWEEP_ID})`);
  return join(storeFolder(storeDir), SWEEPS_DIR, sweepId);
}

/**
 * Write `text` to `file` (its folder made first) with the store's atomic writer (lib/track/atomic.ts: a per-process
 * temp file, fsync, rename): readers never see half a file, and what a killed planner leaves carries the temp
 * pattern doctor cleans under `<store>/sweeps/`.
 */
async function writeSweepFile(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFileAtomic(file, text);
}

/** The plan as JSONL: row i on line i. */
export function formatPlan(rows: readonly PlanRow[]): string {
  return rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

export async function writePlan(dir: string, rows: readonly PlanRow[]): Promise<string> {
  const file = join(dir, PLAN_FILE);
  await writeSweepFile(file, formatPlan(rows));
  return file;
}

const ROW_FIELDS: [keyof PlanRow, string][] = [
  ['index', 'number'],
  ['name', 'string'],
  ['sweepId', 'string'],
  ['source', 'string'],
  ['kind', 'string'],
  ['seed', 'number'],
  ['config', 'object'],
  ['key', 'string'],
  ['label', 'string'],
];

/**
 * Read a plan file; every row is checked for its fields and its position (row i has index i).
 * @throws PlanError naming the file and the line.
 */
export function readPlan(file: string): PlanRow[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PlanError(file, `cannot read the plan: ${(err as Error).message}`);
  }
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  return lines.map((line, i) => {
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      throw new PlanError(file, `line ${i + 1} is not JSON`);
    }
    if (row === null || typeof row !== 'object') throw new PlanError(file, `line ${i + 1} is not a plan row`);
    for (const [field, type] of ROW_FIELDS) {
      const v = (row as Record<string, unknown>)[field];
      if (typeof v !== type || v === null) throw new PlanError(file, `line ${i + 1}: field ${field} is ${v === undefined ? 'missing' : JSON.stringify(v)}; expected a ${type}`);
    }
    if ((row as PlanRow).index !== i) throw new PlanError(file, `line ${i + 1} holds row ${(row as PlanRow).index}; expected ${i}`);
    return row as PlanRow;
  });
}

/** Row `index` of a plan. @throws ArgumentError when the plan has no such row. */
export function planRow(rows: readonly PlanRow[], index: number, file: string): PlanRow {
  if (!Number.isSafeInteger(index) || index < 0 || index >= rows.length) {
    throw new ArgumentError('splam sweep run-point', 'index', index, `a row of ${file}: 0 to ${rows.length - 1}`);
  }
  return rows[index];
}

export async function writeSweepRecord(dir: string, record: SweepRecord): Promise<void> {
  await writeSweepFile(join(dir, SWEEP_FILE), JSON.stringify(record, null, 2) + '\n');
}

/** @throws SweepNotFoundError when the store has no such sweep. */
export function readSweepRecord(storeDir: string, sweepId: string): { dir: string; record: SweepRecord; rows: PlanRow[] } {
  const dir = sweepDir(storeDir, sweepId);
  const file = join(dir, SWEEP_FILE);
  if (!existsSync(file)) throw new SweepNotFoundError(sweepId, dir);
  let record: SweepRecord;
  try {
    record = JSON.parse(readFileSync(file, 'utf8')) as SweepRecord;
  } catch (err) {
    throw new PlanError(file, `not a sweep record: ${(err as Error).message}`);
  }
  return { dir, record, rows: readPlan(join(dir, PLAN_FILE)) };
}

/**
 * The store a plan file lives in (`<store>/sweeps/<id>/plan.jsonl` → `<store>`), when that folder is a run store;
 * else null (a plan copied elsewhere: the worker uses --store or $SPLAM_STORE).
 */
export function storeOfPlan(planFile: string): string | null {
  const store = dirname(dirname(dirname(resolve(planFile))));
  return existsSync(join(store, 'store.json')) && existsSync(join(store, SWEEPS_DIR)) ? store : null;
}
