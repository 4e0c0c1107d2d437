/**
 * The Slurm engine of `splam sweep`: check the Slurm flags, write the array script that maps
 * SLURM_ARRAY_TASK_ID to one plan row, submit it with `sbatch --parsable --array=…%max`, and read the live
 * tasks back from `squeue` (our cluster has no accounting, so no sacct: squeue for live tasks, the store for
 * the rest; see status.ts).
 */
import { spawnSync } from 'node:child_process';
import { ArgumentError, SplamError } from '../errors.js';

export interface SlurmOptions {
  partition?: string;
  /** `--cpus-per-task`; also the task's OMP_NUM_THREADS. Default 1. */
  cpusPerTask: number;
  /** `--time` as Slurm takes it (`30`, `1:30:00`, `2-12`, …). */
  time?: string;
  gres?: string;
  /** Array throttle: at most this many tasks at once (`--array=…%M`). */
  maxParallel?: number;
}

/** The raw flags, as commander hands them over. */
export interface SlurmFlags {
  partition?: string;
  cpusPerTask?: string;
  time?: string;
  gres?: string;
  maxParallel?: string;
}

const FN = 'splam sweep';

function wholeNumber(flag: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new ArgumentError(FN, flag, value, 'a whole number ≥ 1');
  return n;
}

/**
 * Seconds in a Slurm time limit, or null for `infinite`/`unlimited`. Forms (Slurm's): `M`, `M:S`, `H:M:S`,
 * `D-H`, `D-H:M`, `D-H:M:S`; minutes and seconds after a colon are below 60, hours after a day below 24.
 * @returns undefined when `text` is none of them.
 */
export function parseSlurmTime(text: string): number | null | undefined {
  if (/^(infinite|unlimited)$/i.test(text)) return null;
  let m = /^(\d+)-(\d{1,2})(?::(\d{1,2}))?(?::(\d{1,2}))?$/.exec(text);
  if (m) {
    const [d, h, mi, s] = [m[1], m[2], m[3] ?? '0', m[4] ?? '0'].map(Number);
    return h < 24 && mi < 60 && s < 60 ? ((d * 24 + h) * 60 + mi) * 60 + s : undefined;
  }
  m = /^(\d+)(?::(\d{1,2}))?(?::(\d{1,2}))?$/.exec(text);
  if (!m) return undefined;
  if (m[3] !== undefined) {
    const [h, mi, s] = [m[1], m[2], m[3]].map(Number);
    return mi < 60 && s < 60 ? (h * 60 + mi) * 60 + s : undefined;
  }
  if (m[2] !== undefined) {
    const [mi, s] = [m[1], m[2]].map(Number);
    return s < 60 ? mi * 60 + s : undefined;
  }
  return Number(m[1]) * 60;
}

/**
 * Check the Slurm flags. @throws ArgumentError (one line: the flag, its value, what is allowed) on the first bad one.
 */
export function parseSlurmFlags(flags: SlurmFlags): SlurmOptions {
  const out: SlurmOptions = { cpusPerTask: flags.cpusPerTask === undefined ? 1 : wholeNumber('--cpus-per-task', flags.cpusPerTask) };
  if (flags.partition !== undefined) {
    if (!/^[A-Za-z0-9_.-]+(,[A-Za-z0-9_.-]+)*$/.test(flags.partition)) throw new ArgumentError(FN, '--partition', flags.partition, 'a partition name (letters, digits, _ . -), or several joined by commas');
    out.partition = flags.partition;
  }
  if (flags.time !== undefined) {
    const seconds = parseSlurmTime(flags.time);
    if (seconds === undefined || seconds === 0) {
      throw new ArgumentError(FN, '--time', flags.time, 'a Slurm time limit above 0: minutes, M:S, H:M:S, D-H, D-H:M, D-H:M:S, or infinite (e.g. 30, 1:30:00, 2-12)');
    }
    out.time = flags.time;
  }
  if (flags.gres !== undefined) {
    if (!/^[A-Za-z0-9_]+(:[A-Za-z0-9_.-]+)*(,[A-Za-z0-9_]+(:[A-Za-z0-9_.-]+)*)*$/.test(flags.gres)) throw new ArgumentError(FN, '--gres', flags.gres, 'Slurm generic resources, name[:type][:count] joined by commas (e.g. gpu:1, gpu:a100:2)');
    out.gres = flags.gres;
  }
  if (flags.maxParallel !== undefined) out.maxParallel = wholeNumber('--max-parallel', flags.maxParallel);
  return out;
}

/** Row indices as a Slurm array spec: `[0,1,2,3,7,9,10]` → `0-3,7,9-10`, with `%max` when throttled. */
export function arraySpec(indices: readonly number[], maxParallel?: number): string {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',') + (maxParallel ? `%${maxParallel}` : '');
}

/** Single-quote for bash. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A value on an `#SBATCH` line (Slurm splits those on whitespace). @throws ArgumentError when it has any. */
function sbatchValue(what: string, value: string): string {
  if (/\s/.test(value)) throw new ArgumentError(FN, what, value, 'a path without spaces (Slurm reads #SBATCH lines split on whitespace)');
  return value;
}

export interface ScriptInput {
  sweepId: string;
  planFile: string;
  storeDir: string;
  logsDir: string;
  /** Where the task starts (the submitting folder: relative paths in configs, git provenance). */
  cwd: string;
  /** The node binary and `bin/splam.mjs`. */
  node: string;
  bin: string;
  options: SlurmOptions;
}

