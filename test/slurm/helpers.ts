/**
 * Helpers of the tests that run on the Slurm cluster of scripts/slurm-start.sh: whether one is there (skip outside
 * CI, fail in CI), the CLI, squeue polling (never `sbatch --wait`), and the store's runs of a sweep.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { openStore } from '../../lib/track/index.js';
import type { RunRecord } from '../../lib/track/types.js';

export const bin = new URL('../../bin/splam.mjs', import.meta.url).pathname;
export const quick = new URL('../../experiments/quick/distill.json', import.meta.url).pathname;
export const POLL_TIMEOUT_MS = 5 * 60_000;

function missingSlurm(): string | null {
  if (spawnSync('sh', ['-c', 'command -v sbatch'], { stdio: 'ignore' }).status !== 0) return 'Slurm is not installed (no sbatch on PATH; scripts/setup.sh installs slurm-wlm munge)';
  const conf = process.env.SLURM_CONF;
  if (!conf) return 'no Slurm cluster configured (SLURM_CONF unset; start one with: eval "$(bash scripts/slurm-start.sh)")';
  if (!existsSync(conf)) return `SLURM_CONF=${conf} does not exist (start a cluster with: eval "$(bash scripts/slurm-start.sh)")`;
  return null;
}
const missing = missingSlurm();
const CI = process.env.CI === 'true';
/** Skip only outside CI; in CI the test runs and fails on its first line. */
export const skip = missing && !CI ? `skipped: ${missing}` : false;

export function requireSlurm(): void {
  if (missing) assert.fail(`CI=true but ${missing}: the Slurm tests must run in CI`);
  const sinfo = spawnSync('sinfo', ['-h', '-o', '%t'], { encoding: 'utf8' });
  assert.equal(sinfo.status, 0, `sinfo failed: is the cluster of SLURM_CONF=${process.env.SLURM_CONF} running? ${sinfo.stderr}`);
}

export function splam(args: string[], store: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { env: { ...process.env, SPLAM_STORE: store }, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function json<T>(r: { code: number | null; stdout: string; stderr: string }): T {
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as T;
}

/** Poll squeue until the job has no task pending or running. @returns seconds waited. */
export async function waitForJob(jobId: string, what: string): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    const q = spawnSync('squeue', ['-h', '-r', '-j', jobId, '-o', '%i %T'], { encoding: 'utf8' });
    // Once the job is purged (MinJobAge), squeue says "Invalid job id": done too.
    if ((q.status === 0 && q.stdout.trim() === '') || /Invalid job id/.test(q.stderr)) return (Date.now() - t0) / 1000;
    assert.ok(Date.now() - t0 < POLL_TIMEOUT_MS, `${what}: job ${jobId} still in squeue after ${POLL_TIMEOUT_MS / 1000} s: ${q.stdout.trim()}`);
    await sleep(500);
  }
}

export async function sweepRuns(store: string, sweepId: string): Promise<RunRecord[]> {
  const s = await openStore(store, { create: false });
  try {
    return await s.listRuns({ tags: { sweep: sweepId } });
  } finally {
    await s.close();
  }
}

export interface Submitted {
  sweepId: string;
  jobId: string;
  plan: string;
  script: string;
  array: string;
  points: { index: number; seed: number }[];
}

export interface Status {
  counts: Record<string, number>;
  points: { index: number; state: string; runId: string | null; checkpoint: boolean; detail: string; task: string | null }[];
}

