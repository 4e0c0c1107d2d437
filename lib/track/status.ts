/**
 * Crash detection (W&B and Sacred use heartbeats; MLflow has none, and its runs stay RUNNING after a kill, e.g.
 * https://github.com/NovaSky-AI/SkyRL/issues/1516). A live run touches `runs/<id>/heartbeat` every few seconds. On
 * read, a `running` run shows as `crashed` when
 *   - it ran on this host and its process is gone (`kill(pid, 0)` → ESRCH, a zombie, or a reused pid whose
 *     start time differs from the recorded one), or
 *   - its latest heartbeat is older than the timeout (other hosts, hung processes).
 * The stored record keeps `running`; doctor can persist `crashed`.
 */
import { readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import type { CrashReason, RunRecord } from './types.js';

/** How often a live run touches its heartbeat file (ms). */
export const DEFAULT_HEARTBEAT_MS = 5_000;
/** A heartbeat older than this marks a running run crashed (ms). 12 missed beats: long tfjs steps never trip it. */
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 60_000;

/**
 * The start time of a process (Linux: field 22 of `/proc/<pid>/stat`, clock ticks since boot), or null where
 * there is no procfs. Together with the pid it names a process uniquely.
 */
export function processStartTime(pid: number): string | null {
  const stat = procStat(pid);
  return stat ? (stat[19] ?? null) : null;
}

/** Fields of `/proc/<pid>/stat` after the command name (state is [0], starttime [19]), or null. */
function procStat(pid: number): string[] | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** Whether a process with this pid (and, when known, this start time) is alive on this host. */
export function isProcessAlive(pid: number, startTime: string | null): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    // EPERM: it exists, owned by someone else
  }
  const stat = procStat(pid);
  if (stat === null) return process.platform !== 'linux'; // vanished between the calls, or no procfs
  if (stat[0] === 'Z' || stat[0] === 'X') return false; // zombie: dead, not yet reaped
  return startTime === null || stat[19] === startTime;
}

export interface LivenessProbe {
  now: number;
  host: string;
  heartbeatTimeoutMs: number;
  isAlive: (pid: number, startTime: string | null) => boolean;
  /** The live heartbeat time of a run (heartbeat file mtime), or null when unknown. */
  heartbeatOf: (id: string) => number | null;
}

/** A probe of the real machine, reading heartbeat files under `heartbeatPath(id)`. */
export function systemProbe(heartbeatPath: (id: string) => string, heartbeatTimeoutMs = DEFAULT_HEARTBEAT_TIMEOUT_MS): LivenessProbe {
  return {
    now: Date.now(),
    host: os.hostname(),
    heartbeatTimeoutMs,
    isAlive: isProcessAlive,
    heartbeatOf: (id) => {
      try {
        return statSync(heartbeatPath(id)).mtimeMs;
      } catch {
        return null;
      }
    },
  };
}

function judge(rec: RunRecord, probe: LivenessProbe): { beat: number; reason: CrashReason | null } {
  const beat = Math.max(rec.heartbeatAt, probe.heartbeatOf(rec.id) ?? 0);
  // On the run's own host the process table is authoritative: a live owner (pid and start time match) is running
  // even when its heartbeat is stale, because a long synchronous tensor op blocks the timer that touches it (seen:
  // a few-step FID evaluation shown as crashed while it ran). The heartbeat judges runs of other hosts, and runs
  // whose start time is unknown (no procfs), where a live pid may be a reused one.
  if (rec.host === probe.host) {
    if (!probe.isAlive(rec.pid, rec.pidStart)) return { beat, reason: 'process_gone' };
    if (rec.pidStart !== null) return { beat, reason: null }; // its start time matched: this very process is alive
  }
  if (probe.now - beat > probe.heartbeatTimeoutMs) return { beat, reason: 'heartbeat_timeout' };
  return { beat, reason: null };
}

/** Why a running run is dead, or null while it is alive (or not running). Pure given the probe. */
export function crashReason(rec: RunRecord, probe: LivenessProbe): CrashReason | null {
  return rec.status === 'running' ? judge(rec, probe).reason : null;
}

/**
 * The record as a reader should see it: a dead `running` run becomes `crashed` with its `crashReason`, and
 * `heartbeatAt` shows the live heartbeat. Returns the same object when nothing changes.
 */
export function deriveStatus(rec: RunRecord, probe: LivenessProbe): RunRecord {
  if (rec.status !== 'running') return rec;
  const { beat, reason } = judge(rec, probe);
  if (reason === null) return beat === rec.heartbeatAt ? rec : { ...rec, heartbeatAt: beat };
  return { ...rec, heartbeatAt: beat, status: 'crashed', crashReason: reason };
}