/**
 * The array script. Task i runs plan row i (`splam sweep run-point <plan> $SLURM_ARRAY_TASK_ID`), which is idempotent:
 * a row with a finished run is skipped, one with an interrupted or crashed run and a checkpoint is resumed. With a
 * --time limit, Slurm sends SIGTERM to the task shortly before it (`--signal=B:TERM@…`): training stops after
 * its step with a checkpoint, as on scancel. The array range is not in the script (sbatch --array on the command
 * line), so `splam sweep resume` submits the same script for the rows it needs.
 */
export function arrayScript(s: ScriptInput): string {
  const o = s.options;
  const lines = [
    '#!/bin/bash',
    `# splam sweep ${s.sweepId}: array task i runs row i of the plan (written by splam sweep --engine slurm).`,
    `# Resubmit rows by hand: sbatch --array=<rows> ${shellQuote(s.planFile.replace(/plan\.jsonl$/, 'job.sbatch'))}  (or: splam sweep resume ${s.sweepId})`,
    `#SBATCH --job-name=${s.sweepId}`,
    `#SBATCH --output=${sbatchValue('store path', s.logsDir)}/%A_%a.out`,
    `#SBATCH --cpus-per-task=${o.cpusPerTask}`,
    ...(o.partition ? [`#SBATCH --partition=${o.partition}`] : []),
    ...(o.time ? [`#SBATCH --time=${o.time}`] : []),
    ...(o.gres ? [`#SBATCH --gres=${o.gres}`] : []),
  ];
  const seconds = o.time ? parseSlurmTime(o.time) : null;
  if (seconds) lines.push(`#SBATCH --signal=B:TERM@${Math.max(10, Math.min(120, Math.floor(seconds / 10)))}`);
  lines.push(
    'set -eu',
    `export OMP_NUM_THREADS="\${SLURM_CPUS_PER_TASK:-${o.cpusPerTask}}"`,
    `export SPLAM_STORE=${shellQuote(s.storeDir)}`,
    `cd ${shellQuote(s.cwd)}`,
    // exec: node is the batch step itself, so scancel's SIGTERM (and the --signal=B: one) reaches the training loop.
    `exec ${shellQuote(s.node)} ${shellQuote(s.bin)} sweep run-point ${shellQuote(s.planFile)} "\${SLURM_ARRAY_TASK_ID:?not a Slurm array task}"`,
    '',
  );
  return lines.join('\n');
}

/** sbatch, squeue or scancel failed, or is missing. */
export class SlurmError extends SplamError {
  readonly code = 'slurm_failed';
  constructor(message: string) {
    super(message);
    this.name = 'SlurmError';
  }
}

/** Whether `cmd` is on PATH. */
export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function slurm(cmd: string, args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw new SlurmError(`${cmd} could not run: ${r.error.message}${(r.error as NodeJS.ErrnoException).code === 'ENOENT' ? ` (is Slurm installed? ${cmd} is not on PATH)` : ''}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `sbatch --parsable --array=<spec> <script>` → the job id. @throws SlurmError with sbatch's message. */
export function submitArray(script: string, array: string): string {
  const r = slurm('sbatch', ['--parsable', `--array=${array}`, script]);
  const jobId = r.stdout.trim().split(';')[0];
  if (r.status !== 0 || !/^\d+$/.test(jobId)) throw new SlurmError(`sbatch --array=${array} ${script} failed (exit ${r.status}): ${(r.stderr || r.stdout).trim()}`);
  return jobId;
}

/** One array task as squeue shows it. */
export interface SlurmTask {
  jobId: string;
  index: number;
  /** Slurm's long state: PENDING, RUNNING, COMPLETING, COMPLETED, FAILED, CANCELLED, TIMEOUT, … */
  state: string;
  /** `%r`: why it is pending (Resources, JobArrayTaskLimit, …) or None. */
  reason: string;
}

/** States of a task that is still to run or running. */
export const LIVE_STATES = new Set(['PENDING', 'CONFIGURING', 'RUNNING', 'COMPLETING', 'SUSPENDED', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESIZING', 'SIGNALING', 'STAGE_OUT', 'STOPPED']);

/** Parse `squeue -h -r -o '%F|%K|%T|%r'` lines (non-array lines, with index N/A, are left out). */
export function parseSqueue(text: string): SlurmTask[] {
  const tasks: SlurmTask[] = [];
  for (const line of text.split('\n')) {
    const [jobId, index, state, reason] = line.trim().split('|');
    if (!jobId || !/^\d+$/.test(index ?? '')) continue;
    tasks.push({ jobId, index: Number(index), state: state ?? '', reason: reason ?? '' });
  }
  return tasks;
}

/**
 * The sweep's array tasks squeue knows (live ones, and ended ones for MinJobAge seconds), by job name (= sweep id).
 * @returns null when squeue is missing or fails (no cluster reachable from here), with why.
 */
export function querySqueue(sweepId: string): { tasks: SlurmTask[] } | { tasks: null; why: string } {
  if (!hasCommand('squeue')) return { tasks: null, why: 'squeue is not on PATH' };
  const r = slurm('squeue', ['-h', '-r', '-t', 'all', `--name=${sweepId}`, '-o', '%F|%K|%T|%r']);
  if (r.status !== 0) return { tasks: null, why: `squeue failed (exit ${r.status}): ${r.stderr.trim().split('\n')[0]}` };
  return { tasks: parseSqueue(r.stdout) };
}
