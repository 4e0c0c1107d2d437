/**
 * Sweeps from a notebook: `splam sweep` in a child process (points in parallel child processes, each a recorded
 * run), or, when the store already holds a finished run for every point under the same run names, those runs.
 * So a notebook re-executed on the same store reads its sweeps back instead of training them again.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { planSweep, parseAxes } from '../experiments/sweep.js';
import { validateConfig } from '../experiments/runner.js';
import { readConfigFile } from '../config.js';
import type { PointResult } from '../experiments/sweep-runner.js';
import { openStore, defaultStoreDir } from '../track/index.js';
import { PROJECT_ROOT } from './jupyter.js';

export interface NotebookSweepOptions {
  /** `path=v1,v2` axes, as `splam sweep --set`. */
  axes: readonly string[];
  /** Run name base: point runs are named `<name>[label]`. */
  name: string;
  /** Children at once. Default 2 (this machine's cores). */
  parallel?: number;
  storeDir?: string;
}

export interface NotebookSweepResult {
  /** `run`: swept now; `store`: every point read back from earlier runs. */
  source: 'run' | 'store';
  points: { label: string; values: Record<string, unknown>; runId: string; summary: Record<string, number> }[];
}

/** Run (or read back) a sweep; throws when a point fails, with its error. */
export async function notebookSweep(config: string, opts: NotebookSweepOptions): Promise<NotebookSweepResult> {
  const storeDir = opts.storeDir ?? defaultStoreDir();
  const points = await planSweep(readConfigFile(config), parseAxes(opts.axes), { source: config, name: opts.name, validate: validateConfig });
  const store = await openStore(storeDir);
  try {
    const found = [];
    for (const p of points) {
      const [hit] = await store.listRuns({ status: 'finished', where: (r) => r.name === p.name, limit: 1 });
      if (!hit) break;
      found.push({ label: p.label, values: p.values, runId: hit.id, summary: hit.summary });
    }
    if (found.length === points.length) {
      console.log(`${opts.name}: all ${points.length} points found in the store (finished runs named ${opts.name}[…]); not re-run`);
      return { source: 'store', points: found };
    }
  } finally {
    await store.close();
  }
  const args = [join(PROJECT_ROOT, 'bin', 'splam.mjs'), 'sweep', config, ...opts.axes.map((a) => `--set=${a}`), `--name=${opts.name}`, `--store=${storeDir}`, `--parallel=${opts.parallel ?? 2}`, '--json'];
  const t0 = Date.now();
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((res, rej) => {
    const p = spawn(process.execPath, args, { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => {
      err += d;
      for (const line of String(d).split('\n')) if (/ finished | failed /.test(line)) console.log(line.replace(/^splam sweep: /, '  '));
    });
    p.on('error', rej);
    p.on('close', (c) => res({ code: c, stdout: out, stderr: err }));
  });
  let parsed: { points: PointResult[] };
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new Error(`splam sweep exited ${code} without a result: ${stderr.trim().split('\n').slice(-5).join('\n')}`);
  }
  const bad = parsed.points.filter((p) => p.status !== 'finished');
  if (bad.length) throw new Error(`sweep ${opts.name}: ${bad.length} point(s) did not finish: ${bad.map((p) => `${p.label}: ${p.error}`).join('; ')}`);
  console.log(`${opts.name}: ${parsed.points.length} points in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { source: 'run', points: parsed.points.map((p) => ({ label: p.label, values: p.values, runId: p.runId!, summary: p.summary })) };
}
