/**
 * Run sweep points as child processes, at most `parallel` at once. Child processes keep each point's tensor
 * backend to itself and let the points use several cores.
 *
 * The child contract is `splam run --json`'s: a line `run <id> started …` on stderr once the run exists, the
 * result (`{ runId, summary, stopped?, … }`) as JSON on stdout, exit status 0 on success and 130 when stopped
 * on request with a checkpoint. A failed child does not stop the sweep. {@link SweepControl.stop} (Ctrl-C in the
 * CLI) launches nothing more and forwards a signal to the running children; runSweep still waits for them.
 */
import { spawn } from 'node:child_process';
import { SplamError } from '../errors.js';
import type { NamedPoint } from './sweep.js';

/**
 * finished: exit 0 with a result. interrupted: stopped on request (`stopped: true`, resumable), or ended by a
 * signal we forwarded. failed: anything else. skipped: never started (the sweep was stopped first).
 */
export type PointStatus = 'finished' | 'failed' | 'interrupted' | 'skipped';

export interface PointResult {
  index: number;
  label: string;
  values: Record<string, unknown>;
  /** Run name given to the child. */
  name: string;
  status: PointStatus;
  /** From the child's `run <id> started` line: known for failed and interrupted points too, once the run existed. */
  runId: string | null;
  summary: Record<string, number>;
  /** From spawn to exit; null when skipped. */
  wallMs: number | null;
  exitCode: number | null;
  signal: string | null;
  /** Why the point did not finish: the child's error output (from its last `splam:` line on), or "stopped with a checkpoint". */
  error: string | null;
}

/** What to start for a point: an executable and its arguments. */
export interface PointCommand {
  file: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

export type SweepEvent =
  /** The point's run exists (its child printed `run <id> started`). A child that ends before that has only an `end`. */
  | { type: 'start'; point: NamedPoint; runId: string; running: number; done: number; total: number }
  | { type: 'end'; result: PointResult; running: number; done: number; total: number };

/** Stops a sweep from outside: the CLI calls {@link stop} on each SIGINT/SIGTERM it receives. */
export class SweepControl {
  #stopped = false;
  readonly #live = new Set<(signal: NodeJS.Signals) => void>();

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Start no more points and send `signal` to every running child (again on each call). @returns how many were running. */
  stop(signal: NodeJS.Signals = 'SIGINT'): number {
    this.#stopped = true;
    for (const send of this.#live) send(signal);
    return this.#live.size;
  }

  /** Children now running. */
  get running(): number {
    return this.#live.size;
  }

  /** Register a running child's signal sender; returns its removal. (runSweep's own use.) */
  track(send: (signal: NodeJS.Signals) => void): () => void {
    this.#live.add(send);
    return () => this.#live.delete(send);
  }
}

export interface RunSweepOptions {
  /** Children at once (≥ 1). */
  parallel: number;
  command: (point: NamedPoint) => PointCommand;
  onEvent?: (e: SweepEvent) => void;
  control?: SweepControl;
}

/** How many points ended in each status. */
export function countStatuses(results: readonly PointResult[]): Record<PointStatus, number> {
  const counts: Record<PointStatus, number> = { finished: 0, failed: 0, interrupted: 0, skipped: 0 };
  for (const r of results) counts[r.status]++;
  return counts;
}

/** `3 of 4 points finished, 1 failed` (statuses with no point left out). */
export function formatCounts(counts: Record<PointStatus, number>): string {
  const total = counts.finished + counts.failed + counts.interrupted + counts.skipped;
  const rest = (['failed', 'interrupted', 'skipped'] as const).filter((k) => counts[k] > 0).map((k) => `${counts[k]} ${k}`);
  return [`${counts.finished} of ${total} point${total === 1 ? '' : 's'} finished`, ...rest].join(', ');
}

/** A sweep that ran to its end with failed points. The results were already reported; this sets the exit status (1). */
export class SweepError extends SplamError {
  readonly code = 'sweep_failed';
  constructor(
    readonly sweepId: string,
    readonly counts: Record<PointStatus, number>,
  ) {
    super(`sweep ${sweepId}: ${formatCounts(counts)}`);
    this.name = 'SweepError';
  }
}

const STARTED = /^run (\S+) started/m;
/** Keep at most this much of a child's stderr (its progress lines are not needed). */
const STDERR_KEEP = 16_384;

/** The error part of a child's stderr: from the last line that starts with `splam:`, else its last lines. */
export function childError(stderr: string): string {
  const at = stderr.lastIndexOf('\nsplam: ');
  const text = at >= 0 ? stderr.slice(at + 1) : stderr.startsWith('splam: ') ? stderr : stderr.split('\n').slice(-6).join('\n');
  return text.trim().replace(/^splam: /, '').slice(0, 2000);
}

interface ChildResult {
  runId?: unknown;
  summary?: unknown;
  stopped?: unknown;
}

/** Parse a child's stdout as the JSON result (the whole text, else its last line). */
function parseResult(stdout: string): ChildResult | null {
  for (const text of [stdout.trim(), stdout.trim().split('\n').pop() ?? '']) {
    try {
      const v = JSON.parse(text) as unknown;
      if (v !== null && typeof v === 'object') return v as ChildResult;
    } catch {
      // try the next form
    }
  }
  return null;
}

function runChild(point: NamedPoint, cmd: PointCommand, control: SweepControl, onRun: (runId: string) => void): Promise<PointResult> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    // Own process group: a terminal's Ctrl-C reaches only the sweep, which forwards it once (not twice). The price:
    // a sweep killed with SIGKILL leaves its running points to finish on their own (they still land in the store).
    const child = spawn(cmd.file, cmd.args, { env: cmd.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let runId: string | null = null;
    let signalled = false;
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr = (stderr + s).slice(-STDERR_KEEP);
      if (runId === null && (runId = STARTED.exec(stderr)?.[1] ?? null) !== null) onRun(runId);
    });
    const untrack = control.track((sig) => {
      signalled = true;
      child.kill(sig);
    });
    const base = { index: point.index, label: point.label, values: point.values, name: point.name };
    let settled = false;
    const done = (r: Omit<PointResult, keyof typeof base | 'wallMs'>) => {
      if (settled) return;
      settled = true;
      untrack();
      resolve({ ...base, ...r, wallMs: performance.now() - t0 });
    };
    child.on('error', (err) => done({ status: 'failed', runId, summary: {}, exitCode: null, signal: null, error: `could not start ${cmd.file}: ${err.message}` }));
    child.on('close', (code, signal) => {
      const out = parseResult(stdout);
      if (out && typeof out.runId === 'string') {
        const summary = (out.summary ?? {}) as Record<string, number>;
        if (out.stopped === true) {
          return done({ status: 'interrupted', runId: out.runId, summary, exitCode: code, signal, error: `stopped with a checkpoint (splam resume ${out.runId})` });
        }
        if (code === 0) return done({ status: 'finished', runId: out.runId, summary, exitCode: code, signal, error: null });
      }
      const status = signalled ? 'interrupted' : 'failed';
      const error = code === 0 ? `exit 0 without a JSON result on stdout` : childError(stderr) || `exit ${code ?? signal}`;
      done({ status, runId, summary: {}, exitCode: code, signal, error });
    });
  });
}

