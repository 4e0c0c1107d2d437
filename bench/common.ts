/** Shared benchmark plumbing: machine description, timing, saving results as JSON under bench/results/. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import type { BackendInfo } from '../lib/backend.js';

export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'results');

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  platform: string;
  node: string;
  tfjs: string;
  backend: string;
  patchedKernels: string[];
  date: string;
}

export function machineInfo(backend: BackendInfo): MachineInfo {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    tfjs: tf.version_core,
    backend: backend.name,
    patchedKernels: backend.patchedKernels,
    date: new Date().toISOString(),
  };
}

/** Median wall-clock (ms) of `fn` (awaited when it returns a promise) over `repeats` calls after `warmup` calls. */
export async function medianMs(fn: () => unknown, repeats = 5, warmup = 1): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/**
 * The value of `--<name> <number>` on the command line, else `dflt`.
 * Exits with status 2 and one line naming the flag when the value is not a number.
 */
export function numberArg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (process.argv[i + 1] === undefined || !Number.isFinite(v)) {
    console.error(`--${name} needs a number (got ${process.argv[i + 1] ?? 'nothing'})`);
    process.exit(2);
  }
  return v;
}

/**
 * A benchmark's results as a printed table of (label, value) rows, kept for the saved JSON; {@link ResultTable.time}
 * times a call (median of repeats, {@link medianMs}) and notes it in milliseconds.
 */
export class ResultTable {
  readonly rows: [string, string][] = [];
  constructor(readonly labelWidth: number) {}

  note(label: string, value: string): void {
    this.rows.push([label, value]);
    console.log(`  ${label.padEnd(this.labelWidth)} ${value}`);
  }

  /** Median ms of `fn` over `repeats` calls after one warm-up; noted under `label` and stored as `into[key]`. */
  async time(into: Record<string, number>, key: string, label: string, fn: () => unknown, repeats = 5): Promise<number> {
    const ms = await medianMs(fn, repeats);
    into[key] = ms;
    this.note(label, ms.toFixed(1));
    return ms;
  }
}

/** Write `bench/results/<name>.json` and return its path. */
export function saveResult(name: string, data: unknown): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${name}.json`);
  writeFileSync(file, JSON.stringify(data, null, 2) + '\n');
  return file;
}

/** A Python with numpy for peer measurements: Debian's first, then the one on PATH; undefined when none. */
export function pythonWithNumpy(): string | undefined {
  for (const py of ['/usr/bin/python3', 'python3']) {
    try {
      execFileSync(py, ['-c', 'import numpy'], { stdio: 'ignore' });
      return py;
    } catch {
      // try the next
    }
  }
  return undefined;
}