/**
 * Run every point (in index order, at most `parallel` at once) and return one result per point, in point order.
 * Never throws for a failed point; points not started because the sweep was stopped come back as `skipped`.
 */
export async function runSweep(points: readonly NamedPoint[], opts: RunSweepOptions): Promise<PointResult[]> {
  const skipped = (p: NamedPoint): PointResult => ({ index: p.index, label: p.label, values: p.values, name: p.name, status: 'skipped', runId: null, summary: {}, wallMs: null, exitCode: null, signal: null, error: null });
  const results = points.map(skipped);
  const control = opts.control ?? new SweepControl();
  let next = 0;
  let done = 0;
  const total = points.length;
  const worker = async () => {
    while (next < total && !control.stopped) {
      const i = next++;
      const point = points[i];
      const result = await runChild(point, opts.command(point), control, (runId) =>
        opts.onEvent?.({ type: 'start', point, runId, running: control.running, done, total }),
      );
      results[i] = result;
      done++;
      opts.onEvent?.({ type: 'end', result, running: control.running, done, total });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.parallel, total)) }, worker));
  return results;
}

/** One progress line: `#2 {k: 20} started as run … (2 running, 1/6 done)`, `#2 {k: 20} failed in 3.1 s: run …, <error> (…)`. */
export function formatSweepEvent(e: SweepEvent): string {
  const counts = `(${e.running} running, ${e.done}/${e.total} done)`;
  if (e.type === 'start') return `#${e.point.index} ${e.point.label} started as run ${e.runId} ${counts}`;
  const r = e.result;
  const what = r.status === 'finished' ? `run ${r.runId}` : `${r.runId ? `run ${r.runId}, ` : ''}${r.error?.split('\n')[0] ?? ''}`;
  return `#${r.index} ${r.label} ${r.status} in ${((r.wallMs ?? 0) / 1000).toFixed(1)} s: ${what} ${counts}`;
}

/** A number for a table: 4 significant digits, exponent form when very small or large. */
function num(v: number | undefined): string {
  if (v === undefined) return '';
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(2) : String(Number(v.toPrecision(4)));
}

/** The summary metrics to show: `keys` when given, else the first three keys met in point order. */
export function summaryKeys(results: readonly PointResult[], keys?: readonly string[], max = 3): string[] {
  if (keys?.length) return [...keys];
  const seen: string[] = [];
  for (const r of results) for (const k of Object.keys(r.summary)) if (!seen.includes(k) && seen.length < max) seen.push(k);
  return seen;
}

/** The end-of-sweep table: point, run id, status, summary metrics, wall time; below, why each unfinished point ended. */
export function formatSweepTable(results: readonly PointResult[], keys?: readonly string[]): string {
  const metrics = summaryKeys(results, keys);
  const header = ['#', 'point', 'run', 'status', ...metrics, 'wall'];
  const rows = results.map((r) => [
    String(r.index),
    r.label,
    r.runId ?? '-',
    r.status,
    ...metrics.map((k) => num(r.summary[k])),
    r.wallMs === null ? '-' : `${(r.wallMs / 1000).toFixed(1)} s`,
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c].length)));
  const line = (cells: string[]) => cells.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd();
  const errors = results.filter((r) => r.error).map((r) => `  #${r.index} ${r.label}: ${r.error!.split('\n')[0]}`);
  return [line(header), ...rows.map(line), ...(errors.length ? ['', 'not finished:', ...errors] : [])].join('\n');
}
